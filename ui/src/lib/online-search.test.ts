import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiRequestError, MAX_ONLINE_QUERY } from './api';
import { EMPTY_SEARCH, OnlineSearch, type OnlineSearchState } from './online-search';
import type { OnlineUser, OnlineUsersResponse } from './protocol';

const DEBOUNCE = 100;

function user(id: number, name: string): OnlineUser {
  return { user_id: id, display_name: name, connections: 1, since: 0, status: 'online', devices: [] };
}

interface Call {
  query: string;
  offset: number;
  signal: AbortSignal;
  resolve: (res: OnlineUsersResponse) => void;
  reject: (err: unknown) => void;
}

function setup(honourAbort = true) {
  const calls: Call[] = [];
  const states: OnlineSearchState[] = [];
  const search = new OnlineSearch({
    debounceMs: DEBOUNCE,
    onChange: (s) => states.push(s),
    fetch: (query, offset, signal) =>
      new Promise((resolve, reject) => {
        calls.push({ query, offset, signal, resolve, reject });
        if (honourAbort) signal.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')));
      }),
  });
  return { search, calls, states };
}

const page = (users: OnlineUser[], matched: number, next?: number): OnlineUsersResponse => ({
  users,
  total_count: 500,
  matched,
  timestamp: 1,
  ...(next === undefined ? {} : { next_offset: next }),
});

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('OnlineSearch', () => {
  it('shows loading at once and asks the hub after a pause in typing', async () => {
    const { search, calls, states } = setup();
    search.set('  an ');
    expect(search.current).toMatchObject({ query: 'an', loading: true, users: [] });
    await vi.advanceTimersByTimeAsync(DEBOUNCE - 1);
    expect(calls).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls.map((c) => [c.query, c.offset])).toEqual([['an', 0]]);
    calls[0].resolve(page([user(1, 'Ann'), user(2, 'Dan')], 2));
    await vi.advanceTimersByTimeAsync(0);
    expect(search.current).toEqual({ query: 'an', loading: false, error: null, users: [user(1, 'Ann'), user(2, 'Dan')], matched: 2, nextOffset: null });
    expect(states.at(-1)).toBe(search.current);
  });

  it('sends only the last of quickly typed names', async () => {
    const { search, calls } = setup();
    search.set('a');
    await vi.advanceTimersByTimeAsync(50);
    search.set('an');
    await vi.advanceTimersByTimeAsync(50);
    search.set('ann');
    await vi.advanceTimersByTimeAsync(DEBOUNCE);
    expect(calls.map((c) => c.query)).toEqual(['ann']);
  });

  it('cancels the request of an older name and ignores its answer', async () => {
    const { search, calls } = setup();
    search.now('an');
    search.now('ben');
    expect(calls[0].signal.aborted).toBe(true);
    calls[0].resolve(page([user(1, 'Ann')], 1));
    calls[1].resolve(page([user(2, 'Ben')], 1));
    await vi.advanceTimersByTimeAsync(0);
    expect(search.current).toMatchObject({ query: 'ben', users: [user(2, 'Ben')] });
  });

  it('ignores a late answer for an older name even when the request was not stopped', async () => {
    const { search, calls } = setup(false);
    search.now('an');
    search.now('ben');
    calls[1].resolve(page([user(2, 'Ben')], 1));
    await vi.advanceTimersByTimeAsync(0);
    calls[0].resolve(page([user(1, 'Ann')], 1));
    await vi.advanceTimersByTimeAsync(0);
    expect(search.current).toMatchObject({ query: 'ben', users: [user(2, 'Ben')], loading: false });
  });

  it('does not search again for the name it already has results for', async () => {
    const { search, calls } = setup();
    search.now('ann');
    calls[0].resolve(page([user(1, 'Ann')], 1));
    await vi.advanceTimersByTimeAsync(0);
    search.set('ann ');
    await vi.advanceTimersByTimeAsync(DEBOUNCE * 2);
    expect(calls).toHaveLength(1);
  });

  it('clears at once when the box is emptied, cancelling what runs', async () => {
    const { search, calls } = setup();
    search.now('ann');
    search.set('   ');
    expect(calls[0].signal.aborted).toBe(true);
    expect(search.current).toBe(EMPTY_SEARCH);
  });

  it('appends the next page, without repeating anyone', async () => {
    const { search, calls } = setup();
    search.now('a');
    calls[0].resolve(page([user(1, 'Ann'), user(2, 'Abe')], 3, 2));
    await vi.advanceTimersByTimeAsync(0);
    expect(search.current.nextOffset).toBe(2);
    search.more();
    expect(search.current.loading).toBe(true);
    expect(calls[1]).toMatchObject({ query: 'a', offset: 2 });
    search.more(); // already loading: nothing more is sent
    expect(calls).toHaveLength(2);
    calls[1].resolve(page([user(2, 'Abe'), user(3, 'Amy')], 3));
    await vi.advanceTimersByTimeAsync(0);
    expect(search.current.users.map((u) => u.user_id)).toEqual([1, 2, 3]);
    expect(search.current.nextOffset).toBeNull();
    search.more();
    expect(calls).toHaveLength(2);
  });

  it('keeps the error for people, and searches again when asked', async () => {
    const { search, calls } = setup();
    search.now('ann');
    calls[0].reject(new ApiRequestError(503, 'unavailable', 'The hub cannot be reached.'));
    await vi.advanceTimersByTimeAsync(0);
    expect(search.current).toMatchObject({ query: 'ann', loading: false, error: 'The hub cannot be reached.' });
    // The same name after a failure is searched again.
    search.set('ann');
    await vi.advanceTimersByTimeAsync(DEBOUNCE);
    expect(calls).toHaveLength(2);
  });

  it('cuts the name to the longest query the hub takes', async () => {
    const { search, calls } = setup();
    search.now('x'.repeat(MAX_ONLINE_QUERY + 20));
    expect(calls[0].query).toHaveLength(MAX_ONLINE_QUERY);
  });

  it('stops: no request goes out after a pending pause', async () => {
    const { search, calls } = setup();
    search.set('ann');
    search.stop();
    await vi.advanceTimersByTimeAsync(DEBOUNCE * 2);
    expect(calls).toHaveLength(0);
  });
});
