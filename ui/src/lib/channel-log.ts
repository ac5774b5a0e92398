// The confirmed history of one persisted channel: ordered by offset, deduplicated, epoch-aware.

import type { ChatMessage } from './protocol';

/** A message as the views show it: confirmed by the hub, still pending, or refused. */
export interface DisplayMessage {
  /** Stable key for rendering; kept when a pending message becomes confirmed. */
  key: string;
  channel: string;
  /** Position in the channel; null while pending. */
  offset: number | null;
  id: number | null;
  clientMessageId: string;
  senderId: number;
  senderName: string;
  body: string;
  /** Unix time in ms: the hub's once confirmed, the local clock's while pending. */
  createdAt: number;
  status: 'sent' | 'pending' | 'failed';
  /** Why the hub refused it (status `failed`). */
  error?: { code: string; message: string };
}

/** How many confirmed messages a channel keeps in memory. */
export const LOG_LIMIT = 1000;

export function fromChatMessage(m: ChatMessage, key = `o:${m.channel}:${m.offset}`): DisplayMessage {
  return {
    key,
    channel: m.channel,
    offset: m.offset,
    id: m.id,
    clientMessageId: m.client_message_id,
    senderId: m.sender_id,
    senderName: m.sender_name,
    body: m.body,
    createdAt: m.created_at,
    status: 'sent',
  };
}

export class ChannelLog {
  /** History epoch; offsets of different epochs are not comparable. */
  epoch: string | null = null;
  private items: DisplayMessage[] = [];
  private readonly offsets = new Set<number>();

  get messages(): readonly DisplayMessage[] {
    return this.items;
  }

  get lastOffset(): number {
    return this.items.length ? (this.items[this.items.length - 1].offset ?? 0) : 0;
  }

  hasOffset(offset: number): boolean {
    return this.offsets.has(offset);
  }

  /** Finds a confirmed message by its sender and idempotency key. */
  findByClientId(senderId: number, clientMessageId: string): DisplayMessage | undefined {
    return this.items.find((m) => m.senderId === senderId && m.clientMessageId === clientMessageId);
  }

  /** Forgets everything (the channel's epoch changed: its old offsets mean nothing now). */
  reset(epoch: string | null): void {
    this.epoch = epoch;
    this.items = [];
    this.offsets.clear();
  }

  /**
   * Inserts a confirmed message in offset order. A message whose offset is already known replaces
   * the stored one only when `replace` is set (hub data over a locally built entry), keeping its key.
   * Returns true when anything changed.
   */
  upsert(message: DisplayMessage, replace = false): boolean {
    const offset = message.offset;
    if (offset === null) return false;
    if (this.offsets.has(offset)) {
      if (!replace) return false;
      const index = this.items.findIndex((m) => m.offset === offset);
      const old = this.items[index];
      this.items[index] = { ...message, key: old.key };
      this.items = this.items.slice();
      return true;
    }
    const next = this.items.slice();
    let index = next.length;
    while (index > 0 && (next[index - 1].offset ?? 0) > offset) index--;
    next.splice(index, 0, message);
    this.offsets.add(offset);
    if (next.length > LOG_LIMIT) {
      for (const dropped of next.splice(0, next.length - LOG_LIMIT)) {
        if (dropped.offset !== null) this.offsets.delete(dropped.offset);
      }
    }
    this.items = next;
    return true;
  }
}
