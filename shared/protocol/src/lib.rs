//! Hubbub's wire protocol: every frame, REST body, close code and error code, defined once.
//!
//! # Layout
//! - [`model`]: the values frames carry (users, hub info, chat messages, presence entries).
//! - [`frames`]: [`ClientFrame`] (client to hub) and [`ServerFrame`] (hub to client), JSON tagged by `type`.
//! - [`party`]: party sessions: snapshots, phases, answers, host actions, quiz packs.
//! - [`results`]: a party's results (per question and per player), for the host and `hubbub export`.
//! - [`places`]: places of a venue that guests check in to, and their REST bodies.
//! - [`rest`]: request and response bodies of the `/api/` routes.
//! - [`admin`]: roles, moderation, announcements and the `/api/admin/` bodies.
//! - [`files`]: files and photos in chat: an upload's answer and a message's attachments.
//! - [`codes`]: WebSocket close codes and the machine-readable [`ErrorCode`].
//! - [`sockets`]: the hub's WebSocket paths (Hubbub's and the dialects') and the query they take.
//! - [`dialects`]: the frames of the seed documents' APIs the hub also speaks.
//! - [`channel`]: parsing and printing channel names such as `room:lobby`.
//! - [`typescript`]: renders the TypeScript declarations the web client imports.
//!
//! Wire types evolve additively: new fields are optional (`#[serde(default)]`) so an older client or
//! hub keeps working, and [`PROTOCOL_VERSION`] changes only when that is impossible.

pub mod admin;
pub mod channel;
pub mod codes;
pub mod dialects;
pub mod files;
pub mod frames;
pub mod model;
pub mod party;
pub mod places;
pub mod rest;
pub mod results;
pub mod sockets;
pub mod typescript;

pub use admin::*;
pub use channel::Channel;
pub use codes::{ErrorCode, close};
pub use files::*;
pub use frames::{ClientFrame, ServerFrame};
pub use model::*;
pub use party::*;
pub use places::*;
pub use rest::*;
pub use results::*;
pub use sockets::{FrameSchema, SOCKETS, SocketPath, SocketQuery, Speaks};

/// Version of the wire protocol; reported by `GET /api/info` and in `connection_established`.
pub const PROTOCOL_VERSION: u32 = 1;
