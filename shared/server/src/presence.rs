//! Who is online: one entry per user with a count of their connections, and the `presence` channel.
//!
//! Changes and subscriptions happen under one lock, so a subscriber's snapshot and the diffs that
//! follow it never overlap or leave a gap.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use hubbub_protocol::{Channel, OnlineUser, ServerFrame, UserInfo};

use crate::channels::Registry;
use crate::conn::{ConnHandle, encode};
use crate::time::now_ms;

#[derive(Debug, Default)]
pub struct Presence {
    users: Mutex<HashMap<i64, OnlineUser>>,
}

impl Presence {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<i64, OnlineUser>> {
        self.users.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Counts a new connection of `user`; tells `presence` subscribers about the change.
    pub fn connect(&self, user: &UserInfo, registry: &Registry) {
        let mut users = self.lock();
        let entry = users.entry(user.id).or_insert_with(|| OnlineUser {
            user_id: user.id,
            display_name: user.display_name.clone(),
            connections: 0,
            since: now_ms(),
        });
        entry.connections += 1;
        entry.display_name.clone_from(&user.display_name);
        let frame = ServerFrame::PresenceDiff {
            joins: vec![entry.clone()],
            leaves: vec![],
        };
        registry.publish(&Channel::Presence, &encode(&frame), None);
    }

    /// Counts a connection of `user` gone; when it was the last, the user goes offline.
    pub fn disconnect(&self, user_id: i64, registry: &Registry) {
        let mut users = self.lock();
        let Some(entry) = users.get_mut(&user_id) else {
            return;
        };
        entry.connections = entry.connections.saturating_sub(1);
        let frame = if entry.connections == 0 {
            users.remove(&user_id);
            ServerFrame::PresenceDiff {
                joins: vec![],
                leaves: vec![user_id],
            }
        } else {
            ServerFrame::PresenceDiff {
                joins: vec![entry.clone()],
                leaves: vec![],
            }
        };
        registry.publish(&Channel::Presence, &encode(&frame), None);
    }

    /// Sends `conn` the full online list and subscribes it to the diffs that follow.
    pub fn subscribe(&self, conn: &Arc<ConnHandle>, registry: &Registry, r#ref: Option<String>) {
        let users = self.lock();
        conn.send_frame(&ServerFrame::Subscribed {
            r#ref,
            channel: Channel::Presence.to_string(),
            epoch: None,
            last_offset: None,
            recovered: None,
            messages: None,
            users: Some(sorted(&users)),
        });
        registry.subscribe(&Channel::Presence, conn);
    }

    /// Everyone online now, by name.
    pub fn snapshot(&self) -> Vec<OnlineUser> {
        sorted(&self.lock())
    }
}

fn sorted(users: &HashMap<i64, OnlineUser>) -> Vec<OnlineUser> {
    let mut list: Vec<_> = users.values().cloned().collect();
    list.sort_by(|a, b| {
        a.display_name
            .to_lowercase()
            .cmp(&b.display_name.to_lowercase())
            .then(a.user_id.cmp(&b.user_id))
    });
    list
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_connections_count_as_one_user() {
        let p = Presence::default();
        let reg = Registry::default();
        let ann = UserInfo {
            id: 1,
            display_name: "Ann".into(),
        };
        p.connect(&ann, &reg);
        p.connect(&ann, &reg);
        assert_eq!(p.snapshot().len(), 1);
        assert_eq!(p.snapshot()[0].connections, 2);
        p.disconnect(1, &reg);
        assert_eq!(p.snapshot().len(), 1);
        p.disconnect(1, &reg);
        assert!(p.snapshot().is_empty());
    }
}
