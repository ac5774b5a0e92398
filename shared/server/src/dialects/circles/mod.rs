//! Circles (seed 004): its three sockets, as its document writes them, on Hubbub's connections.
//!
//! - `/ws/dms/{thread_id}` ([`dm`]): a connection on the conversation's channel (`dm:{id}`), open
//!   only to a participant of an *accepted* thread.
//! - `/ws/user/{user_id}` ([`user`]): the personal channel and the user's accepted conversations,
//!   told as notifications; only for the token's own user.
//! - `/ws/places/{place_id}/chat` ([`place`]): a place's ephemeral chat, for users checked in there
//!   within the window (the places service decides).
//!
//! Credentials: `?token=` holds Hubbub's short-lived JWT (`/api/auth/ws-token`) or, as a Circles
//! client keeps one token, the session token itself; without it, `Authorization: Bearer` and the
//! session cookie work as on Hubbub's sockets. Refusals are closes, as the document's: 4401 for a
//! missing or bad credential (and on the user socket for another user's id), 4403 for a thread or
//! place the user may not open. The close codes the hub picks while a socket runs (4000 idle, 4008
//! too slow, 1001 shutting down, 4410 kicked...) pass through unchanged.

pub mod dm;
pub mod place;
pub mod user;

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use hubbub_protocol::dialects::circles::Person;
use hubbub_protocol::{Channel, ErrorCode, ServerFrame, SocketQuery, close};

use super::{Out, Refuse, Speak, code_name, rfc3339};
use crate::auth::SecretSource;
use crate::hub::Hub;
use crate::time::now_ms;
use crate::ws::{Credential, Kind, Peer, Upgrade, accept_as};

/// `?token=` as a JWT or a session token; the headers without it.
fn credential(q: &SocketQuery) -> Credential {
    match q.token.as_deref() {
        Some(token) => Credential::TokenOrSecret(token.to_owned(), SecretSource::Bearer),
        None => Credential::Headers,
    }
}

/// Refusing a thread or a place: everything but a bad credential is "not allowed for this resource".
fn forbidden_unless_unauthenticated(code: u16) -> u16 {
    match code {
        close::UNAUTHENTICATED | close::GOING_AWAY | close::INTERNAL => code,
        _ => close::FORBIDDEN,
    }
}

/// Refusing the user socket: another user's id is a bad token for it (the document's 4401).
fn unauthorized_unless_shutting_down(code: u16) -> u16 {
    match code {
        close::GOING_AWAY | close::INTERNAL => code,
        _ => close::UNAUTHENTICATED,
    }
}

/// A path id that is not a number opens nothing: 0 is no thread, place or user.
fn id_of(raw: &str) -> i64 {
    raw.parse::<i64>().ok().filter(|id| *id > 0).unwrap_or(0)
}

/// `GET /ws/dms/{thread_id}`.
pub async fn dm_socket(
    State(hub): State<Hub>,
    Path(thread_id): Path<String>,
    Query(q): Query<SocketQuery>,
    headers: HeaderMap,
    from: Peer,
    ws: Upgrade,
) -> Response {
    let id = id_of(&thread_id);
    let speak = Speak::new(dm::Thread::new(id), Refuse::Close(forbidden_unless_unauthenticated));
    accept_as(hub, credential(&q), headers, from, ws, Kind::Chat(Channel::Dm(id)), None, speak).await
}

/// `GET /ws/user/{user_id}`.
pub async fn user_socket(
    State(hub): State<Hub>,
    Path(user_id): Path<String>,
    Query(q): Query<SocketQuery>,
    headers: HeaderMap,
    from: Peer,
    ws: Upgrade,
) -> Response {
    let only = Some(Ok(id_of(&user_id)));
    let speak = Speak::new(user::Notices::default(), Refuse::Close(unauthorized_unless_shutting_down));
    accept_as(hub, credential(&q), headers, from, ws, Kind::Personal, only, speak).await
}

/// `GET /ws/places/{place_id}/chat`.
pub async fn place_socket(
    State(hub): State<Hub>,
    Path(place_id): Path<String>,
    Query(q): Query<SocketQuery>,
    headers: HeaderMap,
    from: Peer,
    ws: Upgrade,
) -> Response {
    let id = id_of(&place_id);
    let window = hub.places().window_hours();
    let speak = Speak::new(place::Attendee::new(id, window), Refuse::Close(forbidden_unless_unauthenticated));
    let kind = Kind::Chat(crate::places::channel(id));
    accept_as(hub, credential(&q), headers, from, ws, kind, None, speak).await
}

/// The time now as the document writes times.
fn now() -> String {
    rfc3339(now_ms())
}

/// A user as Circles shows one (Hubbub has no avatars).
fn person(id: i64, name: &str) -> Person {
    Person { id, name: name.to_owned(), avatar_url: None }
}

/// Answers `ping` with `pong {timestamp}`.
fn pong(out: &mut Out) {
    out.send(&serde_json::json!({"type": "pong", "timestamp": now()}));
}

/// An `error` frame (Hubbub's addition to the document: it names no errors on its sockets).
fn error(out: &mut Out, code: ErrorCode, message: impl Into<String>) {
    out.send(&serde_json::json!({"type": "error", "message": message.into(), "code": code_name(code)}));
}

/// A frame the peer sent that does not parse: unknown type or bad fields.
fn bad_frame(out: &mut Out, types: &[&str], text: &str, e: &serde_json::Error) {
    match super::frame_type(text) {
        Some(t) if !types.contains(&t.as_str()) => error(
            out,
            ErrorCode::UnknownType,
            format!("unknown message type {t:?}; this socket takes {types:?}"),
        ),
        Some(t) => error(out, ErrorCode::InvalidFrame, format!("invalid {t} message: {e}")),
        None if serde_json::from_str::<serde_json::Value>(text).is_ok() => {
            error(out, ErrorCode::InvalidFrame, "a message needs a string `type`");
        }
        None => error(out, ErrorCode::InvalidJson, format!("not JSON: {e}")),
    }
}

/// The hub's refusal of a command, told to the peer.
fn hub_error(frame: &ServerFrame, out: &mut Out) -> bool {
    if let ServerFrame::Error { code, message, .. } = frame {
        error(out, *code, message.clone());
        return true;
    }
    false
}

/// A fresh `client_message_id` for a message a Circles client sent (its document has none).
fn client_message_id(n: &mut u64) -> String {
    use rand::Rng;
    *n += 1;
    format!("circles-{}-{:08x}", n, rand::rng().random::<u32>())
}
