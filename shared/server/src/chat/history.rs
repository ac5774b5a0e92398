//! Message history: pages before or after an offset, and full-text search over the channels a
//! user can read (ephemeral rooms are not indexed).

use std::time::Instant;

use hubbub_protocol::{Channel, ChatMessage, ErrorCode};

use super::Chat;
use super::access::{can_read, chat_channel};
use crate::error::{Outcome, Refusal};
use crate::store::{PAGE_LIMIT, member_rooms, page, readable_dms, search};

/// Longest search, in characters.
pub const MAX_SEARCH_CHARS: usize = 200;

/// Where a page of history starts.
#[derive(Debug, Clone, Copy, Default)]
pub struct PageRequest {
    pub before: Option<i64>,
    pub after: Option<i64>,
    pub limit: Option<i64>,
}

impl Chat {
    /// Messages as they are now, in offset order: the newest before `before` (or overall), or the
    /// oldest after `after`; and whether there are more.
    pub async fn page(&self, user: i64, channel: &str, at: PageRequest) -> Outcome<(Vec<ChatMessage>, bool)> {
        let channel = chat_channel(channel)?;
        if at.before.is_some() && at.after.is_some() {
            return Err(Refusal::new(ErrorCode::InvalidFrame, "give before or after, not both"));
        }
        let name = channel.to_string();
        let read = channel.clone();
        self.core()
            .store()
            .read_channel(&channel, move |db| {
                if let Err(refusal) = can_read(db, &read, user)? {
                    return Ok(Err(refusal));
                }
                Ok(Ok(page(db, &name, at.before, at.after, at.limit.unwrap_or(50))?))
            })
            .await?
    }

    /// Messages matching every word of `q`, newest first, from `only` (which must be readable) or
    /// every room the user is in and conversation they can read.
    pub async fn search(
        &self,
        user: i64,
        q: String,
        only: Option<&str>,
        limit: Option<i64>,
    ) -> Outcome<Vec<ChatMessage>> {
        if q.trim().is_empty() || q.chars().count() > MAX_SEARCH_CHARS {
            return Err(Refusal::new(
                ErrorCode::InvalidFrame,
                format!("a search is 1 to {MAX_SEARCH_CHARS} characters"),
            ));
        }
        // NUL ends the full-text engine's query early ("unterminated string"); no control character
        // belongs in a search, so all are refused rather than guessed at.
        if q.chars().any(char::is_control) {
            return Err(Refusal::new(ErrorCode::InvalidFrame, "a search cannot contain control characters"));
        }
        let only = only.map(chat_channel).transpose()?;
        if let Err(wait) = self.inner.searches.check(user, None, Instant::now()) {
            return Err(Refusal::rate_limited("too many searches; wait a moment", wait));
        }
        let limit = limit.unwrap_or(50).clamp(1, PAGE_LIMIT);
        self.core()
            .store()
            .read(move |db| {
                let channels: Vec<String> = match &only {
                    Some(c) => match can_read(db, c, user)? {
                        Ok(()) => vec![c.to_string()],
                        Err(refusal) => return Ok(Err(refusal)),
                    },
                    None => member_rooms(db, user)?
                        .into_iter()
                        .map(|slug| Channel::Room(slug).to_string())
                        .chain(readable_dms(db, user)?.into_iter().map(|id| Channel::Dm(id).to_string()))
                        .collect(),
                };
                Ok(Ok(search(db, &q, &channels, limit)?))
            })
            .await?
    }

    /// The rooms and conversations a user is subscribed to on connect (Lobby first, on disk and in
    /// memory), and what `also` reads from the disk database in the same reader job: a connect
    /// asks one reader thread once, not once per question (a connect storm is thousands of them).
    pub async fn channels_of<T, A>(&self, user: i64, also: A) -> Outcome<(Vec<Channel>, T)>
    where
        T: Send + 'static,
        A: FnOnce(&rusqlite::Connection) -> crate::store::StoreResult<T> + Send + 'static,
    {
        let store = self.core().store();
        let (mut rooms, dms, extra) =
            store.read(move |db| Ok((member_rooms(db, user)?, readable_dms(db, user)?, also(db)?))).await?;
        rooms.extend(store.read_memory(move |db| member_rooms(db, user)).await?.into_iter().flatten());
        let channels = rooms.into_iter().map(Channel::Room).chain(dms.into_iter().map(Channel::Dm)).collect();
        Ok((channels, extra))
    }

    /// Whether `user` may read `channel`, read where the channel lives.
    pub async fn may_read(&self, user: i64, channel: &Channel) -> Outcome<()> {
        let c = channel.clone();
        self.core().store().read_channel(channel, move |db| can_read(db, &c, user)).await?
    }
}
