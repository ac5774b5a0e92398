//! Client commands on an open connection: parse, dispatch, answer with `ack`/`error` and the same `ref`.

use std::sync::Arc;

use hubbub_protocol::{Channel, ClientFrame, ErrorCode, PresenceStatus, ServerFrame, StreamPosition};

use crate::chat;
use crate::chat::events::Change;
use crate::conn::ConnHandle;
use crate::hub::Hub;
use crate::notify;
use crate::party::{self, Msg, Reply};
use crate::store::{save_status, unread_count};
use crate::time::now_ms;

/// Longest custom status line, in characters.
pub const MAX_STATUS_TEXT: usize = 80;

fn ack(r#ref: Option<String>) -> Option<ServerFrame> {
    r#ref.map(|r#ref| ServerFrame::Ack {
        r#ref,
        channel: None,
        message_id: None,
        offset: None,
        duplicate: false,
    })
}

fn reply(conn: &ConnHandle, frame: Option<ServerFrame>) {
    if let Some(frame) = frame {
        conn.send_frame(&frame);
    }
}

/// Handles one text frame from the client.
pub async fn handle(hub: &Hub, conn: &Arc<ConnHandle>, text: &str) {
    let frame = match serde_json::from_str::<ClientFrame>(text) {
        Ok(frame) => frame,
        Err(e) => {
            conn.send_frame(&parse_error(text, &e));
            return;
        }
    };
    match frame {
        ClientFrame::Ping { r#ref } => {
            conn.send_frame(&ServerFrame::Pong { r#ref, server_time: now_ms() });
        }
        ClientFrame::Subscribe { r#ref, channel, since } => match channel.parse::<Channel>() {
            Ok(c) => subscribe(hub, conn, c, since, r#ref).await,
            Err(_) => {
                conn.send_frame(&ServerFrame::error(
                    r#ref,
                    ErrorCode::NoSuchChannel,
                    format!("no such channel: {channel:?}"),
                ));
            }
        },
        ClientFrame::Unsubscribe { r#ref, channel } => {
            let parsed = channel.parse::<Channel>().ok();
            let removed = parsed.as_ref().is_some_and(|c| hub.registry.unsubscribe(c, conn));
            match parsed.as_ref().filter(|_| removed) {
                Some(room @ Channel::Room(_)) => hub.presence.leave_room(room, conn),
                Some(Channel::Party(code)) => {
                    let msg = Msg::Detach { conn_id: conn.id, user_id: conn.user.id };
                    let _ = hub.parties.send(code, msg).await;
                }
                _ => {}
            }
            conn.send_frame(&if removed {
                ServerFrame::Unsubscribed { r#ref, channel }
            } else {
                ServerFrame::error(r#ref, ErrorCode::NotSubscribed, format!("not subscribed to {channel:?}"))
            });
        }
        ClientFrame::SendMessage { r#ref, channel, client_message_id, body } => {
            chat::send(hub, conn, r#ref, &channel, client_message_id, body).await;
        }
        ClientFrame::SetStatus { r#ref, status, text } => {
            let text = text.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty());
            if text
                .as_ref()
                .is_some_and(|t| t.chars().count() > MAX_STATUS_TEXT || t.chars().any(char::is_control))
            {
                conn.send_frame(&ServerFrame::error(
                    r#ref,
                    ErrorCode::InvalidStatus,
                    format!(
                        "a status line is at most {MAX_STATUS_TEXT} characters, with no control characters"
                    ),
                ));
                return;
            }
            hub.presence.set_status(conn.user.id, status, text.clone());
            // Kept for the next time the user comes online; presence already shows it.
            let (user, chosen) = (conn.user.id, status_name(status));
            let saved = hub
                .store
                .write(
                    move |db| save_status(db, user, chosen, text.as_deref()),
                    |outcome| {
                        if let Err(e) = outcome {
                            tracing::warn!(error = %e, "could not store a chosen status");
                        }
                    },
                )
                .await;
            if let Err(e) = saved {
                tracing::warn!(error = %e, "could not store a chosen status");
            }
            reply(conn, ack(r#ref));
        }
        ClientFrame::SetActivity { r#ref, idle } => {
            hub.presence.set_activity(conn, idle);
            reply(conn, ack(r#ref));
        }
        ClientFrame::EditMessage { r#ref, channel, message_id, body } => {
            chat::modify(hub, conn, r#ref, &channel, message_id, Change::Edit(body)).await;
        }
        ClientFrame::DeleteMessage { r#ref, channel, message_id } => {
            chat::modify(hub, conn, r#ref, &channel, message_id, Change::Delete).await;
        }
        ClientFrame::React { r#ref, channel, message_id, emoji } => {
            chat::modify(hub, conn, r#ref, &channel, message_id, Change::React(emoji)).await;
        }
        ClientFrame::MarkRead { r#ref, channel, offset } => {
            chat::mark_read(hub, conn, r#ref, &channel, offset).await;
        }
        ClientFrame::Typing { channel, typing } => match channel.parse::<Channel>() {
            Ok(c)
                if matches!(c, Channel::Room(_) | Channel::Dm(_))
                    && hub.registry.is_subscribed(&c, conn.id) =>
            {
                if typing {
                    hub.typing.started(hub, &c, conn, std::time::Instant::now());
                } else {
                    hub.typing.stopped(hub, &c, conn);
                }
            }
            _ => {
                conn.send_frame(&ServerFrame::error(
                    None,
                    ErrorCode::NotSubscribed,
                    format!("typing needs a subscribed room or conversation, not {channel:?}"),
                ));
            }
        },
        ClientFrame::PingUser { r#ref, user_id, join_url } => {
            ping_user(hub, conn, r#ref, user_id, join_url).await;
        }
        ClientFrame::PartyJoin { r#ref, code, audience } => {
            let msg = Msg::Join {
                conn: Arc::clone(conn),
                audience: audience.unwrap_or(false),
                r#ref: r#ref.clone(),
                reply: Reply::Ack,
            };
            party::command(hub, conn, &code, r#ref, msg).await;
        }
        ClientFrame::PartyLeave { r#ref, code } => {
            let msg = Msg::Leave { conn: Arc::clone(conn), r#ref: r#ref.clone() };
            party::command(hub, conn, &code, r#ref, msg).await;
        }
        ClientFrame::PartyReady { r#ref, code, ready } => {
            let msg = Msg::Ready { conn: Arc::clone(conn), r#ref: r#ref.clone(), ready };
            party::command(hub, conn, &code, r#ref, msg).await;
        }
        ClientFrame::PartyStart { r#ref, code } => {
            let msg = Msg::Start { conn: Arc::clone(conn), r#ref: r#ref.clone() };
            party::command(hub, conn, &code, r#ref, msg).await;
        }
        ClientFrame::PartyAnswer { r#ref, code, round, answer } => {
            let msg = Msg::Answer { conn: Arc::clone(conn), r#ref: r#ref.clone(), round, answer };
            party::command(hub, conn, &code, r#ref, msg).await;
        }
        ClientFrame::PartyControl { r#ref, code, action } => {
            let msg = Msg::Control { conn: Arc::clone(conn), r#ref: r#ref.clone(), action };
            party::command(hub, conn, &code, r#ref, msg).await;
        }
        ClientFrame::MarkNotificationsRead { r#ref, ids } => {
            let conn2 = Arc::clone(conn);
            let ref2 = r#ref.clone();
            let queued = notify::mark_notifications_read(hub, conn.user.id, ids, move |outcome| {
                reply(
                    &conn2,
                    match outcome {
                        Ok(_) => ack(ref2),
                        Err(e) => Some(chat::store_error_frame(ref2, &e)),
                    },
                );
            })
            .await;
            if let Err(e) = queued {
                conn.send_frame(&chat::store_error_frame(r#ref, &e));
            }
        }
    }
}

async fn ping_user(
    hub: &Hub,
    conn: &Arc<ConnHandle>,
    r#ref: Option<String>,
    to: i64,
    join_url: Option<String>,
) {
    if let Err((code, message)) = notify::check_ping(hub, &conn.user, to, join_url.as_deref()).await {
        conn.send_frame(&ServerFrame::error(r#ref, code, message));
        return;
    }
    let conn2 = Arc::clone(conn);
    let ref2 = r#ref.clone();
    let queued = notify::send_ping(hub, &conn.user, to, join_url, move |outcome| {
        reply(
            &conn2,
            match outcome {
                Ok(_) => ack(ref2),
                Err(e) => Some(chat::store_error_frame(ref2, &e)),
            },
        );
    })
    .await;
    if let Err(e) = queued {
        conn.send_frame(&chat::store_error_frame(r#ref, &e));
    }
}

/// How a chosen status is stored: `None` for `online` (no choice: automatic).
fn status_name(status: PresenceStatus) -> Option<&'static str> {
    match status {
        PresenceStatus::Online => None,
        PresenceStatus::Away => Some("away"),
        PresenceStatus::Busy => Some("busy"),
    }
}

/// Reads a stored status back.
pub fn parse_status(name: Option<&str>) -> PresenceStatus {
    match name {
        Some("away") => PresenceStatus::Away,
        Some("busy") => PresenceStatus::Busy,
        _ => PresenceStatus::Online,
    }
}

/// Subscribes a connection to a channel and sends its snapshot, or an `error`.
pub async fn subscribe(
    hub: &Hub,
    conn: &Arc<ConnHandle>,
    channel: Channel,
    since: Option<StreamPosition>,
    r#ref: Option<String>,
) {
    match channel {
        Channel::Presence => hub.presence.subscribe(conn, &hub.registry, r#ref),
        Channel::OnlineUsers => hub.presence.subscribe_online_users(conn, &hub.registry, r#ref),
        Channel::User(id) if id == conn.user.id => subscribe_personal(hub, conn, r#ref).await,
        Channel::User(_) => {
            conn.send_frame(&ServerFrame::error(
                r#ref,
                ErrorCode::Forbidden,
                "that is another user's channel",
            ));
        }
        chat @ (Channel::Room(_) | Channel::Dm(_)) => chat::subscribe(hub, conn, chat, since, r#ref).await,
        Channel::Party(code) => {
            let msg = Msg::Join {
                conn: Arc::clone(conn),
                audience: false,
                r#ref: r#ref.clone(),
                reply: Reply::Subscribed,
            };
            party::command(hub, conn, &code, r#ref, msg).await;
        }
    }
}

/// Subscribes a connection to its own user's channel, with the unread count. Notifications are
/// published from the store's writer thread, so reading the count and subscribing happen there too:
/// no notification can fall between the count and the subscription.
async fn subscribe_personal(hub: &Hub, conn: &Arc<ConnHandle>, r#ref: Option<String>) {
    let user_id = conn.user.id;
    let (hub2, conn2, ref2) = (hub.clone(), Arc::clone(conn), r#ref.clone());
    let queued = hub
        .store
        .write(
            move |db| unread_count(db, user_id),
            move |outcome| match outcome {
                Ok(unread) => {
                    let channel = Channel::User(user_id);
                    let mut frame = ServerFrame::subscribed(ref2, channel.to_string());
                    if let ServerFrame::Subscribed { unread_notifications, .. } = &mut frame {
                        *unread_notifications = Some(unread);
                    }
                    conn2.send_frame(&frame);
                    hub2.registry.subscribe(&channel, &conn2);
                }
                Err(e) => {
                    conn2.send_frame(&chat::store_error_frame(ref2, &e));
                }
            },
        )
        .await;
    if let Err(e) = queued {
        conn.send_frame(&chat::store_error_frame(r#ref, &e));
    }
}

/// The `error` frame for a frame that did not parse: not JSON, no type, unknown type, or bad fields.
fn parse_error(text: &str, e: &serde_json::Error) -> ServerFrame {
    let Ok(value) = serde_json::from_str::<serde_json::Value>(text) else {
        return ServerFrame::error(None, ErrorCode::InvalidJson, format!("not valid JSON: {e}"));
    };
    let r#ref = value.get("ref").and_then(|r| r.as_str()).map(str::to_owned);
    match value.get("type").and_then(|t| t.as_str()) {
        None => ServerFrame::error(r#ref, ErrorCode::InvalidFrame, "a frame needs a string \"type\""),
        Some(t) if !ClientFrame::TYPES.contains(&t) => {
            ServerFrame::error(r#ref, ErrorCode::UnknownType, format!("unknown frame type {t:?}"))
        }
        Some(t) => ServerFrame::error(r#ref, ErrorCode::InvalidFrame, format!("invalid {t} frame: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(text: &str) -> ErrorCode {
        let e = serde_json::from_str::<ClientFrame>(text).unwrap_err();
        match parse_error(text, &e) {
            ServerFrame::Error { code, .. } => code,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn parse_errors_are_told_apart() {
        assert_eq!(code("{not json"), ErrorCode::InvalidJson);
        assert_eq!(code(r#"{"no_type":1}"#), ErrorCode::InvalidFrame);
        assert_eq!(code(r#"{"type":"dance"}"#), ErrorCode::UnknownType);
        assert_eq!(code(r#"{"type":"send_message","channel":"room:lobby"}"#), ErrorCode::InvalidFrame);
        assert_eq!(code(r#"{"type":"set_status","status":"sleepy"}"#), ErrorCode::InvalidFrame);
    }
}
