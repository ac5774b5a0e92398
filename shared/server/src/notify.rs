//! Notifications: storing inbox entries and telling the recipient; pings; @mentions.

use std::time::Instant;

use hubbub_protocol::{
    Channel, ChatMessage, ErrorCode, Notification, NotificationKind, ServerFrame, UserInfo,
};
use rusqlite::Connection;

use crate::conn::encode;
use crate::hub::Hub;
use crate::store::{NewNotification, StoreResult, insert_notification, mark_read, user_exists, users_named};
use crate::time::now_ms;

/// Longest `join_url` accepted in a ping.
pub const MAX_JOIN_URL: usize = 512;
/// Most users one message can mention.
pub const MAX_MENTIONS: usize = 10;

/// Tells a user's connections about a new inbox entry.
pub fn publish_notification(hub: &Hub, user_id: i64, notification: Notification, unread_count: u32) {
    let frame = ServerFrame::Notification { notification, unread_count };
    hub.registry.publish(&Channel::User(user_id), &encode(&frame), None);
}

/// Checks a ping before anything is stored: the link, the target, the sender's rate.
pub async fn check_ping(
    hub: &Hub,
    from: &UserInfo,
    to: i64,
    join_url: Option<&str>,
) -> Result<(), (ErrorCode, String)> {
    if let Some(url) = join_url {
        let scheme_ok = url.starts_with("http://") || url.starts_with("https://");
        if !scheme_ok || url.len() > MAX_JOIN_URL || url.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err((
                ErrorCode::InvalidJoinUrl,
                format!("join_url must be an http(s) URL of at most {MAX_JOIN_URL} characters"),
            ));
        }
    }
    if to == from.id {
        return Err((ErrorCode::Forbidden, "you cannot ping yourself".into()));
    }
    if !hub.presence.is_online(to) {
        let exists = hub.store.read(move |db| user_exists(db, to)).await.unwrap_or(true);
        return Err(if exists {
            (ErrorCode::UserOffline, "that user is not online".into())
        } else {
            (ErrorCode::NotFound, "no such user".into())
        });
    }
    if !hub.ping_limit.allow(from.id, Instant::now()) {
        return Err((ErrorCode::RateLimited, "too many pings; wait a few seconds".into()));
    }
    Ok(())
}

/// Stores the ping in the recipient's inbox, then sends them a `ping` frame and the `notification`.
/// `done` gets the stored entry (after the commit).
pub async fn send_ping(
    hub: &Hub,
    from: &UserInfo,
    to: i64,
    join_url: Option<String>,
    done: impl FnOnce(StoreResult<Notification>) + Send + 'static,
) -> StoreResult<()> {
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
    let (hub2, from) = (hub.clone(), from.clone());
    hub.store
        .write(
            move |db| insert_notification(db, &new, now_ms()),
            move |outcome| match outcome {
                Ok((notification, unread)) => {
                    let ping = ServerFrame::Ping {
                        from_user_id: from.id,
                        from_username: from.display_name.clone(),
                        timestamp: notification.created_at,
                        join_url,
                    };
                    hub2.registry.publish(&Channel::User(to), &encode(&ping), None);
                    publish_notification(&hub2, to, notification.clone(), unread);
                    done(Ok(notification));
                }
                Err(e) => done(Err(e)),
            },
        )
        .await
}

/// Marks inbox entries read and tells all the user's connections; `done` gets the unread count.
pub async fn mark_notifications_read(
    hub: &Hub,
    user_id: i64,
    ids: Option<Vec<i64>>,
    done: impl FnOnce(StoreResult<u32>) + Send + 'static,
) -> StoreResult<()> {
    let hub2 = hub.clone();
    let ids2 = ids.clone();
    hub.store
        .write(
            move |db| mark_read(db, user_id, ids2.as_deref(), now_ms()),
            move |outcome| {
                if let Ok(unread_count) = &outcome {
                    let frame = ServerFrame::NotificationsRead { ids, unread_count: *unread_count };
                    hub2.registry.publish(&Channel::User(user_id), &encode(&frame), None);
                }
                done(outcome);
            },
        )
        .await
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
pub fn store_mentions(db: &Connection, message: &ChatMessage) -> StoreResult<Vec<(i64, Notification, u32)>> {
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
) -> StoreResult<Option<(i64, Notification, u32)>> {
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
