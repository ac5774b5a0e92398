//! Notification commands: ping a user, mark inbox entries read; and subscribing to the personal
//! channel with its unread count.

use std::sync::Arc;

use hubbub_protocol::{Channel, ClientFrame, ServerFrame, StreamPosition};

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
        let r#ref = reply.take_ref();
        personal_opened(&core, reply.conn(), r#ref, unread);
    })
    .await;
}

/// Subscribes a new socket to its personal channel (when `personal`) and to `chats`, its rooms and
/// conversations, in one writer job: the unread count is read with the channels' openings. The
/// presence `lists` are subscribed in the job's completion, after the personal channel, so the
/// `subscribed` frames come in the order the socket's channels are listed.
pub(super) async fn subscribe_with_chats(
    hub: &Hub,
    conn: &Arc<ConnHandle>,
    personal: bool,
    lists: Vec<Channel>,
    chats: Vec<(Channel, Option<StreamPosition>)>,
) {
    let user_id = conn.user.id;
    let core = hub.core().clone();
    let first = move |db: &crate::store::Db<'_>| personal.then(|| unread_count(db, user_id)).transpose();
    hub.chat()
        .subscribe_all(conn, chats, first, move |unread, conn| {
            if let Some(unread) = unread {
                personal_opened(&core, conn, None, unread);
            }
            for list in &lists {
                super::presence::subscribe_list(&core, conn, list, None);
            }
        })
        .await;
}

/// Sends the personal channel's `subscribed` (with the unread count) and subscribes `conn` to it,
/// in a writer job's completion.
fn personal_opened(core: &crate::core::Core, conn: &Arc<ConnHandle>, r#ref: Option<String>, unread: u32) {
    let channel = Channel::User(conn.user.id);
    let mut frame = ServerFrame::subscribed(r#ref, channel.to_string());
    if let ServerFrame::Subscribed { unread_notifications, .. } = &mut frame {
        *unread_notifications = Some(unread);
    }
    conn.send_frame(&frame);
    core.registry().subscribe(&channel, conn);
}
