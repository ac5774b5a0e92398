//! The REST API under `/api/`: JSON in and out, errors as `{"code", "message"}` with a fitting status.

mod error;
mod join;
mod notifications;
mod status;

pub use error::ApiError;
pub use join::validate_display_name;

use axum::Router;
use axum::routing::{get, post};
use hubbub_protocol::ErrorCode;

use crate::hub::Hub;

/// The `/api` routes (mounted under `/api` by [`crate::router`]).
pub fn routes() -> Router<Hub> {
    Router::new()
        .route("/join", post(join::join))
        .route("/me", get(join::me))
        .route("/auth/ws-token", get(join::ws_token))
        .route("/status", get(status::status))
        .route("/info", get(status::info))
        .route("/users/online", get(status::online_users))
        .route("/users/{id}/ping", post(notifications::ping))
        .route("/notifications", get(notifications::list))
        .route("/notifications/read", post(notifications::mark_read))
        .fallback(|| async { ApiError::new(ErrorCode::NotFound, "no such API route") })
}
