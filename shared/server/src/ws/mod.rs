//! `GET /ws`: authenticates the upgrade, then runs the connection; refusals are closes a browser can read.
//!
//! Credentials, in order: `?token=` (a JWT from `/api/auth/ws-token`), `Authorization: Bearer
//! <session>`, the session cookie (only from the hub's own or an allowed Origin). A refused socket is
//! accepted and then closed with 4401 (unauthenticated), 4403 (forbidden) or 1001 (shutting down).

mod commands;
mod connection;

use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use hubbub_protocol::{ErrorCode, close};
use serde::Deserialize;

use crate::api::ApiError;
use crate::auth::{SecretSource, lookup, origin_allowed, session_from_headers};
use crate::hub::Hub;
use crate::store::{SessionRecord, find_session_by_id};

/// How much of an incoming frame the socket reads at a time. The library's default (128 KiB per
/// connection) would dominate the hub's memory at tens of thousands of connections.
const READ_BUFFER: usize = 4 * 1024;
/// Outgoing frames are gathered up to this size before a write to the socket.
const WRITE_BUFFER: usize = 8 * 1024;
/// A peer that stops reading may leave at most this much unsent before its socket fails.
const MAX_WRITE_BUFFER: usize = 256 * 1024;

#[derive(Debug, Deserialize)]
pub struct WsQuery {
    token: Option<String>,
}

/// Why an upgrade is refused: the close code and a reason for the client's log.
type Refusal = (u16, &'static str);

async fn authenticate(
    hub: &Hub,
    token: Option<&str>,
    headers: &HeaderMap,
) -> Result<SessionRecord, Refusal> {
    if hub.shutdown.is_cancelled() {
        return Err((close::GOING_AWAY, "hub shutting down"));
    }
    let unauthenticated = (
        close::UNAUTHENTICATED,
        "missing, invalid or expired credentials",
    );
    if let Some(token) = token {
        let claims = hub.tokens.verify(token).ok_or(unauthenticated)?;
        let sid = claims.sid;
        let record = hub
            .store
            .read(move |conn| find_session_by_id(conn, sid))
            .await
            .map_err(|_| (close::INTERNAL, "store unavailable"))?;
        return record
            .filter(|r| r.user.id.to_string() == claims.sub)
            .ok_or(unauthenticated);
    }
    let (secret, source) = session_from_headers(headers).ok_or(unauthenticated)?;
    if source == SecretSource::Cookie && !origin_allowed(headers, &hub.config.allowed_origins) {
        return Err((close::FORBIDDEN, "origin not allowed"));
    }
    lookup(hub, &secret)
        .await
        .map_err(|_| (close::INTERNAL, "store unavailable"))?
        .ok_or(unauthenticated)
}

/// The `/ws` handler.
pub async fn upgrade(
    State(hub): State<Hub>,
    Query(query): Query<WsQuery>,
    headers: HeaderMap,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let ws = match ws {
        Ok(ws) => ws,
        Err(e) => {
            let mut err = ApiError::new(
                ErrorCode::InvalidFrame,
                format!("expected a WebSocket upgrade: {e}"),
            );
            err.status = StatusCode::UPGRADE_REQUIRED;
            return err.into_response();
        }
    };
    let limit = hub.config.max_frame_bytes;
    let ws = ws
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(WRITE_BUFFER)
        .max_write_buffer_size(MAX_WRITE_BUFFER)
        .max_message_size(limit)
        .max_frame_size(limit);
    let auth = authenticate(&hub, query.token.as_deref(), &headers).await;
    let tasks = hub.tasks.clone();
    ws.on_upgrade(move |socket| {
        tasks.track_future(async move {
            match auth {
                Ok(record) => connection::run(socket, hub, record.user).await,
                Err((code, reason)) => refuse(socket, code, reason).await,
            }
        })
    })
}

/// Closes a just-accepted socket with `code`.
async fn refuse(mut socket: WebSocket, code: u16, reason: &'static str) {
    tracing::debug!(code, reason, "socket refused");
    let frame = CloseFrame {
        code,
        reason: reason.into(),
    };
    let _ = socket.send(Message::Close(Some(frame))).await;
    // Give the client a moment to answer the close so it sees a clean close with our code.
    let _ = tokio::time::timeout(std::time::Duration::from_secs(2), async {
        use futures_util::StreamExt;
        while socket.next().await.is_some_and(|r| r.is_ok()) {}
    })
    .await;
}
