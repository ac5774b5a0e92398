//! Client commands on an open connection: parse, dispatch, answer with `ack`/`error` and the same `ref`.

use std::sync::Arc;

use hubbub_protocol::{Channel, ClientFrame, ErrorCode, ServerFrame};

use crate::chat;
use crate::conn::ConnHandle;
use crate::hub::Hub;
use crate::time::now_ms;

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
            conn.send_frame(&ServerFrame::Pong {
                r#ref,
                server_time: now_ms(),
            });
        }
        ClientFrame::Subscribe {
            r#ref,
            channel,
            since,
        } => match channel.parse::<Channel>() {
            Ok(Channel::Presence) => hub.presence.subscribe(conn, &hub.registry, r#ref),
            Ok(Channel::User(id)) if id == conn.user.id => subscribe_personal(hub, conn, r#ref),
            Ok(Channel::User(_)) => {
                conn.send_frame(&ServerFrame::error(
                    r#ref,
                    ErrorCode::Forbidden,
                    "that is another user's channel",
                ));
            }
            Ok(room @ Channel::Room(_)) => chat::subscribe(hub, conn, room, since, r#ref).await,
            Ok(Channel::Dm(_) | Channel::Party(_)) | Err(_) => {
                conn.send_frame(&ServerFrame::error(
                    r#ref,
                    ErrorCode::NoSuchChannel,
                    format!("no such channel: {channel:?}"),
                ));
            }
        },
        ClientFrame::Unsubscribe { r#ref, channel } => {
            let removed = channel
                .parse::<Channel>()
                .is_ok_and(|c| hub.registry.unsubscribe(&c, conn));
            conn.send_frame(&if removed {
                ServerFrame::Unsubscribed { r#ref, channel }
            } else {
                ServerFrame::error(
                    r#ref,
                    ErrorCode::NotSubscribed,
                    format!("not subscribed to {channel:?}"),
                )
            });
        }
        ClientFrame::SendMessage {
            r#ref,
            channel,
            client_message_id,
            body,
        } => {
            chat::send(hub, conn, r#ref, &channel, client_message_id, body).await;
        }
    }
}

/// Subscribes a connection to its own user's channel.
pub fn subscribe_personal(hub: &Hub, conn: &Arc<ConnHandle>, r#ref: Option<String>) {
    let channel = Channel::User(conn.user.id);
    hub.registry.subscribe(&channel, conn);
    conn.send_frame(&ServerFrame::Subscribed {
        r#ref,
        channel: channel.to_string(),
        epoch: None,
        last_offset: None,
        recovered: None,
        messages: None,
        users: None,
    });
}

/// The `error` frame for a frame that did not parse: not JSON, no type, unknown type, or bad fields.
fn parse_error(text: &str, e: &serde_json::Error) -> ServerFrame {
    let Ok(value) = serde_json::from_str::<serde_json::Value>(text) else {
        return ServerFrame::error(None, ErrorCode::InvalidJson, format!("not valid JSON: {e}"));
    };
    let r#ref = value.get("ref").and_then(|r| r.as_str()).map(str::to_owned);
    match value.get("type").and_then(|t| t.as_str()) {
        None => ServerFrame::error(
            r#ref,
            ErrorCode::InvalidFrame,
            "a frame needs a string \"type\"",
        ),
        Some(t) if !ClientFrame::TYPES.contains(&t) => ServerFrame::error(
            r#ref,
            ErrorCode::UnknownType,
            format!("unknown frame type {t:?}"),
        ),
        Some(t) => ServerFrame::error(
            r#ref,
            ErrorCode::InvalidFrame,
            format!("invalid {t} frame: {e}"),
        ),
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
        assert_eq!(
            code(r#"{"type":"send_message","channel":"room:lobby"}"#),
            ErrorCode::InvalidFrame
        );
    }
}
