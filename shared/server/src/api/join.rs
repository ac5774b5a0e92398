//! Joining the hub (`POST /api/join`), who am I (`GET /api/me`), and WebSocket tokens.

use axum::Json;
use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

use axum::extract::rejection::JsonRejection;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode, header::SET_COOKIE};
use axum::response::{AppendHeaders, IntoResponse};
use hubbub_protocol::{ErrorCode, JoinRequest, JoinResponse, MeResponse, WsTokenResponse};

use super::{ApiError, SessionUser};
use crate::auth::{lookup, new_secret, session_cookie, session_from_headers};
use crate::hub::Hub;
use crate::ratelimit::address_key;
use crate::store::{create_user_with_session, hash_secret, rename_user};
use crate::time::now_ms;

/// Longest display name, in characters.
pub const MAX_DISPLAY_NAME: usize = 32;

/// Trims a display name and checks it: 1 to 32 characters, no control characters.
pub fn validate_display_name(raw: &str) -> Result<String, ApiError> {
    let name = raw.trim();
    let bad = |m: &str| Err(ApiError::new(ErrorCode::InvalidDisplayName, m));
    if name.is_empty() {
        return bad("display name is empty");
    }
    if name.chars().count() > MAX_DISPLAY_NAME {
        return bad("display name is longer than 32 characters");
    }
    if name.chars().any(|c| c.is_control() || matches!(c, '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}')) {
        return bad("display name contains control or invisible formatting characters");
    }
    Ok(name.to_owned())
}

/// Checks the PIN. After 10 wrong PINs in a minute from one address, that address is refused with
/// `rate_limited` until the minute has passed, so a short PIN cannot be guessed by trying them all.
fn check_pin(hub: &Hub, from: IpAddr, given: Option<&str>) -> Result<(), ApiError> {
    let Some(pin) = hub.pin() else { return Ok(()) };
    let key = address_key(from);
    let now = Instant::now();
    if hub.pin_failures().is_limited(key, now) {
        return Err(ApiError::new(ErrorCode::RateLimited, "too many wrong PINs; wait a minute"));
    }
    match given.map(str::trim) {
        None | Some("") => Err(ApiError::new(ErrorCode::PinRequired, "this hub needs a PIN to join")),
        Some(g) if g == pin => Ok(()),
        Some(_) => {
            hub.pin_failures().allow(key, now);
            Err(ApiError::new(ErrorCode::WrongPin, "wrong PIN"))
        }
    }
}

/// `POST /api/join`: a new user and session, or, for a browser that already has a session, the same
/// user (renamed if the name changed).
pub async fn join(
    State(hub): State<Hub>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Result<Json<JoinRequest>, JsonRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let Json(req) = body.map_err(|e| ApiError::new(ErrorCode::InvalidJson, e.body_text()))?;
    let display_name = validate_display_name(&req.display_name)?;

    if let Some((secret, _)) = session_from_headers(&headers)
        && let Some(mut record) = lookup(hub.store(), &secret).await?
    {
        if record.user.display_name != display_name {
            let (id, name) = (record.user.id, display_name.clone());
            hub.store().write_wait(move |conn| rename_user(conn, id, &name)).await?;
            record.user.display_name = display_name;
        }
        let body = JoinResponse { user: record.user, session: secret.clone() };
        return Ok((StatusCode::OK, AppendHeaders([(SET_COOKIE, session_cookie(&secret))]), Json(body)));
    }

    check_pin(&hub, peer.ip(), req.pin.as_deref())?;
    let secret = new_secret();
    let hash = hash_secret(&secret);
    let record = hub
        .store()
        .write_wait(move |conn| create_user_with_session(conn, &display_name, &hash, now_ms()))
        .await?;
    tracing::info!(user_id = record.user.id, name = %record.user.display_name, "guest joined");
    let body = JoinResponse { user: record.user, session: secret.clone() };
    Ok((StatusCode::CREATED, AppendHeaders([(SET_COOKIE, session_cookie(&secret))]), Json(body)))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_are_trimmed_and_checked() {
        assert_eq!(validate_display_name("  Ann  ").unwrap(), "Ann");
        assert_eq!(validate_display_name(&"é".repeat(32)).unwrap().chars().count(), 32);
        for bad in ["", "   ", "a\nb", "a\u{7}", "x\u{202e}y", &"a".repeat(33)] {
            let e = validate_display_name(bad).unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidDisplayName, "{bad:?}");
        }
    }
}
