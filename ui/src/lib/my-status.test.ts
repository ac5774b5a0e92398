import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MyStatus, STATUS_HOLD_MS } from './my-status';
import type { OnlineUser } from './protocol';

function entry(status: OnlineUser['status'], text?: string): OnlineUser {
  return { user_id: 1, display_name: 'Me', connections: 1, since: 0, status, devices: [], ...(text ? { status_text: text } : {}) };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('MyStatus', () => {
  function setup() {
    let hub: OnlineUser | undefined = entry('online');
    const onChange = vi.fn();
    const s = new MyStatus(() => hub, onChange);
    return { s, onChange, setHub: (u: OnlineUser | undefined) => (hub = u) };
  }

  it('shows the hub entry when nothing was asked for', () => {
    const { s, setHub } = setup();
    expect(s.current()).toEqual({ status: 'online', text: '' });
    setHub(entry('away', 'lunch'));
    expect(s.current()).toEqual({ status: 'away', text: 'lunch' });
    setHub(undefined);
    expect(s.current()).toEqual({ status: 'online', text: '' });
  });

  it('shows a request at once and until the hub agrees', () => {
    const { s, setHub } = setup();
    s.begin('busy', 'cooking');
    expect(s.current()).toEqual({ status: 'busy', text: 'cooking' });
    s.acked('busy', 'cooking');
    expect(s.current().status).toBe('busy');
    setHub(entry('busy', 'cooking'));
    s.settle();
    setHub(entry('online'));
    expect(s.current()).toEqual({ status: 'online', text: '' });
  });

  it('gives up on the request once its hold after the ack ran out', () => {
    const { s, onChange } = setup();
    s.begin('away', '');
    s.acked('away', '');
    vi.advanceTimersByTime(STATUS_HOLD_MS - 100);
    expect(s.current().status).toBe('away');
    vi.advanceTimersByTime(200);
    expect(onChange).toHaveBeenCalledTimes(1);
    expect(s.current().status).toBe('online');
  });

  it('keeps an unacked request, and restores the previous one on failure', () => {
    const { s } = setup();
    s.begin('away', 'one');
    const previous = s.begin('busy', 'two');
    vi.advanceTimersByTime(STATUS_HOLD_MS * 3);
    expect(s.current()).toEqual({ status: 'busy', text: 'two' });
    s.failed('busy', 'two', previous);
    expect(s.current()).toEqual({ status: 'away', text: 'one' });
  });

  it('ignores answers about requests it no longer shows', () => {
    const { s } = setup();
    s.begin('away', 'one');
    s.begin('busy', 'two');
    s.failed('away', 'one', null);
    s.acked('away', 'one');
    expect(s.current()).toEqual({ status: 'busy', text: 'two' });
  });
});
