// Sending chat messages exactly once: the outbox, one send per connection, acks and refusals, retries of rate-limited sends, "Not sent" entries.

import type { DisplayMessage } from './channel-log';
import { randomUuid } from './ids';
import { Outbox, type OutboxEntry } from './outbox';
import type { Attachment, ChatMessage, ClientFrame, ErrorCode, ReplyQuote, UserInfo } from './protocol';

export type SendResult = { ok: true; clientMessageId: string } | { ok: false; message: string };

/** Errors after which a send is worth repeating with the same client_message_id. */
const RETRYABLE: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['rate_limited', 'unavailable']);
const RETRY_DELAY_MS = 3_000;
const SEND_REF = 'send:';
/** Longest message body the hub accepts, in characters. */
export const MAX_BODY = 4000;

/** Why a message body would be refused, or null. */
export function bodyProblem(body: string): string | null {
  if (body.trim() === '') return 'Type a message first.';
  if ([...body].length > MAX_BODY) return `Keep it to ${MAX_BODY} characters or fewer.`;
  return null;
}

export interface SenderOptions {
  storageKey: string;
  storage?: Storage | null;
  me: () => UserInfo;
  /** Sends a frame if the socket is open. */
  send: (frame: ClientFrame) => boolean;
  /** Whether the current connection is subscribed to a channel (sends wait until it is). */
  isSubscribed: (channel: string) => boolean;
  /** The confirmed message with this key, if the channel's history already has it. */
  findConfirmed: (channel: string, clientMessageId: string) => DisplayMessage | undefined;
  /** Our message was acked before its `message` frame arrived: show it at its offset. */
  onAcked: (message: DisplayMessage) => void;
  onChange: () => void;
}

export class ChatSender {
  private readonly outbox: Outbox;
  /** Refused messages, kept visible until dismissed. */
  private readonly failed = new Map<string, DisplayMessage>();
  /** client_message_ids sent on the current connection and not answered yet. */
  private readonly inFlight = new Set<string>();
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();

  constructor(private readonly opts: SenderOptions) {
    this.outbox = new Outbox(opts.storageKey, undefined, opts.storage);
  }

  get size(): number {
    return this.outbox.size;
  }

  /** Queues a message (with files already uploaded, perhaps answering another) and sends it now if the channel is live; it shows as pending until acked. */
  send(channel: string, body: string, attachments: Attachment[] = [], replyTo?: ReplyQuote): SendResult {
    const problem = attachments.length > 0 && body.trim() === '' ? null : bodyProblem(body);
    if (problem) return { ok: false, message: problem };
    if (this.outbox.isFull) {
      return { ok: false, message: 'Too many messages are waiting to be sent. Wait for the connection to come back.' };
    }
    const entry: OutboxEntry = { clientMessageId: randomUuid(), channel, body, createdAt: Date.now() };
    if (attachments.length > 0) entry.attachments = attachments;
    if (replyTo) entry.replyTo = replyTo;
    this.outbox.add(entry);
    this.trySend(entry);
    this.opts.onChange();
    return { ok: true, clientMessageId: entry.clientMessageId };
  }

  /** Removes a refused message from view. */
  dismiss(clientMessageId: string): void {
    if (this.failed.delete(clientMessageId)) this.opts.onChange();
  }

  /** The connection changed: whatever was in flight is sent again (same id) once subscribed. */
  connectionReset(): void {
    this.inFlight.clear();
  }

  /** Sends every queued message of a channel the connection has just subscribed to. */
  flush(channel: string): void {
    for (const entry of this.outbox.entries()) {
      if (entry.channel === channel) this.trySend(entry);
    }
  }

  /** If `m` is one of our queued messages, it is done: returns the key it was shown under. */
  claim(m: ChatMessage): string | null {
    if (m.sender_id !== this.opts.me().id) return null;
    const mine = this.outbox.get(m.client_message_id);
    if (!mine) return null;
    this.outbox.remove(mine.clientMessageId);
    this.inFlight.delete(mine.clientMessageId);
    return `l:${mine.clientMessageId}`;
  }

  /** An `ack`; false when it is not about a send. */
  acked(ref: string, offset: number | undefined, messageId: number | undefined): boolean {
    if (!ref.startsWith(SEND_REF)) return false;
    const cmid = ref.slice(SEND_REF.length);
    this.inFlight.delete(cmid);
    const entry = this.outbox.remove(cmid);
    if (!entry || offset === undefined) return true; // the `message` frame got here first
    const me = this.opts.me();
    this.opts.onAcked({ ...this.pendingView(entry), offset, id: messageId ?? null, senderName: me.display_name, status: 'sent' });
    return true;
  }

  /** The channel of the queued message a send's `ref` belongs to, or null. */
  channelOf(ref: string | undefined): string | null {
    if (!ref || !ref.startsWith(SEND_REF)) return null;
    return this.outbox.get(ref.slice(SEND_REF.length))?.channel ?? null;
  }

  /** An `error`; false when it is not about a send. */
  refused(ref: string | undefined, code: ErrorCode, message: string): boolean {
    if (!ref || !ref.startsWith(SEND_REF)) return false;
    const cmid = ref.slice(SEND_REF.length);
    this.inFlight.delete(cmid);
    const entry = this.outbox.get(cmid);
    if (!entry) return true;
    if (RETRYABLE.has(code)) {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        if (this.outbox.get(cmid)) this.trySend(entry);
      }, RETRY_DELAY_MS);
      this.timers.add(timer);
      return true;
    }
    this.outbox.remove(cmid);
    this.failed.set(cmid, { ...this.pendingView(entry), status: 'failed', error: { code, message } });
    return true;
  }

  /** Pending and refused messages, per channel, oldest first (shown after the confirmed history). */
  tails(): Map<string, DisplayMessage[]> {
    const tails = new Map<string, DisplayMessage[]>();
    const add = (m: DisplayMessage) => {
      const list = tails.get(m.channel) ?? [];
      list.push(m);
      tails.set(m.channel, list);
    };
    for (const entry of this.outbox.entries()) add(this.pendingView(entry));
    for (const m of this.failed.values()) add(m);
    for (const list of tails.values()) list.sort((a, b) => a.createdAt - b.createdAt);
    return tails;
  }

  stop(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private trySend(entry: OutboxEntry): void {
    if (this.inFlight.has(entry.clientMessageId)) return;
    if (!this.opts.isSubscribed(entry.channel)) return;
    // Already stored (its ack was lost with the old connection): the snapshot told us so.
    if (this.opts.findConfirmed(entry.channel, entry.clientMessageId)) {
      this.outbox.remove(entry.clientMessageId);
      return;
    }
    const sent = this.opts.send({
      type: 'send_message',
      ref: `${SEND_REF}${entry.clientMessageId}`,
      channel: entry.channel,
      client_message_id: entry.clientMessageId,
      body: entry.body,
      ...(entry.attachments?.length ? { attachments: entry.attachments.map((a) => a.id) } : {}),
      ...(entry.replyTo ? { reply_to: entry.replyTo.message_id } : {}),
    });
    if (sent) this.inFlight.add(entry.clientMessageId);
  }

  private pendingView(entry: OutboxEntry): DisplayMessage {
    const me = this.opts.me();
    return {
      key: `l:${entry.clientMessageId}`,
      channel: entry.channel,
      offset: null,
      id: null,
      clientMessageId: entry.clientMessageId,
      senderId: me.id,
      senderName: me.display_name,
      body: entry.body,
      createdAt: entry.createdAt,
      status: 'pending',
      ...(entry.attachments?.length ? { attachments: entry.attachments } : {}),
      ...(entry.replyTo ? { replyTo: entry.replyTo } : {}),
    };
  }
}
