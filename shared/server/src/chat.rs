//! Chat in persisted channels: sending (idempotent, acked after commit) and subscribing with a snapshot.
//!
//! **Architecture invariant:** a persisted channel is sequenced by the store's writer thread. Its
//! offsets are assigned there, its events are fanned out from the job completions there (after the
//! commit, in order), and subscriptions to it are registered there too. So a subscriber's snapshot
//! and the live events that follow it meet with no gap and no duplicate.

use std::sync::Arc;

use hubbub_protocol::{Channel, ErrorCode, ServerFrame, StreamPosition};

use crate::conn::{ConnHandle, encode};
use crate::hub::Hub;
use crate::notify;
use crate::store::{StoreError, insert_message, snapshot};
use crate::time::now_ms;

/// Longest message body, in characters.
pub const MAX_BODY_CHARS: usize = 4000;
/// Longest `client_message_id`, in bytes.
pub const MAX_CLIENT_MESSAGE_ID: usize = 64;

fn store_error_frame(r#ref: Option<String>, e: &StoreError) -> ServerFrame {
    match e {
        StoreError::NoSuchChannel(c) => ServerFrame::error(
            r#ref,
            ErrorCode::NoSuchChannel,
            format!("no such channel: {c}"),
        ),
        StoreError::Closed => {
            ServerFrame::error(r#ref, ErrorCode::Unavailable, "the hub is shutting down")
        }
        other => {
            tracing::error!(error = %other, "store error in a command");
            ServerFrame::error(
                r#ref,
                ErrorCode::Internal,
                "internal error; see the hub's log",
            )
        }
    }
}

/// Subscribes `conn` to a persisted channel: a `subscribed` frame with the snapshot (or the catch-up
/// after `since`), then live events.
pub async fn subscribe(
    hub: &Hub,
    conn: &Arc<ConnHandle>,
    channel: Channel,
    since: Option<StreamPosition>,
    r#ref: Option<String>,
) {
    let name = channel.to_string();
    let (hub2, conn2, ref2) = (hub.clone(), Arc::clone(conn), r#ref.clone());
    let queued = hub
        .store
        .write(
            move |db| snapshot(db, &name, since.as_ref()),
            move |outcome| match outcome {
                Ok(s) => {
                    // Enters the room's presence, sends the snapshot and subscribes, in one step.
                    hub2.presence
                        .enter_room(&channel, &conn2, &hub2.registry, |users| {
                            ServerFrame::Subscribed {
                                r#ref: ref2,
                                channel: channel.to_string(),
                                epoch: Some(s.epoch),
                                last_offset: Some(s.last_offset),
                                recovered: s.recovered,
                                messages: Some(s.messages),
                                users: Some(users),
                                unread_notifications: None,
                            }
                        });
                }
                Err(e) => {
                    conn2.send_frame(&store_error_frame(ref2, &e));
                }
            },
        )
        .await;
    if let Err(e) = queued {
        conn.send_frame(&store_error_frame(r#ref, &e));
    }
}

fn check_message(client_message_id: &str, body: &str) -> Result<(), (ErrorCode, String)> {
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
    let channel = match channel.parse::<Channel>() {
        Ok(c @ Channel::Room(_)) => c,
        Ok(_) | Err(_) => {
            conn.send_frame(&ServerFrame::error(
                r#ref,
                ErrorCode::NoSuchChannel,
                format!("cannot send messages to {channel:?}"),
            ));
            return;
        }
    };
    if let Err((code, message)) = check_message(&client_message_id, &body) {
        conn.send_frame(&ServerFrame::error(r#ref, code, message));
        return;
    }
    let name = channel.to_string();
    let sender = conn.user.id;
    let (hub2, conn2, ref2) = (hub.clone(), Arc::clone(conn), r#ref.clone());
    let queued = hub
        .store
        .write(
            move |db| {
                let stored =
                    insert_message(db, &name, sender, &client_message_id, &body, now_ms())?;
                let mentions = if stored.duplicate {
                    Vec::new()
                } else {
                    notify::store_mentions(db, &stored.message)?
                };
                Ok((stored, mentions))
            },
            move |outcome| match outcome {
                Ok((stored, mentions)) => {
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
                        let frame = encode(&ServerFrame::Message(stored.message));
                        hub2.registry.publish(&channel, &frame, None);
                    }
                    for (user_id, notification, unread) in mentions {
                        notify::publish_notification(&hub2, user_id, notification, unread);
                    }
                }
                Err(e) => {
                    conn2.send_frame(&store_error_frame(ref2, &e));
                }
            },
        )
        .await;
    if let Err(e) = queued {
        conn.send_frame(&store_error_frame(r#ref, &e));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_checks_have_their_own_codes() {
        assert!(check_message("c1", "hello").is_ok());
        assert_eq!(
            check_message("", "x").unwrap_err().0,
            ErrorCode::InvalidClientMessageId
        );
        assert_eq!(
            check_message(&"c".repeat(65), "x").unwrap_err().0,
            ErrorCode::InvalidClientMessageId
        );
        assert_eq!(
            check_message("c", "  \n ").unwrap_err().0,
            ErrorCode::MessageEmpty
        );
        assert_eq!(
            check_message("c", &"é".repeat(4001)).unwrap_err().0,
            ErrorCode::MessageTooLong
        );
        assert!(check_message("c", &"é".repeat(4000)).is_ok());
    }
}
