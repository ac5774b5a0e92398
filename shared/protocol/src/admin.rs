//! Roles, moderation and the admin API: who runs the hub (host and moderators), what they can do to
//! guests, and the bodies of the `/api/admin/` routes.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::model::{Room, UserInfo};

/// What a user may do on the hub. Stored with the user; survives restarts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The hub's owner: everything moderators can, and appointing them.
    Host,
    /// Appointed by a host: kick, ban, mute, delete, slow mode, lock, rename, announce.
    Moderator,
    /// Everyone else.
    #[default]
    Guest,
}

impl Role {
    /// Hosts and moderators.
    pub fn is_staff(self) -> bool {
        matches!(self, Role::Host | Role::Moderator)
    }

    /// The role as stored and sent, e.g. `"moderator"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Host => "host",
            Role::Moderator => "moderator",
            Role::Guest => "guest",
        }
    }

    /// Parses a stored or sent role; anything else is `None`.
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "host" => Some(Role::Host),
            "moderator" => Some(Role::Moderator),
            "guest" => Some(Role::Guest),
            _ => None,
        }
    }
}

/// Who may do something that today's hub lets everyone do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Who {
    /// Every guest (the default).
    #[default]
    Everyone,
    /// Hosts and moderators only.
    Staff,
}

/// What guests may do; hosts change it live (`PUT /api/admin/settings`, the desktop dashboard).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, TS, JsonSchema)]
pub struct Permissions {
    /// Who may create rooms.
    #[serde(default)]
    pub create_rooms: Who,
    /// Who may host party sessions.
    #[serde(default)]
    pub host_parties: Who,
    /// Who may import question packs.
    #[serde(default)]
    pub import_packs: Who,
}

/// A host or moderator, for the badges every screen shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
pub struct StaffMember {
    #[ts(type = "number")]
    pub user_id: i64,
    pub display_name: String,
    pub role: Role,
}

/// What the host said to everyone or to one room; shown as a banner until it is cleared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
pub struct Announcement {
    #[ts(type = "number")]
    pub id: i64,
    pub text: String,
    /// The room it is for (`room:{slug}`); absent: everyone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub channel: Option<String>,
    /// Who announced it (absent when an admin token did).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub by: Option<UserInfo>,
    /// Unix time in milliseconds.
    #[ts(type = "number")]
    pub created_at: i64,
}

/// The hub's rules as one user sees them: sent after `connection_established` and again whenever
/// any part changes (`hub_state`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
pub struct HubState {
    /// This user's role.
    pub role: Role,
    /// Every host and moderator, for badges.
    pub staff: Vec<StaffMember>,
    /// What guests may do.
    pub permissions: Permissions,
    /// The announcements this user can read: the hub-wide one and those of their rooms.
    pub announcements: Vec<Announcement>,
    /// When this user's hub-wide mute ends (Unix ms); absent when they are not muted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "number")]
    pub muted_until: Option<i64>,
    /// This user's mutes in single rooms, and when each ends.
    #[serde(default)]
    pub room_mutes: Vec<RoomMute>,
}

/// A mute in one room.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
pub struct RoomMute {
    /// `room:{slug}`.
    pub channel: String,
    /// Unix ms.
    #[ts(type = "number")]
    pub until: i64,
}

/// What a host or moderator did to you (`moderated` frame), so your screen can say so.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Sanction {
    /// Muted until `until`, hub-wide or in `channel`.
    Muted,
    /// A mute was lifted.
    Unmuted,
    /// Renamed (the new name is your user's now).
    Renamed,
    /// Your role changed.
    RoleChanged,
}

// ---- REST bodies ----

/// `POST /api/host/claim`: make the signed-in user a host with a host link's token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
pub struct HostClaimRequest {
    pub token: String,
}

/// Answer to `POST /api/host/claim` and `GET /api/me`'s role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
pub struct RoleResponse {
    pub user: UserInfo,
    pub role: Role,
}

/// One open socket, as `GET /api/admin/connections` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
pub struct AdminConnection {
    #[ts(type = "number")]
    pub id: u64,
    pub user: UserInfo,
    pub role: Role,
    /// How the device is shown in presence; absent for the seed path sockets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub device: Option<String>,
    /// The peer's IP address.
    pub address: String,
    /// The path the socket was opened on, e.g. `/ws`.
    pub path: String,
    /// The channels it is subscribed to.
    pub channels: Vec<String>,
    /// Unix time in milliseconds.
    #[ts(type = "number")]
    pub connected_at: i64,
    /// Frames queued and not yet written to the socket.
    pub queue_depth: u32,
}

/// Answer to `GET /api/admin/connections`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
pub struct AdminConnectionsResponse {
    pub connections: Vec<AdminConnection>,
}

/// A user as `GET /api/admin/users` lists them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
pub struct AdminUser {
    pub user: UserInfo,
    pub role: Role,
    /// Open main sockets (tabs and devices).
    pub connections: u32,
    /// When a hub-wide mute ends, if muted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "number")]
    pub muted_until: Option<i64>,
    pub banned: bool,
    #[ts(type = "number")]
    pub created_at: i64,
}

/// Answer to `GET /api/admin/users?q=&online=&offset=&limit=`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
pub struct AdminUsersResponse {
    pub users: Vec<AdminUser>,
    /// How many users match in all.
    pub total: u32,
}

/// A room as `GET /api/admin/rooms` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
pub struct AdminRoom {
    pub room: Room,
    /// Its members (the first 200 by name; `room.member_count` has them all).
    pub members: Vec<UserInfo>,
    /// Sockets subscribed to it now.
    pub subscribers: u32,
    /// One message per this many seconds for guests; 0: off.
    pub slow_mode_secs: u32,
    /// Read-only for guests.
    pub locked: bool,
}

/// Answer to `GET /api/admin/rooms`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
pub struct AdminRoomsResponse {
    pub rooms: Vec<AdminRoom>,
}

/// `POST /api/admin/users/{id}/kick` and `/ban`: an optional reason the target sees.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, TS, JsonSchema)]
pub struct KickRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub reason: Option<String>,
}

/// `POST /api/admin/users/{id}/ban`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, TS, JsonSchema)]
pub struct BanRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub reason: Option<String>,
    /// Also refuse new joins from the user's last address for this many minutes (at most a week).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub address_minutes: Option<u32>,
}

/// `POST /api/admin/users/{id}/mute`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
pub struct MuteRequest {
    /// How long, 1 minute to 7 days.
    pub minutes: u32,
    /// A room (`room:{slug}`); absent: hub-wide.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub channel: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub reason: Option<String>,
}

/// `POST /api/admin/users/{id}/unmute`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, TS, JsonSchema)]
pub struct UnmuteRequest {
    /// The room to lift it in; absent: the hub-wide mute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub channel: Option<String>,
}

/// `POST /api/admin/users/{id}/rename`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
pub struct AdminRenameRequest {
    pub display_name: String,
}

/// `POST /api/admin/users/{id}/role` (hosts only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
pub struct SetRoleRequest {
    pub role: Role,
}

/// Answer to `POST /api/admin/users/{id}/clear-messages`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
pub struct ClearMessagesResponse {
    /// Messages deleted.
    pub deleted: u32,
}

/// A ban, as `GET /api/admin/bans` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
pub struct Ban {
    #[ts(type = "number")]
    pub id: i64,
    pub user: UserInfo,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub reason: Option<String>,
    /// The address refused too, and until when (Unix ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "number")]
    pub address_until: Option<i64>,
    #[ts(type = "number")]
    pub created_at: i64,
}

/// Answer to `GET /api/admin/bans`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
pub struct BansResponse {
    pub bans: Vec<Ban>,
}

/// `POST /api/admin/rooms/{id}/slow-mode`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
pub struct SlowModeRequest {
    /// One message per this many seconds for guests (at most 3600); 0 turns it off.
    pub seconds: u32,
}

/// `POST /api/admin/rooms/{id}/lock`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
pub struct LockRequest {
    pub locked: bool,
}

/// `GET` and `PUT /api/admin/settings`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
pub struct AdminSettings {
    pub permissions: Permissions,
}

/// `POST /api/admin/announcements`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
pub struct AnnounceRequest {
    /// At most 500 characters.
    pub text: String,
    /// A room (`room:{slug}`); absent: everyone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub channel: Option<String>,
}

/// Answer to `GET /api/admin/announcements`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
pub struct AnnouncementsResponse {
    pub announcements: Vec<Announcement>,
}

/// `POST /api/admin/broadcast`: a `notice` frame to a channel's subscribers, one user, or everyone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
pub struct BroadcastRequest {
    /// At most 500 characters.
    pub text: String,
    /// A channel's subscribers (`room:{slug}`, `party:{code}`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub channel: Option<String>,
    /// One user's sockets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "number")]
    pub user_id: Option<i64>,
}

/// Answer to `POST /api/admin/broadcast`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
pub struct BroadcastResponse {
    /// Sockets the notice was queued on.
    pub delivered: u32,
}

/// `POST /api/admin/sessions/end`: end every guest's session (a new class, a new party).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
pub struct EndSessionsResponse {
    /// Sessions ended.
    pub ended: u32,
}

/// `PUT /api/admin/pin`: set or clear the join PIN.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
pub struct SetPinRequest {
    /// 1 to 32 characters; absent or empty removes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub pin: Option<String>,
    /// Also end every guest session, so everyone must join again with the new PIN.
    #[serde(default)]
    pub end_guest_sessions: bool,
}

/// One line of the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
pub struct AuditEntry {
    #[ts(type = "number")]
    pub id: i64,
    #[ts(type = "number")]
    pub at: i64,
    /// Who did it; absent when an admin token did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub actor: Option<UserInfo>,
    /// `kick`, `ban`, `unban`, `mute`, `unmute`, `delete_message`, `clear_messages`, `slow_mode`,
    /// `lock`, `rename`, `set_role`, `settings`, `announce`, `clear_announcement`, `broadcast`,
    /// `end_sessions`, `set_pin`, `claim_host`.
    pub action: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub target: Option<UserInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub channel: Option<String>,
    /// What else there is to say: a reason, a duration, a setting's new value.
    pub detail: String,
}

/// Answer to `GET /api/admin/audit?before=&limit=`, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
pub struct AuditResponse {
    pub entries: Vec<AuditEntry>,
}
