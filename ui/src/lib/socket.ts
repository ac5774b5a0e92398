// The one WebSocket to the hub: fresh token per connect, reconnect with backoff, heartbeat, close-code policy.

import { ApiRequestError } from './api';
import { Backoff, type BackoffOptions } from './backoff';
import { CloseCode, type ClientFrame, type ServerFrame } from './protocol';

/** Where the connection stands, for the badge and for callers deciding whether to send. */
export type ConnectionState =
  | { status: 'connecting'; attempt: number }
  | { status: 'online'; since: number }
  | { status: 'reconnecting'; attempt: number; retryAt: number; reason: string }
  | { status: 'offline'; reason: StopReason; message: string };

/**
 * Why the socket stopped for good: the session is gone, the hub refused us, a host removed us
 * (kicked, banned), the session was ended (logged out, or by a host), or the app stopped it.
 */
export type StopReason = 'unauthenticated' | 'forbidden' | 'kicked' | 'banned' | 'session_ended' | 'stopped';

export interface HubSocketOptions {
  /** Fetches a fresh ws token; an ApiRequestError with status 401 means the session is gone. */
  fetchToken: () => Promise<string>;
  /** Called for every frame the hub sends. */
  onFrame: (frame: ServerFrame) => void;
  /** Called whenever the connection state changes. */
  onState: (state: ConnectionState) => void;
  /** Builds the socket URL; defaults to `/ws?token=` on this page's host. */
  url?: (token: string) => string;
  /** Extra query parameters for the default URL, computed at every connect (e.g. `since=...`). */
  query?: () => Record<string, string>;
  backoff?: BackoffOptions;
  /** A connection open this long resets the backoff. */
  healthyAfterMs?: number;
}

const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 500, capMs: 15_000 };
const DEFAULT_HEARTBEAT_MS = 25_000;
const MIN_HEARTBEAT_MS = 1_000;
/** A frame expecting an answer (it has a `ref`) that hears nothing back this long starts a probe. */
export const ANSWER_WAIT_MS = 800;
/** A probe left unanswered this long means the socket is dead (so a stall shows within 3 s of acting). */
export const PROBE_WAIT_MS = 1_200;

const OFFLINE_REASON = 'This device is offline';

/** Whether the browser says it has no network at all. */
function browserOffline(): boolean {
  return typeof navigator !== 'undefined' && navigator.onLine === false;
}

function defaultUrl(token: string, query: Record<string, string> = {}): string {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  let url = `${scheme}://${location.host}/ws?token=${encodeURIComponent(token)}`;
  for (const [name, value] of Object.entries(query)) {
    if (value !== '') url += `&${encodeURIComponent(name)}=${encodeURIComponent(value)}`;
  }
  return url;
}

function describeClose(code: number, reason: string): string {
  if (reason) return reason;
  switch (code) {
    case CloseCode.GOING_AWAY:
      return 'The hub is restarting';
    case CloseCode.IDLE_TIMEOUT:
      return 'The connection went idle';
    case CloseCode.TOO_SLOW:
      return 'The connection was too slow';
    case CloseCode.RATE_LIMITED:
      return 'Too many connections, slowing down';
    case CloseCode.TOO_BIG:
      return 'A frame was too large';
    case 1006:
      return 'The connection dropped';
    default:
      return `The connection closed (${code})`;
  }
}

/**
 * Owns one WebSocket at a time. After `start()` it keeps reconnecting until the hub says the
 * session is gone (4401 twice in a row), refuses us (4403), or `stop()` is called.
 */
export class HubSocket {
  private readonly opts: HubSocketOptions;
  private readonly backoff: Backoff;
  private ws: WebSocket | null = null;
  private state: ConnectionState = { status: 'offline', reason: 'stopped', message: 'Not started' };
  private running = false;
  /** Bumped on every connect attempt so late async results of an older attempt are ignored. */
  private generation = 0;
  /** Whether the one "fetch a new token and retry" after a 4401 has been used. */
  private authRetried = false;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private healthyTimer: ReturnType<typeof setTimeout> | undefined;
  private heartbeatTimer: ReturnType<typeof setInterval> | undefined;
  private heartbeatMs = DEFAULT_HEARTBEAT_MS;
  /** A faster beat asked for while in a party (see `setFastHeartbeat`). */
  private fastHeartbeatMs: number | null = null;
  private lastFrameAt = 0;
  private probeSentAt = 0;
  private probeTimer: ReturnType<typeof setTimeout> | undefined;
  /** Waits for any frame after a send that expects an answer (see `expectAnswer`). */
  private answerTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(opts: HubSocketOptions) {
    this.opts = opts;
    this.backoff = new Backoff(opts.backoff ?? DEFAULT_BACKOFF);
  }

  get connection(): ConnectionState {
    return this.state;
  }

  get isOnline(): boolean {
    return this.state.status === 'online' && this.ws?.readyState === WebSocket.OPEN;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.authRetried = false;
    this.backoff.reset();
    if (typeof window !== 'undefined') {
      window.addEventListener('online', this.onBrowserOnline);
      window.addEventListener('offline', this.onBrowserOffline);
      document.addEventListener('visibilitychange', this.onVisibilityChange);
    }
    if (browserOffline()) this.scheduleReconnect(OFFLINE_REASON);
    else void this.connect();
  }

  stop(message = 'Disconnected'): void {
    this.halt('stopped', message);
  }

  /** Sends a frame if the socket is open; returns false otherwise (the caller keeps it for later). */
  send(frame: ClientFrame): boolean {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN || this.state.status !== 'online') return false;
    try {
      ws.send(JSON.stringify(frame));
    } catch {
      return false;
    }
    if ('ref' in frame && frame.ref) this.expectAnswer();
    return true;
  }

  /** Skips the rest of a backoff wait (e.g. the user pressed "retry" or the network came back). */
  retryNow(): void {
    if (!this.running || this.state.status !== 'reconnecting') return;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    void this.connect();
  }

  /**
   * After a send that the hub answers: if nothing at all arrives within ANSWER_WAIT_MS, ping; if
   * the ping goes unanswered too, the socket is dead (a stalled Wi-Fi shows no close for many
   * seconds) and is dropped, so the page says "reconnecting" within about 2 s of the user acting.
   */
  private expectAnswer(): void {
    if (this.answerTimer !== undefined) return;
    const ws = this.ws;
    const sentAt = Date.now();
    this.answerTimer = setTimeout(() => {
      this.answerTimer = undefined;
      if (this.ws !== ws || this.lastFrameAt > sentAt) return;
      this.probe();
      const probedAt = this.probeSentAt;
      clearTimeout(this.probeTimer);
      this.probeTimer = setTimeout(() => {
        this.probeTimer = undefined;
        if (this.ws === ws && this.lastFrameAt < probedAt) this.dropSocket('No answer from the hub');
      }, PROBE_WAIT_MS);
    }, ANSWER_WAIT_MS);
  }

  private setState(state: ConnectionState): void {
    this.state = state;
    this.opts.onState(state);
  }

  private async connect(): Promise<void> {
    const gen = ++this.generation;
    this.setState({ status: 'connecting', attempt: this.backoff.attempts });
    let token: string;
    try {
      token = await this.opts.fetchToken();
    } catch (err) {
      if (gen !== this.generation || !this.running) return;
      if (err instanceof ApiRequestError && err.status === 401) {
        this.halt('unauthenticated', err.message);
      } else if (err instanceof ApiRequestError && err.code === 'banned') {
        this.halt('banned', err.message);
      } else if (err instanceof ApiRequestError && err.status === 403) {
        this.halt('forbidden', err.message);
      } else {
        this.scheduleReconnect(err instanceof Error ? err.message : 'Could not get a connection token');
      }
      return;
    }
    if (gen !== this.generation || !this.running) return;

    let ws: WebSocket;
    try {
      const url = this.opts.url ? this.opts.url(token) : defaultUrl(token, this.opts.query?.() ?? {});
      ws = new WebSocket(url);
    } catch (err) {
      this.scheduleReconnect(err instanceof Error ? err.message : 'Could not open the connection');
      return;
    }
    this.ws = ws;
    this.lastFrameAt = Date.now();
    ws.onmessage = (ev: MessageEvent) => {
      if (this.ws !== ws) return;
      this.lastFrameAt = Date.now();
      if (typeof ev.data !== 'string') return;
      let frame: ServerFrame;
      try {
        frame = JSON.parse(ev.data) as ServerFrame;
      } catch {
        return;
      }
      if (!frame || typeof frame !== 'object' || typeof frame.type !== 'string') return;
      if (frame.type === 'connection_established') this.onEstablished(frame.heartbeat_ms);
      this.opts.onFrame(frame);
    };
    ws.onclose = (ev: CloseEvent) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.onClosed(ev.code, ev.reason);
    };
    // An error is always followed by a close event, which does the work.
    ws.onerror = () => {};
  }

  private onEstablished(heartbeatMs: number): void {
    this.authRetried = false;
    this.setState({ status: 'online', since: Date.now() });
    clearTimeout(this.healthyTimer);
    this.healthyTimer = setTimeout(() => this.backoff.reset(), this.opts.healthyAfterMs ?? 10_000);
    this.probeSentAt = 0;
    this.heartbeatMs = Math.max(MIN_HEARTBEAT_MS, heartbeatMs > 0 ? heartbeatMs : DEFAULT_HEARTBEAT_MS);
    this.startHeartbeat();
  }

  /**
   * Beats faster while `ms` is set (a party, whose hub-side heartbeat is faster, so a stalled phone
   * owns up within a beat or two even when its player does nothing); null goes back to the hub's beat.
   */
  setFastHeartbeat(ms: number | null): void {
    const next = ms !== null && ms > 0 ? Math.max(MIN_HEARTBEAT_MS, ms) : null;
    if (next === this.fastHeartbeatMs) return;
    this.fastHeartbeatMs = next;
    if (this.heartbeatTimer !== undefined) this.startHeartbeat();
  }

  private startHeartbeat(): void {
    clearInterval(this.heartbeatTimer);
    const beat = Math.min(this.heartbeatMs, this.fastHeartbeatMs ?? Infinity);
    this.heartbeatTimer = setInterval(() => this.heartbeat(), beat);
  }

  /** Pings the hub each beat; a ping left unanswered for a whole beat means the socket is dead. */
  private heartbeat(): void {
    if (!this.ws || this.state.status !== 'online') return;
    if (this.probeSentAt > 0 && this.lastFrameAt < this.probeSentAt) {
      this.dropSocket('No answer from the hub');
      return;
    }
    this.probe();
  }

  /** Sends a ping and remembers when, so the next check can tell whether anything came back. */
  private probe(): void {
    this.probeSentAt = Date.now();
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return;
    try {
      ws.send(JSON.stringify({ type: 'ping' } satisfies ClientFrame));
    } catch {
      // The close event follows.
    }
  }

  /** Abandons the current socket without waiting for its close handshake, then reconnects. */
  private dropSocket(reason: string): void {
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      ws.onclose = null;
      ws.onmessage = null;
      try {
        ws.close();
      } catch {
        // Already closing.
      }
    }
    this.onClosed(1006, reason);
  }

  private onClosed(code: number, reason: string): void {
    this.clearConnectionTimers();
    if (!this.running) return;
    switch (code) {
      case CloseCode.UNAUTHENTICATED:
        if (!this.authRetried) {
          // The token may just have expired: fetch a new one once, right away.
          this.authRetried = true;
          void this.connect();
        } else {
          this.halt('unauthenticated', reason || 'The hub no longer accepts this session');
        }
        return;
      case CloseCode.FORBIDDEN:
        this.halt('forbidden', reason || 'The hub refused this connection');
        return;
      // A host removed us: coming back is the user's choice (after a kick) or impossible (a ban).
      case CloseCode.KICKED:
        this.halt('kicked', reason);
        return;
      case CloseCode.BANNED:
        this.halt('banned', reason);
        return;
      case CloseCode.SESSION_ENDED:
        this.halt('session_ended', reason || 'Your session has ended');
        return;
      default:
        this.scheduleReconnect(describeClose(code, reason));
    }
  }

  private scheduleReconnect(reason: string): void {
    clearTimeout(this.retryTimer);
    const attempt = this.backoff.attempts;
    const delay = this.backoff.next();
    this.setState({ status: 'reconnecting', attempt, retryAt: Date.now() + delay, reason });
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.connect();
    }, delay);
  }

  private halt(reason: StopReason, message: string): void {
    this.running = false;
    this.generation++;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.clearConnectionTimers();
    if (typeof window !== 'undefined') {
      window.removeEventListener('online', this.onBrowserOnline);
      window.removeEventListener('offline', this.onBrowserOffline);
      document.removeEventListener('visibilitychange', this.onVisibilityChange);
    }
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      ws.onclose = null;
      ws.onmessage = null;
      try {
        ws.close(CloseCode.NORMAL);
      } catch {
        // Already closing.
      }
    }
    this.setState({ status: 'offline', reason, message });
  }

  private clearConnectionTimers(): void {
    clearTimeout(this.healthyTimer);
    clearInterval(this.heartbeatTimer);
    clearTimeout(this.probeTimer);
    clearTimeout(this.answerTimer);
    this.probeTimer = undefined;
    this.answerTimer = undefined;
    this.healthyTimer = undefined;
    this.heartbeatTimer = undefined;
  }

  private readonly onBrowserOnline = (): void => {
    this.backoff.reset();
    this.retryNow();
  };

  /** The device lost its network: the socket cannot be trusted, whatever it says; try again once back. */
  private readonly onBrowserOffline = (): void => {
    if (!this.running) return;
    if (this.ws) {
      this.dropSocket(OFFLINE_REASON);
    } else if (this.state.status === 'connecting') {
      this.generation++;
      this.scheduleReconnect(OFFLINE_REASON);
    }
  };

  private readonly onVisibilityChange = (): void => {
    if (document.visibilityState !== 'visible') return;
    if (this.state.status === 'reconnecting') {
      this.retryNow();
    } else if (this.state.status === 'online' && this.ws) {
      // After a phone sleep the socket may be dead without a close event: check it now.
      const ws = this.ws;
      this.probe();
      const sentAt = this.probeSentAt;
      clearTimeout(this.probeTimer);
      this.probeTimer = setTimeout(() => {
        if (this.ws === ws && this.lastFrameAt < sentAt) this.dropSocket('No answer from the hub');
      }, 5_000);
    }
  };
}
