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
 *
 * A hub lists at most its `presence_list_max` users per scope (the first by name) and says how many
 * there are in all (`total`), so a list may be a part of everyone: a user missing from it is not
 * necessarily offline. Hubs that send no total list everyone, and the list length is the total.
 */
export class PresenceBook {
  private readonly hubWide = new Map<number, OnlineUser>();
  /** How many are online on the hub, listed or not (null: the hub did not say). */
  private hubTotal: number | null = null;
  /** Room presence, only for rooms whose snapshot arrived on the current connection. */
  private readonly rooms = new Map<string, Map<number, OnlineUser>>();
  /** Per room: how many members are in it, listed or not (absent: the hub did not say). */
  private readonly totals = new Map<string, number>();
  private isLive = false;
  private knownAt: number | null = null;
  /** This user's id, and their own entry as last seen in any list (or looked up): for their status menu. */
  private selfId: number | null = null;
  private self: OnlineUser | null = null;

  /** True while the hub-wide list is kept current by the socket. */
  get live(): boolean {
    return this.isLive;
  }

  /** When the hub-wide list was last known to be right (ms), or null while live or never known. */
  get asOf(): number | null {
    return this.isLive ? null : this.knownAt;
  }

  /** Who this user is: their own entry is remembered from any list it shows up in. */
  setSelf(userId: number): void {
    if (userId === this.selfId) return;
    this.selfId = userId;
    this.self = null;
  }

  /** This user's own entry, found elsewhere (a lookup by name) or changed by them (an acked status). */
  rememberSelf(entry: OnlineUser): void {
    if (entry.user_id === this.selfId) this.self = entry;
  }

  /** This user's entry as last seen, in a list now or earlier, if ever. */
  get selfEntry(): OnlineUser | null {
    return this.self;
  }

  private noteSelf(users: readonly OnlineUser[]): void {
    if (this.selfId === null) return;
    for (const u of users) if (u.user_id === this.selfId) this.self = u;
  }

  /** A `subscribed` frame with `users`: the list of `channel` (its first part, when chunks follow), and its total. */
  snapshot(channel: string, users: readonly OnlineUser[], total?: number): void {
    this.noteSelf(users);
    if (isHubWide(channel)) {
      this.hubWide.clear();
      for (const u of users) this.hubWide.set(u.user_id, u);
      this.hubTotal = total ?? null;
      this.isLive = true;
      this.knownAt = null;
    } else {
      this.rooms.set(channel, new Map(users.map((u) => [u.user_id, u])));
      if (total === undefined) this.totals.delete(channel);
      else this.totals.set(channel, total);
    }
  }

  /** A `presence_diff`. Returns false when it was for a room whose snapshot we do not have. */
  diff(channel: string | undefined, joins: readonly OnlineUser[], leaves: readonly number[], total?: number): boolean {
    const hubWide = isHubWide(channel);
    const map = hubWide ? this.hubWide : this.rooms.get(channel as string);
    if (!map) return false;
    this.noteSelf(joins);
    for (const u of joins) map.set(u.user_id, u);
    for (const id of leaves) map.delete(id);
    if (total !== undefined) {
      if (hubWide) this.hubTotal = total;
      else this.totals.set(channel as string, total);
    }
    return true;
  }

  /** A REST answer; ignored while the socket keeps the list current. Returns whether it was used. */
  fromRest(res: OnlineUsersResponse): boolean {
    if (this.isLive) return false;
    this.noteSelf(res.users);
    this.hubWide.clear();
    for (const u of res.users) this.hubWide.set(u.user_id, u);
    this.hubTotal = typeof res.total_count === 'number' ? res.total_count : null;
    this.knownAt = res.timestamp > 0 ? res.timestamp : Date.now();
    return true;
  }

  /** The socket stopped delivering `channel` (or everything, without a channel). */
  lost(channel?: string): void {
    if (channel === undefined || isHubWide(channel)) {
      if (this.isLive) this.knownAt = Date.now();
      this.isLive = false;
    }
    if (channel === undefined) {
      this.rooms.clear();
      this.totals.clear();
    } else if (!isHubWide(channel)) {
      this.rooms.delete(channel);
      this.totals.delete(channel);
    }
  }

  /** The user's entry in the hub-wide list (only the listed part of a large hub). */
  get(userId: number): OnlineUser | undefined {
    return this.hubWide.get(userId);
  }

  /**
   * The user's entry from the hub-wide list, else from any room or conversation list that has it;
   * for this user, else their entry as last seen (on a large hub they may be in no list at all).
   */
  find(userId: number): OnlineUser | undefined {
    return this.listed(userId) ?? (userId === this.selfId ? (this.self ?? undefined) : undefined);
  }

  /** The user's entry from the hub-wide list, else from any room or conversation list that has it. */
  listed(userId: number): OnlineUser | undefined {
    const entry = this.hubWide.get(userId);
    if (entry) return entry;
    for (const map of this.rooms.values()) {
      const inRoom = map.get(userId);
      if (inRoom) return inRoom;
    }
    return undefined;
  }

  /** Whether the hub-wide list leaves people out (a large hub lists only the first names). */
  get partial(): boolean {
    return this.onlineTotal() > this.hubWide.size;
  }

  /** The listed part of who is online (or last known), sorted by name: everyone unless the hub caps its lists. */
  online(): OnlineUser[] {
    return [...this.hubWide.values()].sort(byName);
  }

  /** How many are online on the hub (or were, last known), listed or not. */
  onlineTotal(): number {
    return Math.max(this.hubTotal ?? 0, this.hubWide.size);
  }

  /** Live room presence per room channel, sorted by name. */
  roomLists(): Record<string, OnlineUser[]> {
    const out: Record<string, OnlineUser[]> = {};
    for (const [channel, map] of this.rooms) out[channel] = [...map.values()].sort(byName);
    return out;
  }

  /** Per room channel with live presence: how many members are in it, listed or not. */
  roomTotals(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [channel, map] of this.rooms) out[channel] = Math.max(this.totals.get(channel) ?? 0, map.size);
    return out;
  }
}

/** The presence lists a view has: the hub-wide one and the rooms', each with its total. */
export interface PresenceView {
  online: readonly OnlineUser[];
  onlineTotal: number;
  rooms: Readonly<Record<string, readonly OnlineUser[]>>;
  roomTotals: Readonly<Record<string, number>>;
}

/**
 * Whether a user is online: true, false, or null when the lists cannot tell (the user is past the
 * end of a capped list). `scope` names a room or conversation to ask first: a conversation's room
 * presence is its participants online, so it answers for the other participant on any hub size.
 */
export function onlineState(view: PresenceView, userId: number, scope?: string): boolean | null {
  const room = scope ? view.rooms[scope] : undefined;
  if (room) {
    if (room.some((u) => u.user_id === userId)) return true;
    if ((view.roomTotals[scope as string] ?? room.length) <= room.length) return false;
  }
  if (view.online.some((u) => u.user_id === userId)) return true;
  return view.onlineTotal <= view.online.length ? false : null;
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
