// The confirmed history of one persisted channel: ordered by offset, deduplicated, epoch-aware, with edits, deletes and reactions applied.

import type { Attachment, ChatMessage, ReactionSummary, ReplyQuote } from './protocol';

/** One emoji on a message and who chose it. */
export interface Reaction {
  emoji: string;
  userIds: readonly number[];
}

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
  /** Empty once deleted. */
  body: string;
  /** Unix time in ms: the hub's once confirmed, the local clock's while pending. */
  createdAt: number;
  editedAt?: number;
  deletedAt?: number;
  /** Who deleted it, when staff did and not its author. */
  deletedBy?: number;
  reactions?: readonly Reaction[];
  /** Files and photos it carries. */
  attachments?: readonly Attachment[];
  /** The message this one answers, as the hub quoted it. */
  replyTo?: ReplyQuote;
  status: 'sent' | 'pending' | 'failed';
  /** Why the hub refused it (status `failed`). */
  error?: { code: string; message: string };
}

/** How many characters of the message answered a reply quotes (as the hub does). */
export const QUOTE_CHARS = 100;

/** The quote of a message's text: its first QUOTE_CHARS characters, with `…` when cut. */
export function quoteExcerpt(body: string): string {
  const chars = [...body];
  return chars.length > QUOTE_CHARS ? `${chars.slice(0, QUOTE_CHARS).join('').trimEnd()}…` : body;
}

/** The quote a new reply to `m` shows until the hub's copy arrives. */
export function quoteOf(m: DisplayMessage): ReplyQuote {
  return { message_id: m.id ?? 0, sender_id: m.senderId, sender_name: m.senderName, excerpt: quoteExcerpt(m.body), deleted: m.deletedAt !== undefined };
}

/** How many confirmed messages a channel keeps in memory. */
export const LOG_LIMIT = 3000;

function reactionsFrom(list: readonly ReactionSummary[] | undefined): Reaction[] | undefined {
  if (!list || list.length === 0) return undefined;
  return list.map((r) => ({ emoji: r.emoji, userIds: [...r.user_ids] }));
}

export function fromChatMessage(m: ChatMessage, key = `o:${m.channel}:${m.offset}`): DisplayMessage {
  const out: DisplayMessage = {
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
  if (m.edited_at !== undefined && m.edited_at !== null) out.editedAt = m.edited_at;
  if (m.deleted_at !== undefined && m.deleted_at !== null) out.deletedAt = m.deleted_at;
  if (m.deleted_by !== undefined && m.deleted_by !== null) out.deletedBy = m.deleted_by;
  const reactions = reactionsFrom(m.reactions);
  if (reactions) out.reactions = reactions;
  if (m.attachments?.length) out.attachments = m.attachments;
  if (m.reply_to) out.replyTo = m.reply_to;
  return out;
}

/** The wire form of a confirmed message (for storage). */
export function toChatMessage(m: DisplayMessage): ChatMessage | null {
  if (m.offset === null || m.id === null || m.status !== 'sent') return null;
  const out: ChatMessage = {
    id: m.id,
    channel: m.channel,
    offset: m.offset,
    sender_id: m.senderId,
    sender_name: m.senderName,
    client_message_id: m.clientMessageId,
    body: m.body,
    created_at: m.createdAt,
  };
  if (m.editedAt !== undefined) out.edited_at = m.editedAt;
  if (m.deletedAt !== undefined) out.deleted_at = m.deletedAt;
  if (m.deletedBy !== undefined) out.deleted_by = m.deletedBy;
  if (m.reactions?.length) out.reactions = m.reactions.map((r) => ({ emoji: r.emoji, user_ids: [...r.userIds] }));
  if (m.attachments?.length) out.attachments = [...m.attachments];
  if (m.replyTo) out.reply_to = m.replyTo;
  return out;
}

/** A user's reaction set on or off (idempotent: the same change twice is the same as once). */
export function withReaction(
  reactions: readonly Reaction[] | undefined,
  emoji: string,
  userId: number,
  added: boolean,
): Reaction[] | undefined {
  const list = (reactions ?? []).map((r) => ({ emoji: r.emoji, userIds: [...r.userIds] }));
  let entry = list.find((r) => r.emoji === emoji);
  if (added) {
    if (!entry) {
      entry = { emoji, userIds: [] };
      list.push(entry);
    }
    if (!entry.userIds.includes(userId)) entry.userIds.push(userId);
  } else if (entry) {
    entry.userIds = entry.userIds.filter((id) => id !== userId);
  }
  const left = list.filter((r) => r.userIds.length > 0);
  return left.length ? left : undefined;
}

export class ChannelLog {
  /** History epoch; offsets of different epochs are not comparable. */
  epoch: string | null = null;
  /** Older messages were dropped to stay under LOG_LIMIT (so there is more to load again). */
  trimmed = false;
  /** Bumped whenever the history is replaced, so a page fetched for the old one can be told apart. */
  generation = 0;
  private items: DisplayMessage[] = [];
  private readonly offsets = new Set<number>();

  get messages(): readonly DisplayMessage[] {
    return this.items;
  }

  get lastOffset(): number {
    return this.items.length ? (this.items[this.items.length - 1].offset ?? 0) : 0;
  }

  /** Offset of the oldest message held, or null when empty. */
  get oldestOffset(): number | null {
    return this.items.length ? this.items[0].offset : null;
  }

  hasOffset(offset: number): boolean {
    return this.offsets.has(offset);
  }

  /** Finds a confirmed message by its sender and idempotency key. */
  findByClientId(senderId: number, clientMessageId: string): DisplayMessage | undefined {
    return this.items.find((m) => m.senderId === senderId && m.clientMessageId === clientMessageId);
  }

  findById(id: number): DisplayMessage | undefined {
    return this.items.find((m) => m.id === id);
  }

  /** Forgets everything (the channel's epoch changed: its old offsets mean nothing now). */
  reset(epoch: string | null): void {
    this.epoch = epoch;
    this.items = [];
    this.offsets.clear();
    this.trimmed = false;
    this.generation++;
  }

  /** Replaces the whole history (a fresh snapshot), keeping the keys of messages already shown. */
  replaceAll(epoch: string | null, messages: readonly DisplayMessage[]): void {
    const keys = new Map(this.items.map((m) => [m.offset, m.key]));
    this.reset(epoch);
    const sorted = [...messages].sort((a, b) => (a.offset ?? 0) - (b.offset ?? 0));
    for (const m of sorted) {
      if (m.offset === null || this.offsets.has(m.offset)) continue;
      this.offsets.add(m.offset);
      this.items.push({ ...m, key: keys.get(m.offset) ?? m.key });
    }
    this.trim();
  }

  /** Changes the message with this hub id; false when it is not held (or nothing changed). */
  update(id: number, change: (m: DisplayMessage) => DisplayMessage): boolean {
    const index = this.items.findIndex((m) => m.id === id);
    if (index < 0) return false;
    const next = change(this.items[index]);
    if (next === this.items[index]) return false;
    this.items = this.items.slice();
    this.items[index] = next;
    return true;
  }

  /** Changes the quote of every held reply to message `id` (it was edited or deleted). */
  updateQuotes(id: number, change: (q: ReplyQuote) => ReplyQuote): boolean {
    let changed = false;
    const next = this.items.map((m) => {
      if (m.replyTo?.message_id !== id) return m;
      changed = true;
      return { ...m, replyTo: change(m.replyTo) };
    });
    if (changed) this.items = next;
    return changed;
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
      const next = this.items.slice();
      next[index] = { ...message, key: this.items[index].key };
      this.items = next;
      return true;
    }
    const next = this.items.slice();
    let index = next.length;
    while (index > 0 && (next[index - 1].offset ?? 0) > offset) index--;
    next.splice(index, 0, message);
    this.offsets.add(offset);
    this.items = next;
    this.trim();
    return true;
  }

  /** Adds an older page (messages as they are now) in front of what is held. */
  prepend(messages: readonly DisplayMessage[]): void {
    const fresh = messages.filter((m) => m.offset !== null && !this.offsets.has(m.offset));
    if (fresh.length === 0) return;
    for (const m of fresh) this.offsets.add(m.offset as number);
    this.items = [...fresh, ...this.items].sort((a, b) => (a.offset ?? 0) - (b.offset ?? 0));
  }

  /** Drops the oldest messages beyond LOG_LIMIT. */
  private trim(): void {
    if (this.items.length <= LOG_LIMIT) return;
    for (const dropped of this.items.splice(0, this.items.length - LOG_LIMIT)) {
      if (dropped.offset !== null) this.offsets.delete(dropped.offset);
    }
    this.trimmed = true;
  }
}
