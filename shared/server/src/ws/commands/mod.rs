//! Client commands on an open connection: parse a frame, hand it to its family (chat, presence,
//! notifications, parties), which answers with `ack` or `error` and the same `ref`.
//!
//! A socket's answers come in the order of its commands. Chat writes (see [`pipelined`]) return
//! once their job is queued on the store, which answers them in queue order, so one client's
//! messages share group commits; every other command first waits until those writes are answered.

mod chat;
mod notifications;
mod party;
mod presence;

pub use crate::status::parse_status;

use std::collections::HashMap;
use std::sync::Arc;

use hubbub_protocol::{Channel, ClientFrame, ErrorCode, ServerFrame, StreamPosition};

use crate::conn::ConnHandle;
use crate::error::Refusal;
use crate::hub::Hub;
use crate::reply::Reply;
use crate::time::now_ms;

/// Handles one text frame from the client.
pub async fn handle(hub: &Hub, conn: &Arc<ConnHandle>, text: &str) {
    let frame = match serde_json::from_str::<ClientFrame>(text) {
        Ok(frame) => frame,
        Err(e) => {
            hub.core().metrics().frame_in("invalid");
            conn.writes_settled().await;
            conn.send_frame(&parse_error(text, &e));
            return;
        }
    };
    hub.core().metrics().frame_in(frame_type(&frame));
    if !pipelined(&frame) {
        conn.writes_settled().await;
    }
    match frame {
        ClientFrame::Ping { r#ref } => {
            conn.send_frame(&ServerFrame::Pong { r#ref, server_time: now_ms() });
        }
        ClientFrame::Subscribe { r#ref, channel, since } => match channel.parse::<Channel>() {
            Ok(c) => subscribe(hub, Reply::new(conn, r#ref), c, since).await,
            Err(_) => Reply::new(conn, r#ref)
                .refuse(Refusal::new(ErrorCode::NoSuchChannel, format!("no such channel: {channel:?}"))),
        },
        ClientFrame::Unsubscribe { r#ref, channel } => {
            unsubscribe(hub, Reply::new(conn, r#ref), channel).await;
        }
        frame @ (ClientFrame::SendMessage { .. }
        | ClientFrame::EditMessage { .. }
        | ClientFrame::DeleteMessage { .. }
        | ClientFrame::React { .. }
        | ClientFrame::MarkRead { .. }
        | ClientFrame::Typing { .. }) => chat::handle(hub, conn, frame).await,
        frame @ (ClientFrame::SetStatus { .. } | ClientFrame::SetActivity { .. }) => {
            presence::handle(hub, conn, frame).await;
        }
        frame @ (ClientFrame::PingUser { .. } | ClientFrame::MarkNotificationsRead { .. }) => {
            notifications::handle(hub, conn, frame).await;
        }
        frame @ (ClientFrame::PartyJoin { .. }
        | ClientFrame::PartyLeave { .. }
        | ClientFrame::PartyReady { .. }
        | ClientFrame::PartyStart { .. }
        | ClientFrame::PartyAnswer { .. }
        | ClientFrame::PartyControl { .. }) => party::handle(hub, conn, frame).await,
    }
}

/// Whether a command may start while the connection's earlier writes are still on the store: the
/// chat writes, which answer only from their job's completion or, refused before the store, with
/// [`Reply::refuse_in_turn`]. Their effects need no more order than the store's queue gives: an
/// edit, reaction or read mark queued after a send runs after it. Typing is not one of them (a
/// send's completion ends the sender's typing), nor is anything answered straight from the reader.
fn pipelined(frame: &ClientFrame) -> bool {
    matches!(
        frame,
        ClientFrame::SendMessage { .. }
            | ClientFrame::EditMessage { .. }
            | ClientFrame::DeleteMessage { .. }
            | ClientFrame::React { .. }
            | ClientFrame::MarkRead { .. }
    )
}

/// A client frame's type, as the wire names it (the label of `hubbub_frames_in_total`).
fn frame_type(frame: &ClientFrame) -> &'static str {
    match frame {
        ClientFrame::Ping { .. } => "ping",
        ClientFrame::Subscribe { .. } => "subscribe",
        ClientFrame::Unsubscribe { .. } => "unsubscribe",
        ClientFrame::SendMessage { .. } => "send_message",
        ClientFrame::EditMessage { .. } => "edit_message",
        ClientFrame::DeleteMessage { .. } => "delete_message",
        ClientFrame::React { .. } => "react",
        ClientFrame::MarkRead { .. } => "mark_read",
        ClientFrame::Typing { .. } => "typing",
        ClientFrame::SetStatus { .. } => "set_status",
        ClientFrame::SetActivity { .. } => "set_activity",
        ClientFrame::PingUser { .. } => "ping_user",
        ClientFrame::MarkNotificationsRead { .. } => "mark_notifications_read",
        ClientFrame::PartyJoin { .. } => "party_join",
        ClientFrame::PartyLeave { .. } => "party_leave",
        ClientFrame::PartyReady { .. } => "party_ready",
        ClientFrame::PartyStart { .. } => "party_start",
        ClientFrame::PartyAnswer { .. } => "party_answer",
        ClientFrame::PartyControl { .. } => "party_control",
    }
}

/// Subscribes a connection to a channel and sends its snapshot, or an `error`.
pub async fn subscribe(hub: &Hub, reply: Reply, channel: Channel, since: Option<StreamPosition>) {
    match channel {
        Channel::Presence | Channel::OnlineUsers => presence::subscribe(hub, reply, &channel),
        Channel::User(id) if id == reply.conn().user.id => {
            notifications::subscribe_personal(hub, reply).await;
        }
        Channel::User(_) => {
            reply.refuse(Refusal::new(ErrorCode::Forbidden, "that is another user's channel"));
        }
        chat @ (Channel::Room(_) | Channel::Dm(_)) => hub.chat().subscribe(reply, chat, since).await,
        Channel::Party(code) => party::subscribe(hub, reply, &code).await,
    }
}

/// Subscribes a new socket to its `channels` (resuming those `since` names): the personal channel
/// and every room and conversation in one writer job, the presence lists in its completion, a
/// party's channel through its task.
pub async fn subscribe_opening(
    hub: &Hub,
    conn: &Arc<ConnHandle>,
    channels: Vec<Channel>,
    mut since: HashMap<Channel, StreamPosition>,
) {
    let (mut personal, mut lists, mut chats) = (false, Vec::new(), Vec::new());
    for channel in channels {
        match channel {
            Channel::User(id) if id == conn.user.id => personal = true,
            list @ (Channel::Presence | Channel::OnlineUsers) => lists.push(list),
            chat @ (Channel::Room(_) | Channel::Dm(_)) => {
                let position = since.remove(&chat);
                chats.push((chat, position));
            }
            other => subscribe(hub, Reply::new(conn, None), other, None).await,
        }
    }
    if personal || !chats.is_empty() {
        notifications::subscribe_with_chats(hub, conn, personal, lists, chats).await;
    } else {
        for list in lists {
            presence::subscribe(hub, Reply::new(conn, None), &list);
        }
    }
}

/// Takes a connection out of a channel (and its room presence, or its party's roster).
async fn unsubscribe(hub: &Hub, reply: Reply, channel: String) {
    let conn = Arc::clone(reply.conn());
    let parsed = channel.parse::<Channel>().ok();
    let removed = parsed.as_ref().is_some_and(|c| hub.core().registry().unsubscribe(c, &conn));
    match parsed.as_ref().filter(|_| removed) {
        Some(room @ Channel::Room(_)) => hub.presence().leave_room(room, &conn),
        Some(Channel::Party(code)) => hub.parties().detach(code, &conn).await,
        _ => {}
    }
    if removed {
        let mut reply = reply;
        let r#ref = reply.take_ref();
        reply.send(&ServerFrame::Unsubscribed { r#ref, channel });
    } else {
        reply.refuse(Refusal::new(ErrorCode::NotSubscribed, format!("not subscribed to {channel:?}")));
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
