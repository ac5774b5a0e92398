import { describe, expect, it } from 'vitest';
import { continuations, GROUP_GAP_MS, type Groupable } from './grouping';

const at = (h: number, m: number) => new Date(2026, 4, 3, h, m).getTime();
const msg = (key: string, senderId: number, createdAt: number, status: Groupable['status'] = 'sent'): Groupable => ({ key, senderId, createdAt, status });

describe('continuations', () => {
  it('groups one sender within the gap and starts again for another sender', () => {
    const list = [msg('a', 1, at(10, 0)), msg('b', 1, at(10, 2)), msg('c', 2, at(10, 3)), msg('d', 1, at(10, 4))];
    expect([...continuations(list)]).toEqual(['b']);
  });

  it('starts a new group after a pause longer than the gap', () => {
    const t = at(10, 0);
    const list = [msg('a', 1, t), msg('b', 1, t + GROUP_GAP_MS), msg('c', 1, t + 2 * GROUP_GAP_MS + 1)];
    expect([...continuations(list)]).toEqual(['b']);
  });

  it('never groups across midnight, a refused message or a break', () => {
    const list = [msg('a', 1, at(23, 59)), msg('b', 1, at(23, 59) + 2 * 60_000)];
    expect(continuations(list).size).toBe(0);
    const failed = [msg('a', 1, at(9, 0)), msg('b', 1, at(9, 1), 'failed'), msg('c', 1, at(9, 2))];
    expect(continuations(failed).size).toBe(0);
    const split = [msg('a', 1, at(9, 0)), msg('b', 1, at(9, 1)), msg('c', 1, at(9, 2))];
    expect([...continuations(split, new Set(['b']))]).toEqual(['c']);
  });

  it('groups a pending message with the confirmed one before it', () => {
    const list = [msg('a', 1, at(9, 0)), msg('b', 1, at(9, 0) + 500, 'pending')];
    expect([...continuations(list)]).toEqual(['b']);
  });
});
