// Framework-independent hub client: one socket, chat history, pending outbox and presence, as a Svelte-compatible store.

import { getOnlineUsers, getWsToken } from './api';
import { ChannelLog, fromChatMessage, type DisplayMessage } from './channel-log';
import { randomUuid } from './ids';
import { Outbox, type OutboxEntry } from './outbox';
import type { ChatMessage, ErrorCode, HubInfo, OnlineUser, ServerFrame, UserInfo } from './protocol';
import { HubSocket, type ConnectionState } from './socket';

export type { ConnectionState, DisplayMessage };

/** The room every user is in. */
export const LOBBY = 'room:lobby';

/** Everything the views need, replaced (never mutated) on every change. */
export interface HubSnapshot {
  connection: ConnectionState;
  me: UserInfo;
  hub: HubInfo | null;
  /** Per channel: confirmed history in offset order, then this user's pending and failed messages. */
  channels: Readonly<Record<string, readonly DisplayMessage[]>>;
  /** Everyone online, sorted by name. */
  online: readonly OnlineUser[];
  /** Messages waiting for the hub's ack. */
  outboxSize: number;
}

export type SendResult = { ok: true; clientMessageId: string } | { ok: false; message: string };

export interface HubClientOptions {
  me: UserInfo;
  hub?: HubInfo | null;
  /** Storage for the outbox; defaults to localStorage. */
  storage?: Storage | null;
}

/** Errors after which a send is worth repeating with the same client_message_id. */
const RETRYABLE: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['rate_limited', 'unavailable']);
const RETRY_DELAY_MS = 3_000;
const ONLINE_POLL_MS = 15_000;
const SEND_REF = 'send:';

function byName(a: OnlineUser, b: OnlineUser): number {
  return a.display_name.localeCompare(b.display_name, undefined, { sensitivity: 'base' }) || a.user_id - b.user_id;
}

/**
 * Start it once signed in; it keeps the socket up, delivers every queued message exactly once
 * (the hub dedups by client_message_id), and exposes state through `subscribe` (the Svelte store
 * contract, so `$hub` works in components; any other framework can subscribe too).
 */
export class HubClient {
  private readonly socket: HubSocket;
  private readonly outbox: Outbox;
  private readonly logs = new Map<string, ChannelLog>();
  /** Refused messages, kept visible until dismissed. */
  private readonly failed = new Map<string, DisplayMessage>();
  /** client_message_ids sent on the current connection and not answered yet. */
  private readonly inFlight = new Set<string>();
  /** Channels the current connection is subscribed to (their `subscribed` frame has arrived). */
  private readonly subscribed = new Set<string>();
  /** Channels whose gap we already asked to fill on this connection. */
  private readonly gapRequested = new Set<string>();
  private readonly presence = new Map<number, OnlineUser>();
  private presenceLive = false;
  private me: UserInfo;
  private hub: HubInfo | null;
  private connection: ConnectionState;
  private readonly listeners = new Set<(snapshot: HubSnapshot) => void>();
  private snapshot: HubSnapshot;
  private emitQueued = false;
  private pollTimer: ReturnType<typeof setInterval> | undefined;
  private readonly retryTimers = new Set<ReturnType<typeof setTimeout>>();

  constructor(opts: HubClientOptions) {
    this.me = opts.me;
    this.hub = opts.hub ?? null;
    this.outbox = new Outbox(`hubbub.outbox.v1.${opts.me.id}`, undefined, opts.storage);
    this.socket = new HubSocket({
      fetchToken: async () => (await getWsToken()).token,
      onFrame: (frame) => this.onFrame(frame),
      onState: (state) => this.onState(state),
    });
    this.connection = this.socket.connection;
    this.snapshot = this.buildSnapshot();
  }

  /** Svelte store contract: calls `run` now and after every change; returns the unsubscriber. */
  subscribe(run: (snapshot: HubSnapshot) => void): () => void {
    this.listeners.add(run);
    run(this.snapshot);
    return () => {
      this.listeners.delete(run);
    };
  }

  get current(): HubSnapshot {
    return this.snapshot;
  }

  start(): void {
    this.socket.start();
    void this.pollOnline();
    clearInterval(this.pollTimer);
    this.pollTimer = setInterval(() => {
      if (!this.presenceLive && this.connection.status !== 'offline') void this.pollOnline();
    }, ONLINE_POLL_MS);
  }

  stop(): void {
    clearInterval(this.pollTimer);
    this.pollTimer = undefined;
    for (const t of this.retryTimers) clearTimeout(t);
    this.retryTimers.clear();
    this.socket.stop();
  }

  /** Reconnects now instead of waiting out the backoff; restarts a stopped socket. */
  reconnect(): void {
    if (this.connection.status === 'offline') this.socket.start();
    else this.socket.retryNow();
  }

  /** Queues a chat message and sends it now if connected; it shows as pending until acked. */
  sendMessage(channel: string, body: string): SendResult {
    if (body.trim() === '') return { ok: false, message: 'Type a message first.' };
    if (this.outbox.isFull) {
      return { ok: false, message: 'Too many messages are waiting to be sent. Wait for the connection to come back.' };
    }
    const entry: OutboxEntry = { clientMessageId: randomUuid(), channel, body, createdAt: Date.now() };
    this.outbox.add(entry);
    this.trySend(entry);
    this.changed();
    return { ok: true, clientMessageId: entry.clientMessageId };
  }

  /** Removes a refused message from view. */
  dismiss(clientMessageId: string): void {
    if (this.failed.delete(clientMessageId)) this.changed();
  }

  // ---- socket events ----

  private onState(state: ConnectionState): void {
    const wasOnline = this.connection.status === 'online';
    this.connection = state;
    if (wasOnline && state.status !== 'online') {
      // Everything unanswered is resent on the next connection, under the same client_message_id.
      this.inFlight.clear();
      this.subscribed.clear();
      this.gapRequested.clear();
      this.presenceLive = false;
    }
    this.changed();
  }

  private onFrame(frame: ServerFrame): void {
    switch (frame.type) {
      case 'connection_established':
        this.me = frame.user;
        this.hub = frame.hub;
        this.inFlight.clear();
        this.subscribed.clear();
        this.gapRequested.clear();
        break;
      case 'subscribed':
        this.onSubscribed(frame);
        break;
      case 'unsubscribed':
        this.subscribed.delete(frame.channel);
        if (frame.channel === 'presence') this.presenceLive = false;
        break;
      case 'message':
        this.onMessage(frame);
        break;
      case 'presence_diff':
        for (const user of frame.joins) this.presence.set(user.user_id, user);
        for (const id of frame.leaves) this.presence.delete(id);
        break;
      case 'ack':
        this.onAck(frame.ref, frame.offset, frame.message_id);
        break;
      case 'error':
        this.onError(frame.ref, frame.code, frame.message);
        break;
      case 'pong':
        return;
    }
    this.changed();
  }

  private onSubscribed(frame: Extract<ServerFrame, { type: 'subscribed' }>): void {
    const channel = frame.channel;
    this.subscribed.add(channel);
    if (frame.users) {
      this.presence.clear();
      for (const user of frame.users) this.presence.set(user.user_id, user);
      this.presenceLive = true;
    }
    if (frame.messages || frame.epoch !== undefined) {
      const log = this.log(channel);
      const epoch = frame.epoch ?? null;
      const messages = frame.messages ?? [];
      if (log.epoch !== null && epoch !== null && log.epoch !== epoch) log.reset(epoch);
      else if (log.epoch === null) log.epoch = epoch;
      const knownLast = log.lastOffset;
      for (const m of messages) this.acceptMessage(m);
      // A snapshot (not a replay) that starts past what we had leaves a hole: ask for a replay once.
      const first = messages.length ? messages[0].offset : null;
      if (
        frame.recovered !== true &&
        knownLast > 0 &&
        first !== null &&
        first > knownLast + 1 &&
        epoch !== null &&
        !this.gapRequested.has(channel)
      ) {
        this.gapRequested.add(channel);
        this.socket.send({ type: 'subscribe', ref: `gap:${channel}`, channel, since: { offset: knownLast, epoch } });
      }
    }
    this.flush(channel);
  }

  private onMessage(message: ChatMessage): void {
    this.acceptMessage(message);
  }

  /** Adds a hub message to its channel; if it is one of ours still queued, that entry is done. */
  private acceptMessage(m: ChatMessage): void {
    const log = this.log(m.channel);
    const mine = m.sender_id === this.me.id ? this.outbox.get(m.client_message_id) : undefined;
    if (mine) {
      this.outbox.remove(mine.clientMessageId);
      this.inFlight.delete(mine.clientMessageId);
      log.upsert(fromChatMessage(m, `l:${mine.clientMessageId}`), true);
    } else if (m.sender_id === this.me.id && log.hasOffset(m.offset)) {
      log.upsert(fromChatMessage(m), true); // hub's fields over the one built from our ack
    } else {
      log.upsert(fromChatMessage(m));
    }
  }

  private onAck(ref: string, offset: number | undefined, messageId: number | undefined): void {
    if (!ref.startsWith(SEND_REF)) return;
    const cmid = ref.slice(SEND_REF.length);
    this.inFlight.delete(cmid);
    const entry = this.outbox.remove(cmid);
    if (!entry) return; // the `message` frame got here first
    const log = this.log(entry.channel);
    if (offset === undefined || log.findByClientId(this.me.id, cmid)) return;
    log.upsert({
      key: `l:${cmid}`,
      channel: entry.channel,
      offset,
      id: messageId ?? null,
      clientMessageId: cmid,
      senderId: this.me.id,
      senderName: this.me.display_name,
      body: entry.body,
      createdAt: entry.createdAt,
      status: 'sent',
    });
  }

  private onError(ref: string | undefined, code: ErrorCode, message: string): void {
    if (!ref || !ref.startsWith(SEND_REF)) return;
    const cmid = ref.slice(SEND_REF.length);
    this.inFlight.delete(cmid);
    const entry = this.outbox.get(cmid);
    if (!entry) return;
    if (RETRYABLE.has(code)) {
      const timer = setTimeout(() => {
        this.retryTimers.delete(timer);
        if (this.outbox.get(cmid)) this.trySend(entry);
      }, RETRY_DELAY_MS);
      this.retryTimers.add(timer);
      return;
    }
    this.outbox.remove(cmid);
    this.failed.set(cmid, {
      ...this.pendingView(entry),
      key: `l:${cmid}`,
      status: 'failed',
      error: { code, message },
    });
  }

  // ---- sending ----

  /** Sends every queued message of a channel the connection has just subscribed to. */
  private flush(channel: string): void {
    for (const entry of this.outbox.entries()) {
      if (entry.channel === channel) this.trySend(entry);
    }
  }

  private trySend(entry: OutboxEntry): void {
    if (this.inFlight.has(entry.clientMessageId)) return;
    if (!this.subscribed.has(entry.channel)) return;
    // Already stored (its ack was lost with the old connection): the snapshot told us so.
    if (this.log(entry.channel).findByClientId(this.me.id, entry.clientMessageId)) {
      this.outbox.remove(entry.clientMessageId);
      return;
    }
    const sent = this.socket.send({
      type: 'send_message',
      ref: `${SEND_REF}${entry.clientMessageId}`,
      channel: entry.channel,
      client_message_id: entry.clientMessageId,
      body: entry.body,
    });
    if (sent) this.inFlight.add(entry.clientMessageId);
  }

  // ---- presence fallback ----

  private async pollOnline(): Promise<void> {
    try {
      const res = await getOnlineUsers();
      if (this.presenceLive) return; // the socket's snapshot is newer
      this.presence.clear();
      for (const user of res.users) this.presence.set(user.user_id, user);
      this.changed();
    } catch {
      // Offline too; the badge already says so.
    }
  }

  // ---- state ----

  private log(channel: string): ChannelLog {
    let log = this.logs.get(channel);
    if (!log) {
      log = new ChannelLog();
      this.logs.set(channel, log);
    }
    return log;
  }

  private pendingView(entry: OutboxEntry): DisplayMessage {
    return {
      key: `l:${entry.clientMessageId}`,
      channel: entry.channel,
      offset: null,
      id: null,
      clientMessageId: entry.clientMessageId,
      senderId: this.me.id,
      senderName: this.me.display_name,
      body: entry.body,
      createdAt: entry.createdAt,
      status: 'pending',
    };
  }

  private changed(): void {
    if (this.emitQueued) return;
    this.emitQueued = true;
    queueMicrotask(() => {
      this.emitQueued = false;
      this.snapshot = this.buildSnapshot();
      for (const run of this.listeners) run(this.snapshot);
    });
  }

  private buildSnapshot(): HubSnapshot {
    const channels: Record<string, DisplayMessage[]> = {};
    const tails = new Map<string, DisplayMessage[]>();
    const addTail = (m: DisplayMessage) => {
      const list = tails.get(m.channel) ?? [];
      list.push(m);
      tails.set(m.channel, list);
    };
    for (const entry of this.outbox.entries()) addTail(this.pendingView(entry));
    for (const m of this.failed.values()) addTail(m);
    const names = new Set<string>([...this.logs.keys(), ...tails.keys(), LOBBY]);
    for (const channel of names) {
      const confirmed = this.logs.get(channel)?.messages ?? [];
      const tail = (tails.get(channel) ?? []).sort((a, b) => a.createdAt - b.createdAt);
      channels[channel] = tail.length ? [...confirmed, ...tail] : (confirmed as DisplayMessage[]);
    }
    return {
      connection: this.connection,
      me: this.me,
      hub: this.hub,
      channels,
      online: [...this.presence.values()].sort(byName),
      outboxSize: this.outbox.size,
    };
  }
}
