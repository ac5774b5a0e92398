//! The hub's WebSocket paths and the query they take: the one list the hub's socket routes are
//! built from and its AsyncAPI document describes.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

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
}

/// Every socket the hub serves. Each speaks [`crate::ClientFrame`] and [`crate::ServerFrame`].
pub const SOCKETS: &[SocketPath] = &[
    SocketPath {
        path: "/ws",
        name: "main",
        summary: "The main socket: the personal channel, presence and every chat channel and party the \
                  client subscribes to; `?since=` resumes channels where the client left off.",
        params: &[],
    },
    SocketPath {
        path: "/notifications/ws",
        name: "notifications",
        summary: "The personal channel only: notifications, pings and conversation requests.",
        params: &[],
    },
    SocketPath {
        path: "/users/online/ws",
        name: "online_users",
        summary: "Who is online, as a whole list (`online_users_update`) after every change.",
        params: &[],
    },
    SocketPath {
        path: "/ws/user/{id}",
        name: "user",
        summary: "The personal channel of the token's user; 4403 for any other `{id}`.",
        params: &[("id", "the user's id; must be the caller's own")],
    },
    SocketPath {
        path: "/ws/rooms/{id}",
        name: "room",
        summary: "One chat room; 4404 when it does not exist, 4403 when the user may not read it.",
        params: &[("id", "the room's slug")],
    },
    SocketPath {
        path: "/ws/dms/{id}",
        name: "dm",
        summary: "One conversation; 4404 when it does not exist, 4403 when the user may not read it.",
        params: &[("id", "the conversation's id")],
    },
    SocketPath {
        path: "/party/{code}/ws",
        name: "party",
        summary: "Joins a party (a seat, or the audience once it is full or running); 4404 for an \
                  unknown code, 4403 when kicked or refused.",
        params: &[("code", "the party's join code (any case)")],
    },
];

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
