//! Presence commands: a chosen status and status line, idle or active; and subscribing to the
//! presence lists.

use std::sync::Arc;

use hubbub_protocol::{Channel, ClientFrame, ErrorCode, PresenceStatus};

use crate::conn::ConnHandle;
use crate::error::Refusal;
use crate::hub::Hub;
use crate::reply::Reply;
use crate::store::save_status;

/// Longest custom status line, in characters.
pub const MAX_STATUS_TEXT: usize = 80;

/// Handles a presence command.
pub(super) async fn handle(hub: &Hub, conn: &Arc<ConnHandle>, frame: ClientFrame) {
    match frame {
        ClientFrame::SetStatus { r#ref, status, text } => {
            set_status(hub, Reply::new(conn, r#ref), status, text).await;
        }
        ClientFrame::SetActivity { r#ref, idle } => {
            hub.presence().set_activity(conn, idle);
            Reply::new(conn, r#ref).ack();
        }
        other => tracing::error!(?other, "not a presence command"),
    }
}

/// Subscribes to `presence` or `online_users`: the snapshot now, diffs after.
pub(super) fn subscribe(hub: &Hub, mut reply: Reply, channel: &Channel) {
    let (presence, registry) = (hub.presence(), hub.core().registry());
    let r#ref = reply.take_ref();
    if *channel == Channel::OnlineUsers {
        presence.subscribe_online_users(reply.conn(), registry, r#ref);
    } else {
        presence.subscribe(reply.conn(), registry, r#ref);
    }
}

async fn set_status(hub: &Hub, reply: Reply, status: PresenceStatus, text: Option<String>) {
    let text = text.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty());
    if text.as_ref().is_some_and(|t| t.chars().count() > MAX_STATUS_TEXT || t.chars().any(char::is_control)) {
        return reply.refuse(Refusal::new(
            ErrorCode::InvalidStatus,
            format!("a status line is at most {MAX_STATUS_TEXT} characters, with no control characters"),
        ));
    }
    let user = reply.conn().user.id;
    hub.presence().set_status(user, status, text.clone());
    // Kept for the next time the user comes online; presence already shows it.
    let chosen = status_name(status);
    let saved = hub
        .store()
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
    reply.ack();
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
