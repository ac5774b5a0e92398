// Toast queue: short-lived notices that dismiss themselves (paused while hovered or focused), as a Svelte-compatible store.

import type { NotificationKind } from './protocol';

export interface Toast {
  id: number;
  /** A notification's kind, `info` for the app's own confirmations, `notice` for a host's notice, `moderation` for what a host did to this user. */
  kind: NotificationKind | 'info' | 'notice' | 'moderation';
  text: string;
  /** A safe http(s) link to offer as "Join". */
  joinUrl: string | null;
  /** The inbox entry it came from, if any. */
  notificationId: number | null;
  /** A room or conversation the toast is about, offered as "Open" (or "Join" for an invitation). */
  channel?: string | null;
}

export interface ToastQueueOptions {
  /** How long a notification toast stays; `info` toasts stay half as long. */
  durationMs?: number;
  /** Older toasts go when more than this many are shown. */
  max?: number;
}

interface Slot {
  toast: Toast;
  timer: ReturnType<typeof setTimeout> | undefined;
  remaining: number;
  startedAt: number;
  held: boolean;
}

export class ToastQueue {
  private readonly durationMs: number;
  private readonly max: number;
  private readonly slots = new Map<number, Slot>();
  private readonly listeners = new Set<(toasts: readonly Toast[]) => void>();
  private list: readonly Toast[] = [];
  private nextId = 1;

  constructor(opts: ToastQueueOptions = {}) {
    this.durationMs = opts.durationMs ?? 8_000;
    this.max = opts.max ?? 4;
  }

  /** Svelte store contract. */
  subscribe(run: (toasts: readonly Toast[]) => void): () => void {
    this.listeners.add(run);
    run(this.list);
    return () => {
      this.listeners.delete(run);
    };
  }

  push(toast: Omit<Toast, 'id'>): number {
    const id = this.nextId++;
    const duration = toast.kind === 'info' ? Math.round(this.durationMs / 2) : this.durationMs;
    const slot: Slot = { toast: { ...toast, id }, timer: undefined, remaining: duration, startedAt: 0, held: false };
    this.slots.set(id, slot);
    this.run(slot);
    while (this.slots.size > this.max) {
      const oldest = this.slots.keys().next().value;
      if (oldest === undefined) break;
      this.dismiss(oldest);
    }
    this.emit();
    return id;
  }

  dismiss(id: number): void {
    const slot = this.slots.get(id);
    if (!slot) return;
    clearTimeout(slot.timer);
    this.slots.delete(id);
    this.emit();
  }

  /** Dismisses every toast `done` says was dealt with (its room opened, its notification read). */
  dismissWhere(done: (toast: Toast) => boolean): void {
    const gone = [...this.slots.values()].filter((s) => done(s.toast));
    if (gone.length === 0) return;
    for (const slot of gone) {
      clearTimeout(slot.timer);
      this.slots.delete(slot.toast.id);
    }
    this.emit();
  }

  /** Stops a toast's clock (pointer over it, or focus inside it) so it can be read and used. */
  hold(id: number): void {
    const slot = this.slots.get(id);
    if (!slot || slot.held) return;
    slot.held = true;
    clearTimeout(slot.timer);
    slot.timer = undefined;
    slot.remaining = Math.max(1_500, slot.remaining - (Date.now() - slot.startedAt));
  }

  release(id: number): void {
    const slot = this.slots.get(id);
    if (!slot || !slot.held) return;
    slot.held = false;
    this.run(slot);
  }

  clear(): void {
    for (const slot of this.slots.values()) clearTimeout(slot.timer);
    this.slots.clear();
    this.emit();
  }

  private run(slot: Slot): void {
    slot.startedAt = Date.now();
    const id = slot.toast.id;
    slot.timer = setTimeout(() => this.dismiss(id), slot.remaining);
  }

  private emit(): void {
    this.list = [...this.slots.values()].map((s) => s.toast);
    for (const run of this.listeners) run(this.list);
  }
}
