// Who is online: hub-wide and per-room lists from snapshots and diffs, and the REST poller used while the socket is down.

import type { OnlineUser, OnlineUsersResponse } from './protocol';

/** The hub-wide presence channel. */
export const PRESENCE = 'presence';

/** How often the online list is fetched over REST while the socket is not online. */
export const ONLINE_POLL_MS = 10_000;
/** A poll that takes longer than this is abandoned (the next one starts fresh). */
const POLL_TIMEOUT_MS = 8_000;

export function byName(a: OnlineUser, b: OnlineUser): number {
  return a.display_name.localeCompare(b.display_name, undefined, { sensitivity: 'base' }) || a.user_id - b.user_id;
}

/** How many devices (tabs) a user has open; older hubs send only `connections`. */
export function deviceCount(user: OnlineUser): number {
  return Math.max(user.devices?.length ?? 0, user.connections ?? 0, 1);
}

/** Whether a diff or snapshot for `channel` is about the hub-wide list (absent means hub-wide). */
export function isHubWide(channel: string | undefined): boolean {
  return channel === undefined || channel === PRESENCE;
}

/**
 * Presence state. Diffs are idempotent: a join replaces the user's entry, a leave removes it.
 * `live` says the hub-wide list comes from the current connection; otherwise it is the last known one.
 */
export class PresenceBook {
  private readonly hubWide = new Map<number, OnlineUser>();
  /** Room presence, only for rooms whose snapshot arrived on the current connection. */
  private readonly rooms = new Map<string, Map<number, OnlineUser>>();
  private isLive = false;
  private knownAt: number | null = null;

  /** True while the hub-wide list is kept current by the socket. */
  get live(): boolean {
    return this.isLive;
  }

  /** When the hub-wide list was last known to be right (ms), or null while live or never known. */
  get asOf(): number | null {
    return this.isLive ? null : this.knownAt;
  }

  /** A `subscribed` frame with `users`: the whole list of `channel`. */
  snapshot(channel: string, users: readonly OnlineUser[]): void {
    if (isHubWide(channel)) {
      this.hubWide.clear();
      for (const u of users) this.hubWide.set(u.user_id, u);
      this.isLive = true;
      this.knownAt = null;
    } else {
      this.rooms.set(channel, new Map(users.map((u) => [u.user_id, u])));
    }
  }

  /** A `presence_diff`. Returns false when it was for a room whose snapshot we do not have. */
  diff(channel: string | undefined, joins: readonly OnlineUser[], leaves: readonly number[]): boolean {
    const map = isHubWide(channel) ? this.hubWide : this.rooms.get(channel as string);
    if (!map) return false;
    for (const u of joins) map.set(u.user_id, u);
    for (const id of leaves) map.delete(id);
    return true;
  }

  /** A REST answer; ignored while the socket keeps the list current. Returns whether it was used. */
  fromRest(res: OnlineUsersResponse): boolean {
    if (this.isLive) return false;
    this.hubWide.clear();
    for (const u of res.users) this.hubWide.set(u.user_id, u);
    this.knownAt = res.timestamp > 0 ? res.timestamp : Date.now();
    return true;
  }

  /** The socket stopped delivering `channel` (or everything, without a channel). */
  lost(channel?: string): void {
    if (channel === undefined || isHubWide(channel)) {
      if (this.isLive) this.knownAt = Date.now();
      this.isLive = false;
    }
    if (channel === undefined) this.rooms.clear();
    else if (!isHubWide(channel)) this.rooms.delete(channel);
  }

  get(userId: number): OnlineUser | undefined {
    return this.hubWide.get(userId);
  }

  /** Everyone online (or last known), sorted by name. */
  online(): OnlineUser[] {
    return [...this.hubWide.values()].sort(byName);
  }

  /** Live room presence per room channel, sorted by name. */
  roomLists(): Record<string, OnlineUser[]> {
    const out: Record<string, OnlineUser[]> = {};
    for (const [channel, map] of this.rooms) out[channel] = [...map.values()].sort(byName);
    return out;
  }
}

export interface OnlinePollerOptions {
  fetch: (timeoutMs: number) => Promise<OnlineUsersResponse>;
  onResult: (res: OnlineUsersResponse) => void;
  intervalMs?: number;
}

/** Polls `GET /api/users/online` while active: once right away, then every interval; one request at a time. */
export class OnlinePoller {
  private readonly opts: OnlinePollerOptions;
  private timer: ReturnType<typeof setInterval> | undefined;
  private isActive = false;
  /** Bumped on every (de)activation, so an answer that arrives after a stop is dropped. */
  private generation = 0;
  /** The generation whose request is still running, if any. */
  private inFlight: number | null = null;

  constructor(opts: OnlinePollerOptions) {
    this.opts = opts;
  }

  get active(): boolean {
    return this.isActive;
  }

  setActive(active: boolean): void {
    if (active === this.isActive) return;
    this.isActive = active;
    this.generation++;
    clearInterval(this.timer);
    this.timer = undefined;
    if (!active) return;
    void this.poll();
    this.timer = setInterval(() => void this.poll(), this.opts.intervalMs ?? ONLINE_POLL_MS);
  }

  private async poll(): Promise<void> {
    const gen = this.generation;
    if (this.inFlight === gen) return;
    this.inFlight = gen;
    try {
      const res = await this.opts.fetch(POLL_TIMEOUT_MS);
      if (gen === this.generation && this.isActive) this.opts.onResult(res);
    } catch {
      // The hub is unreachable too; the connection badge already says so.
    } finally {
      if (this.inFlight === gen) this.inFlight = null;
    }
  }
}
