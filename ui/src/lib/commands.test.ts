import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiRequestError } from './api';
import { CommandError, CommandTracker, describeError } from './commands';
import type { ClientFrame } from './protocol';

function tracker(accept = true, timeoutMs = 1_000) {
  const sent: ClientFrame[] = [];
  const t = new CommandTracker((frame) => {
    sent.push(frame);
    return accept;
  }, timeoutMs);
  const refOf = (i: number) => (sent[i] as { ref: string }).ref;
  return { t, sent, refOf };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('CommandTracker', () => {
  it('sends each command with a fresh ref and resolves it with its ack', async () => {
    const { t, sent, refOf } = tracker();
    const first = t.run({ type: 'set_status', status: 'away' });
    const second = t.run({ type: 'set_status', status: 'busy' });
    expect(refOf(0)).toMatch(/^cmd:/);
    expect(refOf(0)).not.toBe(refOf(1));
    expect(sent[0]).toMatchObject({ type: 'set_status', status: 'away' });
    expect(t.settle({ type: 'ack', ref: refOf(1), duplicate: false })).toBe(true);
    await expect(second).resolves.toMatchObject({ ref: refOf(1) });
    expect(t.settle({ type: 'error', ref: refOf(0), code: 'invalid_status', message: 'nope' })).toBe(true);
    await expect(first).rejects.toMatchObject({ code: 'invalid_status', message: 'nope' });
  });

  it('leaves acks of other refs alone', () => {
    const { t } = tracker();
    expect(t.settle({ type: 'ack', ref: 'send:abc', duplicate: false })).toBe(false);
    expect(t.settle({ type: 'error', code: 'internal', message: 'x' })).toBe(false);
  });

  it('fails at once when the frame cannot be sent', async () => {
    const { t } = tracker(false);
    await expect(t.run({ type: 'set_status', status: 'away' })).rejects.toMatchObject({ code: 'unavailable' });
  });

  it('fails a command that is not answered in time; a late answer is then ignored', async () => {
    vi.useFakeTimers();
    const { t, refOf } = tracker(true, 1_000);
    const run = t.run({ type: 'set_status', status: 'away' });
    const outcome = run.catch((err: unknown) => err);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(await outcome).toMatchObject({ code: 'unavailable', message: 'The hub did not answer. Try again.' });
    expect(t.settle({ type: 'ack', ref: refOf(0), duplicate: false })).toBe(true);
  });

  it('fails everything unanswered when the connection drops', async () => {
    const { t } = tracker();
    const a = t.run({ type: 'set_status', status: 'away' });
    const b = t.run({ type: 'set_status', status: 'busy' });
    t.failAll('Connection lost.');
    await expect(a).rejects.toMatchObject({ code: 'unavailable', message: 'Connection lost.' });
    await expect(b).rejects.toBeInstanceOf(CommandError);
  });
});

describe('describeError', () => {
  it('keeps the code of hub errors and calls anything else internal', () => {
    expect(describeError(new CommandError('forbidden', 'No.'))).toEqual({ code: 'forbidden', message: 'No.' });
    expect(describeError(new ApiRequestError(400, 'invalid_room', 'Taken.'))).toEqual({ code: 'invalid_room', message: 'Taken.' });
    expect(describeError(new Error('boom'))).toEqual({ code: 'internal', message: 'boom' });
    expect(describeError('??')).toEqual({ code: 'internal', message: 'Something went wrong.' });
  });
});
