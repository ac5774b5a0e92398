//! Putting a user's open sockets into a channel and taking them out (server-side subscriptions:
//! joining a room or accepting a conversation subscribes every tab at once), and typing, which only
//! a subscribed socket may signal.

use std::sync::Arc;
use std::time::Instant;

use hubbub_protocol::{Channel, ErrorCode, ServerFrame};

use super::Chat;
use crate::conn::ConnHandle;
use crate::error::{Outcome, Refusal};
use crate::reply::Reply;

impl Chat {
    /// Subscribes every open main socket of `user` to `channel` (those already in it stay as they are).
    pub async fn subscribe_user(&self, user: i64, channel: &Channel) {
        let registry = self.core().registry();
        for conn in
            registry.main_connections(user).into_iter().filter(|c| !registry.is_subscribed(channel, c.id))
        {
            self.subscribe(Reply::new(&conn, None), channel.clone(), None).await;
        }
    }

    /// Unsubscribes every socket of `user` from `channel`, and tells each one.
    pub fn unsubscribe_user(&self, user: i64, channel: &Channel) {
        let registry = self.core().registry();
        for conn in registry.subscribers(channel).into_iter().filter(|c| c.user.id == user) {
            if registry.unsubscribe(channel, &conn) {
                self.core().presence().leave_room(channel, &conn);
                conn.send_frame(&ServerFrame::Unsubscribed { r#ref: None, channel: channel.to_string() });
            }
        }
    }

    /// `conn`'s user started or stopped typing in `channel`, which `conn` must be subscribed to.
    /// Relayed to the channel's other members when it starts or stops, at most once per
    /// `typing_window` (the latest state), never to the typist.
    pub fn typing(&self, conn: &Arc<ConnHandle>, channel: &str, typing: bool) -> Outcome<()> {
        let registry = self.core().registry();
        match channel.parse::<Channel>() {
            Ok(c @ (Channel::Room(_) | Channel::Dm(_))) if registry.is_subscribed(&c, conn.id) => {
                // Someone who may not write there (muted, a locked room) is not shown typing.
                let may = self.core().policy().may_write(conn.user.id, channel, crate::time::now_ms());
                if may.is_ok() || !typing {
                    self.inner.typing.set(registry, &c, conn, typing, Instant::now());
                }
                Ok(())
            }
            _ => Err(Refusal::new(
                ErrorCode::NotSubscribed,
                format!("typing needs a subscribed room or conversation, not {channel:?}"),
            )),
        }
    }
}
