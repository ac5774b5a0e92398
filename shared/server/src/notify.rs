//! Notifications: the inbox service (storing entries and telling the recipient), pings, @mentions.
//!
//! **Architecture invariant:** the personal channel is sequenced by the store's writer thread: an
//! inbox entry is written in a writer job and published from that job's completion, after the
//! commit and in commit order, so the absolute `unread_count` every frame carries never goes back.

use std::sync::Arc;
use std::time::{Duration, Instant};

use hubbub_protocol::{
    Channel, ChatMessage, ErrorCode, Notification, NotificationKind, ServerFrame, UserInfo,
};
use rusqlite::Connection;

use crate::conn::encode;
use crate::core::Core;
use crate::error::{Outcome, Refusal};
use crate::ratelimit::RateLimiter;
use crate::store::{NewNotification, StoreResult, insert_notification, mark_read, user_exists, users_named};
use crate::time::now_ms;

/// Longest `join_url` accepted in a ping.
pub const MAX_JOIN_URL: usize = 512;
/// Most users one message can mention.
pub const MAX_MENTIONS: usize = 10;

/// An inbox entry as stored: who it is for, the entry, and their unread count after it.
pub type Stored = (i64, Notification, u32);

/// The notification service: the inbox, pings and their rate limit.
#[derive(Clone)]
pub struct Notify {
    inner: Arc<Inner>,
}

struct Inner {
    core: Core,
    /// Pings per sender: at most 5 in 10 seconds.
    ping_limit: RateLimiter,
}

impl Notify {
    pub fn new(core: Core) -> Notify {
        Notify { inner: Arc::new(Inner { core, ping_limit: RateLimiter::new(5, Duration::from_secs(10)) }) }
    }

    fn core(&self) -> &Core {
        &self.inner.core
    }

    /// Tells a user's connections about a new inbox entry. Call it only from the completion of the
    /// writer job that stored the entry, so the counts leave in commit order.
    pub fn publish(&self, (user_id, notification, unread_count): Stored) {
        let frame = ServerFrame::Notification { notification, unread_count };
        self.core().registry().publish(&Channel::User(user_id), &encode(&frame), None);
    }

    /// Tells a user's connections that entries were marked read (same rule as [`Notify::publish`]).
    pub fn publish_read(&self, user_id: i64, ids: Option<Vec<i64>>, unread_count: u32) {
        let frame = ServerFrame::NotificationsRead { ids, unread_count };
        self.core().registry().publish(&Channel::User(user_id), &encode(&frame), None);
    }

    /// Stores `new` in its recipient's inbox and tells them after the commit.
    pub async fn notify(&self, new: NewNotification) -> StoreResult<()> {
        let (this, to) = (self.clone(), new.user_id);
        self.core()
            .store()
            .write(
                move |db| insert_notification(db, &new, now_ms()),
                move |outcome| match outcome {
                    Ok((notification, unread)) => this.publish((to, notification, unread)),
                    Err(e) => tracing::warn!(error = %e, "could not store a notification"),
                },
            )
            .await
    }

    /// Forgets rate-limit entries that no longer limit anyone.
    pub fn sweep(&self, now: Instant) {
        self.inner.ping_limit.prune(now);
    }

    /// Checks a ping before anything is stored: the link, the target, the sender's rate.
    pub async fn check_ping(&self, from: &UserInfo, to: i64, join_url: Option<&str>) -> Outcome<()> {
        if let Some(url) = join_url {
            let scheme_ok = url.starts_with("http://") || url.starts_with("https://");
            if !scheme_ok
                || url.len() > MAX_JOIN_URL
                || url.chars().any(|c| c.is_whitespace() || c.is_control())
            {
                return Err(Refusal::new(
                    ErrorCode::InvalidJoinUrl,
                    format!("join_url must be an http(s) URL of at most {MAX_JOIN_URL} characters"),
                ));
            }
        }
        if to == from.id {
            return Err(Refusal::new(ErrorCode::Forbidden, "you cannot ping yourself"));
        }
        // A hub-wide mute silences pings too.
        self.core().policy().may_write(from.id, "", now_ms())?;
        if !self.core().presence().is_online(to) {
            let exists = self.core().store().read(move |db| user_exists(db, to)).await.unwrap_or(true);
            return Err(if exists {
                Refusal::new(ErrorCode::UserOffline, "that user is not online")
            } else {
                Refusal::new(ErrorCode::NotFound, "no such user")
            });
        }
        if let Err(wait) = self.inner.ping_limit.check(from.id, Instant::now()) {
            return Err(Refusal::rate_limited("too many pings; wait a few seconds", wait));
        }
        Ok(())
    }

    /// Checks and stores a ping in the recipient's inbox, then sends them a `ping` frame and the
    /// `notification` (after the commit, on the writer thread). Returns the stored entry.
    pub async fn ping(&self, from: &UserInfo, to: i64, join_url: Option<String>) -> Outcome<Notification> {
        self.check_ping(from, to, join_url.as_deref()).await?;
        let text = if join_url.is_some() {
            format!("{} invites you to join", from.display_name)
        } else {
            format!("{} pinged you", from.display_name)
        };
        let new = NewNotification {
            user_id: to,
            kind: NotificationKind::Ping,
            from_user_id: Some(from.id),
            text,
            channel: None,
            join_url: join_url.clone(),
        };
        let (this, from) = (self.clone(), from.clone());
        let (notification, _) = self
            .core()
            .store()
            .write_and(
                move |db| insert_notification(db, &new, now_ms()),
                move |(notification, unread)| {
                    let ping = ServerFrame::Ping {
                        from_user_id: from.id,
                        from_username: from.display_name.clone(),
                        timestamp: notification.created_at,
                        join_url,
                    };
                    this.core().registry().publish(&Channel::User(to), &encode(&ping), None);
                    this.publish((to, notification.clone(), *unread));
                },
            )
            .await?;
        Ok(notification)
    }

    /// Marks inbox entries read (all when `ids` is `None`) and tells all the user's connections;
    /// returns the unread count.
    pub async fn mark_read(&self, user_id: i64, ids: Option<Vec<i64>>) -> Outcome<u32> {
        let this = self.clone();
        let ids2 = ids.clone();
        Ok(self
            .core()
            .store()
            .write_and(
                move |db| mark_read(db, user_id, ids2.as_deref(), now_ms()),
                move |unread_count| this.publish_read(user_id, ids, *unread_count),
            )
            .await?)
    }
}

/// Names that `@` might introduce in `body`: for each `@`, the next one, two and three words,
/// without trailing punctuation: `@Ann Lee, hi` yields `Ann`, `Ann Lee` and `Ann Lee, hi`.
pub fn mention_candidates(body: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (i, _) in body.match_indices('@') {
        let words: Vec<&str> = body[i + 1..].split_whitespace().take(3).collect();
        for n in 1..=words.len() {
            let candidate = words[..n].join(" ");
            let candidate = candidate.trim_end_matches(|c: char| c.is_ascii_punctuation());
            if !candidate.is_empty() && candidate.chars().count() <= 32 && !out.iter().any(|c| c == candidate)
            {
                out.push(candidate.to_owned());
            }
        }
    }
    out
}

/// Inside a message's write: stores a `mention` entry for each user the message names.
pub fn store_mentions(db: &Connection, message: &ChatMessage) -> StoreResult<Vec<Stored>> {
    let candidates = mention_candidates(&message.body);
    if candidates.is_empty() {
        return Ok(Vec::new());
    }
    let mut text: String = message.body.chars().take(140).collect();
    if message.body.chars().count() > 140 {
        text.push('…');
    }
    let mut out = Vec::new();
    for user_id in users_named(db, &candidates, message.sender_id)?.into_iter().take(MAX_MENTIONS) {
        let new = NewNotification {
            user_id,
            kind: NotificationKind::Mention,
            from_user_id: Some(message.sender_id),
            text: text.clone(),
            channel: Some(message.channel.clone()),
            join_url: None,
        };
        let (n, unread) = insert_notification(db, &new, message.created_at)?;
        out.push((user_id, n, unread));
    }
    Ok(out)
}

/// Inside a direct message's write: when `away(recipient)` says they are not looking at the
/// conversation (the caller: not online, and not already mentioned), stores a `dm_message` entry.
pub fn store_dm_message(
    db: &Connection,
    dm_id: i64,
    message: &ChatMessage,
    away: impl Fn(i64) -> bool,
) -> StoreResult<Option<Stored>> {
    let Some(thread) = crate::store::dm(db, dm_id)? else { return Ok(None) };
    let to = thread.other(message.sender_id);
    if !away(to) {
        return Ok(None);
    }
    let mut text: String = message.body.chars().take(140).collect();
    if message.body.chars().count() > 140 {
        text.push('…');
    }
    let new = NewNotification {
        user_id: to,
        kind: NotificationKind::DmMessage,
        from_user_id: Some(message.sender_id),
        text,
        channel: Some(message.channel.clone()),
        join_url: None,
    };
    let (n, unread) = insert_notification(db, &new, message.created_at)?;
    Ok(Some((to, n, unread)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mention_candidates_cover_multi_word_names_and_punctuation() {
        let c = mention_candidates("hey @Ann Lee, see @Bo! and mail a@b");
        for want in ["Ann", "Ann Lee", "Bo", "b"] {
            assert!(c.iter().any(|x| x == want), "{want} in {c:?}");
        }
        assert!(mention_candidates("no mentions here").is_empty());
        assert!(mention_candidates("trailing @").is_empty());
    }
}
