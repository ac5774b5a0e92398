//! Message history over REST: pages before or after an offset, and full-text search over the
//! channels the user can read. The rules live in the chat service.

use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use hubbub_protocol::{ErrorCode, MessagesResponse};
use serde::Deserialize;

use super::{ApiError, Query, SessionUser};
use crate::chat::PageRequest;
use crate::hub::Hub;

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct PageQuery {
    before: Option<i64>,
    after: Option<i64>,
    limit: Option<i64>,
}

/// `GET /api/channels/{channel}/messages?before=&after=&limit=`: messages as they are now, in offset
/// order; the newest before `before` (or overall), or the oldest after `after`.
pub async fn messages(
    State(hub): State<Hub>,
    SessionUser(me): SessionUser,
    channel: Result<Path<String>, PathRejection>,
    Query(q): Query<PageQuery>,
) -> Result<Json<MessagesResponse>, ApiError> {
    let Path(name) = channel.map_err(|_| ApiError::new(ErrorCode::NoSuchChannel, "no such channel"))?;
    let at = PageRequest { before: q.before, after: q.after, limit: q.limit };
    let (messages, more) = hub.chat().page(me.user.id, &name, at).await?;
    Ok(Json(MessagesResponse { messages, more }))
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct SearchQuery {
    q: String,
    /// Only this channel (which must be readable).
    channel: Option<String>,
    limit: Option<i64>,
}

/// `GET /api/search?q=&channel=&limit=`: messages matching every word of `q`, newest first, from the
/// rooms the user is in and the conversations they can read. Ephemeral rooms are not indexed.
pub async fn search(
    State(hub): State<Hub>,
    SessionUser(me): SessionUser,
    Query(q): Query<SearchQuery>,
) -> Result<Json<MessagesResponse>, ApiError> {
    let messages = hub.chat().search(me.user.id, q.q, q.channel.as_deref(), q.limit).await?;
    Ok(Json(MessagesResponse { messages, more: false }))
}
