// Typed calls to the hub's REST API under /api (session cookie, JSON errors as ApiError): session, presence, inbox, rooms, DMs, history, search, parties.

import type {
  HubsResponse,
  ApiError,
  CreatePartyRequest,
  CreateRoomRequest,
  DmsResponse,
  DmThread,
  ErrorCode,
  HubInfo,
  JoinRequest,
  JoinResponse,
  MarkReadRequest,
  MarkReadResponse,
  MeResponse,
  SessionResponse,
  MessagesResponse,
  NotificationsResponse,
  OnlineUsersResponse,
  PacksResponse,
  PartiesResponse,
  PartyResults,
  PartySnapshot,
  PingRequest,
  PingResponse,
  RoleResponse,
  RemoteLinkResponse,
  Room,
  RoomsResponse,
  WsTokenResponse,
} from './protocol';

/** A failed API call: the hub's error code and message, or `unavailable` when the hub could not be reached. */
export class ApiRequestError extends Error {
  readonly status: number;
  readonly code: ErrorCode;
  /** With `rate_limited`, `muted` or `slow_mode`: how long to wait before trying again. */
  readonly retryAfterMs: number | undefined;

  constructor(status: number, code: ErrorCode, message: string, retryAfterMs?: number) {
    super(message);
    this.name = 'ApiRequestError';
    this.status = status;
    this.code = code;
    this.retryAfterMs = retryAfterMs;
  }
}

function isApiError(value: unknown): value is ApiError {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as ApiError).code === 'string' &&
    typeof (value as ApiError).message === 'string'
  );
}

function fallbackCode(status: number): ErrorCode {
  if (status === 401) return 'unauthenticated';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not_found';
  if (status === 429) return 'rate_limited';
  if (status === 502 || status === 503 || status === 504) return 'unavailable';
  return 'internal';
}

/** An abort signal that fires after `ms`, where the browser has `AbortSignal.timeout`. */
function timeoutSignal(ms: number | undefined): AbortSignal | undefined {
  if (ms === undefined || typeof AbortSignal === 'undefined' || typeof AbortSignal.timeout !== 'function') return undefined;
  return AbortSignal.timeout(ms);
}

/** The caller's signal and the timeout's, as one (the caller's alone where `AbortSignal.any` is missing). */
function requestSignal(signal: AbortSignal | undefined, timeoutMs: number | undefined): AbortSignal | undefined {
  const timeout = timeoutSignal(timeoutMs);
  if (!signal || !timeout) return signal ?? timeout;
  return typeof AbortSignal.any === 'function' ? AbortSignal.any([signal, timeout]) : signal;
}

/** What a cancelled request rejects with: a DOMException named `AbortError`. */
export function isAbort(err: unknown): boolean {
  return err instanceof DOMException && err.name === 'AbortError';
}

export interface RequestOptions {
  timeoutMs?: number;
  /** Cancels the request: it then rejects with an `AbortError` (see `isAbort`), not an ApiRequestError. */
  signal?: AbortSignal;
}

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** One JSON request to the hub: a body is sent as `application/json`; a JSON error body becomes an ApiRequestError. */
export async function request<T>(method: Method, path: string, body?: unknown, opts: RequestOptions = {}): Promise<T> {
  const { signal, timeoutMs } = opts;
  const aborted = (): DOMException => new DOMException('The request was cancelled.', 'AbortError');
  if (signal?.aborted) throw aborted();
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      credentials: 'same-origin',
      headers: body === undefined ? { Accept: 'application/json' } : { Accept: 'application/json', 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
      signal: requestSignal(signal, timeoutMs),
    });
  } catch {
    if (signal?.aborted) throw aborted();
    throw new ApiRequestError(0, 'unavailable', 'The hub cannot be reached. Check your Wi-Fi connection.');
  }
  let payload: unknown = null;
  const text = await response.text().catch(() => '');
  if (text) {
    try {
      payload = JSON.parse(text);
    } catch {
      payload = null;
    }
  }
  if (!response.ok) {
    if (isApiError(payload)) throw new ApiRequestError(response.status, payload.code, payload.message, payload.retry_after_ms);
    throw new ApiRequestError(
      response.status,
      fallbackCode(response.status),
      `The hub answered ${response.status} ${response.statusText}`.trim(),
    );
  }
  if (payload === null) {
    if (response.status === 204) return undefined as T;
    throw new ApiRequestError(response.status, 'internal', 'The hub sent an unreadable answer.');
  }
  return payload as T;
}

/** `GET /api/info`: the hub's name and whether joining needs a PIN. */
export function getInfo(): Promise<HubInfo> {
  return request<HubInfo>('GET', '/api/info');
}

/** `GET /api/session`: the signed-in user, or null when this browser has no (valid) session. */
export async function getMe(): Promise<MeResponse | null> {
  // `/api/session` answers 200 with `null` for a newcomer, so a first visit logs no failed request.
  return (await request<SessionResponse>('GET', '/api/session')).me;
}

/** `POST /api/join`: creates a session; the hub sets it as an HttpOnly cookie. */
export function join(req: JoinRequest): Promise<JoinResponse> {
  return request<JoinResponse>('POST', '/api/join', req);
}

/** `POST /api/logout`: ends this session (its sockets close with 4412) and clears the cookie. */
export function logout(): Promise<void> {
  return request<void>('POST', '/api/logout');
}

/** `POST /api/host/claim`: turns the signed-in user into a host with a host link's one-time token. */
export function claimHost(token: string): Promise<RoleResponse> {
  return request<RoleResponse>('POST', '/api/host/claim', { token });
}

/** `GET /api/auth/ws-token`: a short-lived token for `/ws?token=`. */
export function getWsToken(): Promise<WsTokenResponse> {
  return request<WsTokenResponse>('GET', '/api/auth/ws-token');
}

/** `GET /api/users/online`: who is online (the first page by name), for when the socket is down; gives up after `timeoutMs`. */
export function getOnlineUsers(timeoutMs?: number): Promise<OnlineUsersResponse> {
  return request<OnlineUsersResponse>('GET', '/api/users/online', undefined, { timeoutMs });
}

/** The most characters `findOnlineUsers` may search for. */
export const MAX_ONLINE_QUERY = 100;

export interface FindOnlineOptions {
  /** Where the page starts (a previous answer's `next_offset`). */
  offset?: number;
  /** How many to return (1..=1000); the hub's list size by default. */
  limit?: number;
  signal?: AbortSignal;
  timeoutMs?: number;
}

/** `GET /api/users/online?q=&offset=&limit=`: everyone online whose name contains `q` (any case), a page at a time, by name. */
export function findOnlineUsers(q: string, opts: FindOnlineOptions = {}): Promise<OnlineUsersResponse> {
  const params = new URLSearchParams({ q });
  if (opts.offset) params.set('offset', String(opts.offset));
  if (opts.limit !== undefined) params.set('limit', String(opts.limit));
  return request<OnlineUsersResponse>('GET', `/api/users/online?${params}`, undefined, {
    signal: opts.signal,
    timeoutMs: opts.timeoutMs,
  });
}

/** `GET /api/notifications`: this user's inbox, newest first, and how many entries are unread. */
export function getNotifications(): Promise<NotificationsResponse> {
  return request<NotificationsResponse>('GET', '/api/notifications');
}

/** `POST /api/notifications/read`: marks the listed entries read, or all of them without `ids`. */
export function markNotificationsRead(req: MarkReadRequest): Promise<MarkReadResponse> {
  return request<MarkReadResponse>('POST', '/api/notifications/read', req);
}

/** `POST /api/users/{id}/ping`: pings an online user, optionally with an invite link. */
export function pingUser(userId: number, req: PingRequest): Promise<PingResponse> {
  return request<PingResponse>('POST', `/api/users/${encodeURIComponent(String(userId))}/ping`, req);
}

// ---- rooms, direct conversations, history, search ----

const seg = (value: string | number): string => encodeURIComponent(String(value));

/** `GET /api/rooms`: the Lobby first, then rooms the user is in, invited to, or could join. */
export function getRooms(): Promise<RoomsResponse> {
  return request<RoomsResponse>('GET', '/api/rooms');
}

/** `POST /api/rooms`: creates a room with the user as its first member. */
export function createRoom(req: CreateRoomRequest): Promise<Room> {
  return request<Room>('POST', '/api/rooms', req);
}

/** `POST /api/rooms/{id}/join|leave`. */
export function roomAction(id: string, action: 'join' | 'leave'): Promise<Room> {
  return request<Room>('POST', `/api/rooms/${seg(id)}/${action}`);
}

/** `POST /api/rooms/{id}/invite`: the invitee gets a `room_invite` notification. */
export function inviteToRoom(id: string, userId: number): Promise<void> {
  return request<void>('POST', `/api/rooms/${seg(id)}/invite`, { user_id: userId });
}

/** `GET /api/dms`: every conversation of the user, newest first. */
export function getDms(): Promise<DmsResponse> {
  return request<DmsResponse>('GET', '/api/dms');
}

/** `POST /api/dms`: asks another user for a conversation (or returns the existing one). */
export function startDm(userId: number): Promise<DmThread> {
  return request<DmThread>('POST', '/api/dms', { user_id: userId });
}

/** `POST /api/dms/{id}/accept|decline|block`. */
export function dmAction(id: number, action: 'accept' | 'decline' | 'block'): Promise<DmThread> {
  return request<DmThread>('POST', `/api/dms/${seg(id)}/${action}`);
}

/** `GET /api/channels/{channel}/messages?before=`: the newest messages before an offset, in offset order. */
export function getMessagesBefore(channel: string, before: number, limit = 50): Promise<MessagesResponse> {
  return request<MessagesResponse>('GET', `/api/channels/${seg(channel)}/messages?before=${before}&limit=${limit}`);
}

/** `GET /api/search?q=&channel=`: matching messages from readable channels, newest first. */
export function searchMessages(q: string, channel?: string): Promise<MessagesResponse> {
  const query = `q=${encodeURIComponent(q)}${channel ? `&channel=${encodeURIComponent(channel)}` : ''}`;
  return request<MessagesResponse>('GET', `/api/search?${query}`);
}

// ---- parties ----

/** `GET /api/quiz/packs`: the question packs a party can use (`sample` is always there). */
export function getPacks(): Promise<PacksResponse> {
  return request<PacksResponse>('GET', '/api/quiz/packs');
}

/** `POST /api/parties`: creates a party with the caller as its host. */
export function createParty(req: CreatePartyRequest): Promise<PartySnapshot> {
  return request<PartySnapshot>('POST', '/api/parties', req);
}

/** `GET /api/parties`: the parties running on this hub. */
export function getParties(): Promise<PartiesResponse> {
  return request<PartiesResponse>('GET', '/api/parties');
}

/** `GET /api/parties/{code}`: one party (`no_such_party` when there is none). */
export function getParty(code: string): Promise<PartySnapshot> {
  return request<PartySnapshot>('GET', `/api/parties/${seg(code)}`);
}

/** `GET /api/hubs`: the other hubs this hub found on the network (mDNS), each checked over HTTP. */
export function getHubs(): Promise<HubsResponse> {
  return request<HubsResponse>('GET', '/api/hubs');
}

/** Where the QR code (SVG) of a party's join link is served. */
export function partyQrUrl(code: string): string {
  return `/api/parties/${seg(code)}/qr.svg`;
}

/** `GET /api/parties/{code}/results`: the latest game's results (host only). */
export function getPartyResults(code: string): Promise<PartyResults> {
  return request<PartyResults>('GET', `/api/parties/${seg(code)}/results`);
}

/** Where a party's results are downloaded from (host only): CSV for spreadsheets, or JSON. */
export function partyResultsUrl(code: string, format: 'csv' | 'json'): string {
  return `/api/parties/${seg(code)}/results${format === 'csv' ? '.csv' : ''}`;
}

/** `POST /api/parties/{code}/remote`: a one-time link that turns the phone opening it into the host's remote. */
export function createRemoteLink(code: string): Promise<RemoteLinkResponse> {
  return request<RemoteLinkResponse>('POST', `/api/parties/${seg(code)}/remote`);
}

/** A fresh remote link as a QR code (an object URL for `<img>`; revoke it when done) and the link itself when the hub says it. */
export async function getRemoteQr(code: string, signal?: AbortSignal): Promise<{ image: string; url: string | null; expiresAt: number | null }> {
  let response: Response;
  try {
    response = await fetch(`/api/parties/${seg(code)}/remote.svg?t=${Date.now()}`, { credentials: 'same-origin', cache: 'no-store', signal });
  } catch (err) {
    if (isAbort(err)) throw err;
    throw new ApiRequestError(0, 'unavailable', 'The hub cannot be reached. Check your Wi-Fi connection.');
  }
  if (!response.ok) {
    let payload: unknown = null;
    try {
      payload = await response.json();
    } catch {
      payload = null;
    }
    const inner = (payload as { error?: unknown } | null)?.error ?? payload;
    if (isApiError(inner)) throw new ApiRequestError(response.status, inner.code, inner.message);
    throw new ApiRequestError(response.status, fallbackCode(response.status), `The hub answered ${response.status}`);
  }
  const expires = Number(response.headers.get('X-Remote-Expires-At'));
  const blob = await response.blob();
  return {
    image: URL.createObjectURL(blob),
    url: response.headers.get('X-Remote-Url'),
    expiresAt: Number.isFinite(expires) && expires > 0 ? expires : null,
  };
}
