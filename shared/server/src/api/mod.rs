//! The REST API under `/api/`: JSON in and out, errors as `{"code", "message"}` with a fitting status.

mod admin;
mod dms;
mod error;
mod extract;
mod guard;
mod history;
mod hubs;
mod join;
mod notifications;
mod parties;
mod party_host;
mod rooms;
mod status;

pub use error::ApiError;
pub use extract::{Query, SessionUser};
pub use guard::{method_not_allowed, wrong_method};

use axum::Router;
use axum::routing::{get, post};
use hubbub_protocol::ErrorCode;

use crate::hub::Hub;

/// The `/api` routes (mounted under `/api` by [`crate::router`]), behind the guard that refuses
/// cross-site and non-JSON state changes and keeps every error answer JSON.
pub fn routes(hub: &Hub) -> Router<Hub> {
    Router::new()
        .route("/join", post(join::join))
        .route("/me", get(join::me))
        .route("/logout", post(join::logout))
        .route("/host/claim", post(join::claim_host))
        .route("/auth/ws-token", get(join::ws_token))
        .route("/status", get(status::status))
        .route("/info", get(status::info))
        .route("/users/online", get(status::online_users))
        .route("/hubs", get(hubs::hubs))
        .route("/users/{id}/ping", post(notifications::ping))
        .route("/notifications", get(notifications::list))
        .route("/notifications/read", post(notifications::mark_read))
        .route("/rooms", get(rooms::list).post(rooms::create))
        .route("/rooms/{id}/join", post(rooms::join))
        .route("/rooms/{id}/leave", post(rooms::leave))
        .route("/rooms/{id}/invite", post(rooms::invite_user))
        .route("/dms", get(dms::list).post(dms::start))
        .route("/dms/{id}/accept", post(dms::accept))
        .route("/dms/{id}/decline", post(dms::decline))
        .route("/dms/{id}/block", post(dms::block))
        .route("/channels/{channel}/messages", get(history::messages))
        .route("/search", get(history::search))
        .route("/parties", get(parties::list).post(parties::create))
        .route("/parties/{code}", get(parties::get))
        .route("/parties/{code}/qr.svg", get(parties::qr))
        .route("/parties/{code}/remote", post(party_host::remote))
        .route("/parties/{code}/remote.svg", get(party_host::remote_qr))
        .route("/parties/{code}/results", get(party_host::results_json))
        .route("/parties/{code}/results.csv", get(party_host::results_csv))
        .route("/quiz/packs", get(parties::packs).post(parties::import_pack))
        .merge(admin::routes())
        .method_not_allowed_fallback(method_not_allowed)
        .fallback(|| async { ApiError::new(ErrorCode::NotFound, "no such API route") })
        .layer(axum::middleware::from_fn_with_state(hub.clone(), guard::guard))
}
