// Framework-independent hub client: one socket, chat in rooms and conversations, outbox, presence, status, notifications and moderation, as a Svelte-compatible store.

import { ActivityMonitor } from './activity';
import * as api from './api';
import type { DisplayMessage } from './channel-log';
import { ChatBook, type ChannelView, type ChatEvent } from './chat';
import { CommandError, CommandTracker, describeError, type Ack, type Command } from './commands';
import { Directory, LOBBY, dmReadable, isChatChannel, type DirectoryView } from './directory';
import { HubStateBook } from './hub-state';
import { Inbox } from './inbox';
import { isModerationCode, refusalText, sanctionText } from './moderation';
import { joinUrlProblem, statusTextProblem } from './notify';
import { OnlinePoller, PRESENCE, PresenceBook, isHubWide } from './presence';
import type {
  Attachment,
  DmThread,
  HubInfo,
  MessagesResponse,
  Notification,
  OnlineUsersResponse,
  PresenceStatus,
  ReplyQuote,
  Role,
  Room,
  RoomKind,
  ServerFrame,
  UserInfo,
} from './protocol';
import { MyStatus } from './my-status';
import { SEARCH_PAGE, SEARCH_TIMEOUT_MS } from './online-search';
import { ResumeStore } from './resume';
import type { HubClientOptions, HubNotice, HubSnapshot, SendRefusal } from './snapshot';
import { ChatSender, bodyProblem, type SendResult } from './sender';
import { HubSocket, type ConnectionState } from './socket';
import { TypingSender } from './typing';

export type { ChannelView, ConnectionState, DirectoryView, DisplayMessage, HubClientOptions, HubNotice, HubSnapshot, SendRefusal, SendResult };
export { CommandError, describeError, LOBBY };

/** How long after the hub-wide snapshot this user's own entry is looked up when no list shows it. */
const SELF_LOOKUP_DELAY_MS = 1_000;

/**
 * Start it once signed in; it keeps the socket up, delivers every queued message exactly once
 * (the hub dedups by client_message_id), and exposes state through `subscribe` (the Svelte store
 * contract, so `$hub` works in components; any other framework can subscribe too).
 */
export class HubClient {
  private readonly socket: HubSocket;
  private readonly sender: ChatSender;
  private readonly chat: ChatBook;
  private readonly directory = new Directory();
  private readonly commands: CommandTracker;
  private readonly typingSender: TypingSender;
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
  private readonly frameListeners = new Set<(frame: ServerFrame) => void>();
  private readonly noticeListeners = new Set<(notice: HubNotice) => void>();
  private readonly hubState = new HubStateBook();
  /** The last moderation refusal of a send, per channel (muted, slow mode, locked). */
  private readonly refusals = new Map<string, SendRefusal>();
  /** When this user's last message in each channel was stored (hub ms), for slow mode. */
  private readonly lastSent = new Map<string, number>();
  /** The hub's clock minus this browser's, measured at connect. */
  private serverOffsetMs = 0;
  private readonly myStatus: MyStatus;
  private activity: ActivityMonitor | null = null;
  private selfLookup: ReturnType<typeof setTimeout> | undefined;
  private readonly trackActivity: boolean;
  private idle = false;
  private running = false;
  private me: UserInfo;
  private hub: HubInfo | null;
  private selected: string;
  private connection: ConnectionState;
  private readonly listeners = new Set<(snapshot: HubSnapshot) => void>();
  private snapshot: HubSnapshot;
  private emitQueued = false;

  constructor(opts: HubClientOptions) {
    this.me = opts.me;
    this.hub = opts.hub ?? null;
    this.socket = new HubSocket({
      fetchToken: async () => (await api.getWsToken()).token,
      onFrame: (frame) => {
        this.onFrame(frame);
        this.emitFrame(frame);
      },
      onState: (state) => this.onState(state),
      query: () => ({ since: this.chat.since() }),
    });
    this.commands = new CommandTracker((frame) => this.socket.send(frame));
    this.sender = new ChatSender({
      storageKey: `hubbub.outbox.v1.${opts.me.id}`,
      storage: opts.storage,
      me: () => this.me,
      send: (frame) => this.socket.send(frame),
      isSubscribed: (channel) => this.subscribed.has(channel),
      findConfirmed: (channel, cmid) => this.chat.findByClientId(channel, this.me.id, cmid),
      onAcked: (message) => this.chat.ackedMessage(message),
      onChange: () => this.changed(),
    });
    this.typingSender = new TypingSender(
      (channel, typing) => this.subscribed.has(channel) && this.socket.send({ type: 'typing', channel, typing }),
    );
    this.chat = new ChatBook({
      meId: () => this.me.id,
      claim: (m) => this.sender.claim(m),
      sendMarkRead: (channel, offset) => this.socket.send({ type: 'mark_read', channel, offset }),
      fetchOlder: (channel, before) => api.getMessagesBefore(channel, before),
      onChange: () => this.changed(),
      store: new ResumeStore(`hubbub.chat.v1.${opts.me.id}`, opts.storage),
    });
    const restored = this.chat.restoredSelection;
    this.selected = restored && isChatChannel(restored) ? restored : LOBBY;
    this.chat.select(this.selected);
    this.poller = new OnlinePoller({
      fetch: (timeoutMs) => api.getOnlineUsers(timeoutMs),
      onResult: (res) => {
        if (this.presence.fromRest(res)) this.changed();
      },
    });
    this.myStatus = new MyStatus(
      // On a large hub this user may be past the end of every list: then their entry as last seen.
      () => this.presence.find(this.me.id),
      () => this.changed(),
    );
    this.presence.setSelf(this.me.id);
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
    if (typeof document !== 'undefined') {
      document.addEventListener('visibilitychange', this.onVisibility);
      window.addEventListener('pagehide', this.onPageHide);
    }
    this.socket.start();
  }

  stop(): void {
    this.running = false;
    this.poller.setActive(false);
    clearTimeout(this.selfLookup);
    this.selfLookup = undefined;
    this.activity?.stop();
    this.activity = null;
    if (typeof document !== 'undefined') {
      document.removeEventListener('visibilitychange', this.onVisibility);
      window.removeEventListener('pagehide', this.onPageHide);
    }
    this.myStatus.stop();
    this.sender.stop();
    this.chat.stop();
    this.socket.stop();
    this.commands.failAll('The client stopped.');
  }

  /** Checks the connection every `ms` while set (in a party); null goes back to the hub's beat. */
  setFastHeartbeat(ms: number | null): void {
    this.socket.setFastHeartbeat(ms);
  }

  /** Reconnects now instead of waiting out the backoff; restarts a stopped socket. */
  reconnect(): void {
    if (this.connection.status === 'offline') this.socket.start();
    else this.socket.retryNow();
  }

  private readonly onVisibility = (): void => {
    this.chat.setPageVisible(document.visibilityState === 'visible');
  };

  private readonly onPageHide = (): void => {
    this.chat.flushSave();
  };

  // ---- chat ----

  /** Shows a room or conversation. */
  select(channel: string): void {
    if (!isChatChannel(channel) || channel === this.selected) return;
    this.typingSender.stop();
    this.selected = channel;
    this.chat.select(channel);
    this.changed();
  }

  /** The reader is (or is not) looking at the newest messages of the selected channel. */
  setAtBottom(atBottom: boolean): void {
    this.chat.setAtBottom(atBottom);
  }

  /** The selected channel's messages are on screen, or hidden behind something else (search results). */
  setRoomShown(shown: boolean): void {
    this.chat.setRoomShown(shown);
  }

  /** Loads older messages of a channel (scrolled to the top). */
  loadOlder(channel: string): Promise<void> {
    return this.chat.loadOlder(channel);
  }

  /** Queues a chat message (with files already uploaded, perhaps answering another) and sends it now if connected; it shows as pending until acked. */
  sendMessage(channel: string, body: string, attachments: Attachment[] = [], replyTo?: ReplyQuote): SendResult {
    const result = this.sender.send(channel, body, attachments, replyTo);
    if (result.ok) this.typingSender.stop(true); // the hub ends our typing state when the message arrives
    return result;
  }

  /** Removes a refused message from view. */
  dismiss(clientMessageId: string): void {
    this.sender.dismiss(clientMessageId);
  }

  /** The composer of `channel` holds text (`active`) or was cleared or left. */
  setTyping(channel: string, active: boolean): void {
    this.typingSender.update(channel, active);
  }

  async editMessage(channel: string, messageId: number, body: string): Promise<void> {
    const problem = bodyProblem(body);
    if (problem) throw new CommandError('message_empty', problem);
    await this.command({ type: 'edit_message', channel, message_id: messageId, body });
  }

  async deleteMessage(channel: string, messageId: number): Promise<void> {
    await this.command({ type: 'delete_message', channel, message_id: messageId });
  }

  /** Toggles this user's reaction. */
  async react(channel: string, messageId: number, emoji: string): Promise<void> {
    await this.command({ type: 'react', channel, message_id: messageId, emoji });
  }

  /**
   * Everyone online whose name contains `query` (any case), by name, a page from `offset`: for
   * people past the end of the online list on a large hub. Cancelled by `signal`.
   */
  findOnline(query: string, offset = 0, signal?: AbortSignal, limit = SEARCH_PAGE): Promise<OnlineUsersResponse> {
    return api.findOnlineUsers(query.trim(), { offset, limit, signal, timeoutMs: SEARCH_TIMEOUT_MS });
  }

  /** Full-text search over the readable channels (or one), newest first. */
  search(query: string, channel?: string): Promise<MessagesResponse> {
    return api.searchMessages(query.trim(), channel);
  }

  // ---- rooms and conversations ----

  /** Reloads the room and conversation lists; errors end up in `directory.error`. */
  async refreshDirectory(): Promise<void> {
    await this.directory.refresh(() => Promise.all([api.getRooms(), api.getDms()]), describeError);
    this.changed();
  }

  /** Creates a room (open or invite-only) and shows it. */
  async createRoom(name: string, topic: string, kind: RoomKind): Promise<Room> {
    const room = await api.createRoom({ name: name.trim(), topic: topic.trim() || undefined, kind });
    this.gotRoom(room);
    this.select(room.channel);
    return room;
  }

  async joinRoom(id: string): Promise<Room> {
    const room = await api.roomAction(id, 'join');
    this.gotRoom(room);
    this.select(room.channel);
    return room;
  }

  async leaveRoom(id: string): Promise<Room> {
    const room = await api.roomAction(id, 'leave');
    this.gotRoom(room);
    if (!room.member) this.left(room.channel);
    return room;
  }

  inviteToRoom(id: string, userId: number): Promise<void> {
    return api.inviteToRoom(id, userId);
  }

  /** Opens the conversation with a user, asking them for one first if there is none. */
  async openDm(userId: number): Promise<DmThread> {
    const existing = this.directory.dmWith(userId);
    if (existing && dmReadable(existing)) {
      this.select(existing.channel);
      return existing;
    }
    const thread = await api.startDm(userId);
    this.gotDm(thread);
    this.select(thread.channel);
    return thread;
  }

  async dmAction(id: number, action: 'accept' | 'decline' | 'block'): Promise<DmThread> {
    const thread = await api.dmAction(id, action);
    this.gotDm(thread);
    if (thread.state === 'accepted' && action === 'accept') this.select(thread.channel);
    if (!dmReadable(thread)) this.left(thread.channel);
    return thread;
  }

  private gotRoom(room: Room): void {
    this.directory.upsertRoom(room);
    this.changed();
  }

  private gotDm(thread: DmThread): void {
    this.directory.upsertDm(thread);
    this.changed();
  }

  /** A room or conversation is gone for us: back to the Lobby if it was on screen. */
  private left(channel: string): void {
    if (channel.startsWith('room:')) this.directory.markLeft(channel);
    if (this.selected === channel) this.select(LOBBY);
    this.changed();
  }

  // ---- status, activity, pings, notifications ----

  /** Sets the status others see (`online` clears a chosen away/busy) and the status line (empty clears it). */
  async setStatus(status: PresenceStatus, text: string): Promise<void> {
    const line = text.trim();
    const problem = statusTextProblem(line);
    if (problem) throw new CommandError('invalid_status', problem);
    const previous = this.myStatus.begin(status, line);
    this.changed();
    try {
      await this.command({ type: 'set_status', status, text: line });
      // No list may show this user on a large hub, so no diff would tell: remember it ourselves.
      const mine = this.presence.find(this.me.id) ?? this.presence.selfEntry;
      if (mine) this.presence.rememberSelf({ ...mine, status, status_text: line || undefined });
      this.myStatus.acked(status, line);
    } catch (err) {
      this.myStatus.failed(status, line, previous);
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
      await api.pingUser(userId, link ? { join_url: link } : {});
    }
  }

  /** Fetches the inbox (`GET /api/notifications`); errors end up in `inbox.error`. */
  async loadNotifications(): Promise<void> {
    if (this.inbox.loading) return;
    const token = this.inbox.beginLoad();
    this.changed();
    try {
      const res = await api.getNotifications();
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
        const res = await api.markNotificationsRead(ids ? { ids } : {});
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

  /** Calls `run` for each notice for toasts: a host's notice, a sanction, a role change; returns the unsubscriber. */
  onNotice(run: (notice: HubNotice) => void): () => void {
    this.noticeListeners.add(run);
    return () => {
      this.noticeListeners.delete(run);
    };
  }

  /** Hides an announcement banner for the rest of this tab's life. */
  dismissAnnouncement(id: number): void {
    this.hubState.dismiss(id);
    this.changed();
  }

  /** The hub's clock now (ms), as near as this browser can tell. */
  serverNow(): number {
    return Date.now() + this.serverOffsetMs;
  }

  private notify(notice: HubNotice): void {
    for (const run of this.noticeListeners) {
      try {
        run(notice);
      } catch {
        // A listener's failure must not stop the others or the client.
      }
    }
  }

  private async command(frame: Command): Promise<void> {
    await this.commands.run(frame);
  }

  // ---- extensions (a party session) ----

  /** Calls `run` with every frame from the hub once the client has applied it; returns the unsubscriber. */
  onServerFrame(run: (frame: ServerFrame) => void): () => void {
    this.frameListeners.add(run);
    return () => {
      this.frameListeners.delete(run);
    };
  }

  /** Sends an awaited command: resolves with its `ack`, rejects with a CommandError. */
  runCommand(frame: Command): Promise<Ack> {
    return this.commands.run(frame);
  }

  /** Whether a frame can be sent right now. */
  get isOnline(): boolean {
    return this.socket.isOnline;
  }

  private emitFrame(frame: ServerFrame): void {
    for (const run of this.frameListeners) {
      try {
        run(frame);
      } catch {
        // A listener's failure must not stop the others or the client.
      }
    }
  }

  // ---- socket events ----

  private onState(state: ConnectionState): void {
    const wasOnline = this.connection.status === 'online';
    this.connection = state;
    if (wasOnline && state.status !== 'online') {
      // Everything unanswered is resent on the next connection, under the same client_message_id.
      this.sender.connectionReset();
      this.subscribed.clear();
      this.gapRequested.clear();
      this.presence.lost();
      this.chat.connectionLost();
      this.typingSender.reset();
      this.commands.failAll('The connection dropped. Try again when it is back.');
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
        this.serverOffsetMs = frame.server_time - Date.now();
        this.refusals.clear();
        this.sender.connectionReset();
        this.subscribed.clear();
        this.gapRequested.clear();
        this.typingSender.reset();
        this.chat.connectionStarted(frame.channels);
        if (!frame.channels.includes(this.selected)) this.select(LOBBY);
        // A new connection starts active on the hub: tell it where this tab really is.
        this.socket.send({ type: 'set_activity', idle: this.idle });
        void this.refreshDirectory();
        break;
      case 'subscribed':
        this.onSubscribed(frame);
        break;
      case 'unsubscribed':
        this.subscribed.delete(frame.channel);
        if (frame.channel === PRESENCE || isChatChannel(frame.channel)) this.presence.lost(frame.channel);
        if (isChatChannel(frame.channel)) {
          this.chat.unsubscribed(frame.channel);
          this.left(frame.channel);
        }
        break;
      case 'message':
      case 'message_edited':
      case 'message_deleted':
      case 'reaction':
        this.onChatEvent(frame);
        break;
      case 'read_receipt':
        this.chat.readReceipt(frame.channel, frame.user_id, frame.offset);
        break;
      case 'typing':
        if (!this.chat.typing(frame.channel, frame.user_id, frame.display_name, frame.typing)) return;
        break;
      case 'room_update':
        this.directory.upsertRoom(frame.room);
        break;
      case 'dm_update':
        this.directory.upsertDm(frame.thread);
        break;
      case 'presence_diff':
        if (!this.presence.diff(frame.channel, frame.joins, frame.leaves, frame.total)) return;
        this.myStatus.settle();
        break;
      case 'notification':
        this.onNotificationFrame(frame.notification, frame.unread_count);
        break;
      case 'notifications_read':
        this.inbox.markRead(frame.ids, frame.unread_count);
        break;
      case 'ack':
        if (!this.commands.settle(frame)) this.sender.acked(frame.ref, frame.offset, frame.message_id);
        break;
      case 'error':
        if (!this.commands.settle(frame)) this.onSendRefused(frame);
        break;
      case 'hub_state':
        this.onHubState(frame.state.role);
        this.hubState.apply(frame.state);
        break;
      case 'moderated':
        this.onModerated(frame);
        break;
      case 'notice':
        this.notify({ kind: 'notice', text: frame.text, by: frame.by?.display_name ?? null });
        return;
      case 'ping':
        // A `notification` with the inbox entry follows; toasts come from that one.
        return;
      case 'pong':
      case 'online_users_update':
        return;
    }
    this.changed();
  }

  /** A refused send: moderation refusals are said in our words, and near the composer too. */
  private onSendRefused(frame: Extract<ServerFrame, { type: 'error' }>): void {
    const channel = this.sender.channelOf(frame.ref);
    const text = refusalText(frame.code, frame.message, frame.retry_after_ms);
    if (channel && isModerationCode(frame.code)) {
      this.refusals.set(channel, { code: frame.code, text, at: Date.now(), retryAfterMs: frame.retry_after_ms ?? null });
    }
    this.sender.refused(frame.ref, frame.code, text);
  }

  /** A role that changed after the first hub_state of this client is told as a toast. */
  private onHubState(next: Role): void {
    const before = this.hubState.view();
    if (!before.known || before.role === next) return;
    const words: Record<Role, string> = { host: 'a host', moderator: 'a moderator', guest: 'a guest' };
    this.notify({ kind: 'moderation', text: `You are now ${words[next]} on this hub.`, by: null });
  }

  private onModerated(frame: Extract<ServerFrame, { type: 'moderated' }>): void {
    this.hubState.moderated(frame);
    if (frame.sanction === 'unmuted') {
      for (const [channel, r] of this.refusals) if (r.code === 'muted' && (!frame.channel || frame.channel === channel)) this.refusals.delete(channel);
    }
    if (frame.sanction === 'renamed') void this.refreshMe();
    // The role itself comes in the hub_state that follows (see onHubState).
    if (frame.sanction === 'role_changed') return;
    const roomName = (channel: string) => this.directory.view().rooms.find((r) => r.channel === channel)?.name ?? channel.replace(/^room:/, '');
    this.notify({ kind: 'moderation', text: sanctionText(frame, { now: this.serverNow(), roomName }), by: frame.by?.display_name ?? null });
  }

  /** Reads this user's name again (a host renamed them). */
  private async refreshMe(): Promise<void> {
    try {
      const me = await api.getMe();
      if (me) {
        this.me = me.user;
        this.changed();
      }
    } catch {
      // The next connection says it too.
    }
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
      this.presence.snapshot(channel, frame.users, frame.total);
      if (isHubWide(channel)) {
        this.degraded = false;
        this.myStatus.settle();
        this.scheduleSelfLookup();
      }
    }
    if (channel === `user:${this.me.id}`) {
      if (frame.unread_notifications !== undefined) this.inbox.setUnread(frame.unread_notifications);
      // Entries may have arrived while we were away: refresh a list we have shown before.
      if (this.inbox.loaded) void this.loadNotifications();
    }
    if (isChatChannel(channel)) this.chat.subscribed(frame);
    this.sender.flush(channel);
  }

  /**
   * On a large hub this user may be in no list they get (past the end of the hub's and the Lobby's,
   * and in no conversation): once the snapshot's pieces are in, their own entry (the status chosen
   * on another device or before a reload) is looked up by name, once per connection.
   */
  private scheduleSelfLookup(): void {
    clearTimeout(this.selfLookup);
    this.selfLookup = setTimeout(() => {
      this.selfLookup = undefined;
      if (!this.running || !this.socket.isOnline || !this.presence.partial || this.presence.listed(this.me.id)) return;
      void this.lookUpSelf();
    }, SELF_LOOKUP_DELAY_MS);
  }

  private async lookUpSelf(): Promise<void> {
    try {
      const res = await api.findOnlineUsers(this.me.display_name.slice(0, api.MAX_ONLINE_QUERY), {
        limit: 1000,
        timeoutMs: SEARCH_TIMEOUT_MS,
      });
      const mine = res.users.find((u) => u.user_id === this.me.id);
      if (!mine || this.presence.listed(this.me.id)) return;
      this.presence.rememberSelf(mine);
      this.myStatus.settle();
      this.changed();
    } catch {
      // Best effort: the status menu then shows what this tab last knew.
    }
  }

  /** A live history event; a hole before it (never expected) is filled by a catch-up once per connection. */
  private onChatEvent(frame: ChatEvent): void {
    const position = this.chat.position(frame.channel);
    if (
      position &&
      frame.offset > position.offset + 1 &&
      this.subscribed.has(frame.channel) &&
      !this.gapRequested.has(frame.channel)
    ) {
      this.gapRequested.add(frame.channel);
      this.socket.send({ type: 'subscribe', ref: `gap:${frame.channel}`, channel: frame.channel, since: position });
    }
    if (frame.type === 'message' && frame.sender_id === this.me.id) {
      this.lastSent.set(frame.channel, Math.max(this.lastSent.get(frame.channel) ?? 0, frame.created_at));
      this.refusals.delete(frame.channel);
    }
    this.chat.event(frame);
  }

  // ---- state ----

  private changed(): void {
    if (this.emitQueued) return;
    this.emitQueued = true;
    queueMicrotask(() => {
      this.emitQueued = false;
      this.snapshot = this.buildSnapshot();
      for (const run of this.listeners) run(this.snapshot);
    });
  }

  /** Unread per room and conversation: the live count once subscribed, else the REST lists' (or what was stored). */
  private unreadCounts(chat: Record<string, ChannelView>, dir: DirectoryView): Record<string, number> {
    const out: Record<string, number> = {};
    for (const r of dir.rooms) if (r.member) out[r.channel] = r.unread;
    for (const t of dir.dms) if (dmReadable(t)) out[t.channel] = t.unread;
    for (const [channel, view] of Object.entries(chat)) {
      if (view.live || !(channel in out)) out[channel] = view.unread;
    }
    return out;
  }

  private buildSnapshot(): HubSnapshot {
    const channels: Record<string, readonly DisplayMessage[]> = {};
    const tails = this.sender.tails();
    const names = new Set<string>([...this.chat.channels(), ...tails.keys(), LOBBY, this.selected]);
    for (const channel of names) {
      const confirmed = this.chat.messages(channel);
      const tail = tails.get(channel);
      channels[channel] = tail ? [...confirmed, ...tail] : confirmed;
    }
    const chat = this.chat.view();
    const directory = this.directory.view();
    const unreadByChannel = this.unreadCounts(chat, directory);
    return {
      connection: this.connection,
      me: this.me,
      hub: this.hub,
      selected: this.selected,
      channels,
      chat,
      unreadByChannel,
      unreadTotal: Object.values(unreadByChannel).reduce((a, b) => a + b, 0),
      directory,
      online: this.presence.online(),
      onlineTotal: this.presence.onlineTotal(),
      onlineStale: !this.presence.live && this.degraded,
      onlineAsOf: this.presence.asOf,
      rooms: this.presence.roomLists(),
      roomTotals: this.presence.roomTotals(),
      myStatus: this.myStatus.current(),
      idle: this.idle,
      unread: this.inbox.unread,
      inbox: {
        items: this.inbox.items,
        loaded: this.inbox.loaded,
        loading: this.inbox.loading,
        error: this.inbox.error,
      },
      outboxSize: this.sender.size,
      moderation: this.hubState.view(),
      refusals: Object.fromEntries(this.refusals),
      lastSent: Object.fromEntries(this.lastSent),
      serverOffsetMs: this.serverOffsetMs,
    };
  }
}
