// This user's status as this tab shows it: what it last asked for, until the hub's presence entry agrees or a hold runs out.

import type { OnlineUser, PresenceStatus } from './protocol';

/** How long a status we set wins over the hub's presence entry while waiting for the diff. */
export const STATUS_HOLD_MS = 5_000;

interface Requested {
  status: PresenceStatus;
  text: string;
  until: number;
}

export class MyStatus {
  private requested: Requested | null = null;
  private timer: ReturnType<typeof setTimeout> | undefined;

  /** `presence` gives the hub's entry for this user; `onChange` runs when a hold ran out. */
  constructor(
    private readonly presence: () => OnlineUser | undefined,
    private readonly onChange: () => void,
  ) {}

  /** A `set_status` is about to be sent: show it at once. Returns what to restore if it fails. */
  begin(status: PresenceStatus, text: string): Requested | null {
    const previous = this.requested;
    this.requested = { status, text, until: Number.POSITIVE_INFINITY };
    return previous;
  }

  /** The hub acked it: keep showing it a little longer while the presence diff is on its way. */
  acked(status: PresenceStatus, text: string): void {
    if (!this.isRequest(status, text) || !this.requested) return;
    this.requested.until = Date.now() + STATUS_HOLD_MS;
    this.settle();
  }

  /** The hub refused it: back to what was shown before. */
  failed(status: PresenceStatus, text: string, previous: Requested | null): void {
    if (this.isRequest(status, text)) this.requested = previous;
  }

  /** Drops the request once the hub's presence entry shows it, or once its hold ran out. */
  settle(): void {
    const req = this.requested;
    if (!req) return;
    const mine = this.presence();
    const agrees = mine !== undefined && mine.status === req.status && (mine.status_text ?? '') === req.text;
    if (agrees || Date.now() > req.until) {
      this.requested = null;
    } else if (Number.isFinite(req.until)) {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.settle();
        this.onChange();
      }, Math.max(0, req.until - Date.now()) + 10);
    }
  }

  /** What to show: the request while it holds, else the hub's entry. */
  current(): { status: PresenceStatus; text: string } {
    const req = this.requested;
    if (req) return { status: req.status, text: req.text };
    const mine = this.presence();
    return { status: mine?.status ?? 'online', text: mine?.status_text ?? '' };
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private isRequest(status: PresenceStatus, text: string): boolean {
    return this.requested?.status === status && this.requested.text === text;
  }
}
