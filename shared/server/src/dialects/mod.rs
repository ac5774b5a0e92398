//! The dialects: the real-time APIs of the seed documents (`docs/dialects.md`), served as each
//! document writes them, on the same hub and over the same users, rooms, presence and parties as
//! Hubbub's own protocol. Each dialect is a thin adapter in a file of its own: a [`Dialect`] that
//! translates its frames into Hubbub commands and the hub's frames into its own (run by
//! [`DialectSocket`]), the routes that accept its sockets, and its REST routes. Nothing below the
//! front doors knows about dialects.

pub mod campfire;
pub mod circles;
pub mod falcon;
pub mod quipflip;
pub mod quizmaster;
mod socket;

pub use socket::{Dialect, DialectSocket, Out};

use axum::extract::ws::Message;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use hubbub_protocol::{ErrorCode, ServerFrame, UserInfo, close};
use tokio::sync::mpsc;

use crate::api::ApiError;
use crate::hub::Hub;
use crate::ws::{Closing, HubSocket, Wrap};

pub use campfire::main_socket;

/// The dialects' own sockets. `/ws`, which Campfire shares with Hubbub, is served by
/// [`main_socket`] through `ws::routes`.
pub fn routes() -> axum::Router<Hub> {
    use hubbub_protocol::{SOCKETS, Speaks};
    SOCKETS.iter().filter(|s| matches!(s.speaks, Speaks::Dialect { .. }) && s.path != "/ws").fold(
        axum::Router::new(),
        |router, socket| {
            use axum::routing::get;
            let handler = match socket.path {
                "/qf/notifications/ws" => get(quipflip::notifications_socket),
                "/qf/users/online/ws" => get(quipflip::online_socket),
                "/qf/party/{sessionId}/ws" => get(quipflip::party_socket),
                "/websocket/connect" => get(falcon::connect),
                "/ws/dms/{thread_id}" => get(circles::dm_socket),
                "/ws/user/{user_id}" => get(circles::user_socket),
                "/ws/places/{place_id}/chat" => get(circles::place_socket),
                "/ws/endpoint" => get(quizmaster::endpoint),
                other => unreachable!("the dialect socket {other} is described but has no handler"),
            };
            router.route(socket.path, handler)
        },
    )
}

/// The dialects' REST endpoints, served at their own paths (outside `/api`) and described in the
/// OpenAPI document with the rest.
pub fn endpoints() -> Vec<crate::api::Endpoint> {
    let mut all = quipflip::endpoints();
    all.extend(falcon::endpoints());
    all
}

/// What the dialects share across a hub's sockets and routes (an `Extension` on the hub's router):
/// go-falcon's rooms.
#[derive(Clone, Default)]
pub struct Shared {
    pub falcon: std::sync::Arc<falcon::Rooms>,
}

/// How a dialect's socket refuses an upgrade.
#[derive(Debug, Clone, Copy)]
pub enum Refuse {
    /// With an HTTP error before the upgrade (`401` for bad credentials), JSON as the REST API's.
    Http,
    /// By closing the upgraded socket with the code this gives for Hubbub's.
    Close(fn(u16) -> u16),
}

/// A dialect's socket for [`crate::ws::accept_as`]: the translation to run and how to refuse.
pub struct Speak<D> {
    dialect: D,
    refuse: Refuse,
    side: Option<mpsc::Receiver<Message>>,
}

impl<D: Dialect> Speak<D> {
    pub fn new(dialect: D, refuse: Refuse) -> Self {
        Speak { dialect, refuse, side: None }
    }

    /// Frames other sockets address to this one arrive on `side` (see [`DialectSocket::with_side`]).
    pub fn with_side(mut self, side: mpsc::Receiver<Message>) -> Self {
        self.side = Some(side);
        self
    }
}

impl<D: Dialect> Wrap for Speak<D> {
    type Socket = DialectSocket<HubSocket, D>;

    fn wrap(self, socket: HubSocket, user: &UserInfo) -> Self::Socket {
        let socket = DialectSocket::new(socket, self.dialect, user);
        match self.side {
            Some(side) => socket.with_side(side),
            None => socket,
        }
    }

    fn admit(&mut self, hub: &Hub, user: i64) -> impl Future<Output = Result<(), Closing>> + Send {
        self.dialect.admit(hub, user)
    }

    fn refusal(&self, closing: Closing) -> Result<u16, Box<Response>> {
        match self.refuse {
            Refuse::Close(map) => Ok(map(closing.0)),
            Refuse::Http => Err(Box::new(http_refusal(closing))),
        }
    }
}

/// A refused upgrade as an HTTP answer: 401 for missing or bad credentials, 403, 404, 503.
pub fn http_refusal((code, reason): Closing) -> Response {
    let (status, error) = match code {
        close::UNAUTHENTICATED => (StatusCode::UNAUTHORIZED, ErrorCode::Unauthenticated),
        close::FORBIDDEN | close::KICKED | close::BANNED => (StatusCode::FORBIDDEN, ErrorCode::Forbidden),
        close::NOT_FOUND => (StatusCode::NOT_FOUND, ErrorCode::NotFound),
        close::GOING_AWAY => (StatusCode::SERVICE_UNAVAILABLE, ErrorCode::Unavailable),
        _ => (StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::Internal),
    };
    let mut err = ApiError::new(error, reason);
    err.status = status;
    err.into_response()
}

/// A hub frame, parsed for translation (a frame that does not parse is dropped and logged).
pub fn parse(frame: &str) -> Option<ServerFrame> {
    match serde_json::from_str(frame) {
        Ok(frame) => Some(frame),
        Err(e) => {
            tracing::warn!(error = %e, "a hub frame did not parse for a dialect");
            None
        }
    }
}

/// Unix milliseconds as RFC 3339 in UTC (`2023-12-07T10:30:00Z`, with `.123` when there are
/// milliseconds).
pub fn rfc3339(ms: i64) -> String {
    use time::format_description::well_known::Rfc3339;
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".to_owned())
}

/// A Hubbub error code as its wire name (`no_such_channel`).
pub fn code_name(code: ErrorCode) -> String {
    serde_json::to_value(code).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

/// The `type` of a JSON frame, if it has a string one.
pub fn frame_type(text: &str) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Typed {
        r#type: String,
    }
    serde_json::from_str::<Typed>(text).ok().map(|t| t.r#type)
}

/// Refs this socket gave the commands it sent the hub, and what each was for, so an `ack` or
/// `error` can be told in the dialect's terms. Commands run one after another, so few are ever
/// open; the oldest is forgotten past [`Refs::MAX`].
#[derive(Debug)]
pub struct Refs<T> {
    next: u64,
    open: std::collections::VecDeque<(String, T)>,
}

impl<T> Default for Refs<T> {
    fn default() -> Self {
        Refs { next: 0, open: std::collections::VecDeque::new() }
    }
}

impl<T> Refs<T> {
    const MAX: usize = 64;

    /// A new ref for a command sent for `what`.
    pub fn open(&mut self, what: T) -> String {
        self.next += 1;
        let r = format!("d{}", self.next);
        if self.open.len() >= Self::MAX {
            self.open.pop_front();
        }
        self.open.push_back((r.clone(), what));
        r
    }

    /// What the command with ref `r` was for, once (its answer came).
    pub fn take(&mut self, r: Option<&str>) -> Option<T> {
        let r = r?;
        let at = self.open.iter().position(|(k, _)| k == r)?;
        self.open.remove(at).map(|(_, v)| v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every dialect REST route is in the OpenAPI document, at its own path, with a summary and an
    /// answer; every dialect socket has a handler.
    #[test]
    fn every_dialect_route_is_described_and_served() {
        let endpoints = endpoints();
        assert!(!endpoints.is_empty());
        let doc = crate::api::openapi_of(&endpoints);
        for e in &endpoints {
            assert!(!e.path.starts_with("/api"), "{}", e.path);
            let op = &doc["paths"][e.path][e.method.as_str().to_ascii_lowercase()];
            assert!(op["summary"].as_str().is_some_and(|s| s.len() > 10), "{} {}", e.method, e.path);
            assert!(op["responses"].as_object().is_some_and(|r| r.len() >= 2), "{}", e.path);
        }
        let _ = routes();
    }

    #[test]
    fn times_are_rfc3339_in_utc() {
        assert_eq!(rfc3339(1_701_945_000_000), "2023-12-07T10:30:00Z");
        assert_eq!(rfc3339(1_701_945_000_120), "2023-12-07T10:30:00.12Z");
    }

    #[test]
    fn refs_are_answered_once_and_bounded() {
        let mut refs = Refs::default();
        let a = refs.open("a");
        assert_eq!(refs.take(Some(&a)), Some("a"));
        assert_eq!(refs.take(Some(&a)), None);
        for i in 0..100 {
            refs.open("x");
            assert!(refs.open.len() <= Refs::<&str>::MAX, "{i}");
        }
    }
}
