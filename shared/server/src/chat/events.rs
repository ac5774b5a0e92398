//! Edits, deletes and reactions (events with offsets), and read marks with their receipts.

use std::sync::Arc;

use hubbub_protocol::{ErrorCode, ServerFrame};

use super::{Refusal, can_read, can_write, chat_channel, check_body, command};
use crate::conn::{ConnHandle, encode};
use crate::hub::Hub;
use crate::store::{EventRefusal, delete_message, edit_message, set_read_mark, toggle_reaction};
use crate::time::now_ms;

/// Longest emoji (or short reaction text), in bytes.
pub const MAX_EMOJI_BYTES: usize = 16;

/// A change to an existing message.
#[derive(Debug, Clone)]
pub enum Change {
    Edit(String),
    Delete,
    React(String),
}

fn refusal(r: EventRefusal) -> Refusal {
    match r {
        EventRefusal::NoSuchMessage => (ErrorCode::NoSuchMessage, "no such message in this channel".into()),
        EventRefusal::NotAuthor => (ErrorCode::Forbidden, "only its author can change a message".into()),
        EventRefusal::Deleted => (ErrorCode::NoSuchMessage, "that message was deleted".into()),
    }
}

fn check(change: &Change) -> Result<(), Refusal> {
    match change {
        Change::Edit(body) => check_body(body),
        Change::React(emoji) if emoji.trim().is_empty() || emoji.len() > MAX_EMOJI_BYTES => {
            Err((ErrorCode::InvalidEmoji, format!("a reaction is 1 to {MAX_EMOJI_BYTES} bytes")))
        }
        Change::React(emoji) if emoji.chars().any(|c| c.is_control() || c.is_whitespace()) => {
            Err((ErrorCode::InvalidEmoji, "a reaction has no spaces or control characters".into()))
        }
        _ => Ok(()),
    }
}

/// Edits, deletes or reacts to a message: an event with the channel's next offset, acked with that
/// offset after the commit and fanned out to the channel.
pub async fn modify(
    hub: &Hub,
    conn: &Arc<ConnHandle>,
    r#ref: Option<String>,
    channel: &str,
    message_id: i64,
    change: Change,
) {
    let channel = match chat_channel(channel).and_then(|c| check(&change).map(|()| c)) {
        Ok(c) => c,
        Err((code, message)) => {
            conn.send_frame(&ServerFrame::error(r#ref, code, message));
            return;
        }
    };
    let (name, actor, write_channel) = (channel.to_string(), conn.user.id, channel.clone());
    let (hub2, conn2) = (hub.clone(), Arc::clone(conn));
    command(
        hub,
        conn,
        r#ref,
        move |dbs| {
            let db = dbs.chat(&write_channel);
            if let Err(r) = can_write(db, &write_channel, actor)? {
                return Ok(Err(r));
            }
            let now = now_ms();
            let outcome = match &change {
                Change::Edit(body) => edit_message(db, &name, message_id, actor, body, now)?,
                Change::Delete => delete_message(db, &name, message_id, actor, now)?,
                Change::React(emoji) => toggle_reaction(db, &name, message_id, actor, emoji, now)?,
            };
            Ok(outcome.map_err(refusal))
        },
        move |frame: ServerFrame, ref2| {
            let offset = match &frame {
                ServerFrame::MessageEdited { offset, .. }
                | ServerFrame::MessageDeleted { offset, .. }
                | ServerFrame::Reaction { offset, .. } => Some(*offset),
                _ => None,
            };
            if let Some(r#ref) = ref2 {
                conn2.send_frame(&ServerFrame::Ack {
                    r#ref,
                    channel: Some(channel.to_string()),
                    message_id: Some(message_id),
                    offset,
                    duplicate: false,
                });
            }
            hub2.registry.publish(&channel, &encode(&frame), None);
        },
    )
    .await;
}

/// Stores the user's read mark (it never moves back) and sends `read_receipt` to the channel, which
/// also tells the user's other tabs.
pub async fn mark_read(hub: &Hub, conn: &Arc<ConnHandle>, r#ref: Option<String>, channel: &str, offset: i64) {
    let channel = match chat_channel(channel) {
        Ok(c) => c,
        Err((code, message)) => {
            conn.send_frame(&ServerFrame::error(r#ref, code, message));
            return;
        }
    };
    let (name, user, read_channel) = (channel.to_string(), conn.user.id, channel.clone());
    let (hub2, conn2) = (hub.clone(), Arc::clone(conn));
    command(
        hub,
        conn,
        r#ref,
        move |dbs| {
            let db = dbs.chat(&read_channel);
            if let Err(r) = can_read(db, &read_channel, user)? {
                return Ok(Err(r));
            }
            let last = crate::store::channel_state(db, &name)?.map_or(0, |(_, o)| o);
            Ok(Ok(set_read_mark(db, &name, user, offset.clamp(0, last))?))
        },
        move |mark: i64, ref2| {
            if let Some(r#ref) = ref2 {
                conn2.send_frame(&ServerFrame::Ack {
                    r#ref,
                    channel: Some(channel.to_string()),
                    message_id: None,
                    offset: Some(mark),
                    duplicate: false,
                });
            }
            let receipt =
                ServerFrame::ReadReceipt { channel: channel.to_string(), user_id: user, offset: mark };
            hub2.registry.publish(&channel, &encode(&receipt), None);
        },
    )
    .await;
}
