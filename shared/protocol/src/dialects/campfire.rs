//! Campfire (seed 002): PascalCase frames tagged by `type` on `/ws`. Ids are opaque strings: a room
//! is its slug (`lobby`) or a conversation's channel (`dm:4`), a user or a message its decimal id.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A frame a Campfire client sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type")]
pub enum ClientFrame {
    /// Posts a message to a room; a resend with the same `client_message_id` is stored once.
    CreateMessage { room_id: String, content: String, client_message_id: String },
    /// Marks the room of a message read up to that message (the client saw it in a `NewMessage`).
    UpdateLastSeen { message_id: String },
    /// Starts receiving a room: its messages, typing, and who of it is online.
    JoinRoom { room_id: String },
    /// Stops receiving a room.
    LeaveRoom { room_id: String },
    /// The user started typing in a room (it expires after 10 s without a repeat).
    StartTyping { room_id: String },
    /// The user stopped typing in a room.
    StopTyping { room_id: String },
}

impl ClientFrame {
    /// The `type` names a client may send, for telling an unknown type from a malformed frame.
    pub const TYPES: &'static [&'static str] =
        &["CreateMessage", "UpdateLastSeen", "JoinRoom", "LeaveRoom", "StartTyping", "StopTyping"];
}

/// A chat message as Campfire shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Message {
    pub id: String,
    pub room_id: String,
    pub creator_id: String,
    pub content: String,
    pub client_message_id: String,
    /// RFC 3339 in UTC, e.g. `2023-12-07T10:30:00Z`.
    pub created_at: String,
}

/// A frame the hub sends to a Campfire client.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type")]
pub enum ServerFrame {
    /// A new message in a room the socket joined (the sender's own included).
    NewMessage { message: Message },
    /// A user came online in a room the socket joined.
    UserJoined { user_id: String, room_id: String },
    /// A user went offline in (or left) a room the socket joined.
    UserLeft { user_id: String, room_id: String },
    /// Someone started typing in a room.
    TypingStart { user_id: String, room_id: String },
    /// Someone stopped typing in a room, or 10 s passed without a repeat.
    TypingStop { user_id: String, room_id: String },
    /// Every user online in a room: after joining it, and after each change.
    PresenceUpdate { room_id: String, online_users: Vec<String> },
    /// A frame could not be handled; `code` is upper-case (`MESSAGE_CREATION_FAILED`, ...).
    Error { message: String, code: String },
}
