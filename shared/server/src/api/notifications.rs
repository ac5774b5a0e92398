//! The inbox over REST (`/api/notifications`) and pings (`POST /api/users/{id}/ping`).

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{Path, State};
use hubbub_protocol::{
    ErrorCode, MarkReadRequest, MarkReadResponse, NotificationsResponse, PingRequest, PingResponse,
};
use serde::Deserialize;

use super::{ApiError, Query, SessionUser};
use crate::hub::Hub;
use crate::store::{INBOX_PAGE, list_notifications, unread_count};

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct Page {
    /// Only entries older than this id.
    before: Option<i64>,
    /// At most this many (up to 100).
    limit: Option<i64>,
}

/// `GET /api/notifications`: the newest entries first, and the unread count.
pub async fn list(
    State(hub): State<Hub>,
    SessionUser(me): SessionUser,
    Query(page): Query<Page>,
) -> Result<Json<NotificationsResponse>, ApiError> {
    let user_id = me.user.id;
    let (notifications, unread_count) = hub
        .store()
        .read(move |db| {
            let list = list_notifications(db, user_id, page.before, page.limit.unwrap_or(INBOX_PAGE))?;
            Ok((list, unread_count(db, user_id)?))
        })
        .await?;
    Ok(Json(NotificationsResponse { notifications, unread_count }))
}

fn body<T: Default>(body: Result<Json<T>, JsonRejection>) -> Result<T, ApiError> {
    match body {
        Ok(Json(v)) => Ok(v),
        // An empty body means "the defaults".
        Err(JsonRejection::MissingJsonContentType(_)) => Ok(T::default()),
        Err(e) => Err(ApiError::new(ErrorCode::InvalidJson, e.body_text())),
    }
}

/// `POST /api/notifications/read`: marks the listed entries (or all) read.
pub async fn mark_read(
    State(hub): State<Hub>,
    SessionUser(me): SessionUser,
    req: Result<Json<MarkReadRequest>, JsonRejection>,
) -> Result<Json<MarkReadResponse>, ApiError> {
    let req = body(req)?;
    let unread_count = hub.notify().mark_read(me.user.id, req.ids).await?;
    Ok(Json(MarkReadResponse { unread_count }))
}

/// `POST /api/users/{id}/ping`: pings an online user, optionally with a `join_url`.
pub async fn ping(
    State(hub): State<Hub>,
    SessionUser(me): SessionUser,
    to: Result<Path<i64>, PathRejection>,
    req: Result<Json<PingRequest>, JsonRejection>,
) -> Result<Json<PingResponse>, ApiError> {
    let Path(to) = to.map_err(|_| ApiError::new(ErrorCode::NotFound, "no such user"))?;
    let req = body(req)?;
    let stored = hub.notify().ping(&me.user, to, req.join_url).await?;
    Ok(Json(PingResponse { notification_id: stored.id }))
}
