//! Public health (`/api/status`), hub facts (`/api/info`) and who is online (`/api/users/online`).

use axum::Json;
use axum::extract::State;
use hubbub_protocol::{ErrorCode, HubInfo, OnlineUsersResponse, StatusResponse};
use serde::Deserialize;

use super::{ApiError, Query, SessionUser};
use crate::hub::Hub;
use crate::time::now_ms;

pub async fn status(State(hub): State<Hub>) -> Json<StatusResponse> {
    Json(StatusResponse {
        status: if hub.shutting_down() { "shutting_down" } else { "ok" }.to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        uptime_secs: hub.uptime().as_secs(),
        connections: hub.connection_count(),
    })
}

pub async fn info(State(hub): State<Hub>) -> Json<HubInfo> {
    Json(hub.info())
}

/// Largest page of `GET /api/users/online`.
const MAX_ONLINE_PAGE: usize = 1000;

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct OnlineQuery {
    /// Only users whose name contains this (any case).
    q: Option<String>,
    offset: Option<usize>,
    limit: Option<usize>,
}

/// `GET /api/users/online?q=&offset=&limit=`: who is online, by name, a page at a time (as many as
/// the socket lists, `presence_list_max`, unless `limit` says otherwise, up to 1000). Needs a
/// session (a PIN-protected hub does not show its guests to strangers); the UI polls it while its
/// socket is down, and searches it for guests past the end of the list on a large hub.
pub async fn online_users(
    State(hub): State<Hub>,
    _user: SessionUser,
    Query(query): Query<OnlineQuery>,
) -> Result<Json<OnlineUsersResponse>, ApiError> {
    let q = query.q.unwrap_or_default();
    if q.chars().count() > 100 {
        return Err(ApiError::new(ErrorCode::InvalidFrame, "q is at most 100 characters"));
    }
    let limit = query.limit.unwrap_or_else(|| hub.presence().list_max());
    if !(1..=MAX_ONLINE_PAGE).contains(&limit) {
        return Err(ApiError::new(ErrorCode::InvalidFrame, "limit must be between 1 and 1000"));
    }
    let offset = query.offset.unwrap_or(0);
    let (users, matched, total) = hub.presence().page(q.trim(), offset, limit);
    let next = offset.saturating_add(users.len());
    let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    Ok(Json(OnlineUsersResponse {
        users,
        total_count: count(total),
        matched: count(matched),
        next_offset: (next < matched).then(|| count(next)),
        timestamp: now_ms(),
    }))
}
