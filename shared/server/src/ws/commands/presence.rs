//! Presence commands: a chosen status and status line, idle or active (the rules and the budget are
//! the status service's); and subscribing to the presence lists.

use std::sync::Arc;

use hubbub_protocol::{Channel, ClientFrame};

use crate::conn::ConnHandle;
use crate::core::Core;
use crate::hub::Hub;
use crate::reply::Reply;

/// Handles a presence command.
pub(super) async fn handle(hub: &Hub, conn: &Arc<ConnHandle>, frame: ClientFrame) {
    match frame {
        ClientFrame::SetStatus { r#ref, status, text } => {
            let outcome = hub.statuses().set_status(conn.user.id, status, text).await;
            Reply::new(conn, r#ref).finish(outcome);
        }
        ClientFrame::SetActivity { r#ref, idle } => {
            Reply::new(conn, r#ref).finish(hub.statuses().set_activity(conn, idle));
        }
        other => tracing::error!(?other, "not a presence command"),
    }
}

/// Subscribes to `presence` or `online_users`: the snapshot now, diffs after.
pub(super) fn subscribe(hub: &Hub, mut reply: Reply, channel: &Channel) {
    let r#ref = reply.take_ref();
    subscribe_list(hub.core(), reply.conn(), channel, r#ref);
}

/// [`subscribe`] with the core's handles (from a writer job's completion).
pub(super) fn subscribe_list(core: &Core, conn: &Arc<ConnHandle>, channel: &Channel, r#ref: Option<String>) {
    let (presence, registry) = (core.presence(), core.registry());
    if *channel == Channel::OnlineUsers {
        presence.subscribe_online_users(conn, registry, r#ref);
    } else {
        presence.subscribe(conn, registry, r#ref);
    }
}
