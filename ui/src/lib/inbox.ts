// The notification inbox: entries newest first, deduped by id, read flags and the unread count kept in step with the hub.

import type { Notification, NotificationsResponse } from './protocol';

/** Entries kept in memory; the hub has the rest. */
const MAX_ENTRIES = 200;

function newestFirst(a: Notification, b: Notification): number {
  return b.created_at - a.created_at || b.id - a.id;
}

export class Inbox {
  private readonly byId = new Map<number, Notification>();
  private sorted: Notification[] = [];
  private unreadCount = 0;
  /** Bumped by every live change, so a REST answer that raced one does not undo it. */
  private version = 0;
  loaded = false;
  loading = false;
  error: string | null = null;

  get items(): readonly Notification[] {
    return this.sorted;
  }

  get unread(): number {
    return this.unreadCount;
  }

  has(id: number): boolean {
    return this.byId.has(id);
  }

  /** A live `notification` frame. Returns true when the entry was not known before. */
  add(n: Notification, unreadCount: number): boolean {
    const known = this.byId.get(n.id);
    this.byId.set(n.id, known ? { ...n, read: n.read || known.read } : n);
    this.unreadCount = Math.max(0, unreadCount);
    this.version++;
    this.resort();
    return !known;
  }

  /** A `notifications_read` frame (or our own mark): the listed entries, or all, are read now. */
  markRead(ids: readonly number[] | undefined, unreadCount: number | undefined): void {
    const targets = ids ?? [...this.byId.keys()];
    for (const id of targets) {
      const n = this.byId.get(id);
      if (n && !n.read) this.byId.set(id, { ...n, read: true });
    }
    if (unreadCount !== undefined) this.unreadCount = Math.max(0, unreadCount);
    this.version++;
    this.resort();
  }

  /** The count from a `subscribed` frame for the personal channel. */
  setUnread(count: number): void {
    if (count === this.unreadCount) return;
    this.unreadCount = Math.max(0, count);
    this.version++;
  }

  /** Starts a REST load; pass the token to `loaded`/`failed`. */
  beginLoad(): number {
    this.loading = true;
    this.error = null;
    return this.version;
  }

  /** A `GET /api/notifications` answer. Read flags only ever go from unread to read. */
  loadedFrom(token: number, res: NotificationsResponse): void {
    this.loading = false;
    this.loaded = true;
    const raced = token !== this.version;
    const fresh = new Map<number, Notification>();
    for (const n of res.notifications) {
      const local = this.byId.get(n.id);
      fresh.set(n.id, local?.read ? { ...n, read: true } : n);
    }
    // Entries that arrived live while the request ran are newer than the answer: keep them.
    const newestAnswered = res.notifications.reduce((max, n) => Math.max(max, n.id), 0);
    for (const [id, n] of this.byId) if (!fresh.has(id) && id > newestAnswered) fresh.set(id, n);
    this.byId.clear();
    for (const [id, n] of fresh) this.byId.set(id, n);
    if (!raced) this.unreadCount = Math.max(0, res.unread_count);
    this.resort();
  }

  failed(message: string): void {
    this.loading = false;
    this.error = message;
  }

  private resort(): void {
    let list = [...this.byId.values()].sort(newestFirst);
    if (list.length > MAX_ENTRIES) {
      for (const n of list.slice(MAX_ENTRIES)) this.byId.delete(n.id);
      list = list.slice(0, MAX_ENTRIES);
    }
    this.sorted = list;
  }
}
