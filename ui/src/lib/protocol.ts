// Generated from shared/protocol by `UPDATE_PROTOCOL_TS=1 cargo test -p hubbub-protocol`.
// Do not edit: a test fails when this file and the Rust types disagree.

export const PROTOCOL_VERSION = 1;

export const CloseCode = {
  NORMAL: 1000,
  GOING_AWAY: 1001,
  PROTOCOL_ERROR: 1002,
  TOO_BIG: 1009,
  INTERNAL: 1011,
  IDLE_TIMEOUT: 4000,
  TOO_SLOW: 4008,
  UNAUTHENTICATED: 4401,
  FORBIDDEN: 4403,
  NOT_FOUND: 4404,
  RATE_LIMITED: 4429,
} as const;

export type ErrorCode = "invalid_json" | "unknown_type" | "invalid_frame" | "invalid_display_name" | "pin_required" | "wrong_pin" | "unauthenticated" | "forbidden" | "no_such_channel" | "not_subscribed" | "message_empty" | "message_too_long" | "invalid_client_message_id" | "rate_limited" | "not_found" | "unavailable" | "internal";

export type UserInfo = { id: number, display_name: string, };

export type HubInfo = { 
/**
 * Stable random id of this hub, kept in its database.
 */
hub_id: string, 
/**
 * The name the host gave the hub.
 */
name: string, 
/**
 * Wire protocol version ([`crate::PROTOCOL_VERSION`]).
 */
protocol_version: number, 
/**
 * The hub's software version.
 */
version: string, 
/**
 * Whether `POST /api/join` needs a PIN.
 */
pin_required: boolean, };

export type ChatMessage = { 
/**
 * Hub-wide id of the message.
 */
id: number, 
/**
 * The channel it was sent to, e.g. `room:lobby`.
 */
channel: string, 
/**
 * Position in the channel: 1 for the first event, then +1 for each.
 */
offset: number, sender_id: number, sender_name: string, 
/**
 * The sender's idempotency key: a resend with the same key returns this message again.
 */
client_message_id: string, body: string, 
/**
 * Unix time in milliseconds when the hub stored it.
 */
created_at: number, };

export type OnlineUser = { user_id: number, display_name: string, 
/**
 * How many open connections (tabs, devices) the user has.
 */
connections: number, 
/**
 * Unix time in milliseconds since when the user has been online.
 */
since: number, };

export type StreamPosition = { 
/**
 * The last offset the client has seen.
 */
offset: number, 
/**
 * The channel epoch that offset belongs to.
 */
epoch: string, };

export type ClientFrame = { "type": "ping", ref?: string, } | { "type": "subscribe", ref?: string, channel: string, 
/**
 * Where the client left off; the hub replays what came after it when it can.
 */
since?: StreamPosition, } | { "type": "unsubscribe", ref?: string, channel: string, } | { "type": "send_message", ref?: string, channel: string, 
/**
 * Idempotency key chosen by the client; a resend with the same key is stored once.
 */
client_message_id: string, body: string, };

export type ServerFrame = { "type": "connection_established", 
/**
 * Id of this connection, unique within the hub's run.
 */
connection_id: number, user: UserInfo, hub: HubInfo, 
/**
 * Unix time in milliseconds on the hub.
 */
server_time: number, 
/**
 * How often the hub pings; it drops the connection after a few missed beats.
 */
heartbeat_ms: number, 
/**
 * Channels the hub subscribed this connection to; a `subscribed` frame follows for each.
 */
channels: Array<string>, } | { "type": "pong", ref?: string, server_time: number, } | { "type": "ack", ref: string, channel?: string, message_id?: number, offset?: number, 
/**
 * True when the command repeated an earlier one (same `client_message_id`) and changed nothing.
 */
duplicate: boolean, } | { "type": "error", ref?: string, code: ErrorCode, message: string, } | { "type": "subscribed", ref?: string, channel: string, 
/**
 * Persisted channels: the history epoch; offsets are comparable only within one epoch.
 */
epoch?: string, 
/**
 * Persisted channels: the offset of the newest event at subscribe time (0 when empty).
 */
last_offset?: number, 
/**
 * Persisted channels: true when `messages` holds exactly what followed `since`;
 * false when it is a fresh snapshot of the newest messages instead.
 */
recovered?: boolean, 
/**
 * Persisted channels: messages in offset order.
 */
messages?: Array<ChatMessage>, 
/**
 * `presence`: everyone online now.
 */
users?: Array<OnlineUser>, } | { "type": "unsubscribed", ref?: string, channel: string, } | { "type": "message" } & ChatMessage | { "type": "presence_diff", 
/**
 * Users who came online, or whose entry changed.
 */
joins: Array<OnlineUser>, 
/**
 * Ids of users who went offline.
 */
leaves: number[], };

export type ApiError = { code: ErrorCode, message: string, };

export type JoinRequest = { display_name: string, 
/**
 * Required when the hub has a PIN (`GET /api/info` says so).
 */
pin?: string, };

export type JoinResponse = { user: UserInfo, 
/**
 * The session secret: send it as `Authorization: Bearer` from non-browser clients.
 */
session: string, };

export type MeResponse = { user: UserInfo, };

export type WsTokenResponse = { 
/**
 * A short-lived token for `GET /ws?token=`.
 */
token: string, 
/**
 * Seconds until it expires.
 */
expires_in: number, };

export type StatusResponse = { status: string, version: string, uptime_secs: number, 
/**
 * Open WebSocket connections.
 */
connections: number, };

export type OnlineUsersResponse = { users: Array<OnlineUser>, total_count: number, timestamp: number, };

