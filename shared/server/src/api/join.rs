//! Joining the hub (`POST /api/join`), who am I (`GET /api/me`, and `GET /api/session` for a page that
//! may not have joined yet), and WebSocket tokens.

use axum::Json;
use std::net::SocketAddr;

use axum::extract::rejection::JsonRejection;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode, header::SET_COOKIE};
use axum::response::{AppendHeaders, IntoResponse};
use hubbub_protocol::{
    ErrorCode, HostClaimRequest, JoinRequest, JoinResponse, MeResponse, RoleResponse, SessionResponse,
    WsTokenResponse,
};

use super::{ApiError, SessionUser};
use crate::auth::{
    DEVICE_COOKIE, JoinAttempt, cleared_session_cookie, cookie, device_cookie, lookup, session_cookie,
    session_from_headers,
};
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
    let device = cookie(&headers, DEVICE_COOKIE).map(str::to_owned);
    let host_token = req.host_token.as_deref().filter(|t| !t.trim().is_empty());
    if let Some(token) = host_token {
        // Checked before anyone is created, so a bad link creates nobody.
        hub.moderation().check_host_token(token)?;
    }
    // A host link is stronger than the PIN: its holder joins without it.
    let pin = if host_token.is_some() { None } else { hub.pin() };
    let joined = hub
        .joins()
        .join(JoinAttempt {
            from: peer.ip(),
            session: session.as_deref(),
            display_name: &req.display_name,
            pin_given: req.pin.as_deref(),
            pin: pin.as_deref(),
            device: device.as_deref(),
        })
        .await?;
    // A host link's token makes the guest a host; a bad one refuses nothing else of the join.
    if let Some(token) = host_token {
        hub.moderation().claim_host(&joined.record.user, token).await?;
    }
    let status = if joined.created { StatusCode::CREATED } else { StatusCode::OK };
    let mut cookies = vec![(SET_COOKIE, session_cookie(&joined.secret))];
    if let Some(device) = &joined.new_device {
        cookies.push((SET_COOKIE, device_cookie(device)));
    }
    let body = JoinResponse { user: joined.record.user, session: joined.secret };
    Ok((status, AppendHeaders(cookies), Json(body)))
}

/// `GET /api/me`: the signed-in user and their role.
pub async fn me(State(hub): State<Hub>, SessionUser(record): SessionUser) -> Json<MeResponse> {
    let role = hub.core().policy().role(record.user.id);
    Json(MeResponse { user: record.user, role })
}

/// `GET /api/session`: the signed-in user and their role, or `null`: a page asks this before it
/// knows whether it has joined, so a newcomer is answered 200 (no failed request in its console).
pub async fn session(State(hub): State<Hub>, headers: HeaderMap) -> Result<Json<SessionResponse>, ApiError> {
    let Some((secret, _)) = session_from_headers(&headers) else {
        return Ok(Json(SessionResponse { me: None }));
    };
    let me = lookup(hub.store(), &secret).await?.map(|record| {
        let role = hub.core().policy().role(record.user.id);
        MeResponse { user: record.user, role }
    });
    Ok(Json(SessionResponse { me }))
}

/// `POST /api/host/claim`: a host link's token makes the signed-in user a host.
pub async fn claim_host(
    State(hub): State<Hub>,
    SessionUser(record): SessionUser,
    body: Result<Json<HostClaimRequest>, JsonRejection>,
) -> Result<Json<RoleResponse>, ApiError> {
    let Json(req) = body.map_err(|e| ApiError::new(ErrorCode::InvalidJson, e.body_text()))?;
    let role = hub.moderation().claim_host(&record.user, &req.token).await?;
    Ok(Json(RoleResponse { user: record.user, role }))
}

/// `POST /api/logout`: ends this session (its sockets close with 4412) and clears the cookie.
pub async fn logout(
    State(hub): State<Hub>,
    SessionUser(record): SessionUser,
) -> Result<impl IntoResponse, ApiError> {
    hub.moderation().logout(record.session_id).await?;
    Ok((StatusCode::NO_CONTENT, AppendHeaders([(SET_COOKIE, cleared_session_cookie())])))
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
