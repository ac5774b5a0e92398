//! Chat in persisted channels (rooms and direct conversations): who may read and write, sending
//! (idempotent, acked after commit), subscribing with a snapshot or an exact catch-up.
//!
//! **Architecture invariant:** a persisted channel is sequenced by the store's writer thread. Its
//! offsets are assigned there, its events are fanned out from the job completions there (after the
//! commit, in order), and subscriptions to it are registered there too. So a subscriber's snapshot
//! (or catch-up) and the live events that follow it meet with no gap and no duplicate.

pub mod events;
mod typing;

pub use events::{mark_read, modify};
pub use typing::{TYPING_SWEEP, TYPING_TTL, Typing};

use std::sync::Arc;
use std::time::Instant;

use hubbub_protocol::{Channel, ErrorCode, ReadMark, ServerFrame, StreamPosition};
use rusqlite::Connection;

use crate::conn::{ConnHandle, encode};
use crate::hub::Hub;
use crate::notify;
use crate::store::{
    Db, StoreError, StoreResult, dm, insert_message, is_member, read_mark, read_marks, room_kind, snapshot,
    unread,
};
use crate::time::now_ms;

/// Longest message body, in characters.
pub const MAX_BODY_CHARS: usize = 4000;
/// Longest `client_message_id`, in bytes.
pub const MAX_CLIENT_MESSAGE_ID: usize = 64;

/// A refusal: the error code and a message for people.
pub type Refusal = (ErrorCode, String);

/// Whether `user` may read `channel` (subscribe, page history, search, see typing).
pub fn can_read(db: &Connection, channel: &Channel, user: i64) -> StoreResult<Result<(), Refusal>> {
    let no_such = || Err((ErrorCode::NoSuchChannel, format!("no such channel: {channel}")));
    Ok(match channel {
        Channel::Room(slug) => match room_kind(db, slug)? {
            None => no_such(),
            Some(_) if is_member(db, slug, user)? => Ok(()),
            Some(_) => Err((ErrorCode::Forbidden, format!("join {channel} first"))),
        },
        Channel::Dm(id) => match dm(db, *id)? {
            None => no_such(),
            Some(d) if d.readable_by(user) => Ok(()),
            Some(_) => {
                Err((ErrorCode::Forbidden, "only its two participants can read a conversation".into()))
            }
        },
        _ => no_such(),
    })
}

/// Whether `user` may post to `channel`: read access, and a conversation must be accepted.
pub fn can_write(db: &Connection, channel: &Channel, user: i64) -> StoreResult<Result<(), Refusal>> {
    if let Err(refusal) = can_read(db, channel, user)? {
        return Ok(Err(refusal));
    }
    if let Channel::Dm(id) = channel {
        if dm(db, *id)?.is_some_and(|d| d.state != hubbub_protocol::DmState::Accepted) {
            return Ok(Err((ErrorCode::DmNotAccepted, "the other participant has not accepted yet".into())));
        }
    }
    Ok(Ok(()))
}

/// The `error` frame for a store failure in a command.
pub fn store_error_frame(r#ref: Option<String>, e: &StoreError) -> ServerFrame {
    match e {
        StoreError::NoSuchChannel(c) => {
            ServerFrame::error(r#ref, ErrorCode::NoSuchChannel, format!("no such channel: {c}"))
        }
        StoreError::Closed => ServerFrame::error(r#ref, ErrorCode::Unavailable, "the hub is shutting down"),
        other => {
            tracing::error!(error = %other, "store error in a command");
            ServerFrame::error(r#ref, ErrorCode::Internal, "internal error; see the hub's log")
        }
    }
}

/// Runs a command's write job: on success `done` gets the job's value and the command's `ref` (on the
/// writer thread, after the commit); a refusal or a store failure is answered with an `error` frame.
///
/// Returns once the job has completed, so one connection's commands run one after another (their
/// replies are queued before the next command is read); commands of different connections still
/// share each group commit.
pub async fn command<T, J, D>(hub: &Hub, conn: &Arc<ConnHandle>, r#ref: Option<String>, job: J, done: D)
where
    T: Send + 'static,
    J: FnMut(&Db<'_>) -> StoreResult<Result<T, Refusal>> + Send + 'static,
    D: FnOnce(T, Option<String>) + Send + 'static,
{
    let (conn2, ref2) = (Arc::clone(conn), r#ref.clone());
    let (finished, completed) = tokio::sync::oneshot::channel::<()>();
    let queued = hub
        .store
        .write(job, move |outcome| {
            match outcome {
                Ok(Ok(value)) => done(value, ref2),
                Ok(Err((code, message))) => {
                    conn2.send_frame(&ServerFrame::error(ref2, code, message));
                }
                Err(e) => {
                    conn2.send_frame(&store_error_frame(ref2, &e));
                }
            }
            let _ = finished.send(());
        })
        .await;
    match queued {
        Ok(()) => {
            let _ = completed.await;
        }
        Err(e) => {
            conn.send_frame(&store_error_frame(r#ref, &e));
        }
    }
}

/// What a subscriber is told first, read in the same writer job that registers it.
struct Opening {
    snapshot: crate::store::Snapshot,
    last_read: i64,
    unread: u32,
    read_marks: Option<Vec<ReadMark>>,
}

/// Subscribes `conn` to a persisted channel: a `subscribed` frame with the snapshot, or with
/// `recovered: true` followed by every event after `since`; then live events.
pub async fn subscribe(
    hub: &Hub,
    conn: &Arc<ConnHandle>,
    channel: Channel,
    since: Option<StreamPosition>,
    r#ref: Option<String>,
) {
    let name = channel.to_string();
    let user = conn.user.id;
    let is_dm = matches!(channel, Channel::Dm(_));
    let read_channel = channel.clone();
    let (hub2, conn2) = (hub.clone(), Arc::clone(conn));
    command(
        hub,
        conn,
        r#ref,
        move |dbs| {
            let db = dbs.chat(&read_channel);
            if let Err(refusal) = can_read(db, &read_channel, user)? {
                return Ok(Err(refusal));
            }
            let marks = if is_dm {
                Some(
                    read_marks(db, &name)?
                        .into_iter()
                        .map(|(user_id, offset)| ReadMark { user_id, offset })
                        .collect(),
                )
            } else {
                None
            };
            Ok(Ok(Opening {
                snapshot: snapshot(db, &name, since.as_ref())?,
                last_read: read_mark(db, &name, user)?,
                unread: unread(db, &name, user)?,
                read_marks: marks,
            }))
        },
        move |o: Opening, ref2| {
            let s = o.snapshot;
            let recovered = s.recovered == Some(true);
            // Enters the channel's presence, sends the opening and subscribes, in one step.
            hub2.presence.enter_room(&channel, &conn2, &hub2.registry, |users, total| {
                ServerFrame::Subscribed {
                    r#ref: ref2,
                    channel: channel.to_string(),
                    epoch: Some(s.epoch),
                    last_offset: Some(s.last_offset),
                    recovered: s.recovered,
                    messages: (!recovered).then_some(s.messages),
                    events: recovered.then_some(s.replay),
                    users: Some(users),
                    total: Some(total),
                    unread_notifications: None,
                    last_read: Some(o.last_read),
                    unread: Some(o.unread),
                    read_marks: o.read_marks,
                }
            });
        },
    )
    .await;
}

fn check_message(client_message_id: &str, body: &str) -> Result<(), Refusal> {
    if client_message_id.is_empty()
        || client_message_id.len() > MAX_CLIENT_MESSAGE_ID
        || client_message_id.chars().any(char::is_control)
    {
        return Err((
            ErrorCode::InvalidClientMessageId,
            format!(
                "client_message_id must be 1 to {MAX_CLIENT_MESSAGE_ID} bytes with no control characters"
            ),
        ));
    }
    check_body(body)
}

/// A message body: not blank, at most [`MAX_BODY_CHARS`] characters.
pub fn check_body(body: &str) -> Result<(), Refusal> {
    if body.trim().is_empty() {
        return Err((ErrorCode::MessageEmpty, "message is empty".into()));
    }
    let chars = body.chars().count();
    if chars > MAX_BODY_CHARS {
        return Err((
            ErrorCode::MessageTooLong,
            format!("message is {chars} characters; the limit is {MAX_BODY_CHARS}"),
        ));
    }
    Ok(())
}

/// A channel that holds chat: a room or a direct conversation.
pub fn chat_channel(name: &str) -> Result<Channel, Refusal> {
    match name.parse::<Channel>() {
        Ok(c @ (Channel::Room(_) | Channel::Dm(_))) => Ok(c),
        _ => Err((ErrorCode::NoSuchChannel, format!("{name:?} is not a chat channel"))),
    }
}

/// Stores a message (once per `client_message_id`) with a `mention` entry for each user it names,
/// acks the sender after the commit, fans the message out, and notifies the mentioned users.
pub async fn send(
    hub: &Hub,
    conn: &Arc<ConnHandle>,
    r#ref: Option<String>,
    channel: &str,
    client_message_id: String,
    body: String,
) {
    let checked = chat_channel(channel).and_then(|c| check_message(&client_message_id, &body).map(|()| c));
    let channel = match checked {
        Ok(c) => c,
        Err((code, message)) => {
            conn.send_frame(&ServerFrame::error(r#ref, code, message));
            return;
        }
    };
    if hub.message_limit.as_ref().is_some_and(|l| !l.allow(conn.user.id, Instant::now())) {
        conn.send_frame(&ServerFrame::error(
            r#ref,
            ErrorCode::RateLimited,
            "too many messages; slow down a little",
        ));
        return;
    }
    let name = channel.to_string();
    let sender = conn.user.id;
    let write_channel = channel.clone();
    let (hub2, conn2, presence_hub) = (hub.clone(), Arc::clone(conn), hub.clone());
    command(
        hub,
        conn,
        r#ref,
        move |dbs| {
            let db = dbs.chat(&write_channel);
            if let Err(refusal) = can_write(db, &write_channel, sender)? {
                return Ok(Err(refusal));
            }
            let stored = insert_message(db, &name, sender, &client_message_id, &body, now_ms())?;
            // Notifications live on disk, whatever the channel.
            let mut mentions =
                if stored.duplicate { Vec::new() } else { notify::store_mentions(dbs, &stored.message)? };
            if let (Channel::Dm(id), false) = (&write_channel, stored.duplicate) {
                // Not online means not looking at it; a mention already told them.
                let mentioned: Vec<i64> = mentions.iter().map(|m| m.0).collect();
                let away = |user| !mentioned.contains(&user) && !presence_hub.presence.is_online(user);
                mentions.extend(notify::store_dm_message(dbs, *id, &stored.message, away)?);
            }
            Ok(Ok((stored, mentions)))
        },
        move |(stored, mentions): (crate::store::InsertOutcome, Vec<_>), ref2| {
            if let Some(r#ref) = ref2 {
                conn2.send_frame(&ServerFrame::Ack {
                    r#ref,
                    channel: Some(stored.message.channel.clone()),
                    message_id: Some(stored.message.id),
                    offset: Some(stored.message.offset),
                    duplicate: stored.duplicate,
                });
            }
            if !stored.duplicate {
                hub2.typing.stopped(&hub2, &channel, &conn2);
                let frame = encode(&ServerFrame::Message(stored.message));
                hub2.registry.publish(&channel, &frame, None);
            }
            for (user_id, notification, unread) in mentions {
                notify::publish_notification(&hub2, user_id, notification, unread);
            }
        },
    )
    .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_checks_have_their_own_codes() {
        assert!(check_message("c1", "hello").is_ok());
        assert_eq!(check_message("", "x").unwrap_err().0, ErrorCode::InvalidClientMessageId);
        assert_eq!(check_message(&"c".repeat(65), "x").unwrap_err().0, ErrorCode::InvalidClientMessageId);
        assert_eq!(check_message("c", "  \n ").unwrap_err().0, ErrorCode::MessageEmpty);
        assert_eq!(check_message("c", &"é".repeat(4001)).unwrap_err().0, ErrorCode::MessageTooLong);
        assert!(check_message("c", &"é".repeat(4000)).is_ok());
        assert!(chat_channel("dm:4").is_ok());
        assert_eq!(chat_channel("presence").unwrap_err().0, ErrorCode::NoSuchChannel);
    }
}
