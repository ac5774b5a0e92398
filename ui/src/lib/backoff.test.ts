import { describe, expect, it } from 'vitest';
import { Backoff } from './backoff';

describe('Backoff', () => {
  it('doubles the ceiling on every attempt up to the cap', () => {
    const b = new Backoff({ baseMs: 100, capMs: 1_000, random: () => 0.5 });
    const delays = Array.from({ length: 6 }, () => b.next());
    expect(delays).toEqual([50, 100, 200, 400, 500, 500]);
    expect(b.attempts).toBe(6);
  });

  it('draws uniformly between zero and the ceiling', () => {
    let r = 0;
    const b = new Backoff({ baseMs: 1_000, capMs: 60_000, random: () => r });
    expect(b.next()).toBe(0);
    r = 0.999;
    expect(b.next()).toBe(1_998);
  });

  it('starts over from the base after a reset', () => {
    const b = new Backoff({ baseMs: 100, capMs: 10_000, random: () => 1 });
    b.next();
    b.next();
    b.next();
    b.reset();
    expect(b.attempts).toBe(0);
    expect(b.next()).toBe(100);
  });

  it('stays finite and capped after very many attempts', () => {
    const b = new Backoff({ baseMs: 500, capMs: 30_000, random: () => 1 });
    let last = 0;
    for (let i = 0; i < 200; i++) last = b.next();
    expect(last).toBe(30_000);
  });
});
