//! Message history over REST: pages before or after an offset, and full-text search over the
//! channels the user can read.

use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, Query, State};
use hubbub_protocol::{Channel, ErrorCode, MessagesResponse};
use serde::Deserialize;

use super::ApiError;
use crate::auth::SessionUser;
use crate::chat::{can_read, chat_channel};
use crate::hub::Hub;
use crate::store::{PAGE_LIMIT, is_ephemeral, member_rooms, page, readable_dms, search as search_messages};

#[derive(Debug, Deserialize)]
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
    let channel = chat_channel(&name).map_err(|(code, message)| ApiError::new(code, message))?;
    let ephemeral = is_ephemeral(&channel);
    if q.before.is_some() && q.after.is_some() {
        return Err(ApiError::new(ErrorCode::InvalidFrame, "give before or after, not both"));
    }
    let user = me.user.id;
    let job = move |db: &rusqlite::Connection| {
        if let Err(refusal) = can_read(db, &channel, user)? {
            return Ok(Err(refusal));
        }
        Ok(Ok(page(db, &name, q.before, q.after, q.limit.unwrap_or(50))?))
    };
    // Ephemeral rooms live in the writer's memory; everything else is read off the reader threads.
    let found = if ephemeral {
        hub.store.write_wait(move |dbs| job(dbs.memory)).await?
    } else {
        hub.store.read(job).await?
    };
    let (messages, more) = found.map_err(|(code, message)| ApiError::new(code, message))?;
    Ok(Json(MessagesResponse { messages, more }))
}

#[derive(Debug, Deserialize)]
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
    if q.q.trim().is_empty() || q.q.chars().count() > 200 {
        return Err(ApiError::new(ErrorCode::InvalidFrame, "a search is 1 to 200 characters"));
    }
    let user = me.user.id;
    let only = match q.channel.as_deref() {
        Some(c) => Some(chat_channel(c).map_err(|(code, message)| ApiError::new(code, message))?),
        None => None,
    };
    let limit = q.limit.unwrap_or(50).clamp(1, PAGE_LIMIT);
    let messages = hub
        .store
        .read(move |db| {
            let channels: Vec<String> = match only {
                Some(c) => match can_read(db, &c, user)? {
                    Ok(()) => vec![c.to_string()],
                    Err(refusal) => return Ok(Err(refusal)),
                },
                None => member_rooms(db, user)?
                    .into_iter()
                    .map(|slug| Channel::Room(slug).to_string())
                    .chain(readable_dms(db, user)?.into_iter().map(|id| Channel::Dm(id).to_string()))
                    .collect(),
            };
            Ok(Ok(search_messages(db, &q.q, &channels, limit)?))
        })
        .await?
        .map_err(|(code, message)| ApiError::new(code, message))?;
    Ok(Json(MessagesResponse { messages, more: false }))
}
