//! Public health (`/api/status`), hub facts (`/api/info`) and who is online (`/api/users/online`).

use axum::Json;
use axum::extract::State;
use hubbub_protocol::{HubInfo, OnlineUsersResponse, StatusResponse};

use crate::auth::SessionUser;
use crate::hub::Hub;
use crate::time::now_ms;

pub async fn status(State(hub): State<Hub>) -> Json<StatusResponse> {
    Json(StatusResponse {
        status: if hub.shutdown.is_cancelled() { "shutting_down" } else { "ok" }.to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        uptime_secs: hub.started.elapsed().as_secs(),
        connections: hub.connection_count(),
    })
}

pub async fn info(State(hub): State<Hub>) -> Json<HubInfo> {
    Json(hub.info())
}

/// Needs a session (a PIN-protected hub does not show its guests to strangers); the UI polls it
/// while its socket is down.
pub async fn online_users(State(hub): State<Hub>, _user: SessionUser) -> Json<OnlineUsersResponse> {
    let users = hub.presence.snapshot();
    Json(OnlineUsersResponse {
        total_count: u32::try_from(users.len()).unwrap_or(u32::MAX),
        users,
        timestamp: now_ms(),
    })
}
