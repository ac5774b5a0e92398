//! Circles (seed 004): three sockets, each with frames of its own, tagged by `type` in snake_case.
//! Ids are numbers; every `timestamp` and time is ISO 8601 (RFC 3339) in UTC.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A participant of a thread, or a message's sender. Hubbub has no avatars: `avatar_url` is null.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Person {
    pub id: i64,
    pub name: String,
    pub avatar_url: Option<String>,
}

/// A message of a thread (`thread_id`) or of a place's chat (`place_id`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Message {
    pub id: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub place_id: Option<i64>,
    pub sender_id: i64,
    pub text: String,
    pub created_at: String,
    pub sender_info: Person,
}

/// What a client sends on `/ws/dms/{thread_id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum DmClientFrame {
    /// Keepalive; answered with `pong`.
    Ping,
    /// The user started or stopped typing; relayed to the other participant.
    Typing { typing: bool },
    /// A new text message, stored and sent to both participants.
    Message { text: String },
    /// The user read the thread up to its newest message; both get a `read_receipt`.
    MarkRead,
    /// A reaction to a message of the thread, relayed to both participants.
    Reaction { message_id: i64, reaction: String },
}

/// What the hub sends on `/ws/dms/{thread_id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum DmServerFrame {
    /// First frame after connecting: which thread and user the socket is.
    ConnectionEstablished { thread_id: i64, user_id: i64, timestamp: String },
    /// Second frame: the two participants and whether the other one is online.
    ThreadInfo { participants: Vec<Person>, other_user_online: bool, timestamp: String },
    /// The other participant came online in the thread or went offline.
    Presence { user_id: i64, online: bool, timestamp: String },
    /// The other participant started or stopped typing.
    Typing { user_id: i64, typing: bool, timestamp: String },
    /// A new message in the thread (the sender's own included).
    Message { message: Message, timestamp: String },
    /// Someone reacted to a message of the thread.
    Reaction { message_id: i64, user_id: i64, reaction: String },
    /// A participant read the thread; `last_read_at` is when.
    ReadReceipt { user_id: i64, last_read_at: String, timestamp: String },
    /// The answer to `ping`.
    Pong { timestamp: String },
    /// A frame could not be handled (Hubbub's addition): why, and Hubbub's error code.
    Error { message: String, code: String },
}

/// What a client sends on `/ws/user/{user_id}` and `/ws/places/{place_id}/chat` besides chat.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum UserClientFrame {
    /// Keepalive; answered with `pong`.
    Ping,
}

/// What the hub sends on `/ws/user/{user_id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum UserServerFrame {
    /// First frame after connecting: whose notifications these are.
    ConnectionEstablished { user_id: i64, timestamp: String },
    /// A new message from the other participant of one of the user's accepted threads.
    DmMessage { thread_id: i64, message_id: i64, from_user: i64, text: String, timestamp: String },
    /// A new message that answers another of the thread (`reply_to_id`).
    DmReply {
        thread_id: i64,
        message_id: i64,
        reply_to_id: i64,
        from_user: i64,
        text: String,
        timestamp: String,
    },
    /// A new message carrying files or photos (`media`, each fetched from its `url` with the
    /// session).
    DmMedia {
        thread_id: i64,
        message_id: i64,
        from_user: i64,
        text: String,
        media: Vec<Media>,
        timestamp: String,
    },
    /// Someone asked the user for a thread.
    DmRequest { thread_id: i64, from_user: i64, timestamp: String },
    /// Someone reacted to a message in one of the user's threads.
    Reaction { thread_id: i64, message_id: i64, emoji: String, from_user: i64, timestamp: String },
    /// The answer to `ping`.
    Pong { timestamp: String },
    /// A frame could not be handled (Hubbub's addition): why, and Hubbub's error code.
    Error { message: String, code: String },
}

/// A file or photo of a `dm_media` notification.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Media {
    /// The file's id in its thread.
    pub id: i64,
    /// The name it was uploaded with.
    pub name: String,
    /// Its type, sniffed from its bytes.
    pub content_type: String,
    /// Size in bytes.
    pub size: i64,
    /// Where its bytes are (`/api/channels/{channel}/files/{id}`).
    pub url: String,
}

/// What a client sends on `/ws/places/{place_id}/chat`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum PlaceClientFrame {
    /// Keepalive; answered with `pong`.
    Ping,
    /// The user started or stopped typing; relayed to the other attendees.
    Typing { typing: bool },
    /// A message to every attendee checked in now (never stored on disk).
    Message { text: String },
}

/// What the hub sends on `/ws/places/{place_id}/chat`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum PlaceServerFrame {
    /// First frame after connecting: the place, the user, and the check-in window in hours.
    ConnectionEstablished { place_id: i64, user_id: i64, window_hours: u32 },
    /// Another attendee started or stopped typing.
    Typing { user_id: i64, typing: bool, timestamp: String },
    /// A message to the place's chat (the sender's own included).
    Message { message: Message, timestamp: String },
    /// The answer to `ping`.
    Pong { timestamp: String },
    /// A frame could not be handled (Hubbub's addition): why, and Hubbub's error code.
    Error { message: String, code: String },
}
