//! WebSocket routes: authenticate the upgrade, then run the connection; refusals are closes a browser
//! can read.
//!
//! `GET /ws` is the main socket (presence, chat, personal channel; `?since=` resumes channels). The
//! seed-style path sockets use the same machinery, each pre-subscribed to one channel and not counted
//! in presence: `/notifications/ws` (the personal channel), `/users/online/ws`
//! (`online_users_update` snapshots), `/ws/rooms/{id}` (one room; 4404 if it does not exist, 4403
//! if the user may not read it), and `/party/{code}/ws?context=lobby|game|other` (joins the party: a
//! seat or the audience; 4404 for an unknown code, 4403 when kicked or refused). `/ws/dms/{id}` and
//! `/ws/user/{id}` are Circles' (`crate::dialects::circles`), which runs them on this machinery.
//!
//! Credentials, in order: `?token=` (a JWT from `/api/auth/ws-token`), `Authorization: Bearer
//! <session>`, the session cookie (only from the hub's own or an allowed Origin). A refused socket is
//! accepted and then closed with 4401 (unauthenticated), 4403 (forbidden) or 1001 (shutting down).
//!
//! The dialects (`crate::dialects`) accept their sockets through [`accept_as`], naming where the
//! credential is ([`Credential`]) and what the connection runs on ([`Wrap`]); Hubbub's own sockets
//! run on the upgraded socket itself ([`Plain`]). The opening handshake is `upgrade`, the framing
//! `wire` (no buffer kept while a socket is idle; a frame's payload shared by every socket it goes to).

mod commands;
mod connection;
mod upgrade;
mod wire;

use std::collections::HashMap;

use axum::extract::ws::{CloseFrame, Message};
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts, MatchedPath, Path, Query, State};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use hubbub_protocol::{Channel, ErrorCode, SOCKETS, SocketQuery, Speaks, StreamPosition, UserInfo, close};

use crate::api::ApiError;
use crate::auth::{SecretSource, lookup, origin_allowed, session_from_headers};
use crate::conn::ConnMeta;
use crate::hub::Hub;
use crate::store::SessionRecord;

/// Parses `since`: comma-separated `channel@epoch:offset`. Entries that do not parse are skipped, so
/// their channels start from a fresh snapshot.
fn parse_since(since: Option<&str>) -> HashMap<Channel, StreamPosition> {
    let mut out = HashMap::new();
    for entry in since.unwrap_or("").split(',').filter(|e| !e.is_empty()).take(500) {
        let parsed = entry.split_once('@').and_then(|(channel, pos)| {
            let (epoch, offset) = pos.split_once(':')?;
            Some((
                channel.parse::<Channel>().ok()?,
                StreamPosition { epoch: epoch.to_owned(), offset: offset.parse().ok()? },
            ))
        });
        match parsed {
            Some((channel, position)) => {
                out.insert(channel, position);
            }
            None => tracing::debug!(entry, "unparsable since entry skipped"),
        }
    }
    out
}

pub use connection::{Kind, run};
pub use upgrade::{HubSocket, NotUpgrade, WsUpgrade};

/// The WebSocket routes of Hubbub's own sockets: one per entry of the protocol's [`SOCKETS`] list
/// that speaks Hubbub, which the AsyncAPI document describes, so no socket is served undescribed.
/// `/ws` takes `main`: the caller's handler, which may hand a socket of a dialect sharing the path
/// to that dialect and the rest to [`main_socket`].
pub fn routes(main: axum::routing::MethodRouter<Hub>) -> axum::Router<Hub> {
    use axum::routing::get;
    let mut main = Some(main);
    SOCKETS.iter().filter(|s| matches!(s.speaks, Speaks::Hubbub)).fold(
        axum::Router::new(),
        |router, socket| {
            let handler = match socket.path {
                "/ws" => main.take().unwrap_or_else(|| get(main_socket)),
                "/notifications/ws" => get(notifications_socket),
                "/users/online/ws" => get(online_users_socket),
                "/ws/rooms/{id}" => get(room_socket),
                "/party/{code}/ws" => get(party_socket),
                other => unreachable!("the socket {other} is described but has no handler"),
            };
            router.route(socket.path, handler)
        },
    )
}

async fn room_socket(
    State(hub): State<Hub>,
    Path(id): Path<String>,
    Query(q): Query<SocketQuery>,
    headers: HeaderMap,
    from: Peer,
    ws: Upgrade,
) -> Response {
    let channel = format!("room:{id}").parse::<Channel>().map_err(|_| (close::NOT_FOUND, "no such room"));
    accept_chat(hub, q, headers, from, ws, channel).await
}

async fn party_socket(
    State(hub): State<Hub>,
    Path(code): Path<String>,
    Query(q): Query<SocketQuery>,
    headers: HeaderMap,
    from: Peer,
    ws: Upgrade,
) -> Response {
    accept_party(hub, code, q, headers, from, ws, Plain).await
}

/// A party's socket (Hubbub's, or a dialect's through `wrap`): `?context=` must be `lobby`, `game`
/// or `other` (400 otherwise), and the code a party's (4404 otherwise).
pub async fn accept_party<W: Wrap>(
    hub: Hub,
    code: String,
    q: SocketQuery,
    headers: HeaderMap,
    from: Peer,
    ws: Upgrade,
    wrap: W,
) -> Response {
    if let Some(context) = q.context.as_deref().filter(|c| !matches!(*c, "lobby" | "game" | "other")) {
        return ApiError::new(
            ErrorCode::InvalidFrame,
            format!("context must be lobby, game or other, not {context:?}"),
        )
        .into_response();
    }
    let code = code.to_ascii_uppercase();
    let refusal =
        if hub.parties().exists(&code) { None } else { Some(Err((close::NOT_FOUND, "no such party"))) };
    let credential = Credential::of(q.token.as_deref());
    accept_as(hub, credential, headers, from, ws, Kind::Party(code), refusal, wrap).await
}

/// A socket for one chat channel (see [`chat_access`] for its refusals).
async fn accept_chat(
    hub: Hub,
    q: SocketQuery,
    headers: HeaderMap,
    from: Peer,
    ws: Upgrade,
    channel: Result<Channel, Closing>,
) -> Response {
    match channel {
        Ok(channel) => accept(hub, q, headers, from, ws, Kind::Chat(channel), None).await,
        Err(refusal) => accept(hub, q, headers, from, ws, Kind::Personal, Some(Err(refusal))).await,
    }
}

/// Refuses a chat-channel socket with 4404 if the channel does not exist, 4403 if the user may not
/// read it (not a member, not a participant, or a declined or blocked conversation).
async fn chat_access(hub: &Hub, channel: &Channel, user: i64) -> Result<(), Closing> {
    match hub.chat().may_read(user, channel).await {
        Ok(()) => Ok(()),
        Err(r) if r.code == ErrorCode::NoSuchChannel => Err((close::NOT_FOUND, "no such channel")),
        Err(r) if matches!(r.code, ErrorCode::Internal | ErrorCode::Unavailable) => {
            Err((close::INTERNAL, "store unavailable"))
        }
        Err(_) => Err((close::FORBIDDEN, "not allowed in this channel")),
    }
}

/// A WebSocket upgrade, or why the request was not one.
pub type Upgrade = Result<WsUpgrade, NotUpgrade>;

/// Where an upgrade request came from: the peer's address and the path, for the admin API.
#[derive(Debug, Clone)]
pub struct Peer {
    address: Option<std::net::IpAddr>,
    /// The route, e.g. `/ws/rooms/{id}`: shared by every socket of that route, so it costs none of
    /// them an allocation.
    route: Option<MatchedPath>,
}

impl<S: Send + Sync> FromRequestParts<S> for Peer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let address = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(peer)| peer.ip());
        Ok(Peer { address, route: parts.extensions.get::<MatchedPath>().cloned() })
    }
}

/// `GET /ws` as Hubbub speaks it.
pub async fn main_socket(
    State(hub): State<Hub>,
    Query(q): Query<SocketQuery>,
    headers: HeaderMap,
    from: Peer,
    ws: Upgrade,
) -> Response {
    let kind = main_kind(&q, &headers);
    accept(hub, q, headers, from, ws, kind, None).await
}

async fn notifications_socket(
    State(hub): State<Hub>,
    Query(q): Query<SocketQuery>,
    headers: HeaderMap,
    from: Peer,
    ws: Upgrade,
) -> Response {
    accept(hub, q, headers, from, ws, Kind::Personal, None).await
}

async fn online_users_socket(
    State(hub): State<Hub>,
    Query(q): Query<SocketQuery>,
    headers: HeaderMap,
    from: Peer,
    ws: Upgrade,
) -> Response {
    accept(hub, q, headers, from, ws, Kind::OnlineUsers, None).await
}

/// What `/ws` subscribes a socket to: the device it is shown as, and where it resumes.
pub fn main_kind(q: &SocketQuery, headers: &HeaderMap) -> Kind {
    Kind::Main { device: device_label(q.device.as_deref(), headers), since: parse_since(q.since.as_deref()) }
}

/// A device label from the client's own `?device=` or a guess from its User-Agent.
fn device_label(given: Option<&str>, headers: &HeaderMap) -> String {
    if let Some(d) = given.map(str::trim).filter(|d| !d.is_empty()) {
        return d.chars().filter(|c| !c.is_control()).take(40).collect();
    }
    let ua = headers.get(axum::http::header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or("");
    let guess = [
        ("iPhone", "iPhone"),
        ("iPad", "iPad"),
        ("Android", "Android"),
        ("Windows", "Windows"),
        ("Macintosh", "Mac"),
        ("CrOS", "Chromebook"),
        ("Linux", "Linux"),
    ]
    .iter()
    .find(|(needle, _)| ua.contains(needle))
    .map_or("Other", |(_, label)| label);
    guess.to_owned()
}

/// How a refused upgrade ends: the close frame (code and reason) sent right after the upgrade. A
/// browser can read nothing else of a refused socket, so this is how the socket door renders a
/// refusal before a connection exists (a service's `Refusal` is mapped to it in `chat_access`).
pub type Closing = (u16, &'static str);

/// Where a socket's credential is: Hubbub's own sockets take `?token=` (a JWT) or the request's
/// headers; a dialect may name another place (a session secret in the URL, a cookie of its own).
#[derive(Debug, Clone)]
pub enum Credential {
    /// `Authorization: Bearer <session>`, then the session cookie.
    Headers,
    /// A short-lived token from `/api/auth/ws-token`.
    Token(String),
    /// A session secret (`via` says where it was found: a cookie needs an allowed Origin).
    Secret(String, SecretSource),
    /// A short-lived token when it has a JWT's three parts, a session secret otherwise.
    TokenOrSecret(String, SecretSource),
}

impl Credential {
    /// `?token=` when given, else the headers (Hubbub's own sockets).
    pub fn of(token: Option<&str>) -> Credential {
        token.map_or(Credential::Headers, |t| Credential::Token(t.to_owned()))
    }
}

/// Whether a token has a JWT's shape (three dot-separated parts); a session secret has no dot.
pub fn looks_like_jwt(token: &str) -> bool {
    token.split('.').count() == 3
}

async fn authenticate(
    hub: &Hub,
    credential: Credential,
    headers: &HeaderMap,
) -> Result<SessionRecord, Closing> {
    if hub.shutting_down() {
        return Err((close::GOING_AWAY, "hub shutting down"));
    }
    let unauthenticated = (close::UNAUTHENTICATED, "missing, invalid or expired credentials");
    let (secret, source) = match credential {
        Credential::Token(token) => return verify_token(hub, &token).await,
        Credential::TokenOrSecret(token, _) if looks_like_jwt(&token) => {
            return verify_token(hub, &token).await;
        }
        Credential::Secret(secret, source) | Credential::TokenOrSecret(secret, source) => (secret, source),
        Credential::Headers => session_from_headers(headers).ok_or(unauthenticated)?,
    };
    if source == SecretSource::Cookie && !origin_allowed(headers, &hub.config().allowed_origins) {
        return Err((close::FORBIDDEN, "origin not allowed"));
    }
    lookup(hub.store(), &secret)
        .await
        .map_err(|_| (close::INTERNAL, "store unavailable"))?
        .ok_or(unauthenticated)
}

/// The session a short-lived token names, if it is valid and the session still exists.
async fn verify_token(hub: &Hub, token: &str) -> Result<SessionRecord, Closing> {
    let unauthenticated = (close::UNAUTHENTICATED, "missing, invalid or expired credentials");
    let claims = hub.tokens().verify(token).ok_or(unauthenticated)?;
    let sid = claims.sid;
    let record = hub.store().session_by_id(sid).await.map_err(|_| (close::INTERNAL, "store unavailable"))?;
    record.filter(|r| r.user.id.to_string() == claims.sub).ok_or(unauthenticated)
}

/// How a socket's frames reach the connection: Hubbub's own sockets run on the upgraded socket as it is
/// ([`Plain`]); a dialect wraps it in a translator once the user is known.
pub trait Wrap: Send + 'static {
    /// The socket the connection runs on.
    type Socket: futures_util::Stream<Item = Result<Message, axum::Error>>
        + futures_util::Sink<Message, Error = axum::Error>
        + Send
        + 'static;
    /// Wraps the upgraded socket of `user`.
    fn wrap(self, socket: HubSocket, user: &UserInfo) -> Self::Socket;
    /// How a refused upgrade ends: `Ok(code)` closes the upgraded socket with that code (Hubbub's
    /// way: a browser can read it), `Err(response)` answers the HTTP request instead.
    fn refusal(&self, closing: Closing) -> Result<u16, Box<Response>> {
        Ok(closing.0)
    }
    /// Checks what the socket's `kind` does not: whether the authenticated `user` may open it (a
    /// dialect's own rule, such as a recent check-in), and gathers what the wrapper needs to know
    /// before the socket opens. Runs before the kind's own checks.
    fn admit(&mut self, _hub: &Hub, _user: i64) -> impl Future<Output = Result<(), Closing>> + Send {
        async { Ok(()) }
    }
}

/// Hubbub's own sockets: the connection runs on the upgraded socket itself.
pub struct Plain;

impl Wrap for Plain {
    type Socket = HubSocket;
    fn wrap(self, socket: HubSocket, _: &UserInfo) -> HubSocket {
        socket
    }
}

/// Authenticates, sizes the socket's buffers, and runs the connection or refuses it.
/// `only_user`: the path names a user channel, which must be the token's own.
async fn accept(
    hub: Hub,
    query: SocketQuery,
    headers: HeaderMap,
    from: Peer,
    ws: Upgrade,
    kind: Kind,
    only_user: Option<Result<i64, Closing>>,
) -> Response {
    let credential = Credential::of(query.token.as_deref());
    accept_as(hub, credential, headers, from, ws, kind, only_user, Plain).await
}

/// [`accept`] for any socket: `credential` says where the user's credential is, `wrap` what the
/// connection runs on and how a refusal is told.
#[allow(clippy::too_many_arguments)]
pub async fn accept_as<W: Wrap>(
    hub: Hub,
    credential: Credential,
    headers: HeaderMap,
    from: Peer,
    ws: Upgrade,
    kind: Kind,
    only_user: Option<Result<i64, Closing>>,
    mut wrap: W,
) -> Response {
    let ws = match ws {
        Ok(ws) => ws,
        Err(e) => return e.into_response(),
    };
    let limit = hub.config().max_frame_bytes;
    let ws = ws.max_message_size(limit);
    let auth = match authenticate(&hub, credential, &headers).await {
        Ok(record) if hub.moderation().kicked_for(record.user.id).is_some() => {
            Err((close::KICKED, "removed by a host a moment ago; try again later"))
        }
        Ok(record) => match only_user {
            Some(Err(refusal)) => Err(refusal),
            _ if let Err(refusal) = wrap.admit(&hub, record.user.id).await => Err(refusal),
            Some(Ok(id)) if id != record.user.id => Err((close::FORBIDDEN, "that is another user's channel")),
            _ => match &kind {
                Kind::Chat(channel) => chat_access(&hub, channel, record.user.id).await.map(|()| record),
                Kind::Party(code) if hub.parties().is_banned(code, record.user.id) => {
                    Err((close::FORBIDDEN, "removed from the party by the host"))
                }
                _ => Ok(record),
            },
        },
        Err(refusal) => Err(refusal),
    };
    let auth = match auth {
        Err(closing) => match wrap.refusal(closing) {
            Ok(sent) => Err((closing, sent)),
            Err(response) => {
                let metrics = hub.core().metrics();
                metrics.refused("upgrade", refusal_name(closing.0));
                metrics.connection_refused(closing.0);
                return *response;
            }
        },
        Ok(record) => Ok(record),
    };
    let tasks = hub.core().tasks().clone();
    // Built before the upgrade, so the socket's long-lived future holds it only once.
    let auth = auth.map(|record| {
        let meta = ConnMeta {
            session_id: record.session_id,
            address: from.address,
            route: from.route,
            connected_at: crate::time::now_ms(),
        };
        (record.user, meta)
    });
    // The socket's task holds only the future returned here (what is set up first is not kept).
    ws.on_upgrade(move |socket| {
        use futures_util::future::Either;
        tasks.track_future(match auth {
            Ok((user, meta)) => {
                let socket = wrap.wrap(socket, &user);
                Either::Left(connection::run(socket, hub, user, kind, meta))
            }
            Err(((code, reason), sent)) => {
                let metrics = hub.core().metrics();
                metrics.refused("upgrade", refusal_name(code));
                metrics.connection_refused(code);
                Either::Right(refuse(socket, sent, reason))
            }
        })
    })
}

/// What a refused upgrade's close code means, as the error code of the same refusal.
fn refusal_name(code: u16) -> &'static str {
    match code {
        close::UNAUTHENTICATED => "unauthenticated",
        close::FORBIDDEN => "forbidden",
        close::NOT_FOUND => "not_found",
        close::KICKED => "kicked",
        close::BANNED => "banned",
        close::RATE_LIMITED => "rate_limited",
        close::GOING_AWAY => "unavailable",
        _ => "internal",
    }
}

/// Closes a just-accepted socket with `code`.
async fn refuse(mut socket: HubSocket, code: u16, reason: &'static str) {
    use futures_util::SinkExt;
    tracing::debug!(code, reason, "socket refused");
    let frame = CloseFrame { code, reason: reason.into() };
    let _ = socket.send(Message::Close(Some(frame))).await;
    // Give the client a moment to answer the close so it sees a clean close with our code.
    let _ = tokio::time::timeout(std::time::Duration::from_secs(2), async {
        use futures_util::StreamExt;
        while socket.next().await.is_some_and(|r| r.is_ok()) {}
    })
    .await;
}
