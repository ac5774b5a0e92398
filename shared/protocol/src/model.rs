//! Values that frames and REST bodies carry: users, the hub, chat messages, presence entries.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// A user as others see them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct UserInfo {
    #[ts(type = "number")]
    pub id: i64,
    pub display_name: String,
}

/// What a hub says about itself (`GET /api/info`, `connection_established`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
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
}

/// One online user in the presence list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct OnlineUser {
    #[ts(type = "number")]
    pub user_id: i64,
    pub display_name: String,
    /// How many open connections (tabs, devices) the user has.
    pub connections: u32,
    /// Unix time in milliseconds since when the user has been online.
    #[ts(type = "number")]
    pub since: i64,
}

/// A position in a channel's history, for catching up after a reconnect.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct StreamPosition {
    /// The last offset the client has seen.
    #[ts(type = "number")]
    pub offset: i64,
    /// The channel epoch that offset belongs to.
    pub epoch: String,
}
