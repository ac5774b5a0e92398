//! Notification commands: ping a user, mark inbox entries read; and subscribing to the personal
//! channel with its unread count.

use std::sync::Arc;

use hubbub_protocol::{Channel, ClientFrame, ServerFrame};

use crate::conn::ConnHandle;
use crate::hub::Hub;
use crate::reply::Reply;
use crate::store::unread_count;

/// Handles a notification command.
pub(super) async fn handle(hub: &Hub, conn: &Arc<ConnHandle>, frame: ClientFrame) {
    match frame {
        ClientFrame::PingUser { r#ref, user_id, join_url } => {
            let outcome = hub.notify().ping(&conn.user, user_id, join_url).await;
            Reply::new(conn, r#ref).finish(outcome.map(|_| ()));
        }
        ClientFrame::MarkNotificationsRead { r#ref, ids } => {
            let outcome = hub.notify().mark_read(conn.user.id, ids).await;
            Reply::new(conn, r#ref).finish(outcome.map(|_| ()));
        }
        other => tracing::error!(?other, "not a notification command"),
    }
}

/// Subscribes a connection to its own user's channel, with the unread count. Notifications are
/// published from the store's completions, in commit order, so the count is read in a writer job and
/// the subscription made in its completion: no notification can fall between the two.
pub(super) async fn subscribe_personal(hub: &Hub, reply: Reply) {
    let user_id = reply.conn().user.id;
    let core = hub.core().clone();
    let job = move |db: &crate::store::Db<'_>| Ok(Ok(unread_count(db, user_id)?));
    crate::reply::command(hub.store(), reply, job, move |unread, mut reply| {
        let channel = Channel::User(user_id);
        let mut frame = ServerFrame::subscribed(reply.take_ref(), channel.to_string());
        if let ServerFrame::Subscribed { unread_notifications, .. } = &mut frame {
            *unread_notifications = Some(unread);
        }
        reply.send(&frame);
        core.registry().subscribe(&channel, reply.conn());
    })
    .await;
}
