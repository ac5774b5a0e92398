//! The WebSocket opening handshake (RFC 6455, 4.2): checks the request, answers `101 Switching
//! Protocols`, and hands the upgraded connection to the hub's own framing ([`WireSocket`]).
//!
//! The hub speaks no subprotocol and no extension, so neither is offered back.

use std::fmt;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hubbub_protocol::ErrorCode;
use hyper::upgrade::{OnUpgrade, Upgraded};
use hyper_util::rt::TokioIo;

use super::wire::WireSocket;
use crate::api::ApiError;

/// An upgraded WebSocket as the hub runs it.
pub type HubSocket = WireSocket<TokioIo<Upgraded>>;

/// A request to open a WebSocket, checked.
pub struct WsUpgrade {
    key: HeaderValue,
    on_upgrade: OnUpgrade,
    limit: usize,
}

/// Why a request is not a WebSocket upgrade.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotUpgrade {
    NotGet,
    NoConnectionUpgrade,
    NoUpgradeWebsocket,
    WrongVersion,
    NoKey,
    NotUpgradable,
}

impl fmt::Display for NotUpgrade {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NotUpgrade::NotGet => "a WebSocket opens with GET",
            NotUpgrade::NoConnectionUpgrade => "the Connection header must include \"upgrade\"",
            NotUpgrade::NoUpgradeWebsocket => "the Upgrade header must be \"websocket\"",
            NotUpgrade::WrongVersion => "Sec-WebSocket-Version must be 13",
            NotUpgrade::NoKey => "Sec-WebSocket-Key is missing",
            NotUpgrade::NotUpgradable => "this connection cannot be upgraded (HTTP/1.1 only)",
        })
    }
}

impl std::error::Error for NotUpgrade {}

impl IntoResponse for NotUpgrade {
    /// `426 Upgrade Required`, with the error body every REST refusal has.
    fn into_response(self) -> Response {
        let mut err = ApiError::new(ErrorCode::InvalidFrame, format!("expected a WebSocket upgrade: {self}"));
        err.status = StatusCode::UPGRADE_REQUIRED;
        err.into_response()
    }
}

/// Whether a comma-separated header lists `token` (case-insensitively).
fn lists(headers: &HeaderMap, name: header::HeaderName, token: &str) -> bool {
    headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim().eq_ignore_ascii_case(token))
}

impl<S: Send + Sync> FromRequestParts<S> for WsUpgrade {
    type Rejection = NotUpgrade;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        if parts.method != Method::GET {
            return Err(NotUpgrade::NotGet);
        }
        if !lists(&parts.headers, header::CONNECTION, "upgrade") {
            return Err(NotUpgrade::NoConnectionUpgrade);
        }
        if !lists(&parts.headers, header::UPGRADE, "websocket") {
            return Err(NotUpgrade::NoUpgradeWebsocket);
        }
        if parts.headers.get(header::SEC_WEBSOCKET_VERSION).is_none_or(|v| v.as_bytes() != b"13") {
            return Err(NotUpgrade::WrongVersion);
        }
        let key = parts.headers.get(header::SEC_WEBSOCKET_KEY).ok_or(NotUpgrade::NoKey)?.clone();
        let on_upgrade = parts.extensions.remove::<OnUpgrade>().ok_or(NotUpgrade::NotUpgradable)?;
        Ok(WsUpgrade { key, on_upgrade, limit: 64 * 1024 })
    }
}

impl WsUpgrade {
    /// The largest frame, and message, the peer may send; more closes the socket with 1009.
    pub fn max_message_size(mut self, limit: usize) -> WsUpgrade {
        self.limit = limit;
        self
    }

    /// Answers `101 Switching Protocols` and runs `callback` on the socket once the connection has
    /// switched, in a task of its own (the callback's future is the connection's only task).
    pub fn on_upgrade<C, F>(self, callback: C) -> Response
    where
        C: FnOnce(HubSocket) -> F + Send + 'static,
        F: Future<Output = ()> + Send + 'static,
    {
        let WsUpgrade { key, on_upgrade, limit } = self;
        // Boxed, so what it captures is given back once it has made the connection's future.
        let callback = Box::new(callback);
        tokio::spawn(async move {
            match on_upgrade.await {
                Ok(upgraded) => callback(WireSocket::new(TokioIo::new(upgraded), limit)).await,
                Err(e) => tracing::debug!(error = %e, "WebSocket upgrade failed"),
            }
        });
        let accept = tungstenite::handshake::derive_accept_key(key.as_bytes());
        let mut response = Response::new(axum::body::Body::empty());
        *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
        let headers = response.headers_mut();
        headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
        headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
        if let Ok(accept) = HeaderValue::from_str(&accept) {
            headers.insert(header::SEC_WEBSOCKET_ACCEPT, accept);
        }
        response
    }
}
