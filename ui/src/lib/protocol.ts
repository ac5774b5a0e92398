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
  KICKED: 4410,
  BANNED: 4411,
  SESSION_ENDED: 4412,
  RATE_LIMITED: 4429,
} as const;

export type ErrorCode = "invalid_json" | "unknown_type" | "invalid_frame" | "invalid_display_name" | "name_taken" | "pin_required" | "wrong_pin" | "unauthenticated" | "forbidden" | "no_such_channel" | "not_subscribed" | "message_empty" | "message_too_long" | "invalid_client_message_id" | "invalid_status" | "invalid_join_url" | "user_offline" | "no_such_message" | "invalid_reply" | "invalid_room" | "invalid_emoji" | "dm_not_accepted" | "rate_limited" | "limit_reached" | "no_such_party" | "kicked" | "party_full" | "not_host" | "not_in_party" | "not_a_player" | "wrong_phase" | "not_enough_ready" | "invalid_answer" | "invalid_party" | "invalid_pack" | "muted" | "slow_mode" | "room_locked" | "banned" | "no_such_place" | "invalid_place" | "no_such_file" | "file_too_large" | "quota_exceeded" | "storage_full" | "not_found" | "method_not_allowed" | "unavailable" | "internal";

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

export type ReactionSummary = { emoji: string, user_ids: number[], };

export type Attachment = { 
/**
 * The file's id, unique within its channel's database.
 */
id: number, 
/**
 * The channel it was uploaded to (and may only be attached in).
 */
channel: string, 
/**
 * The file name the uploader gave (no directories).
 */
name: string, 
/**
 * Bytes.
 */
size: number, 
/**
 * The media type: sniffed from the bytes when the hub recognises them, otherwise the
 * uploader's claim (or `application/octet-stream`).
 */
content_type: string, 
/**
 * Whether a browser may show it inline (an image, audio or video type on the hub's short
 * allow-list, recognised from its bytes); anything else is only ever downloaded.
 */
inline: boolean, 
/**
 * An image's size in pixels, when the hub could read it.
 */
width?: number, height?: number, 
/**
 * Whether the hub made a thumbnail (images it could decode within its limits).
 */
thumbnail: boolean, };

export type ReplyQuote = { 
/**
 * Id of the message answered (in the same channel).
 */
message_id: number, 
/**
 * Its author; 0 once the message is gone altogether.
 */
sender_id: number, sender_name: string, 
/**
 * The first 100 characters of its text as it is now (ending with `…` when cut); empty once deleted.
 */
excerpt: string, 
/**
 * The message answered was deleted since.
 */
deleted: boolean, };

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
created_at: number, 
/**
 * When the author last edited it (`body` is then the edited text).
 */
edited_at?: number, 
/**
 * When it was deleted (`body` is then empty).
 */
deleted_at?: number, 
/**
 * Who deleted it, when a host or moderator did and not its author.
 */
deleted_by?: number, 
/**
 * Reactions, one entry per emoji; absent when there are none.
 */
reactions?: Array<ReactionSummary>, 
/**
 * Files and photos the message carries, in the order the sender attached them; absent when
 * there are none.
 */
attachments?: Array<Attachment>, 
/**
 * The message this one answers, as a short quote; absent when it is not a reply.
 */
reply_to?: ReplyQuote, };

export type RoomKind = "open" | "closed" | "ephemeral";

export type Room = { 
/**
 * The slug, e.g. `lobby`; the channel is `room:{id}`.
 */
id: string, channel: string, name: string, topic: string, kind: RoomKind, member_count: number, 
/**
 * Whether the user is a member (and so subscribed on connect).
 */
member: boolean, 
/**
 * Newest offset in the room.
 */
last_offset: number, 
/**
 * The user's read mark: the last offset they have read.
 */
last_read: number, 
/**
 * Messages from others after `last_read`.
 */
unread: number, 
/**
 * Slow mode: guests may send one message per this many seconds; 0: off.
 */
slow_mode_secs: number, 
/**
 * Locked by a host or moderator: read-only for guests.
 */
locked: boolean, };

export type DmState = "pending" | "accepted" | "declined" | "blocked";

export type DmThread = { id: number, 
/**
 * `dm:{id}`.
 */
channel: string, 
/**
 * The other participant.
 */
other: UserInfo, state: DmState, 
/**
 * Who started it.
 */
initiated_by: number, last_offset: number, 
/**
 * This user's read mark.
 */
last_read: number, 
/**
 * The other participant's read mark (read receipts).
 */
other_last_read: number, unread: number, };

export type ReadMark = { user_id: number, offset: number, };

export type PresenceStatus = "online" | "away" | "busy";

export type DevicePresence = { connection_id: number, 
/**
 * A label for the device, e.g. `Android` or what the client called itself.
 */
device: string, 
/**
 * `away` while that tab is hidden or idle, `online` otherwise.
 */
status: PresenceStatus, 
/**
 * Unix time in milliseconds when this connection opened.
 */
since: number, };

export type OnlineUser = { user_id: number, display_name: string, 
/**
 * How many open connections (tabs, devices) the user has.
 */
connections: number, 
/**
 * Unix time in milliseconds since when the user has been online.
 */
since: number, 
/**
 * The status others see: the one the user chose (`away`, `busy`), else `online` while any of
 * their devices is active and `away` when all are idle.
 */
status: PresenceStatus, 
/**
 * A custom status line ("at the snack table").
 */
status_text?: string, 
/**
 * Each open connection.
 */
devices: Array<DevicePresence>, };

export type NotificationKind = "mention" | "ping" | "dm_request" | "dm_message" | "party_invite" | "host_ping" | "announcement" | "room_invite";

export type Notification = { id: number, kind: NotificationKind, 
/**
 * Who caused it, if anyone.
 */
from_user_id?: number, from_username?: string, 
/**
 * A one-line summary for people, e.g. the message that mentioned you.
 */
text: string, 
/**
 * Where it happened, e.g. `room:lobby`.
 */
channel?: string, 
/**
 * Where to go, e.g. a party's join link.
 */
join_url?: string, 
/**
 * Unix time in milliseconds.
 */
created_at: number, read: boolean, };

export type StreamPosition = { 
/**
 * The last offset the client has seen.
 */
offset: number, 
/**
 * The channel epoch that offset belongs to.
 */
epoch: string, };

export type PartyPhase = "lobby" | "countdown" | "question" | "reveal" | "podium";

export type PlayerState = "connected" | "reconnecting" | "away";

export type PartyRole = "player" | "audience" | "host" | "screen";

export type LateScore = "zero" | "lowest";

export type PartyPlayer = { user_id: number, display_name: string, ready: boolean, score: number, 
/**
 * Correct answers in a row, for the streak bonus.
 */
streak: number, state: PlayerState, 
/**
 * Whether they have answered the current question.
 */
answered: boolean, 
/**
 * Their share of each question's time, in percent: 100 normally, more when the host gave them
 * extended time (150 = 1.5x). For the host's roster; the big screen need not show it.
 */
time_factor_pct: number, };

export type PartySettings = { 
/**
 * The game's id; `quiz` is the one shipped.
 */
game: string, max_players: number, 
/**
 * Whether newcomers who find the party full, locked or running may watch.
 */
audience_allowed: boolean, 
/**
 * A locked party seats nobody new (returning players keep their seats).
 */
locked: boolean, 
/**
 * Questions and reveals have no deadline: the host moves on (`skip`), and a question also closes
 * once every connected player has answered. Right answers score full points.
 */
untimed: boolean, 
/**
 * Whether newcomers may take a free seat while a game runs (unless locked).
 */
late_join: boolean, 
/**
 * Where a late joiner's score starts.
 */
late_score: LateScore, };

export type PhaseClock = { phase: PartyPhase, 
/**
 * Index of the current question (0-based); 0 in the lobby.
 */
round: number, 
/**
 * How many questions this game has.
 */
rounds: number, server_time: number, 
/**
 * When the phase ends; absent for untimed phases (lobby, podium) and while paused.
 */
deadline?: number, 
/**
 * Time left in the phase (also while paused); absent for untimed phases.
 */
remaining_ms?: number, paused: boolean, 
/**
 * Question phase only: how long after `deadline` the question stays open for players the host
 * gave more time (absent when nobody has any). A player's own time left is `remaining_ms +
 * time_limit_ms * (time_factor_pct - 100) / 100`.
 */
overtime_ms?: number, };

export type QuestionKind = "choice" | "true_false" | "multi" | "number";

export type QuestionView = { kind: QuestionKind, prompt: string, 
/**
 * The choices (`choice`, `multi`); `["True", "False"]` for `true_false`; empty for `number`.
 */
choices: Array<string>, 
/**
 * Time to answer, in ms.
 */
time_limit_ms: number, };

export type Answer = { "kind": "choice", index: number, } | { "kind": "choices", indices: Array<number>, } | { "kind": "number", value: number, };

export type RoundScore = { user_id: number, correct: boolean, points: number, 
/**
 * Part of `points` that came from the streak bonus.
 */
streak_bonus: number, };

export type RevealView = { 
/**
 * The correct choice indices (`choice`, `true_false`, `multi`); empty for `number`.
 */
correct_choices: Array<number>, 
/**
 * The correct value of a `number` question.
 */
correct_number?: number, 
/**
 * How many picked each choice (same order as the choices); empty for `number`.
 */
distribution: Array<number>, 
/**
 * The numbers given, with how many gave each, closest first (`number` only): every distinct
 * value, so a client can draw them on a number line around `correct_number`.
 */
number_answers: Array<NumberCount>, 
/**
 * How far from `correct_number` still counts as right (`number` only).
 */
tolerance?: number, scores: Array<RoundScore>, };

export type NumberCount = { value: number, count: number, };

export type Standing = { rank: number, user_id: number, display_name: string, score: number, };

export type PartySeat = { role: PartyRole, 
/**
 * Whether this user holds host rights (the creator, or whoever they passed to).
 */
is_host: boolean, 
/**
 * The answer this user gave to the open question, if any.
 */
answer?: Answer, };

export type PartySnapshot = { code: string, 
/**
 * The link players open to join (also shown as a QR code).
 */
join_url: string, 
/**
 * The party's chat room (`room:_party-{code}`), for its members only; it is never stored on disk.
 */
chat_channel: string, title: string, settings: PartySettings, host_id: number, host_name: string, 
/**
 * Whether the host is connected (host rights pass on after the grace delay).
 */
host_connected: boolean, 
/**
 * The big screen's user (role `screen`), while the host drives from another device.
 */
screen_id?: number, 
/**
 * How often the hub pings a socket in a party; one silent for a few beats is dropped and its
 * player shown `reconnecting`.
 */
heartbeat_ms: number, clock: PhaseClock, 
/**
 * Players in seat order (join order).
 */
players: Array<PartyPlayer>, audience_count: number, 
/**
 * Ready players needed before the host can start.
 */
min_players: number, 
/**
 * The open question (question phase) or the last one (reveal).
 */
question?: QuestionView, 
/**
 * The last question's answer and scores (reveal phase).
 */
reveal?: RevealView, 
/**
 * Answered and eligible counts of the open question.
 */
answered: number, eligible: number, 
/**
 * The standings, best first (after the first question and on the podium).
 */
leaderboard: Array<Standing>, 
/**
 * The receiving connection's own seat (only in a snapshot sent to one connection).
 */
you?: PartySeat, };

export type HostAction = { "action": "kick", user_id: number, } | { "action": "lock", locked: boolean, } | { "action": "skip" } | { "action": "extend", ms: number, } | { "action": "pause" } | { "action": "resume" } | { "action": "transfer_host", user_id: number, } | { "action": "ping", user_id?: number, } | { "action": "play_again" } | { "action": "time_factor", user_id: number, percent: number, } | { "action": "configure", untimed?: boolean, late_join?: boolean, late_score?: LateScore, };

export type LeaveReason = "left" | "kicked" | "timed_out";

export type PackQuestion = { kind: QuestionKind, prompt: string, 
/**
 * Two to six choices for `choice` and `multi`; omitted for `true_false` and `number`.
 */
choices: Array<string>, 
/**
 * `choice`: the index of the right choice; `true_false`: true or false; `multi`: an array of
 * indices; `number`: the value.
 */
answer: number | boolean | number[], 
/**
 * `number` only: how far off still counts as right (default 0: exact).
 */
tolerance?: number, 
/**
 * Seconds to answer, 5 to 120 (default 20).
 */
time_limit_secs?: number, };

export type QuestionPack = { title: string, description?: string, questions: Array<PackQuestion>, };

export type Role = "host" | "moderator" | "guest";

export type Who = "everyone" | "staff";

export type Permissions = { 
/**
 * Who may create rooms.
 */
create_rooms: Who, 
/**
 * Who may host party sessions.
 */
host_parties: Who, 
/**
 * Who may import question packs.
 */
import_packs: Who, };

export type StaffMember = { user_id: number, display_name: string, role: Role, };

export type Announcement = { id: number, text: string, 
/**
 * The room it is for (`room:{slug}`); absent: everyone.
 */
channel?: string, 
/**
 * Who announced it (absent when an admin token did).
 */
by?: UserInfo, 
/**
 * Unix time in milliseconds.
 */
created_at: number, };

export type RoomMute = { 
/**
 * `room:{slug}`.
 */
channel: string, 
/**
 * Unix ms.
 */
until: number, };

export type HubState = { 
/**
 * This user's role.
 */
role: Role, 
/**
 * Every host and moderator, for badges.
 */
staff: Array<StaffMember>, 
/**
 * What guests may do.
 */
permissions: Permissions, 
/**
 * The announcements this user can read: the hub-wide one and those of their rooms.
 */
announcements: Array<Announcement>, 
/**
 * When this user's hub-wide mute ends (Unix ms); absent when they are not muted.
 */
muted_until?: number, 
/**
 * This user's mutes in single rooms, and when each ends.
 */
room_mutes: Array<RoomMute>, };

export type Sanction = "muted" | "unmuted" | "renamed" | "role_changed";

export type ClientFrame = { "type": "ping", ref?: string, } | { "type": "subscribe", ref?: string, channel: string, 
/**
 * Where the client left off; the hub replays what came after it when it can.
 */
since?: StreamPosition, } | { "type": "unsubscribe", ref?: string, channel: string, } | { "type": "send_message", ref?: string, channel: string, 
/**
 * Idempotency key chosen by the client; a resend with the same key is stored once.
 */
client_message_id: string, 
/**
 * May be empty when the message carries attachments.
 */
body: string, 
/**
 * Files uploaded to this channel by the sender and not yet attached (`POST
 * /api/channels/{channel}/files`), at most 10.
 */
attachments?: number[], 
/**
 * The id of a message of the same channel this one answers.
 */
reply_to?: number, } | { "type": "set_status", ref?: string, status: PresenceStatus, 
/**
 * A custom status line, at most 80 characters; absent or empty clears it.
 */
text?: string, } | { "type": "set_activity", ref?: string, idle: boolean, } | { "type": "ping_user", ref?: string, user_id: number, join_url?: string, } | { "type": "edit_message", ref?: string, channel: string, message_id: number, body: string, } | { "type": "delete_message", ref?: string, channel: string, message_id: number, } | { "type": "react", ref?: string, channel: string, message_id: number, emoji: string, } | { "type": "mark_read", ref?: string, channel: string, offset: number, } | { "type": "typing", channel: string, typing: boolean, } | { "type": "mark_notifications_read", ref?: string, ids?: number[], } | { "type": "party_join", ref?: string, code: string, audience?: boolean, remote?: string, } | { "type": "party_leave", ref?: string, code: string, } | { "type": "party_ready", ref?: string, code: string, ready: boolean, } | { "type": "party_start", ref?: string, code: string, } | { "type": "party_answer", ref?: string, code: string, round: number, answer: Answer, } | { "type": "party_control", ref?: string, code: string, } & ({ "action": "kick", user_id: number, } | { "action": "lock", locked: boolean, } | { "action": "skip" } | { "action": "extend", ms: number, } | { "action": "pause" } | { "action": "resume" } | { "action": "transfer_host", user_id: number, } | { "action": "ping", user_id?: number, } | { "action": "play_again" } | { "action": "time_factor", user_id: number, percent: number, } | { "action": "configure", untimed?: boolean, late_join?: boolean, late_score?: LateScore, });

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
duplicate: boolean, } | { "type": "error", ref?: string, code: ErrorCode, message: string, 
/**
 * With `rate_limited`: how long to wait before the same request can succeed. Added in
 * protocol 1 without a version bump: older clients ignore it.
 */
retry_after_ms?: number, } | { "type": "subscribed", ref?: string, channel: string, 
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
 * Persisted channels, fresh snapshot (`recovered` absent or false): the newest messages as
 * they are now, in offset order.
 */
messages?: Array<ChatMessage>, 
/**
 * Persisted channels, catch-up (`recovered: true`): every event after `since`, in offset
 * order, as the frames a live subscriber got (`message`, `message_edited`,
 * `message_deleted`, `reaction`).
 */
events?: Array<ServerFrame>, 
/**
 * `presence`: who is online now. A room: its members online now (room presence). The
 * list holds the first `presence_list_max` users by name (100 by default), so on a large
 * hub it is a part of everyone; `total` says how many there are.
 */
users?: Array<OnlineUser>, 
/**
 * Presence scopes: how many users are in the scope, listed or not.
 */
total?: number, 
/**
 * `user:{id}`: how many inbox entries are unread.
 */
unread_notifications?: number, 
/**
 * Persisted channels: this user's read mark.
 */
last_read?: number, 
/**
 * Persisted channels: messages from others after `last_read`.
 */
unread?: number, 
/**
 * Persisted channels: every member's read mark (read receipts).
 */
read_marks?: Array<ReadMark>, } | { "type": "unsubscribed", ref?: string, channel: string, } | { "type": "message" } & ChatMessage | { "type": "presence_diff", 
/**
 * `presence` for the whole hub, or a room (`room:lobby`) for that room's presence.
 */
channel?: string, 
/**
 * Users who came into the list (came online, or moved into the first
 * `presence_list_max` by name), or whose entry changed.
 */
joins: Array<OnlineUser>, 
/**
 * Ids of users who left the list: they went offline, or (on a large hub) other names now
 * come before theirs.
 */
leaves: number[], 
/**
 * How many users are in the scope now, listed or not; present when it changed.
 */
total?: number, } | { "type": "message_edited", channel: string, offset: number, message_id: number, body: string, edited_at: number, } | { "type": "message_deleted", channel: string, offset: number, message_id: number, deleted_at: number, 
/**
 * Who deleted it, when that was a host or moderator and not its author.
 */
deleted_by?: number, } | { "type": "reaction", channel: string, offset: number, message_id: number, emoji: string, user_id: number, added: boolean, } | { "type": "read_receipt", channel: string, user_id: number, offset: number, } | { "type": "typing", channel: string, user_id: number, display_name: string, typing: boolean, } | { "type": "room_update", room: Room, } | { "type": "dm_update", thread: DmThread, } | { "type": "online_users_update", users: Array<OnlineUser>, total_count: number, timestamp: number, } | { "type": "notification", notification: Notification, unread_count: number, } | { "type": "notifications_read", 
/**
 * The entries marked; absent when all were.
 */
ids?: number[], unread_count: number, } | { "type": "ping", from_user_id: number, from_username: string, timestamp: number, join_url?: string, } | { "type": "session_update", party: PartySnapshot, } | { "type": "phase_transition", code: string, clock: PhaseClock, 
/**
 * The question now open (question phase).
 */
question?: QuestionView, 
/**
 * The closed question's answer and scores (reveal phase).
 */
reveal?: RevealView, 
/**
 * Standings (reveal and podium; empty otherwise).
 */
leaderboard: Array<Standing>, } | { "type": "player_joined", code: string, player?: PartyPlayer, audience_count: number, } | { "type": "player_left", code: string, user_id: number, reason: LeaveReason, audience_count: number, } | { "type": "player_ready", code: string, user_id: number, ready: boolean, } | { "type": "player_connection", code: string, user_id: number, state: PlayerState, } | { "type": "progress_update", code: string, round: number, answered: number, eligible: number, 
/**
 * The player whose answer this update counts (absent when a player came or went); when it
 * counts several, the last of `answered_ids`.
 */
answered_by?: number, 
/**
 * Every player whose answer this update counts, when answers arriving together are counted
 * in one update (a crowd answering at once); absent when it counts one or none.
 */
answered_ids?: number[], } | { "type": "session_started", code: string, rounds: number, server_time: number, } | { "type": "session_completed", code: string, results: Array<Standing>, } | { "type": "host_ping", code: string, from_user_id: number, from_name: string, phase: PartyPhase, } | { "type": "hub_state", state: HubState, } | { "type": "moderated", sanction: Sanction, 
/**
 * Who did it; absent when an admin token did.
 */
by?: UserInfo, 
/**
 * The room it applies to; absent: hub-wide.
 */
channel?: string, 
/**
 * When it ends (a mute), Unix ms.
 */
until?: number, reason?: string, } | { "type": "notice", text: string, by?: UserInfo, channel?: string, };

export type ApiError = { code: ErrorCode, message: string, 
/**
 * With `rate_limited` (429): how long to wait before the same request can succeed; also in
 * the `Retry-After` header, in whole seconds.
 */
retry_after_ms?: number, };

export type JoinRequest = { display_name: string, 
/**
 * A host link's token: the new user is a host (`hubbub serve` prints the link).
 */
host_token?: string, 
/**
 * Required when the hub has a PIN (`GET /api/info` says so).
 */
pin?: string, };

export type JoinResponse = { user: UserInfo, 
/**
 * The session secret: send it as `Authorization: Bearer` from non-browser clients.
 */
session: string, };

export type MeResponse = { user: UserInfo, 
/**
 * The user's role on this hub.
 */
role: Role, };

export type SessionResponse = { 
/**
 * The session's user and role; `null` for a browser that has not joined (or whose session ended).
 */
me: MeResponse | null, };

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

export type OnlineUsersResponse = { users: Array<OnlineUser>, 
/**
 * Everyone online on the hub.
 */
total_count: number, 
/**
 * Everyone whose name matches `q` (everyone without one).
 */
matched: number, 
/**
 * Where the next page starts, when there is one.
 */
next_offset?: number, timestamp: number, };

export type NotificationsResponse = { notifications: Array<Notification>, unread_count: number, };

export type MarkReadRequest = { 
/**
 * The entries to mark read; absent marks all.
 */
ids?: number[], };

export type MarkReadResponse = { unread_count: number, };

export type PingRequest = { 
/**
 * An http(s) link to invite the user to, e.g. a party's join URL.
 */
join_url?: string, };

export type PingResponse = { 
/**
 * The inbox entry the ping created for the recipient.
 */
notification_id: number, };

export type CreateRoomRequest = { 
/**
 * 1 to 40 characters; the room's id is made from it.
 */
name: string, topic?: string, kind: RoomKind, };

export type RoomsResponse = { rooms: Array<Room>, };

export type InviteRequest = { user_id: number, };

export type StartDmRequest = { user_id: number, };

export type DmsResponse = { threads: Array<DmThread>, };

export type MessagesResponse = { messages: Array<ChatMessage>, 
/**
 * Whether there is more beyond this page in the direction asked.
 */
more: boolean, };

export type CreatePartyRequest = { 
/**
 * The game; `quiz` (the default) is the one shipped.
 */
game?: string, 
/**
 * The question pack (`GET /api/quiz/packs`); default `sample`.
 */
pack_id?: string, 
/**
 * Play only the first N questions of the pack.
 */
question_count?: number, 
/**
 * 1 to 500 seats (default 20).
 */
max_players?: number, 
/**
 * Default true.
 */
audience_allowed?: boolean, 
/**
 * Default false.
 */
locked?: boolean, 
/**
 * No deadlines on questions and reveals: the host moves on. Default false.
 */
untimed?: boolean, 
/**
 * Newcomers may take a free seat while the game runs. Default false.
 */
late_join?: boolean, 
/**
 * Where a late joiner's score starts. Default `zero`.
 */
late_score?: LateScore, };

export type PartySummary = { code: string, title: string, game: string, host_name: string, phase: PartyPhase, players: number, audience_count: number, join_url: string, };

export type PartiesResponse = { parties: Array<PartySummary>, };

export type RemoteLinkResponse = { 
/**
 * Give it as `remote` in `party_join`.
 */
token: string, 
/**
 * The party's join link with `?remote={token}`.
 */
url: string, 
/**
 * When the link stops working (Unix ms).
 */
expires_at: number, };

export type Place = { id: number, name: string, 
/**
 * When it was defined (Unix ms).
 */
created_at: number, 
/**
 * The web client's page for the place. For staff it is the check-in link, what the place's QR
 * code holds (`{hub}/place/{id}?key={key}`); guests get it without the key.
 */
url: string, 
/**
 * The place's chat channel (`room:_place-{id}`), readable while checked in.
 */
channel: string, };

export type PlaceRequest = { 
/**
 * 1 to 60 characters, no control characters; unique on the hub (ignoring case).
 */
name: string, };

export type PlacesResponse = { places: Array<Place>, 
/**
 * How long a check-in admits its guest to the place's chat, in hours.
 */
window_hours: number, };

export type PlaceVisit = { place: Place, 
/**
 * The caller's latest check-in (Unix ms), if any.
 */
checked_in_at?: number, 
/**
 * Until when that check-in admits the caller to the chat (Unix ms); in the past when expired.
 */
admitted_until?: number, window_hours: number, };

export type CheckInRequest = { key: string, };

export type PartyResults = { code: string, title: string, 
/**
 * When the host started the game (Unix ms).
 */
started_at: number, 
/**
 * When it reached the podium; absent while it runs.
 */
finished_at?: number, 
/**
 * Questions in the game (played or not).
 */
rounds: number, 
/**
 * Everyone seated during the game, best first; equal scores share a rank.
 */
players: Array<ResultPlayer>, 
/**
 * The questions played so far, in order.
 */
questions: Array<QuestionStats>, 
/**
 * One entry per player seated at a question's close and question played.
 */
answers: Array<ResultAnswer>, };

export type ResultPlayer = { user_id: number, display_name: string, score: number, rank: number, };

export type QuestionStats = { 
/**
 * 0-based.
 */
round: number, kind: QuestionKind, prompt: string, choices: Array<string>, correct_choices: Array<number>, correct_number?: number, tolerance?: number, 
/**
 * Players seated when it closed.
 */
players: number, 
/**
 * Of them, how many answered, and how many were right.
 */
answered: number, correct: number, 
/**
 * Mean time to answer of those who answered, in ms.
 */
average_ms?: number, 
/**
 * How many picked each choice; empty for `number`.
 */
distribution: Array<number>, 
/**
 * The numbers given, closest first (`number` only).
 */
number_answers: Array<NumberCount>, };

export type ResultAnswer = { round: number, user_id: number, display_name: string, 
/**
 * Absent when they did not answer.
 */
answer?: Answer, 
/**
 * Time taken, in ms (absent without an answer).
 */
time_ms?: number, correct: boolean, points: number, };

export type PackSummary = { 
/**
 * `sample` for the pack shipped with the hub; imported packs get `p1`, `p2`...
 */
id: string, title: string, description?: string, question_count: number, };

export type PacksResponse = { packs: Array<PackSummary>, };

export type DiscoveredHub = { hub_id: string, name: string, 
/**
 * Where guests join it, e.g. `http://192.168.1.20:7470/`.
 */
url: string, protocol_version: number, 
/**
 * Its software version.
 */
version: string, 
/**
 * Its open WebSocket connections (`connections` of its `GET /api/status`).
 */
guests_online: number, 
/**
 * When it last answered, in Unix milliseconds.
 */
last_seen: number, };

export type MdnsState = { 
/**
 * Whether the hub announces itself as `_hubbub._tcp.local.`.
 */
advertising: boolean, 
/**
 * Whether it looks for other hubs.
 */
browsing: boolean, 
/**
 * The network interfaces mDNS uses now (never loopback, container, VM-bridge or VPN ones).
 */
interfaces: Array<string>, 
/**
 * Why discovery is off or cannot work, e.g. `--no-discovery` or no LAN interface.
 */
error?: string, };

export type HubsResponse = { hubs: Array<DiscoveredHub>, mdns: MdnsState, };

export type HostClaimRequest = { token: string, };

export type RoleResponse = { user: UserInfo, role: Role, };

export type AdminConnection = { id: number, user: UserInfo, role: Role, 
/**
 * How the device is shown in presence; absent for the seed path sockets.
 */
device?: string, 
/**
 * The peer's IP address.
 */
address: string, 
/**
 * The path the socket was opened on, e.g. `/ws`.
 */
path: string, 
/**
 * The channels it is subscribed to.
 */
channels: Array<string>, 
/**
 * Unix time in milliseconds.
 */
connected_at: number, 
/**
 * Frames queued and not yet written to the socket.
 */
queue_depth: number, };

export type AdminConnectionsResponse = { connections: Array<AdminConnection>, };

export type AdminUser = { user: UserInfo, role: Role, 
/**
 * Open main sockets (tabs and devices).
 */
connections: number, 
/**
 * When a hub-wide mute ends, if muted.
 */
muted_until?: number, banned: boolean, created_at: number, };

export type AdminUsersResponse = { users: Array<AdminUser>, 
/**
 * How many users match in all.
 */
total: number, };

export type AdminRoom = { room: Room, 
/**
 * Its members (the first 200 by name; `room.member_count` has them all).
 */
members: Array<UserInfo>, 
/**
 * Sockets subscribed to it now.
 */
subscribers: number, 
/**
 * One message per this many seconds for guests; 0: off.
 */
slow_mode_secs: number, 
/**
 * Read-only for guests.
 */
locked: boolean, };

export type AdminRoomsResponse = { rooms: Array<AdminRoom>, };

export type KickRequest = { reason?: string, };

export type BanRequest = { reason?: string, 
/**
 * Also refuse new joins from the user's last address for this many minutes (at most a week).
 */
address_minutes?: number, };

export type MuteRequest = { 
/**
 * How long, 1 minute to 7 days.
 */
minutes: number, 
/**
 * A room (`room:{slug}`); absent: hub-wide.
 */
channel?: string, reason?: string, };

export type UnmuteRequest = { 
/**
 * The room to lift it in; absent: the hub-wide mute.
 */
channel?: string, };

export type AdminRenameRequest = { display_name: string, };

export type SetRoleRequest = { role: Role, };

export type ClearMessagesResponse = { 
/**
 * Messages deleted.
 */
deleted: number, };

export type Ban = { id: number, user: UserInfo, reason?: string, 
/**
 * The address refused too, and until when (Unix ms).
 */
address?: string, address_until?: number, created_at: number, };

export type BansResponse = { bans: Array<Ban>, };

export type SlowModeRequest = { 
/**
 * One message per this many seconds for guests (at most 3600); 0 turns it off.
 */
seconds: number, };

export type LockRequest = { locked: boolean, };

export type AdminSettings = { permissions: Permissions, };

export type AnnounceRequest = { 
/**
 * At most 500 characters.
 */
text: string, 
/**
 * A room (`room:{slug}`); absent: everyone.
 */
channel?: string, };

export type AnnouncementsResponse = { announcements: Array<Announcement>, };

export type BroadcastRequest = { 
/**
 * At most 500 characters.
 */
text: string, 
/**
 * A channel's subscribers (`room:{slug}`, `party:{code}`, ...).
 */
channel?: string, 
/**
 * One user's sockets.
 */
user_id?: number, };

export type BroadcastResponse = { 
/**
 * Sockets the notice was queued on.
 */
delivered: number, };

export type EndSessionsResponse = { 
/**
 * Sessions ended.
 */
ended: number, };

export type SetPinRequest = { 
/**
 * 1 to 32 characters; absent or empty removes it.
 */
pin?: string, 
/**
 * Also end every guest session, so everyone must join again with the new PIN.
 */
end_guest_sessions: boolean, };

export type AuditEntry = { id: number, at: number, 
/**
 * Who did it; absent when an admin token did.
 */
actor?: UserInfo, 
/**
 * `kick`, `ban`, `unban`, `mute`, `unmute`, `delete_message`, `clear_messages`, `slow_mode`,
 * `lock`, `rename`, `set_role`, `settings`, `announce`, `clear_announcement`, `broadcast`,
 * `end_sessions`, `set_pin`, `claim_host`.
 */
action: string, target?: UserInfo, channel?: string, 
/**
 * What else there is to say: a reason, a duration, a setting's new value.
 */
detail: string, };

export type AuditResponse = { entries: Array<AuditEntry>, };

