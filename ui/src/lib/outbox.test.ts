import { describe, expect, it } from 'vitest';
import { MemoryStorage } from '../test/memory-storage';
import { Outbox, type OutboxEntry } from './outbox';

const KEY = 'hubbub.outbox.v1.1';
const entry = (n: number, channel = 'room:lobby'): OutboxEntry => ({
  clientMessageId: `id-${n}`,
  channel,
  body: `message ${n}`,
  createdAt: 1_000 + n,
});

describe('Outbox', () => {
  it('writes every change through, so a new page finds the queue in send order', () => {
    const storage = new MemoryStorage();
    const box = new Outbox(KEY, 10, storage);
    box.add(entry(1));
    box.add(entry(2, 'dm:3'));
    box.add(entry(3));
    box.remove('id-2');
    const reloaded = new Outbox(KEY, 10, storage);
    expect(reloaded.entries()).toEqual([entry(1), entry(3)]);
    expect(reloaded.get('id-3')).toEqual(entry(3));
  });

  it('removes the storage key once empty', () => {
    const storage = new MemoryStorage();
    const box = new Outbox(KEY, 10, storage);
    box.add(entry(1));
    expect(storage.getItem(KEY)).not.toBeNull();
    expect(box.remove('id-1')).toEqual(entry(1));
    expect(storage.getItem(KEY)).toBeNull();
    expect(box.remove('id-1')).toBeUndefined();
  });

  it('queues a client_message_id once', () => {
    const box = new Outbox(KEY, 10, new MemoryStorage());
    expect(box.add(entry(1))).toBe(true);
    expect(box.add({ ...entry(1), body: 'changed' })).toBe(true);
    expect(box.size).toBe(1);
    expect(box.get('id-1')?.body).toBe('message 1');
  });

  it('refuses new entries when full', () => {
    const box = new Outbox(KEY, 2, new MemoryStorage());
    expect(box.add(entry(1))).toBe(true);
    expect(box.add(entry(2))).toBe(true);
    expect(box.isFull).toBe(true);
    expect(box.add(entry(3))).toBe(false);
    expect(box.entries().map((e) => e.clientMessageId)).toEqual(['id-1', 'id-2']);
  });

  it('loads only well-formed entries, up to the limit', () => {
    const storage = new MemoryStorage();
    storage.setItem(KEY, JSON.stringify([entry(1), { clientMessageId: 'x', channel: 'room:lobby' }, 'junk', entry(2), entry(3)]));
    const box = new Outbox(KEY, 2, storage);
    expect(box.entries()).toEqual([entry(1), entry(2)]);
  });

  it('starts empty when the stored value is not JSON', () => {
    const storage = new MemoryStorage();
    storage.setItem(KEY, '{not json');
    expect(new Outbox(KEY, 10, storage).size).toBe(0);
  });

  it('keeps working in memory when storage refuses writes', () => {
    const storage = new MemoryStorage();
    storage.maxValueLength = 0;
    const box = new Outbox(KEY, 10, storage);
    expect(box.add(entry(1))).toBe(true);
    expect(box.size).toBe(1);
    expect(storage.getItem(KEY)).toBeNull();
  });

  it('works without storage at all', () => {
    const box = new Outbox(KEY, 10, null);
    box.add(entry(1));
    expect(box.entries()).toEqual([entry(1)]);
  });
});
