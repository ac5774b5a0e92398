import { describe, expect, it } from 'vitest';
import { MemoryStorage } from '../test/memory-storage';
import type { ChatMessage } from './protocol';
import { MAX_STORED_CHANNELS, ResumeStore, sinceParam, type StoredChannel, type StoredState } from './resume';

const KEY = 'hubbub.resume.v1.1';

function message(channel: string, offset: number): ChatMessage {
  return {
    id: offset * 10,
    channel,
    offset,
    sender_id: 1,
    sender_name: 'Ann',
    client_message_id: `c-${channel}-${offset}`,
    body: `hello ${offset}`,
    created_at: 1_700_000_000_000 + offset,
  };
}

function stored(channel: string, usedAt: number, messages = 2): StoredChannel {
  return {
    epoch: 'E1',
    offset: messages,
    lastRead: 1,
    unread: messages - 1,
    hasMore: false,
    messages: Array.from({ length: messages }, (_, i) => message(channel, i + 1)),
    usedAt,
  };
}

describe('sinceParam', () => {
  it('puts the selected channel first, then the most recently used', () => {
    const channels = {
      'room:lobby': { epoch: 'A', offset: 5, usedAt: 10 },
      'dm:4': { epoch: 'B', offset: 7, usedAt: 30 },
      'room:games': { epoch: 'C', offset: 2, usedAt: 20 },
    };
    expect(sinceParam(channels, 'room:lobby')).toBe('room:lobby@A:5,dm:4@B:7,room:games@C:2');
    expect(sinceParam(channels, null)).toBe('dm:4@B:7,room:games@C:2,room:lobby@A:5');
  });

  it('names at most `max` channels', () => {
    const channels = Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`room:r${i}`, { epoch: 'E', offset: i, usedAt: i }]));
    expect(sinceParam(channels, null, 2)).toBe('room:r4@E:4,room:r3@E:3');
  });

  it('leaves out names and epochs that would break the URL list, and whole non-negative offsets only', () => {
    const channels = {
      'room:a,b': { epoch: 'E', offset: 1, usedAt: 1 },
      'room:ok': { epoch: 'bad epoch', offset: 1, usedAt: 1 },
      nochannel: { epoch: 'E', offset: 1, usedAt: 1 },
      'room:x': { epoch: 'E_1-2', offset: 3.7, usedAt: 2 },
      'room:y': { epoch: 'E', offset: -4, usedAt: 1 },
    };
    expect(sinceParam(channels, null)).toBe('room:x@E_1-2:3,room:y@E:0');
  });
});

describe('ResumeStore', () => {
  it('loads what it saved', () => {
    const storage = new MemoryStorage();
    const state: StoredState = { selected: 'dm:4', channels: { 'room:lobby': stored('room:lobby', 5), 'dm:4': stored('dm:4', 9) } };
    new ResumeStore(KEY, storage).save(state);
    expect(new ResumeStore(KEY, storage).load()).toEqual(state);
  });

  it('starts fresh on another version, broken JSON or no storage', () => {
    const storage = new MemoryStorage();
    storage.setItem(KEY, JSON.stringify({ v: 2, selected: 'room:lobby', channels: {} }));
    expect(new ResumeStore(KEY, storage).load()).toEqual({ selected: null, channels: {} });
    storage.setItem(KEY, '{"v":1,');
    expect(new ResumeStore(KEY, storage).load()).toEqual({ selected: null, channels: {} });
    const none = new ResumeStore(KEY, null);
    none.save({ selected: 'room:lobby', channels: {} });
    expect(none.load()).toEqual({ selected: null, channels: {} });
  });

  it('drops malformed channels and messages that belong elsewhere or lack fields', () => {
    const storage = new MemoryStorage();
    const good = stored('room:lobby', 1);
    const { body: _body, ...noBody } = message('room:lobby', 4);
    storage.setItem(
      KEY,
      JSON.stringify({
        v: 1,
        selected: 42,
        channels: {
          'room:lobby': { ...good, messages: [...good.messages, message('room:other', 3), noBody] },
          'room:broken': { epoch: 'E', offset: 'three' },
        },
      }),
    );
    const loaded = new ResumeStore(KEY, storage).load();
    expect(loaded.selected).toBeNull();
    expect(Object.keys(loaded.channels)).toEqual(['room:lobby']);
    expect(loaded.channels['room:lobby'].messages).toEqual(good.messages);
  });

  it('keeps only the most recently used channels', () => {
    const storage = new MemoryStorage();
    const channels: Record<string, StoredChannel> = {};
    for (let i = 0; i < MAX_STORED_CHANNELS + 5; i++) channels[`room:r${i}`] = stored(`room:r${i}`, i, 1);
    new ResumeStore(KEY, storage).save({ selected: null, channels });
    const kept = Object.keys(new ResumeStore(KEY, storage).load().channels);
    expect(kept).toHaveLength(MAX_STORED_CHANNELS);
    expect(kept).not.toContain('room:r0');
    expect(kept).toContain(`room:r${MAX_STORED_CHANNELS + 4}`);
  });

  it('halves the channels kept, least recently used out first, until the state fits', () => {
    const storage = new MemoryStorage();
    const channels: Record<string, StoredChannel> = {};
    for (let i = 0; i < 8; i++) channels[`room:r${i}`] = stored(`room:r${i}`, i, 3);
    const oneChannel = JSON.stringify({ v: 1, selected: null, channels: { 'room:r7': channels['room:r7'] } }).length;
    storage.maxValueLength = oneChannel * 2.5;
    new ResumeStore(KEY, storage).save({ selected: null, channels });
    expect(Object.keys(new ResumeStore(KEY, storage).load().channels).sort()).toEqual(['room:r6', 'room:r7']);
  });

  it('removes the old state when nothing fits', () => {
    const storage = new MemoryStorage();
    storage.setItem(KEY, 'old');
    storage.maxValueLength = 5;
    new ResumeStore(KEY, storage).save({ selected: null, channels: { 'room:lobby': stored('room:lobby', 1) } });
    expect(storage.getItem(KEY)).toBeNull();
  });
});
