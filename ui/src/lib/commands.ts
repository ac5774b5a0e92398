// Awaited socket commands: a fresh `ref` per command, resolved by its `ack` and rejected by its `error` or a timeout.

import { ApiRequestError } from './api';
import { randomUuid } from './ids';
import type { ClientFrame, ErrorCode, ServerFrame } from './protocol';

/** A refused or failed command: the hub's error code (or `unavailable` when it could not be sent) and a message for people. */
export class CommandError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = 'CommandError';
    this.code = code;
  }
}

/** The code and message of anything a HubClient call throws. */
export function describeError(err: unknown): { code: ErrorCode; message: string } {
  if (err instanceof CommandError || err instanceof ApiRequestError) return { code: err.code, message: err.message };
  return { code: 'internal', message: err instanceof Error ? err.message : 'Something went wrong.' };
}

/** Commands that are answered with `ack` or `error` and awaited. */
export type Command = Extract<
  ClientFrame,
  {
    type:
      | 'set_status'
      | 'ping_user'
      | 'mark_notifications_read'
      | 'edit_message'
      | 'delete_message'
      | 'react'
      | 'mark_read'
      | 'party_join'
      | 'party_leave'
      | 'party_ready'
      | 'party_start'
      | 'party_answer'
      | 'party_control';
  }
>;

export type Ack = Extract<ServerFrame, { type: 'ack' }>;

const CMD_REF = 'cmd:';
/** A command not answered within this long fails with `unavailable`. */
const COMMAND_TIMEOUT_MS = 10_000;

interface Pending {
  resolve: (ack: Ack) => void;
  reject: (err: CommandError) => void;
  timer: ReturnType<typeof setTimeout>;
}

/** Tracks the commands sent and not answered yet. */
export class CommandTracker {
  private readonly pending = new Map<string, Pending>();

  constructor(
    private readonly send: (frame: ClientFrame) => boolean,
    private readonly timeoutMs = COMMAND_TIMEOUT_MS,
  ) {}

  /** Sends a command with a fresh ref; resolves with its `ack`, rejects on its `error`. */
  run(frame: Command): Promise<Ack> {
    const ref = `${CMD_REF}${randomUuid()}`;
    return new Promise<Ack>((resolve, reject) => {
      if (!this.send({ ...frame, ref })) {
        reject(new CommandError('unavailable', 'Not connected to the hub. Try again when the connection is back.'));
        return;
      }
      const timer = setTimeout(() => {
        this.pending.delete(ref);
        reject(new CommandError('unavailable', 'The hub did not answer. Try again.'));
      }, this.timeoutMs);
      this.pending.set(ref, { resolve, reject, timer });
    });
  }

  /** Settles the command an `ack` or `error` answers; false when the ref is not one of ours. */
  settle(frame: Extract<ServerFrame, { type: 'ack' | 'error' }>): boolean {
    const ref = frame.ref;
    if (!ref || !ref.startsWith(CMD_REF)) return false;
    const p = this.pending.get(ref);
    if (!p) return true; // timed out already
    this.pending.delete(ref);
    clearTimeout(p.timer);
    if (frame.type === 'ack') p.resolve(frame);
    else p.reject(new CommandError(frame.code, frame.message));
    return true;
  }

  /** Fails every unanswered command (the connection dropped or the client stopped). */
  failAll(message: string): void {
    for (const [ref, p] of this.pending) {
      clearTimeout(p.timer);
      this.pending.delete(ref);
      p.reject(new CommandError('unavailable', message));
    }
  }
}
