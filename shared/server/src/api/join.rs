//! Joining the hub (`POST /api/join`), who am I (`GET /api/me`), and WebSocket tokens.

use axum::Json;
use std::net::SocketAddr;

use axum::extract::rejection::JsonRejection;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode, header::SET_COOKIE};
use axum::response::{AppendHeaders, IntoResponse};
use hubbub_protocol::{ErrorCode, JoinRequest, JoinResponse, MeResponse, WsTokenResponse};

use super::{ApiError, SessionUser};
use crate::auth::{JoinAttempt, session_cookie, session_from_headers};
use crate::hub::Hub;

/// `POST /api/join`: a new user and session, or, for a browser that already has a session, the same
/// user (renamed if the name changed). The rules are the join service's.
pub async fn join(
    State(hub): State<Hub>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Result<Json<JoinRequest>, JsonRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let Json(req) = body.map_err(|e| ApiError::new(ErrorCode::InvalidJson, e.body_text()))?;
    let session = session_from_headers(&headers).map(|(secret, _)| secret);
    let pin = hub.pin();
    let joined = hub
        .joins()
        .join(JoinAttempt {
            from: peer.ip(),
            session: session.as_deref(),
            display_name: &req.display_name,
            pin_given: req.pin.as_deref(),
            pin: pin.as_deref(),
        })
        .await?;
    let status = if joined.created { StatusCode::CREATED } else { StatusCode::OK };
    let cookie = session_cookie(&joined.secret);
    let body = JoinResponse { user: joined.record.user, session: joined.secret };
    Ok((status, AppendHeaders([(SET_COOKIE, cookie)]), Json(body)))
}

/// `GET /api/me`: the signed-in user.
pub async fn me(SessionUser(record): SessionUser) -> Json<MeResponse> {
    Json(MeResponse { user: record.user })
}

/// `GET /api/auth/ws-token`: a short-lived token for `GET /ws?token=`.
pub async fn ws_token(
    State(hub): State<Hub>,
    SessionUser(record): SessionUser,
) -> Result<Json<WsTokenResponse>, ApiError> {
    let token = hub
        .tokens()
        .issue(record.user.id, record.session_id)
        .map_err(|e| crate::error::Refusal::internal("signing a token", &e))?;
    let expires_in = u32::try_from(hub.tokens().ttl().as_secs()).unwrap_or(u32::MAX);
    Ok(Json(WsTokenResponse { token, expires_in }))
}
