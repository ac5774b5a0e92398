//! The hub's WebSocket paths and the query they take: the one list the hub's socket routes are
//! built from and its AsyncAPI document describes.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::dialects::{campfire, circles, falcon, quipflip, quizmaster};

/// One WebSocket path of the hub.
#[derive(Debug, Clone, Copy)]
pub struct SocketPath {
    /// The path, with `{parameters}`.
    pub path: &'static str,
    /// A short name for the channel (`main`, `room`, ...).
    pub name: &'static str,
    /// What the socket carries and how it refuses.
    pub summary: &'static str,
    /// Each `{parameter}` of the path and what it is.
    pub params: &'static [(&'static str, &'static str)],
    /// The frames it speaks: Hubbub's own, or a dialect's (a seed document's API served as written).
    pub speaks: Speaks,
}

/// Makes the root schema of a frame type (a `oneOf` of variants tagged by `type`).
pub type FrameSchema = fn(&mut schemars::SchemaGenerator) -> schemars::Schema;

/// What a socket's frames are.
#[derive(Debug, Clone, Copy)]
pub enum Speaks {
    /// [`crate::ClientFrame`] and [`crate::ServerFrame`].
    Hubbub,
    /// A dialect (`docs/dialects.md`): its name, and the schemas of its client and server frames.
    Dialect { dialect: &'static str, client: FrameSchema, server: FrameSchema },
}

impl Speaks {
    /// A dialect's frames, `C` from the client and `S` from the hub.
    pub const fn dialect<C: JsonSchema, S: JsonSchema>(dialect: &'static str) -> Speaks {
        Speaks::Dialect { dialect, client: root_schema::<C>, server: root_schema::<S> }
    }
}

fn root_schema<T: JsonSchema>(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
    generator.root_schema_for::<T>()
}

/// Every socket the hub serves: Hubbub's own, then the dialects' (`crate::dialects`).
pub const SOCKETS: &[SocketPath] = &[
    SocketPath {
        path: "/ws",
        name: "main",
        summary: "The main socket: the personal channel, presence and every chat channel and party the \
                  client subscribes to; `?since=` resumes channels where the client left off.",
        params: &[],
        speaks: Speaks::Hubbub,
    },
    SocketPath {
        path: "/notifications/ws",
        name: "notifications",
        summary: "The personal channel only: notifications, pings and conversation requests.",
        params: &[],
        speaks: Speaks::Hubbub,
    },
    SocketPath {
        path: "/users/online/ws",
        name: "online_users",
        summary: "Who is online, as a whole list (`online_users_update`) after every change.",
        params: &[],
        speaks: Speaks::Hubbub,
    },
    SocketPath {
        path: "/ws/rooms/{id}",
        name: "room",
        summary: "One chat room; 4404 when it does not exist, 4403 when the user may not read it.",
        params: &[("id", "the room's slug")],
        speaks: Speaks::Hubbub,
    },
    SocketPath {
        path: "/party/{code}/ws",
        name: "party",
        summary: "Joins a party (a seat, or the audience once it is full or running); 4404 for an \
                  unknown code, 4403 when kicked or refused.",
        params: &[("code", "the party's join code (any case)")],
        speaks: Speaks::Hubbub,
    },
    SocketPath {
        path: "/ws",
        name: "campfire",
        summary: "Campfire's socket (a dialect, docs/dialects.md): the same path as the main socket, \
                  told apart by its credential: a session token in `?token=` or the `session_token` \
                  cookie (a bearer session turns Campfire on a Campfire first frame). A bad \
                  cookie is refused with 401 before the upgrade; a bad `?token=` as Hubbub's (4401).",
        params: &[],
        speaks: Speaks::dialect::<campfire::ClientFrame, campfire::ServerFrame>("campfire"),
    },
    SocketPath {
        path: "/qf/notifications/ws",
        name: "quipflip_notifications",
        summary: "Quipflip's notifications (a dialect, docs/dialects.md): `notification` and `ping`; \
                  a missing or bad token closes with 1008.",
        params: &[],
        speaks: QUIPFLIP,
    },
    SocketPath {
        path: "/qf/users/online/ws",
        name: "quipflip_online_users",
        summary: "Quipflip's online users: `online_users_update` after every change, and `ping`; \
                  a missing or bad token closes with 1008.",
        params: &[],
        speaks: QUIPFLIP,
    },
    SocketPath {
        path: "/qf/party/{sessionId}/ws",
        name: "quipflip_party",
        summary: "Quipflip's party socket: joins the party and carries its events; 1008 for a bad \
                  token, 4000 (stop reconnecting) for an unknown party, 4403 when kicked or refused.",
        params: &[("sessionId", "the party's join code (any case)")],
        speaks: QUIPFLIP,
    },
    SocketPath {
        path: "/websocket/connect",
        name: "falcon",
        summary: "go-falcon's socket (a dialect, docs/dialects.md): `WSMessage` envelopes; starts in \
                  `user:{id}`, a `group:{slug}` per room the user is a member of and a \
                  `thread:{id}` per conversation. Bad credentials are refused with 401 before the \
                  upgrade.",
        params: &[],
        speaks: Speaks::dialect::<falcon::ClientFrame, falcon::ServerFrame>("falcon"),
    },
    SocketPath {
        path: "/ws/dms/{thread_id}",
        name: "circles_dm",
        summary: "Circles' thread socket (a dialect, docs/dialects.md): one accepted conversation of \
                  the token's user; 4401 for a missing or bad token, 4403 unless the user is a \
                  participant and the thread is accepted.",
        params: &[("thread_id", "the conversation's id")],
        speaks: Speaks::dialect::<circles::DmClientFrame, circles::DmServerFrame>("circles-dm"),
    },
    SocketPath {
        path: "/ws/user/{user_id}",
        name: "circles_user",
        summary: "Circles' user-wide socket (a dialect): the user's notifications (`dm_message`, \
                  `dm_request`, `reaction`); 4401 unless `{user_id}` is the token's user.",
        params: &[("user_id", "the user's id; must be the token's own")],
        speaks: Speaks::dialect::<circles::UserClientFrame, circles::UserServerFrame>("circles-user"),
    },
    SocketPath {
        path: "/ws/places/{place_id}/chat",
        name: "circles_place",
        summary: "Circles' place chat (a dialect): ephemeral, for users checked in at the place \
                  within `place_chat_window_hours`; 4403 otherwise.",
        params: &[("place_id", "the place's id")],
        speaks: Speaks::dialect::<circles::PlaceClientFrame, circles::PlaceServerFrame>("circles-place"),
    },
    SocketPath {
        path: "/ws/endpoint",
        name: "quizmaster",
        summary: "QuizMaster's socket (a dialect): a `connection_status` greeting, then simulated \
                  operations that stream `update` and `complete`; 4401 for a missing or bad token.",
        params: &[],
        speaks: Speaks::dialect::<quizmaster::ClientFrame, quizmaster::ServerFrame>("quizmaster"),
    },
];

const QUIPFLIP: Speaks = Speaks::dialect::<quipflip::ClientFrame, quipflip::ServerFrame>("quipflip");

/// The query every socket takes. Credentials, in order: `token`, then `Authorization: Bearer
/// <session>`, then the session cookie (from the hub's own or an allowed Origin only).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SocketQuery {
    /// A short-lived token from `GET /api/auth/ws-token`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// How the client wants its device shown in presence; otherwise guessed from the User-Agent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
    /// Where the client left off in its channels: `room:lobby@EPOCH:OFFSET,dm:4@EPOCH:OFFSET`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
    /// `/party/{code}/ws` only: which page the socket serves (`lobby`, `game` or `other`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
}
