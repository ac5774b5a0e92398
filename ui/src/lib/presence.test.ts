import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  OnlinePoller,
  PresenceBook,
  byName,
  deviceCount,
  isHubWide,
  onlineState,
  type PresenceView,
} from './presence';
import type { OnlineUser, OnlineUsersResponse } from './protocol';

function user(id: number, name: string, extra: Partial<OnlineUser> = {}): OnlineUser {
  return { user_id: id, display_name: name, connections: 1, since: 0, status: 'online', devices: [], ...extra };
}

const names = (list: readonly OnlineUser[]) => list.map((u) => u.display_name);

function rest(users: OnlineUser[], total: number, timestamp = 5_000): OnlineUsersResponse {
  return { users, total_count: total, matched: users.length, timestamp };
}

describe('helpers', () => {
  it('sorts by name without regard to case, then by id', () => {
    const list = [user(3, 'ben'), user(2, 'Ann'), user(1, 'Ben'), user(4, 'ann')];
    expect([...list].sort(byName).map((u) => u.user_id)).toEqual([2, 4, 1, 3]);
  });

  it('counts devices from the list, else the connection count, at least one', () => {
    const device = { connection_id: 1, device: 'Android', status: 'online' as const, since: 0 };
    expect(deviceCount(user(1, 'A', { connections: 0, devices: [] }))).toBe(1);
    expect(deviceCount(user(1, 'A', { connections: 3, devices: [] }))).toBe(3);
    expect(deviceCount(user(1, 'A', { connections: 1, devices: [device, { ...device, connection_id: 2 }] }))).toBe(2);
  });

  it('treats a missing channel and `presence` as hub-wide', () => {
    expect(isHubWide(undefined)).toBe(true);
    expect(isHubWide('presence')).toBe(true);
    expect(isHubWide('room:lobby')).toBe(false);
  });
});

describe('PresenceBook', () => {
  it('takes a snapshot, then applies joins and leaves', () => {
    const book = new PresenceBook();
    book.snapshot('presence', [user(2, 'Ben'), user(1, 'Ann')]);
    expect(book.live).toBe(true);
    expect(names(book.online())).toEqual(['Ann', 'Ben']);
    expect(book.diff(undefined, [user(3, 'Cy'), user(1, 'Ann', { status: 'busy' })], [2])).toBe(true);
    expect(names(book.online())).toEqual(['Ann', 'Cy']);
    expect(book.get(1)?.status).toBe('busy');
    expect(book.onlineTotal()).toBe(2);
  });

  it('knows a capped list is only part of everyone', () => {
    const book = new PresenceBook();
    book.snapshot('presence', [user(1, 'Ann'), user(2, 'Ben')], 40);
    expect(book.partial).toBe(true);
    expect(book.onlineTotal()).toBe(40);
    book.diff('presence', [], [2], 39);
    expect(book.onlineTotal()).toBe(39);
    book.snapshot('presence', [user(1, 'Ann')]);
    expect(book.partial).toBe(false);
    expect(book.onlineTotal()).toBe(1);
  });

  it('keeps room lists apart, and ignores diffs for rooms it has no snapshot of', () => {
    const book = new PresenceBook();
    expect(book.diff('room:games', [user(1, 'Ann')], [])).toBe(false);
    book.snapshot('room:games', [user(2, 'Ben')], 5);
    book.diff('room:games', [user(1, 'Ann')], []);
    expect(names(book.roomLists()['room:games'])).toEqual(['Ann', 'Ben']);
    expect(book.roomTotals()).toEqual({ 'room:games': 5 });
    expect(book.online()).toEqual([]);
    expect(book.listed(2)?.display_name).toBe('Ben');
    book.lost('room:games');
    expect(book.roomLists()).toEqual({});
    expect(book.listed(2)).toBeUndefined();
  });

  it('uses REST answers only while the socket is not live, and dates the list', () => {
    vi.useFakeTimers({ now: 9_000 });
    try {
      const book = new PresenceBook();
      book.snapshot('presence', [user(1, 'Ann')]);
      expect(book.fromRest(rest([user(2, 'Ben')], 1))).toBe(false);
      expect(book.asOf).toBeNull();
      book.lost();
      expect(book.live).toBe(false);
      expect(book.asOf).toBe(9_000);
      expect(names(book.online())).toEqual(['Ann']);
      expect(book.fromRest(rest([user(2, 'Ben'), user(3, 'Cy')], 12, 7_000))).toBe(true);
      expect(names(book.online())).toEqual(['Ben', 'Cy']);
      expect(book.onlineTotal()).toBe(12);
      expect(book.asOf).toBe(7_000);
    } finally {
      vi.useRealTimers();
    }
  });

  it('remembers this user from any list, also after they drop out of it', () => {
    const book = new PresenceBook();
    book.setSelf(7);
    expect(book.selfEntry).toBeNull();
    book.snapshot('room:games', [user(7, 'Me', { status: 'away' })]);
    expect(book.selfEntry?.status).toBe('away');
    book.snapshot('presence', [user(1, 'Ann')], 300);
    book.lost('room:games');
    expect(book.find(7)?.status).toBe('away');
    expect(book.find(8)).toBeUndefined();
    book.rememberSelf(user(7, 'Me', { status: 'busy' }));
    book.rememberSelf(user(8, 'Other'));
    expect(book.find(7)?.status).toBe('busy');
  });
});

describe('onlineState', () => {
  const view = (online: OnlineUser[], onlineTotal: number, rooms: PresenceView['rooms'] = {}, roomTotals = {}): PresenceView => ({
    online,
    onlineTotal,
    rooms,
    roomTotals,
  });

  it('answers from a complete hub list', () => {
    expect(onlineState(view([user(1, 'Ann')], 1), 1)).toBe(true);
    expect(onlineState(view([user(1, 'Ann')], 1), 2)).toBe(false);
  });

  it('cannot tell for someone past the end of a capped list', () => {
    expect(onlineState(view([user(1, 'Ann')], 50), 2)).toBeNull();
  });

  it('asks the conversation first: its list holds both participants on any hub size', () => {
    const v = view([user(1, 'Ann')], 500, { 'dm:3': [user(1, 'Ann')] }, { 'dm:3': 1 });
    expect(onlineState(v, 2, 'dm:3')).toBe(false);
    expect(onlineState(view([], 500, { 'dm:3': [user(2, 'Ben')] }), 2, 'dm:3')).toBe(true);
    // A capped room list says nothing about who is missing from it.
    expect(onlineState(view([], 500, { 'room:big': [user(1, 'Ann')] }, { 'room:big': 80 }), 2, 'room:big')).toBeNull();
  });
});

describe('OnlinePoller', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('polls right away and then on every interval while active', async () => {
    const fetch = vi.fn(async () => rest([], 0));
    const onResult = vi.fn();
    const poller = new OnlinePoller({ fetch, onResult, intervalMs: 1_000 });
    poller.setActive(true);
    await vi.advanceTimersByTimeAsync(0);
    expect(fetch).toHaveBeenCalledTimes(1);
    expect(onResult).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(fetch).toHaveBeenCalledTimes(3);
    poller.setActive(false);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(fetch).toHaveBeenCalledTimes(3);
  });

  it('runs one request at a time', async () => {
    let finish: (res: OnlineUsersResponse) => void = () => {};
    const fetch = vi.fn(() => new Promise<OnlineUsersResponse>((resolve) => (finish = resolve)));
    const poller = new OnlinePoller({ fetch, onResult: () => {}, intervalMs: 1_000 });
    poller.setActive(true);
    await vi.advanceTimersByTimeAsync(3_500);
    expect(fetch).toHaveBeenCalledTimes(1);
    finish(rest([], 0));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(fetch).toHaveBeenCalledTimes(2);
    poller.setActive(false);
  });

  it('drops an answer that arrives after it was stopped', async () => {
    let finish: (res: OnlineUsersResponse) => void = () => {};
    const onResult = vi.fn();
    const poller = new OnlinePoller({ fetch: () => new Promise((resolve) => (finish = resolve)), onResult });
    poller.setActive(true);
    poller.setActive(false);
    finish(rest([user(1, 'Ann')], 1));
    await vi.advanceTimersByTimeAsync(0);
    expect(onResult).not.toHaveBeenCalled();
    expect(poller.active).toBe(false);
  });
});
