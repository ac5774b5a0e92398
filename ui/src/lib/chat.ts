// Chat state of every room and conversation: history with edits/deletes/reactions applied in offset order, read marks and unread counts, typing, older pages, and what is stored for resuming.

import { ChannelLog, fromChatMessage, quoteExcerpt, toChatMessage, withReaction, type DisplayMessage } from './channel-log';
import { isChatChannel } from './directory';
import type { ChatMessage, MessagesResponse, ServerFrame } from './protocol';
import { MAX_STORED_MESSAGES, ResumeStore, sinceParam, type StoredChannel } from './resume';
import { TypingBoard, type Typist } from './typing';

type Subscribed = Extract<ServerFrame, { type: 'subscribed' }>;
/** A frame that changes a channel's history (live, or replayed in `subscribed.events`). */
export type ChatEvent = Extract<ServerFrame, { type: 'message' | 'message_edited' | 'message_deleted' | 'reaction' }>;

/** What the views need to know about one channel besides its messages. */
export interface ChannelView {
  /** Messages from others after `lastRead`. */
  unread: number;
  /** This user's read mark. */
  lastRead: number;
  /** The last event offset applied (0 while unknown). */
  lastOffset: number;
  /** Older messages can be loaded. */
  hasMore: boolean;
  loadingOlder: boolean;
  olderError: string | null;
  /** Everyone's read marks (conversations), by user id. */
  readMarks: Readonly<Record<number, number>>;
  /** Who else is typing here. */
  typing: readonly Typist[];
  /** The current connection delivers this channel live. */
  live: boolean;
}

interface Meta {
  epoch: string | null;
  lastApplied: number;
  lastRead: number;
  unread: number;
  hasMore: boolean;
  loadingOlder: boolean;
  olderError: string | null;
  readMarks: Map<number, number>;
  live: boolean;
  usedAt: number;
  /** The highest offset we asked the hub to mark read. */
  markSent: number;
}

/** How a message of ours still in the outbox is recognised: the key to keep, or null when it is not ours. */
export type ClaimMessage = (m: ChatMessage) => string | null;

export interface ChatBookOptions {
  meId: () => number;
  claim: ClaimMessage;
  sendMarkRead: (channel: string, offset: number) => boolean;
  fetchOlder: (channel: string, before: number) => Promise<MessagesResponse>;
  onChange: () => void;
  store: ResumeStore;
}

const SNAPSHOT_SIZE = 50;
const EVENT_TYPES: ReadonlySet<string> = new Set(['message', 'message_edited', 'message_deleted', 'reaction']);

export function isChatEvent(frame: ServerFrame): frame is ChatEvent {
  return EVENT_TYPES.has(frame.type);
}
const MARK_READ_DELAY_MS = 400;
const SAVE_DELAY_MS = 400;

export class ChatBook {
  private readonly logs = new Map<string, ChannelLog>();
  private readonly metas = new Map<string, Meta>();
  private readonly typingBoard: TypingBoard;
  private selectedChannel: string | null = null;
  /** The reader sees the newest message of the selected channel. */
  private atBottom = true;
  private pageVisible = typeof document === 'undefined' || document.visibilityState === 'visible';
  /** The selected channel's messages are on screen (not replaced by search results). */
  private roomShown = true;
  private markTimer: ReturnType<typeof setTimeout> | undefined;
  private saveTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly opts: ChatBookOptions) {
    this.typingBoard = new TypingBoard(() => opts.onChange());
    const stored = opts.store.load();
    this.selectedChannel = stored.selected;
    for (const [channel, s] of Object.entries(stored.channels)) this.restore(channel, s);
  }

  /** The channel the stored state had selected, if any. */
  get restoredSelection(): string | null {
    return this.selectedChannel;
  }

  // ---- what the views see ----

  messages(channel: string): readonly DisplayMessage[] {
    return this.logs.get(channel)?.messages ?? [];
  }

  channels(): string[] {
    return [...new Set([...this.logs.keys(), ...this.metas.keys()])];
  }

  view(): Record<string, ChannelView> {
    const typing = this.typingBoard.view();
    const out: Record<string, ChannelView> = {};
    for (const [channel, m] of this.metas) {
      out[channel] = {
        unread: m.unread,
        lastRead: m.lastRead,
        lastOffset: m.lastApplied,
        hasMore: m.hasMore,
        loadingOlder: m.loadingOlder,
        olderError: m.olderError,
        readMarks: Object.fromEntries(m.readMarks),
        typing: typing[channel] ?? [],
        live: m.live,
      };
    }
    return out;
  }

  /** The socket URL's `since`: every channel whose state we hold, the selected one first. */
  since(): string {
    const entries: Record<string, { epoch: string; offset: number; usedAt: number }> = {};
    for (const [channel, m] of this.metas) {
      if (m.epoch !== null) entries[channel] = { epoch: m.epoch, offset: m.lastApplied, usedAt: m.usedAt };
    }
    return sinceParam(entries, this.selectedChannel);
  }

  /** Where a channel's state stands (for a catch-up), or null when unknown. */
  position(channel: string): { epoch: string; offset: number } | null {
    const m = this.metas.get(channel);
    return m && m.epoch !== null ? { epoch: m.epoch, offset: m.lastApplied } : null;
  }

  // ---- where the reader is ----

  select(channel: string): void {
    if (this.selectedChannel === channel) return;
    this.selectedChannel = channel;
    this.atBottom = true;
    this.meta(channel).usedAt = Date.now();
    this.scheduleSave();
    this.checkRead();
  }

  setAtBottom(atBottom: boolean): void {
    if (this.atBottom === atBottom) return;
    this.atBottom = atBottom;
    this.checkRead();
  }

  setPageVisible(visible: boolean): void {
    if (this.pageVisible === visible) return;
    this.pageVisible = visible;
    if (!visible) this.flushSave();
    this.checkRead();
  }

  setRoomShown(shown: boolean): void {
    if (this.roomShown === shown) return;
    this.roomShown = shown;
    this.checkRead();
  }

  /** The reader sees the newest messages of `channel` right now. */
  isReading(channel: string): boolean {
    return this.selectedChannel === channel && this.atBottom && this.pageVisible && this.roomShown;
  }

  // ---- frames ----

  /** The connection (re)started: nothing is live until its `subscribed` frames arrive. */
  connectionStarted(channels: readonly string[]): void {
    const readable = new Set(channels.filter(isChatChannel));
    for (const [channel, m] of this.metas) {
      m.live = false;
      m.markSent = 0;
      if (!readable.has(channel)) this.forget(channel);
    }
    this.typingBoard.clear();
    this.scheduleSave();
  }

  connectionLost(): void {
    for (const m of this.metas.values()) m.live = false;
    this.typingBoard.clear();
    clearTimeout(this.markTimer);
    this.markTimer = undefined;
  }

  /** A `subscribed` frame of a room or conversation. */
  subscribed(frame: Subscribed): void {
    const channel = frame.channel;
    const meta = this.meta(channel);
    const log = this.log(channel);
    const epoch = frame.epoch ?? null;
    if (frame.recovered === true && epoch !== null && meta.epoch === epoch) {
      for (const ev of frame.events ?? []) if (isChatEvent(ev)) this.apply(ev, false);
    } else {
      const messages = frame.messages ?? [];
      log.replaceAll(
        epoch,
        messages.map((m) => this.display(m)),
      );
      meta.hasMore = messages.length >= SNAPSHOT_SIZE && messages[0].offset > 1;
      meta.olderError = null;
    }
    log.epoch = epoch;
    meta.epoch = epoch;
    if (frame.last_offset !== undefined) meta.lastApplied = frame.last_offset;
    if (frame.last_read !== undefined) meta.lastRead = frame.last_read;
    if (frame.unread !== undefined) meta.unread = frame.unread;
    meta.readMarks = new Map((frame.read_marks ?? []).map((r) => [r.user_id, r.offset]));
    meta.live = true;
    meta.markSent = 0;
    this.scheduleSave();
    this.checkRead();
  }

  /** The hub stopped delivering a channel (left, declined, blocked). */
  unsubscribed(channel: string): void {
    this.forget(channel);
    this.scheduleSave();
  }

  /** A live history event. */
  event(frame: ChatEvent): void {
    this.apply(frame, true);
    this.scheduleSave();
    this.checkRead();
  }

  readReceipt(channel: string, userId: number, offset: number): void {
    const meta = this.metas.get(channel);
    if (!meta) return;
    if (userId !== this.opts.meId()) {
      meta.readMarks.set(userId, Math.max(meta.readMarks.get(userId) ?? 0, offset));
      return;
    }
    if (offset <= meta.lastRead) return;
    const before = meta.lastRead;
    meta.lastRead = offset;
    meta.unread = this.unreadAfterMark(channel, meta, before, offset);
    this.scheduleSave();
  }

  typing(channel: string, userId: number, name: string, typing: boolean): boolean {
    if (userId === this.opts.meId()) return false;
    return this.typingBoard.set(channel, userId, name, typing);
  }

  /** A locally built entry for our message once acked (before its `message` frame). */
  ackedMessage(message: DisplayMessage): void {
    const log = this.log(message.channel);
    if (message.offset === null || log.findByClientId(message.senderId, message.clientMessageId)) return;
    log.upsert(message);
  }

  findByClientId(channel: string, senderId: number, clientMessageId: string): DisplayMessage | undefined {
    return this.logs.get(channel)?.findByClientId(senderId, clientMessageId);
  }

  // ---- history ----

  /** Loads the page before the oldest message held; `more` decides whether there is another. */
  async loadOlder(channel: string): Promise<void> {
    const meta = this.metas.get(channel);
    if (!meta || meta.loadingOlder || !meta.hasMore) return;
    const log = this.log(channel);
    const before = log.oldestOffset ?? meta.lastApplied + 1;
    const generation = log.generation;
    meta.loadingOlder = true;
    meta.olderError = null;
    this.opts.onChange();
    try {
      const res = await this.opts.fetchOlder(channel, before);
      // A fresh snapshot replaced the history meanwhile: this page would leave a hole.
      if (this.metas.get(channel) !== meta || this.logs.get(channel) !== log || log.generation !== generation) return;
      log.prepend(res.messages.map((m) => this.display(m)));
      meta.hasMore = res.more;
    } catch (err) {
      meta.olderError = err instanceof Error ? err.message : 'Could not load older messages.';
    } finally {
      meta.loadingOlder = false;
      this.opts.onChange();
    }
  }

  // ---- internals ----

  private meta(channel: string): Meta {
    let m = this.metas.get(channel);
    if (!m) {
      m = {
        epoch: null,
        lastApplied: 0,
        lastRead: 0,
        unread: 0,
        hasMore: false,
        loadingOlder: false,
        olderError: null,
        readMarks: new Map(),
        live: false,
        usedAt: 0,
        markSent: 0,
      };
      this.metas.set(channel, m);
    }
    return m;
  }

  private log(channel: string): ChannelLog {
    let log = this.logs.get(channel);
    if (!log) {
      log = new ChannelLog();
      this.logs.set(channel, log);
    }
    return log;
  }

  private forget(channel: string): void {
    this.metas.delete(channel);
    this.logs.delete(channel);
  }

  private display(m: ChatMessage): DisplayMessage {
    const key = this.opts.claim(m);
    return key ? fromChatMessage(m, key) : fromChatMessage(m);
  }

  private apply(ev: ChatEvent, live: boolean): void {
    const channel = ev.channel;
    if (!isChatChannel(channel)) return;
    const meta = this.meta(channel);
    const log = this.log(channel);
    const me = this.opts.meId();
    switch (ev.type) {
      case 'message': {
        const m: ChatMessage = ev;
        const key = this.opts.claim(m);
        const isNew = !log.hasOffset(m.offset);
        if (key) log.upsert(fromChatMessage(m, key), true);
        else if (m.sender_id === me) log.upsert(fromChatMessage(m), true);
        else log.upsert(fromChatMessage(m));
        if (this.typingBoard.stopped(channel, m.sender_id)) this.opts.onChange();
        const counts = live && isNew && m.sender_id !== me && m.offset > meta.lastRead && !m.deleted_at;
        if (counts && !this.isReading(channel)) meta.unread += 1;
        break;
      }
      case 'message_edited':
        log.update(ev.message_id, (m) => ({ ...m, body: ev.body, editedAt: ev.edited_at }));
        log.updateQuotes(ev.message_id, (q) => ({ ...q, excerpt: quoteExcerpt(ev.body) }));
        break;
      case 'message_deleted': {
        const target = log.findById(ev.message_id);
        if (live && target && !target.deletedAt && target.senderId !== me && (target.offset ?? 0) > meta.lastRead) {
          meta.unread = Math.max(0, meta.unread - 1);
        }
        log.update(ev.message_id, (m) => ({
          ...m,
          body: '',
          deletedAt: ev.deleted_at,
          ...(ev.deleted_by !== undefined ? { deletedBy: ev.deleted_by } : {}),
          reactions: undefined,
          attachments: undefined,
        }));
        log.updateQuotes(ev.message_id, (q) => ({ ...q, excerpt: '', deleted: true }));
        break;
      }
      case 'reaction':
        log.update(ev.message_id, (m) => ({ ...m, reactions: withReaction(m.reactions, ev.emoji, ev.user_id, ev.added) }));
        break;
    }
    meta.lastApplied = Math.max(meta.lastApplied, ev.offset);
    if (live) meta.usedAt = Date.now();
  }

  /** Unread after our read mark moved from `before` to `after`, from the messages held. */
  private unreadAfterMark(channel: string, meta: Meta, before: number, after: number): number {
    const me = this.opts.meId();
    const messages = this.messages(channel);
    const counted = (m: DisplayMessage, from: number, to: number) =>
      m.status === 'sent' && m.senderId !== me && !m.deletedAt && (m.offset ?? 0) > from && (m.offset ?? 0) <= to;
    const oldest = this.logs.get(channel)?.oldestOffset ?? null;
    const holdsAllAfter = (mark: number) => !meta.hasMore || (oldest !== null && oldest <= mark + 1);
    if (holdsAllAfter(after)) return messages.filter((m) => counted(m, after, Number.POSITIVE_INFINITY)).length;
    if (holdsAllAfter(before)) return Math.max(0, meta.unread - messages.filter((m) => counted(m, before, after)).length);
    return after >= meta.lastApplied ? 0 : meta.unread;
  }

  /** Marks the selected channel read (debounced) while its newest message is in view. */
  private checkRead(): void {
    const channel = this.selectedChannel;
    if (!channel || !this.isReading(channel)) return;
    const meta = this.metas.get(channel);
    if (!meta || !meta.live || meta.lastApplied <= Math.max(meta.lastRead, meta.markSent)) return;
    if (this.markTimer !== undefined) return;
    this.markTimer = setTimeout(() => {
      this.markTimer = undefined;
      const ch = this.selectedChannel;
      const m = ch ? this.metas.get(ch) : undefined;
      if (!ch || !m || !m.live || !this.isReading(ch)) return;
      const offset = m.lastApplied;
      if (offset <= Math.max(m.lastRead, m.markSent)) return;
      if (this.opts.sendMarkRead(ch, offset)) {
        m.markSent = offset;
        if (m.unread !== 0) {
          m.unread = 0;
          this.scheduleSave();
          this.opts.onChange();
        }
      }
    }, MARK_READ_DELAY_MS);
  }

  // ---- storage ----

  private restore(channel: string, s: StoredChannel): void {
    if (!isChatChannel(channel)) return;
    const log = this.log(channel);
    log.replaceAll(
      s.epoch,
      s.messages.map((m) => fromChatMessage(m)),
    );
    const meta = this.meta(channel);
    meta.epoch = s.epoch;
    meta.lastApplied = s.offset;
    meta.lastRead = s.lastRead;
    meta.unread = s.unread;
    meta.hasMore = s.hasMore;
    meta.usedAt = s.usedAt;
  }

  private scheduleSave(): void {
    if (this.saveTimer !== undefined) return;
    this.saveTimer = setTimeout(() => this.flushSave(), SAVE_DELAY_MS);
  }

  /** Writes what a reload needs now (also called when the page is hidden). */
  flushSave(): void {
    clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    const channels: Record<string, StoredChannel> = {};
    for (const [channel, meta] of this.metas) {
      if (meta.epoch === null) continue;
      const confirmed = this.messages(channel).filter((m) => m.status === 'sent' && m.offset !== null);
      const kept = confirmed.slice(-MAX_STORED_MESSAGES);
      channels[channel] = {
        epoch: meta.epoch,
        offset: meta.lastApplied,
        lastRead: meta.lastRead,
        unread: meta.unread,
        hasMore: meta.hasMore || kept.length < confirmed.length || (this.logs.get(channel)?.trimmed ?? false),
        messages: kept.map(toChatMessage).filter((m): m is ChatMessage => m !== null),
        usedAt: meta.usedAt,
      };
    }
    this.opts.store.save({ selected: this.selectedChannel, channels });
  }

  stop(): void {
    this.flushSave();
    clearTimeout(this.markTimer);
    this.markTimer = undefined;
    this.typingBoard.clear();
  }
}
