// Typing indicators: who else is typing where (expiring on their own), and when to tell the hub that we are.

/** Someone typing in a channel. */
export interface Typist {
  userId: number;
  name: string;
}

/** A remote typing state lasts this long without a refresh (the hub expires its own after 10 s). */
export const TYPING_SHOW_MS = 12_000;
/** While typing, `typing: true` is repeated this often so the hub does not expire it. */
export const TYPING_REFRESH_MS = 5_000;

/** Incoming `typing` frames, per channel. */
export class TypingBoard {
  private readonly byChannel = new Map<string, Map<number, { name: string; until: number }>>();
  private timer: ReturnType<typeof setTimeout> | undefined;

  /** `onExpire` is called when an entry ran out without a `typing: false`. */
  constructor(private readonly onExpire: () => void) {}

  /** Applies a frame; returns whether anything changed. */
  set(channel: string, userId: number, name: string, typing: boolean, now = Date.now()): boolean {
    let map = this.byChannel.get(channel);
    if (typing) {
      if (!map) {
        map = new Map();
        this.byChannel.set(channel, map);
      }
      const fresh = !map.has(userId);
      map.set(userId, { name, until: now + TYPING_SHOW_MS });
      this.schedule();
      return fresh;
    }
    if (!map?.delete(userId)) return false;
    if (map.size === 0) this.byChannel.delete(channel);
    return true;
  }

  /** The user sent a message there, so they stopped typing. */
  stopped(channel: string, userId: number): boolean {
    return this.set(channel, userId, '', false);
  }

  /** Everything is forgotten (the connection dropped: the hub will not tell us when they stop). */
  clear(): void {
    this.byChannel.clear();
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Who is typing, per channel, by name. */
  view(): Record<string, Typist[]> {
    const out: Record<string, Typist[]> = {};
    for (const [channel, map] of this.byChannel) {
      out[channel] = [...map].map(([userId, t]) => ({ userId, name: t.name })).sort((a, b) => a.name.localeCompare(b.name));
    }
    return out;
  }

  private schedule(): void {
    if (this.timer !== undefined) return;
    let next = Number.POSITIVE_INFINITY;
    for (const map of this.byChannel.values()) for (const t of map.values()) next = Math.min(next, t.until);
    if (!Number.isFinite(next)) return;
    this.timer = setTimeout(() => this.sweep(), Math.max(0, next - Date.now()) + 50);
  }

  private sweep(): void {
    this.timer = undefined;
    const now = Date.now();
    let changed = false;
    for (const [channel, map] of this.byChannel) {
      for (const [userId, t] of map) {
        if (t.until <= now) {
          map.delete(userId);
          changed = true;
        }
      }
      if (map.size === 0) this.byChannel.delete(channel);
    }
    this.schedule();
    if (changed) this.onExpire();
  }
}

/** "Ann is typing…", "Ann and Ben are typing…", "Several people are typing…"; empty for nobody. */
export function typingLine(typists: readonly Typist[]): string {
  if (typists.length === 0) return '';
  if (typists.length === 1) return `${typists[0].name} is typing…`;
  if (typists.length === 2) return `${typists[0].name} and ${typists[1].name} are typing…`;
  return 'Several people are typing…';
}

/**
 * Our own typing state for one channel at a time: `true` when typing starts and every few seconds
 * while it goes on, `false` when the composer is cleared, blurred or the channel changes.
 */
export class TypingSender {
  private channel: string | null = null;
  private sentAt = 0;

  constructor(private readonly send: (channel: string, typing: boolean) => boolean) {}

  /** The composer of `channel` changed: it now holds text (`active`) or is empty. */
  update(channel: string, active: boolean, now = Date.now()): void {
    if (this.channel !== null && this.channel !== channel) this.stop();
    if (!active) {
      this.stop();
      return;
    }
    if (this.channel === channel && now - this.sentAt < TYPING_REFRESH_MS) return;
    if (this.send(channel, true)) {
      this.channel = channel;
      this.sentAt = now;
    }
  }

  /** Typing ended: tells the hub, unless a sent message already did (`quiet`). */
  stop(quiet = false): void {
    const channel = this.channel;
    if (channel === null) return;
    this.channel = null;
    this.sentAt = 0;
    if (!quiet) this.send(channel, false);
  }

  /** The connection dropped: the hub forgot our state; start over on the next keystroke. */
  reset(): void {
    this.channel = null;
    this.sentAt = 0;
  }
}
