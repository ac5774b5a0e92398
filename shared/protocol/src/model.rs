//! Values that frames and REST bodies carry: users, the hub, chat messages, presence entries.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// A user as others see them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
pub struct UserInfo {
    #[ts(type = "number")]
    pub id: i64,
    pub display_name: String,
}

/// What a hub says about itself (`GET /api/info`, `connection_established`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
pub struct HubInfo {
    /// Stable random id of this hub, kept in its database.
    pub hub_id: String,
    /// The name the host gave the hub.
    pub name: String,
    /// Wire protocol version ([`crate::PROTOCOL_VERSION`]).
    pub protocol_version: u32,
    /// The hub's software version.
    pub version: String,
    /// Whether `POST /api/join` needs a PIN.
    pub pin_required: bool,
}

/// One chat message as stored in a channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
pub struct ChatMessage {
    /// Hub-wide id of the message.
    #[ts(type = "number")]
    pub id: i64,
    /// The channel it was sent to, e.g. `room:lobby`.
    pub channel: String,
    /// Position in the channel: 1 for the first event, then +1 for each.
    #[ts(type = "number")]
    pub offset: i64,
    #[ts(type = "number")]
    pub sender_id: i64,
    pub sender_name: String,
    /// The sender's idempotency key: a resend with the same key returns this message again.
    pub client_message_id: String,
    pub body: String,
    /// Unix time in milliseconds when the hub stored it.
    #[ts(type = "number")]
    pub created_at: i64,
    /// When the author last edited it (`body` is then the edited text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "number")]
    pub edited_at: Option<i64>,
    /// When it was deleted (`body` is then empty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "number")]
    pub deleted_at: Option<i64>,
    /// Who deleted it, when a host or moderator did and not its author.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "number")]
    pub deleted_by: Option<i64>,
    /// Reactions, one entry per emoji; absent when there are none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub reactions: Option<Vec<ReactionSummary>>,
    /// Files and photos the message carries, in the order the sender attached them; absent when
    /// there are none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub attachments: Option<Vec<crate::files::Attachment>>,
    /// The message this one answers, as a short quote; absent when it is not a reply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub reply_to: Option<ReplyQuote>,
}

/// What a reply shows of the message it answers: its author and the start of its text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
pub struct ReplyQuote {
    /// Id of the message answered (in the same channel).
    #[ts(type = "number")]
    pub message_id: i64,
    /// Its author; 0 once the message is gone altogether.
    #[ts(type = "number")]
    pub sender_id: i64,
    pub sender_name: String,
    /// The first 100 characters of its text as it is now (ending with `…` when cut); empty once deleted.
    pub excerpt: String,
    /// The message answered was deleted since.
    pub deleted: bool,
}

/// Who reacted to a message with one emoji.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
pub struct ReactionSummary {
    pub emoji: String,
    #[ts(type = "number[]")]
    pub user_ids: Vec<i64>,
}

/// How people get into a room.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RoomKind {
    /// Anyone on the hub can join.
    Open,
    /// Members and people they invite.
    Closed,
    /// Like closed, and nothing of it is ever written to disk: it lives while the hub runs.
    Ephemeral,
}

/// A room as one user sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
pub struct Room {
    /// The slug, e.g. `lobby`; the channel is `room:{id}`.
    pub id: String,
    pub channel: String,
    pub name: String,
    pub topic: String,
    pub kind: RoomKind,
    pub member_count: u32,
    /// Whether the user is a member (and so subscribed on connect).
    pub member: bool,
    /// Newest offset in the room.
    #[ts(type = "number")]
    pub last_offset: i64,
    /// The user's read mark: the last offset they have read.
    #[ts(type = "number")]
    pub last_read: i64,
    /// Messages from others after `last_read`.
    pub unread: u32,
    /// Slow mode: guests may send one message per this many seconds; 0: off.
    #[serde(default)]
    pub slow_mode_secs: u32,
    /// Locked by a host or moderator: read-only for guests.
    #[serde(default)]
    pub locked: bool,
}

/// Where a direct conversation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DmState {
    /// Started, waiting for the other user to accept.
    Pending,
    Accepted,
    Declined,
    /// One of the two blocked the other; nothing more can be sent.
    Blocked,
}

/// A direct conversation as one of its two participants sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
pub struct DmThread {
    #[ts(type = "number")]
    pub id: i64,
    /// `dm:{id}`.
    pub channel: String,
    /// The other participant.
    pub other: UserInfo,
    pub state: DmState,
    /// Who started it.
    #[ts(type = "number")]
    pub initiated_by: i64,
    #[ts(type = "number")]
    pub last_offset: i64,
    /// This user's read mark.
    #[ts(type = "number")]
    pub last_read: i64,
    /// The other participant's read mark (read receipts).
    #[ts(type = "number")]
    pub other_last_read: i64,
    pub unread: u32,
}

/// One user's read mark in a channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
pub struct ReadMark {
    #[ts(type = "number")]
    pub user_id: i64,
    #[ts(type = "number")]
    pub offset: i64,
}

/// A user's or a device's availability.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PresenceStatus {
    #[default]
    Online,
    Away,
    Busy,
}

/// One connection (tab, device) of an online user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
pub struct DevicePresence {
    #[ts(type = "number")]
    pub connection_id: u64,
    /// A label for the device, e.g. `Android` or what the client called itself.
    pub device: String,
    /// `away` while that tab is hidden or idle, `online` otherwise.
    pub status: PresenceStatus,
    /// Unix time in milliseconds when this connection opened.
    #[ts(type = "number")]
    pub since: i64,
}

/// One online user in the presence list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
pub struct OnlineUser {
    #[ts(type = "number")]
    pub user_id: i64,
    pub display_name: String,
    /// How many open connections (tabs, devices) the user has.
    pub connections: u32,
    /// Unix time in milliseconds since when the user has been online.
    #[ts(type = "number")]
    pub since: i64,
    /// The status others see: the one the user chose (`away`, `busy`), else `online` while any of
    /// their devices is active and `away` when all are idle.
    #[serde(default)]
    pub status: PresenceStatus,
    /// A custom status line ("at the snack table").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub status_text: Option<String>,
    /// Each open connection.
    #[serde(default)]
    pub devices: Vec<DevicePresence>,
}

/// What a notification is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    /// Someone wrote `@your name` in a room.
    Mention,
    /// Someone pinged you (with a `join_url`, it is an invitation).
    Ping,
    /// Someone wants to start a direct conversation.
    DmRequest,
    /// A direct message arrived while you were not looking at it.
    DmMessage,
    /// An invitation to a party session.
    PartyInvite,
    /// The host nudged you.
    HostPing,
    /// The host announced something to everyone.
    Announcement,
    /// Someone invited you to a closed room.
    RoomInvite,
}

/// One entry of a user's inbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
pub struct Notification {
    #[ts(type = "number")]
    pub id: i64,
    pub kind: NotificationKind,
    /// Who caused it, if anyone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "number")]
    pub from_user_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub from_username: Option<String>,
    /// A one-line summary for people, e.g. the message that mentioned you.
    pub text: String,
    /// Where it happened, e.g. `room:lobby`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub channel: Option<String>,
    /// Where to go, e.g. a party's join link.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub join_url: Option<String>,
    /// Unix time in milliseconds.
    #[ts(type = "number")]
    pub created_at: i64,
    pub read: bool,
}

/// A position in a channel's history, for catching up after a reconnect.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
pub struct StreamPosition {
    /// The last offset the client has seen.
    #[ts(type = "number")]
    pub offset: i64,
    /// The channel epoch that offset belongs to.
    pub epoch: String,
}
