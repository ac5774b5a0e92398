//! Request and response bodies of the `/api/` routes.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::codes::ErrorCode;
use crate::model::{ChatMessage, DmThread, Notification, OnlineUser, Room, RoomKind, UserInfo};

/// Body of every REST error response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    /// With `rate_limited` (429): how long to wait before the same request can succeed; also in
    /// the `Retry-After` header, in whole seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "number")]
    pub retry_after_ms: Option<u64>,
}

/// `POST /api/join`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
pub struct JoinRequest {
    pub display_name: String,
    /// A host link's token: the new user is a host (`hubbub serve` prints the link).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub host_token: Option<String>,
    /// Required when the hub has a PIN (`GET /api/info` says so).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub pin: Option<String>,
}

/// Answer to `POST /api/join`. The session is also set as an HttpOnly cookie.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
pub struct JoinResponse {
    pub user: UserInfo,
    /// The session secret: send it as `Authorization: Bearer` from non-browser clients.
    pub session: String,
}

/// Answer to `GET /api/me`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
pub struct MeResponse {
    pub user: UserInfo,
    /// The user's role on this hub.
    #[serde(default)]
    pub role: crate::admin::Role,
}

/// Answer to `GET /api/session`: who this browser is signed in as, if anyone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
pub struct SessionResponse {
    /// The session's user and role; `null` for a browser that has not joined (or whose session ended).
    pub me: Option<MeResponse>,
}

/// Answer to `GET /api/auth/ws-token`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
pub struct WsTokenResponse {
    /// A short-lived token for `GET /ws?token=`.
    pub token: String,
    /// Seconds until it expires.
    pub expires_in: u32,
}

/// Answer to `GET /api/status`: public health.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
pub struct StatusResponse {
    pub status: String,
    pub version: String,
    #[ts(type = "number")]
    pub uptime_secs: u64,
    /// Open WebSocket connections.
    #[ts(type = "number")]
    pub connections: u64,
}

/// Answer to `GET /api/users/online?q=&offset=&limit=`: a page of who is online, by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
pub struct OnlineUsersResponse {
    pub users: Vec<OnlineUser>,
    /// Everyone online on the hub.
    pub total_count: u32,
    /// Everyone whose name matches `q` (everyone without one).
    #[serde(default)]
    pub matched: u32,
    /// Where the next page starts, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub next_offset: Option<u32>,
    #[ts(type = "number")]
    pub timestamp: i64,
}

/// Answer to `GET /api/notifications`: newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
pub struct NotificationsResponse {
    pub notifications: Vec<Notification>,
    pub unread_count: u32,
}

/// `POST /api/notifications/read`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, TS, JsonSchema)]
pub struct MarkReadRequest {
    /// The entries to mark read; absent marks all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "number[]")]
    pub ids: Option<Vec<i64>>,
}

/// Answer to `POST /api/notifications/read`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
pub struct MarkReadResponse {
    pub unread_count: u32,
}

/// `POST /api/users/{id}/ping`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, TS, JsonSchema)]
pub struct PingRequest {
    /// An http(s) link to invite the user to, e.g. a party's join URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub join_url: Option<String>,
}

/// Answer to `POST /api/users/{id}/ping`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
pub struct PingResponse {
    /// The inbox entry the ping created for the recipient.
    #[ts(type = "number")]
    pub notification_id: i64,
}

/// `POST /api/rooms`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
pub struct CreateRoomRequest {
    /// 1 to 40 characters; the room's id is made from it.
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub topic: Option<String>,
    pub kind: RoomKind,
}

/// Answer to `GET /api/rooms`: the rooms the user is in, then open rooms they could join.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
pub struct RoomsResponse {
    pub rooms: Vec<Room>,
}

/// `POST /api/rooms/{id}/invite`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
pub struct InviteRequest {
    #[ts(type = "number")]
    pub user_id: i64,
}

/// `POST /api/dms`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
pub struct StartDmRequest {
    #[ts(type = "number")]
    pub user_id: i64,
}

/// Answer to `GET /api/dms`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
pub struct DmsResponse {
    pub threads: Vec<DmThread>,
}

/// Answer to `GET /api/channels/{channel}/messages` and `GET /api/search`: messages in offset order
/// (search: newest first).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
pub struct MessagesResponse {
    pub messages: Vec<ChatMessage>,
    /// Whether there is more beyond this page in the direction asked.
    pub more: bool,
}

/// `POST /api/parties`: every field is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePartyRequest {
    /// The game; `quiz` (the default) is the one shipped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub game: Option<String>,
    /// The question pack (`GET /api/quiz/packs`); default `sample`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub pack_id: Option<String>,
    /// Play only the first N questions of the pack.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub question_count: Option<u32>,
    /// 1 to 500 seats (default 20).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub max_players: Option<u32>,
    /// Default true.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub audience_allowed: Option<bool>,
    /// Default false.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub locked: Option<bool>,
    /// No deadlines on questions and reveals: the host moves on. Default false.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub untimed: Option<bool>,
    /// Newcomers may take a free seat while the game runs. Default false.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub late_join: Option<bool>,
    /// Where a late joiner's score starts. Default `zero`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub late_score: Option<crate::party::LateScore>,
}

/// Answer to `POST /api/parties/{code}/remote`: a one-time link that makes the device opening it the
/// party's host (a remote), and the host's current devices its big screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
pub struct RemoteLinkResponse {
    /// Give it as `remote` in `party_join`.
    pub token: String,
    /// The party's join link with `?remote={token}`.
    pub url: String,
    /// When the link stops working (Unix ms).
    #[ts(type = "number")]
    pub expires_at: i64,
}

/// One party in `GET /api/parties`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
pub struct PartySummary {
    pub code: String,
    pub title: String,
    pub game: String,
    pub host_name: String,
    pub phase: crate::party::PartyPhase,
    pub players: u32,
    pub audience_count: u32,
    pub join_url: String,
}

/// Answer to `GET /api/parties`: the parties not yet over, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
pub struct PartiesResponse {
    pub parties: Vec<PartySummary>,
}

/// A question pack in `GET /api/quiz/packs`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
pub struct PackSummary {
    /// `sample` for the pack shipped with the hub; imported packs get `p1`, `p2`...
    pub id: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub description: Option<String>,
    pub question_count: u32,
}

/// Answer to `GET /api/quiz/packs`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
pub struct PacksResponse {
    pub packs: Vec<PackSummary>,
}

/// A hub found on the LAN over mDNS and verified over HTTP: its `GET /api/info` answered with the id it
/// advertised. In `GET /api/hubs` and `hubbub discover --json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
pub struct DiscoveredHub {
    pub hub_id: String,
    pub name: String,
    /// Where guests join it, e.g. `http://192.168.1.20:7470/`.
    pub url: String,
    pub protocol_version: u32,
    /// Its software version.
    pub version: String,
    /// Its open WebSocket connections (`connections` of its `GET /api/status`).
    #[ts(type = "number")]
    pub guests_online: u64,
    /// When it last answered, in Unix milliseconds.
    #[ts(type = "number")]
    pub last_seen: i64,
}

/// What this hub's mDNS is doing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
pub struct MdnsState {
    /// Whether the hub announces itself as `_hubbub._tcp.local.`.
    pub advertising: bool,
    /// Whether it looks for other hubs.
    pub browsing: bool,
    /// The network interfaces mDNS uses now (never loopback, container, VM-bridge or VPN ones).
    pub interfaces: Vec<String>,
    /// Why discovery is off or cannot work, e.g. `--no-discovery` or no LAN interface.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub error: Option<String>,
}

/// Answer to `GET /api/hubs`: the other hubs on the LAN, by name, and the state of this hub's mDNS.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
pub struct HubsResponse {
    pub hubs: Vec<DiscoveredHub>,
    pub mdns: MdnsState,
}
