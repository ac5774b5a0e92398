// Framework-independent hub client: one socket, chat history, outbox, presence, status and notifications, as a Svelte-compatible store.

import { ActivityMonitor } from './activity';
import {
  ApiRequestError,
  getNotifications,
  getOnlineUsers,
  getWsToken,
  markNotificationsRead as restMarkRead,
  pingUser as restPing,
} from './api';
import { ChannelLog, fromChatMessage, type DisplayMessage } from './channel-log';
import { randomUuid } from './ids';
import { Inbox } from './inbox';
import { joinUrlProblem, statusTextProblem } from './notify';
import { Outbox, type OutboxEntry } from './outbox';
import { OnlinePoller, PRESENCE, PresenceBook, isHubWide } from './presence';
import type {
  ChatMessage,
  ClientFrame,
  ErrorCode,
  HubInfo,
  Notification,
  OnlineUser,
  PresenceStatus,
  ServerFrame,
  UserInfo,
} from './protocol';
import { HubSocket, type ConnectionState } from './socket';

export type { ConnectionState, DisplayMessage };

/** A refused or failed command: the hub's error code (or `unavailable` when it could not be sent) and a message for people. */
export class CommandError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = 'CommandError';
    this.code = code;
  }
}

/** The code and message of anything a HubClient call throws. */
export function describeError(err: unknown): { code: ErrorCode; message: string } {
  if (err instanceof CommandError || err instanceof ApiRequestError) return { code: err.code, message: err.message };
  return { code: 'internal', message: err instanceof Error ? err.message : 'Something went wrong.' };
}

/** The room every user is in. */
export const LOBBY = 'room:lobby';

/** Everything the views need, replaced (never mutated) on every change. */
export interface HubSnapshot {
  connection: ConnectionState;
  me: UserInfo;
  hub: HubInfo | null;
  /** Per channel: confirmed history in offset order, then this user's pending and failed messages. */
  channels: Readonly<Record<string, readonly DisplayMessage[]>>;
  /** Everyone online, sorted by name: live from the socket, else the last known list. */
  online: readonly OnlineUser[];
  /** True when `online` is not live and the connection is in trouble: show it as "last known". */
  onlineStale: boolean;
  /** When a stale `online` list was last known to be right (ms). */
  onlineAsOf: number | null;
  /** Live room presence (who is in each room), per room channel; absent while unknown. */
  rooms: Readonly<Record<string, readonly OnlineUser[]>>;
  /** This user's chosen status and status line (what this tab last asked for, until the hub confirms). */
  myStatus: { status: PresenceStatus; text: string };
  /** Whether this tab counts as idle (hidden or no input for a while). */
  idle: boolean;
  /** Unread inbox entries. */
  unread: number;
  inbox: {
    items: readonly Notification[];
    loaded: boolean;
    loading: boolean;
    error: string | null;
  };
  /** Messages waiting for the hub's ack. */
  outboxSize: number;
}

export type SendResult = { ok: true; clientMessageId: string } | { ok: false; message: string };

export interface HubClientOptions {
  me: UserInfo;
  hub?: HubInfo | null;
  /** Storage for the outbox; defaults to localStorage. */
  storage?: Storage | null;
  /** Report this tab idle while hidden or untouched (default true in a browser). */
  trackActivity?: boolean;
}

/** Commands that are answered with `ack` or `error` and awaited through `command()`. */
type Command = Extract<ClientFrame, { type: 'set_status' | 'ping_user' | 'mark_notifications_read' }>;

/** Errors after which a send is worth repeating with the same client_message_id. */
const RETRYABLE: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['rate_limited', 'unavailable']);
const RETRY_DELAY_MS = 3_000;
const SEND_REF = 'send:';
const CMD_REF = 'cmd:';
/** A command not answered within this long fails with `unavailable`. */
const COMMAND_TIMEOUT_MS = 10_000;
/** How long a status we set wins over the hub's presence entry while waiting for the diff. */
const STATUS_HOLD_MS = 5_000;

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
  private readonly presence = new PresenceBook();
  private readonly poller: OnlinePoller;
  /** The connection has been lost (or never came up) since presence was last live. */
  private degraded = false;
  private readonly inbox = new Inbox();
  private readonly notificationListeners = new Set<(n: Notification) => void>();
  private readonly pending = new Map<
    string,
    { resolve: () => void; reject: (err: CommandError) => void; timer: ReturnType<typeof setTimeout> }
  >();
  /** The status this tab set, shown until the hub's presence entry agrees (or a while has passed). */
  private requestedStatus: { status: PresenceStatus; text: string; until: number } | null = null;
  private activity: ActivityMonitor | null = null;
  private readonly trackActivity: boolean;
  private idle = false;
  private running = false;
  private me: UserInfo;
  private hub: HubInfo | null;
  private connection: ConnectionState;
  private readonly listeners = new Set<(snapshot: HubSnapshot) => void>();
  private snapshot: HubSnapshot;
  private emitQueued = false;
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
    this.poller = new OnlinePoller({
      fetch: (timeoutMs) => getOnlineUsers(timeoutMs),
      onResult: (res) => {
        if (this.presence.fromRest(res)) this.changed();
      },
    });
    this.trackActivity = opts.trackActivity ?? typeof document !== 'undefined';
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
    if (this.running) return;
    this.running = true;
    if (this.trackActivity && !this.activity) {
      this.activity = new ActivityMonitor({ onChange: (idle) => this.setIdle(idle) });
      this.activity.start();
    }
    this.socket.start();
  }

  stop(): void {
    this.running = false;
    this.poller.setActive(false);
    this.activity?.stop();
    this.activity = null;
    for (const t of this.retryTimers) clearTimeout(t);
    this.retryTimers.clear();
    this.socket.stop();
    this.failPending('The client stopped.');
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

  // ---- status, activity, pings, notifications ----

  /** Sets the status others see (`online` clears a chosen away/busy) and the status line (empty clears it). */
  async setStatus(status: PresenceStatus, text: string): Promise<void> {
    const line = text.trim();
    const problem = statusTextProblem(line);
    if (problem) throw new CommandError('invalid_status', problem);
    const previous = this.requestedStatus;
    this.requestedStatus = { status, text: line, until: Number.POSITIVE_INFINITY };
    this.changed();
    try {
      await this.command({ type: 'set_status', status, text: line });
      if (this.requestedStatus?.status === status && this.requestedStatus.text === line) {
        this.requestedStatus.until = Date.now() + STATUS_HOLD_MS;
        this.settleStatus();
      }
    } catch (err) {
      if (this.requestedStatus?.status === status && this.requestedStatus.text === line) this.requestedStatus = previous;
      this.changed();
      throw err;
    }
  }

  /** This tab's automatic away; sent only when it changes, and again after every reconnect. */
  setIdle(idle: boolean): void {
    if (idle === this.idle) return;
    this.idle = idle;
    this.socket.send({ type: 'set_activity', idle });
    this.changed();
  }

  /** Pings an online user, optionally with an invite link (over the socket, or REST while it is down). */
  async pingUser(userId: number, joinUrl?: string): Promise<void> {
    const link = joinUrl?.trim() || undefined;
    const problem = link ? joinUrlProblem(link) : null;
    if (problem) throw new CommandError('invalid_join_url', problem);
    if (this.socket.isOnline) {
      await this.command({ type: 'ping_user', user_id: userId, join_url: link });
    } else {
      await restPing(userId, link ? { join_url: link } : {});
    }
  }

  /** Fetches the inbox (`GET /api/notifications`); errors end up in `inbox.error`. */
  async loadNotifications(): Promise<void> {
    if (this.inbox.loading) return;
    const token = this.inbox.beginLoad();
    this.changed();
    try {
      const res = await getNotifications();
      this.inbox.loadedFrom(token, res);
    } catch (err) {
      this.inbox.failed(describeError(err).message);
    }
    this.changed();
  }

  /** Marks the listed entries read, or all without `ids`; the other tabs follow via `notifications_read`. */
  async markNotificationsRead(ids?: number[]): Promise<void> {
    const unreadAfter = ids
      ? Math.max(0, this.inbox.unread - ids.filter((id) => this.inbox.items.some((n) => n.id === id && !n.read)).length)
      : 0;
    this.inbox.markRead(ids, unreadAfter);
    this.changed();
    try {
      if (this.socket.isOnline) {
        await this.command(ids ? { type: 'mark_notifications_read', ids } : { type: 'mark_notifications_read' });
      } else {
        const res = await restMarkRead(ids ? { ids } : {});
        this.inbox.setUnread(res.unread_count);
        this.changed();
      }
    } catch (err) {
      void this.loadNotifications(); // put back what the hub really has
      throw err;
    }
  }

  /** Calls `run` for every new notification that arrives live (for toasts); returns the unsubscriber. */
  onNotification(run: (n: Notification) => void): () => void {
    this.notificationListeners.add(run);
    return () => {
      this.notificationListeners.delete(run);
    };
  }

  /** Sends a command with a fresh ref and resolves on its `ack`, rejects on its `error`. */
  private command(frame: Command): Promise<void> {
    const ref = `${CMD_REF}${randomUuid()}`;
    return new Promise<void>((resolve, reject) => {
      if (!this.socket.send({ ...frame, ref })) {
        reject(new CommandError('unavailable', 'Not connected to the hub. Try again when the connection is back.'));
        return;
      }
      const timer = setTimeout(() => {
        this.pending.delete(ref);
        reject(new CommandError('unavailable', 'The hub did not answer. Try again.'));
      }, COMMAND_TIMEOUT_MS);
      this.pending.set(ref, { resolve, reject, timer });
    });
  }

  private failPending(message: string): void {
    for (const [ref, p] of this.pending) {
      clearTimeout(p.timer);
      this.pending.delete(ref);
      p.reject(new CommandError('unavailable', message));
    }
  }

  /** Drops the requested status once the hub's presence entry shows it, or once its hold ran out. */
  private settleStatus(): void {
    const req = this.requestedStatus;
    if (!req) return;
    const mine = this.presence.get(this.me.id);
    const agrees = mine !== undefined && mine.status === req.status && (mine.status_text ?? '') === req.text;
    if (agrees || Date.now() > req.until) this.requestedStatus = null;
    else if (Number.isFinite(req.until)) {
      const timer = setTimeout(() => {
        this.retryTimers.delete(timer);
        this.settleStatus();
        this.changed();
      }, Math.max(0, req.until - Date.now()) + 10);
      this.retryTimers.add(timer);
    }
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
      this.presence.lost();
      this.failPending('The connection dropped. Try again when it is back.');
    }
    if (state.status === 'reconnecting' || state.status === 'offline') this.degraded = true;
    // While the socket is not online, the online list comes from REST every few seconds.
    this.poller.setActive(this.running && state.status !== 'online');
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
        // A new connection starts active on the hub: tell it where this tab really is.
        this.socket.send({ type: 'set_activity', idle: this.idle });
        break;
      case 'subscribed':
        this.onSubscribed(frame);
        break;
      case 'unsubscribed':
        this.subscribed.delete(frame.channel);
        if (frame.channel === PRESENCE || frame.channel.startsWith('room:')) this.presence.lost(frame.channel);
        break;
      case 'message':
        this.onMessage(frame);
        break;
      case 'presence_diff':
        if (!this.presence.diff(frame.channel, frame.joins, frame.leaves)) return;
        if (isHubWide(frame.channel)) this.settleStatus();
        break;
      case 'notification':
        this.onNotificationFrame(frame.notification, frame.unread_count);
        break;
      case 'notifications_read':
        this.inbox.markRead(frame.ids, frame.unread_count);
        break;
      case 'ack':
        if (this.settle(frame.ref)) break;
        this.onAck(frame.ref, frame.offset, frame.message_id);
        break;
      case 'error':
        if (this.settle(frame.ref, frame.code, frame.message)) break;
        this.onError(frame.ref, frame.code, frame.message);
        break;
      case 'ping':
        // A `notification` with the inbox entry follows; toasts come from that one.
        return;
      case 'pong':
      case 'online_users_update':
        return;
    }
    this.changed();
  }

  /** Resolves or rejects the awaited command with this ref; false when it is not one. */
  private settle(ref: string | undefined, code?: ErrorCode, message?: string): boolean {
    if (!ref || !ref.startsWith(CMD_REF)) return false;
    const p = this.pending.get(ref);
    if (!p) return true; // timed out already
    this.pending.delete(ref);
    clearTimeout(p.timer);
    if (code === undefined) p.resolve();
    else p.reject(new CommandError(code, message ?? code));
    return true;
  }

  private onNotificationFrame(n: Notification, unreadCount: number): void {
    const isNew = this.inbox.add(n, unreadCount);
    if (!isNew || n.read) return;
    for (const run of this.notificationListeners) {
      try {
        run(n);
      } catch {
        // A listener's failure must not stop the others or the client.
      }
    }
  }

  private onSubscribed(frame: Extract<ServerFrame, { type: 'subscribed' }>): void {
    const channel = frame.channel;
    this.subscribed.add(channel);
    if (frame.users) {
      this.presence.snapshot(channel, frame.users);
      if (isHubWide(channel)) {
        this.degraded = false;
        this.settleStatus();
      }
    }
    if (channel === `user:${this.me.id}`) {
      if (frame.unread_notifications !== undefined) this.inbox.setUnread(frame.unread_notifications);
      // Entries may have arrived while we were away: refresh a list we have shown before.
      if (this.inbox.loaded) void this.loadNotifications();
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
    const mine = this.presence.get(this.me.id);
    const req = this.requestedStatus;
    return {
      connection: this.connection,
      me: this.me,
      hub: this.hub,
      channels,
      online: this.presence.online(),
      onlineStale: !this.presence.live && this.degraded,
      onlineAsOf: this.presence.asOf,
      rooms: this.presence.roomLists(),
      myStatus: req
        ? { status: req.status, text: req.text }
        : { status: mine?.status ?? 'online', text: mine?.status_text ?? '' },
      idle: this.idle,
      unread: this.inbox.unread,
      inbox: {
        items: this.inbox.items,
        loaded: this.inbox.loaded,
        loading: this.inbox.loading,
        error: this.inbox.error,
      },
      outboxSize: this.outbox.size,
    };
  }
}
