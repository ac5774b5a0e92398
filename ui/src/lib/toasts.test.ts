import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ToastQueue, type Toast } from './toasts';

const toast = (text: string, kind: Toast['kind'] = 'ping'): Omit<Toast, 'id'> => ({ kind, text, joinUrl: null, notificationId: null });

function queue(opts = {}) {
  const q = new ToastQueue({ durationMs: 8_000, ...opts });
  let shown: readonly Toast[] = [];
  q.subscribe((list) => (shown = list));
  return { q, texts: () => shown.map((t) => t.text) };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('ToastQueue', () => {
  it('dismisses notifications after the duration and info toasts after half of it', () => {
    const { q, texts } = queue();
    q.push(toast('pinged'));
    q.push(toast('saved', 'info'));
    expect(texts()).toEqual(['pinged', 'saved']);
    vi.advanceTimersByTime(4_000);
    expect(texts()).toEqual(['pinged']);
    vi.advanceTimersByTime(4_000);
    expect(texts()).toEqual([]);
  });

  it('shows at most `max`, the oldest going first', () => {
    const { q, texts } = queue({ max: 2 });
    q.push(toast('a'));
    q.push(toast('b'));
    q.push(toast('c'));
    expect(texts()).toEqual(['b', 'c']);
  });

  it('holds a toast while it is used and gives it the rest of its time after', () => {
    const { q, texts } = queue();
    const id = q.push(toast('pinged'));
    vi.advanceTimersByTime(5_000);
    q.hold(id);
    vi.advanceTimersByTime(60_000);
    expect(texts()).toEqual(['pinged']);
    q.release(id);
    vi.advanceTimersByTime(2_900);
    expect(texts()).toEqual(['pinged']);
    vi.advanceTimersByTime(200);
    expect(texts()).toEqual([]);
  });

  it('leaves at least 1.5 s after a hold near the end', () => {
    const { q, texts } = queue();
    const id = q.push(toast('pinged'));
    vi.advanceTimersByTime(7_900);
    q.hold(id);
    q.release(id);
    vi.advanceTimersByTime(1_400);
    expect(texts()).toEqual(['pinged']);
    vi.advanceTimersByTime(200);
    expect(texts()).toEqual([]);
  });

  it('dismisses one or all on demand, with distinct ids', () => {
    const { q, texts } = queue();
    const a = q.push(toast('a'));
    const b = q.push(toast('b'));
    expect(a).not.toBe(b);
    q.dismiss(a);
    expect(texts()).toEqual(['b']);
    q.clear();
    expect(texts()).toEqual([]);
  });

  it('dismisses the toasts that were dealt with, and only those', () => {
    const { q, texts } = queue();
    q.push({ ...toast('kitchen'), channel: 'room:kitchen' });
    q.push({ ...toast('note'), notificationId: 7 });
    q.push(toast('other'));
    q.dismissWhere((t) => t.channel === 'room:kitchen' || t.notificationId === 7);
    expect(texts()).toEqual(['other']);
  });
});
