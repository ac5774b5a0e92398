//! go-falcon (seed 001): every frame is one envelope, `WSMessage` `{type, room, from, to, data,
//! timestamp, id}`, on `GET /websocket/connect`; and the `/websocket` REST routes. Timestamps are
//! RFC 3339 strings in UTC, as the document's backend examples show them.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The envelope's `type`s.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum MessageType {
    Message,
    Presence,
    Notification,
    System,
    RoomUpdate,
    Error,
    UserProfileUpdate,
    GroupMembershipChange,
    SystemNotification,
    CustomEvent,
    Heartbeat,
    RoomJoined,
    RoomLeft,
}

/// One frame, either way.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct WsMessage {
    pub r#type: MessageType,
    /// The room it is for: `user:{id}`, `group:{slug}` (a room of the hub the user is a member of),
    /// `thread:{id}` (a conversation), or a custom room's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub room: Option<String>,
    /// The sender: a user id (chat) or a connection id (custom events), as a string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// A target connection id (not used by the hub).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    #[serde(default)]
    pub data: Value,
    /// RFC 3339 from the hub; a client may send a number or a string, which the hub ignores.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

macro_rules! frames {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
        #[serde(tag = "type", rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vdoc])* $variant {
                #[serde(default, skip_serializing_if = "Option::is_none")]
                room: Option<String>,
                #[serde(default, skip_serializing_if = "Option::is_none")]
                from: Option<String>,
                #[serde(default, skip_serializing_if = "Option::is_none")]
                to: Option<String>,
                #[serde(default)]
                data: Value,
                #[serde(default, skip_serializing_if = "Option::is_none")]
                timestamp: Option<Value>,
                #[serde(default, skip_serializing_if = "Option::is_none")]
                id: Option<String>,
            }),*
        }
    };
}

frames! {
    /// What a go-falcon client sends, for the AsyncAPI document (the hub reads [`WsMessage`]).
    ClientFrame {
        /// Keepalive; answered by `heartbeat` with `data.status: "ok"`.
        Heartbeat,
        /// Joins `room` (a group, a thread, or a custom room); answered by `room_joined`.
        RoomJoined,
        /// Leaves `room`; answered by `room_left`.
        RoomLeft,
        /// Posts `data.text` (or `data.content`) to `room`: stored in a group or thread, relayed
        /// in a custom room.
        Message,
        /// Sets the user's status: `data.status` is `online`, `away` or `busy`.
        Presence,
        /// An application event relayed as it is to everyone else in `room`.
        CustomEvent,
    }
}

frames! {
    /// What the hub sends a go-falcon client.
    ServerFrame {
        /// Answer to `heartbeat`.
        Heartbeat,
        /// The socket is in `room` now: the automatic ones on connect, and each join.
        RoomJoined,
        /// The socket left `room`.
        RoomLeft,
        /// A chat message in a group or thread (`data`: `id`, `text`, `sender`, `sender_id`,
        /// `client_message_id`, `created_at`), or relayed in a custom room.
        Message,
        /// Who is online: `data.users` on connect, then one user's `user_id`, `display_name`,
        /// `status` (`offline` when they left).
        Presence,
        /// An inbox entry (`data`: `kind`, `text`, `from_username`, `join_url`, `created_at`).
        Notification,
        /// A user's name changed: `data`: `user_id`, `profile.character_name`.
        UserProfileUpdate,
        /// The user joined or left a group: `data`: `user_id`, `group_id`, `group_name`, `joined`.
        GroupMembershipChange,
        /// A host's notice or announcement to everyone: `data.message`.
        SystemNotification,
        /// An application event from another connection in `room`.
        CustomEvent,
        /// A frame could not be handled: `data`: `code`, `message`.
        Error,
    }
}

/// `GET /websocket/status`: public health.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Status {
    /// `healthy`, or `shutting_down`.
    pub status: String,
    /// Open sockets of the hub, every protocol.
    pub connections: u32,
    /// Open `/websocket/connect` sockets.
    pub falcon_connections: u32,
    /// Rooms with at least one `/websocket/connect` socket in them.
    pub rooms: u32,
    pub timestamp: String,
}

/// One open socket, in `GET /websocket/connections`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Connection {
    pub id: String,
    pub user_id: i64,
    pub username: String,
    /// The route it connected to (`/websocket/connect`, `/ws`...).
    pub path: String,
    pub connected_at: String,
    /// Its rooms, in go-falcon's names.
    pub rooms: Vec<String>,
}

/// `GET /websocket/connections`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Connections {
    pub connections: Vec<Connection>,
    pub total: u32,
}

/// One room with `/websocket/connect` sockets in it, in `GET /websocket/rooms`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RoomInfo {
    pub room: String,
    /// `user`, `group`, `thread` or `custom`.
    pub kind: String,
    pub connections: u32,
}

/// `GET /websocket/rooms`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Rooms {
    pub rooms: Vec<RoomInfo>,
    pub total: u32,
}

/// `POST /websocket/broadcast`: a notice to everyone, or to one room.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct BroadcastRequest {
    /// `system_notification` (the default) or `custom_event` (custom rooms only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub r#type: Option<MessageType>,
    /// A room (`group:{slug}` or a custom room); absent: everyone on the hub.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub room: Option<String>,
    /// The text: `data.message` (or `message` at the top level).
    #[serde(default)]
    pub data: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// Answer to `POST /websocket/broadcast`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct BroadcastResponse {
    /// How many sockets it was sent to.
    pub delivered: u32,
}
