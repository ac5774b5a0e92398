import { describe, expect, it } from 'vitest';
import { Directory, LOBBY, channelTitle, dmReadable, isChatChannel, isDm } from './directory';
import type { DmThread, Room } from './protocol';

function room(id: string, name: string, extra: Partial<Room> = {}): Room {
  return {
    id,
    channel: `room:${id}`,
    name,
    topic: '',
    kind: 'open',
    member_count: 1,
    member: true,
    last_offset: 0,
    last_read: 0,
    unread: 0,
    slow_mode_secs: 0,
    locked: false,
    ...extra,
  };
}

function dm(id: number, other: string, extra: Partial<DmThread> = {}): DmThread {
  return {
    id,
    channel: `dm:${id}`,
    other: { id: 100 + id, display_name: other },
    state: 'accepted',
    initiated_by: 1,
    last_offset: 0,
    last_read: 0,
    other_last_read: 0,
    unread: 0,
    ...extra,
  };
}

describe('channel kinds', () => {
  it('tells rooms, conversations and other channels apart', () => {
    expect([isChatChannel('room:x'), isChatChannel('dm:3'), isChatChannel('presence')]).toEqual([true, true, false]);
    expect([isDm('dm:3'), isDm('room:dm')]).toEqual([true, false]);
    expect(['pending', 'accepted', 'declined', 'blocked'].map((state) => dmReadable(dm(1, 'A', { state: state as DmThread['state'] })))).toEqual([
      true,
      true,
      false,
      false,
    ]);
  });
});

describe('Directory', () => {
  it('lists the Lobby first, then rooms by name; conversations newest first', () => {
    const d = new Directory();
    d.setRooms([room('zeta', 'zeta'), room('lobby', 'Lobby'), room('alpha', 'Alpha'), room('beta', 'beta')]);
    d.setDms([dm(3, 'Ann'), dm(9, 'Ben'), dm(5, 'Cy')]);
    const v = d.view();
    expect(v.rooms.map((r) => r.name)).toEqual(['Lobby', 'Alpha', 'beta', 'zeta']);
    expect(v.dms.map((t) => t.id)).toEqual([9, 5, 3]);
  });

  it('replaces the lists on refresh and drops an older, slower answer', async () => {
    const d = new Directory();
    let finishSlow: () => void = () => {};
    const slow = d.refresh(
      () => new Promise((resolve) => (finishSlow = () => resolve([{ rooms: [room('old', 'Old')] }, { threads: [] }]))),
      () => ({ message: 'x' }),
    );
    await d.refresh(async () => [{ rooms: [room('new', 'New')] }, { threads: [dm(1, 'Ann')] }], () => ({ message: 'x' }));
    finishSlow();
    await slow;
    expect(d.view().rooms.map((r) => r.name)).toEqual(['New']);
    expect(d.view().loaded).toBe(true);
  });

  it('keeps the lists and records the error when a refresh fails', async () => {
    const d = new Directory();
    d.setRooms([room('lobby', 'Lobby')]);
    await d.refresh(
      () => Promise.reject(new Error('offline')),
      (err) => ({ message: `failed: ${(err as Error).message}` }),
    );
    expect(d.view()).toMatchObject({ loaded: false, error: 'failed: offline' });
    expect(d.view().rooms).toHaveLength(1);
  });

  it('finds rooms and conversations, and marks a room left', () => {
    const d = new Directory();
    d.upsertRoom(room('games', 'Games', { unread: 4 }));
    d.upsertDm(dm(7, 'Ann'));
    expect(d.room('room:games')?.name).toBe('Games');
    expect(d.dm('dm:7')?.other.display_name).toBe('Ann');
    expect(d.dm('dm:x')).toBeUndefined();
    expect(d.dm('room:7')).toBeUndefined();
    expect(d.dmWith(107)?.id).toBe(7);
    d.markLeft('room:games');
    expect(d.room('room:games')).toMatchObject({ member: false, unread: 0 });
  });
});

describe('channelTitle', () => {
  const dir = { rooms: [room('lobby', 'Main Hall'), room('games', 'Games')], dms: [dm(4, 'Ann')], loaded: true, error: null };

  it('names rooms and conversations for people', () => {
    expect(channelTitle(LOBBY, dir)).toBe('Main Hall');
    expect(channelTitle(LOBBY, { ...dir, rooms: [] })).toBe('Lobby');
    expect(channelTitle('room:games', dir)).toBe('Games');
    expect(channelTitle('room:unknown-room', dir)).toBe('unknown-room');
    expect(channelTitle('dm:4', dir)).toBe('Ann');
    expect(channelTitle('dm:5', dir)).toBe('Direct message');
  });
});
