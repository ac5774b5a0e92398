// Bounded, localStorage-backed queue of chat messages the hub has not acknowledged yet.

import type { Attachment, ReplyQuote } from './protocol';

/** One message waiting for the hub's ack; resent with the same client_message_id until then. */
export interface OutboxEntry {
  clientMessageId: string;
  channel: string;
  body: string;
  /** Local Unix time in ms when the user sent it. */
  createdAt: number;
  /** Files already uploaded for it (sent as their ids). */
  attachments?: Attachment[];
  /** The message it answers, as quoted when it was written. */
  replyTo?: ReplyQuote;
}

export const OUTBOX_LIMIT = 500;

function isEntry(value: unknown): value is OutboxEntry {
  if (typeof value !== 'object' || value === null) return false;
  const e = value as Record<string, unknown>;
  return (
    typeof e.clientMessageId === 'string' &&
    typeof e.channel === 'string' &&
    typeof e.body === 'string' &&
    typeof e.createdAt === 'number' &&
    (e.attachments === undefined || Array.isArray(e.attachments)) &&
    (e.replyTo === undefined || (typeof e.replyTo === 'object' && e.replyTo !== null && typeof (e.replyTo as Record<string, unknown>).message_id === 'number'))
  );
}

function defaultStorage(): Storage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null; // Access can throw when storage is disabled.
  }
}

/**
 * Messages in send order. Every change is written through to storage so a reload (or a crashed tab)
 * does not lose what the user typed while the hub was out of reach.
 */
export class Outbox {
  private items: OutboxEntry[] = [];
  private readonly storage: Storage | null;

  constructor(
    private readonly storageKey: string,
    private readonly limit = OUTBOX_LIMIT,
    storage: Storage | null = defaultStorage(),
  ) {
    this.storage = storage;
    this.load();
  }

  get size(): number {
    return this.items.length;
  }

  get isFull(): boolean {
    return this.items.length >= this.limit;
  }

  entries(): readonly OutboxEntry[] {
    return this.items;
  }

  get(clientMessageId: string): OutboxEntry | undefined {
    return this.items.find((e) => e.clientMessageId === clientMessageId);
  }

  /** Queues an entry; false when the outbox is full (the caller tells the user). */
  add(entry: OutboxEntry): boolean {
    if (this.isFull) return false;
    if (this.get(entry.clientMessageId)) return true;
    this.items.push(entry);
    this.save();
    return true;
  }

  remove(clientMessageId: string): OutboxEntry | undefined {
    const index = this.items.findIndex((e) => e.clientMessageId === clientMessageId);
    if (index < 0) return undefined;
    const [entry] = this.items.splice(index, 1);
    this.save();
    return entry;
  }

  private load(): void {
    if (!this.storage) return;
    try {
      const raw = this.storage.getItem(this.storageKey);
      if (!raw) return;
      const parsed: unknown = JSON.parse(raw);
      if (Array.isArray(parsed)) this.items = parsed.filter(isEntry).slice(0, this.limit);
    } catch {
      this.items = [];
    }
  }

  private save(): void {
    if (!this.storage) return;
    try {
      if (this.items.length === 0) this.storage.removeItem(this.storageKey);
      else this.storage.setItem(this.storageKey, JSON.stringify(this.items));
    } catch {
      // Quota or privacy mode: the queue still works for this page's lifetime.
    }
  }
}
