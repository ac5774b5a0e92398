//! The channel registry: who is subscribed to what, and fan-out of one encoded frame to them all.
//!
//! **Architecture invariant:** a fan-out serializes its frame once ([`crate::conn::encode`]) and
//! hands every subscriber a reference-counted copy of the same bytes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::ws::Utf8Bytes;
use hubbub_protocol::Channel;
use prometheus_client::metrics::counter::Counter;

use crate::conn::ConnHandle;

/// Subscribers per channel. Cheap operations under one short-held lock; nothing here awaits.
#[derive(Debug, Default)]
pub struct Registry {
    channels: Mutex<HashMap<Channel, HashMap<u64, Arc<ConnHandle>>>>,
    /// Every open connection by id, whatever it is subscribed to (for the admin API, and to close a
    /// user's or a session's sockets).
    open: Mutex<HashMap<u64, Arc<ConnHandle>>>,
    /// Counts every copy a fan-out queues (one atomic add per fan-out).
    deliveries: Counter,
}

impl Registry {
    /// A registry that counts its deliveries on `deliveries`.
    pub fn new(deliveries: Counter) -> Registry {
        Registry { deliveries, ..Registry::default() }
    }

    fn delivered(&self, n: usize) -> usize {
        if n > 0 {
            self.deliveries.inc_by(n as u64);
        }
        n
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Channel, HashMap<u64, Arc<ConnHandle>>>> {
        self.channels.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn open(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Arc<ConnHandle>>> {
        self.open.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Records an open connection (until [`Registry::remove_connection`]).
    pub fn register(&self, conn: &Arc<ConnHandle>) {
        self.open().insert(conn.id, Arc::clone(conn));
    }

    /// Every open connection, by id.
    pub fn connections(&self) -> Vec<Arc<ConnHandle>> {
        let mut all: Vec<_> = self.open().values().cloned().collect();
        all.sort_by_key(|c| c.id);
        all
    }

    /// The open connections of one user (every path, not only the main sockets).
    pub fn connections_of(&self, user_id: i64) -> Vec<Arc<ConnHandle>> {
        self.open().values().filter(|c| c.user.id == user_id).cloned().collect()
    }

    /// Adds `conn` to `channel`; returns false if it was already subscribed.
    pub fn subscribe(&self, channel: &Channel, conn: &Arc<ConnHandle>) -> bool {
        let added =
            self.lock().entry(channel.clone()).or_default().insert(conn.id, Arc::clone(conn)).is_none();
        if added {
            conn.channels.lock().unwrap_or_else(|p| p.into_inner()).push(channel.clone());
        }
        added
    }

    /// Removes `conn` from `channel`; returns false if it was not subscribed.
    pub fn unsubscribe(&self, channel: &Channel, conn: &ConnHandle) -> bool {
        let removed = {
            let mut map = self.lock();
            let removed = map.get_mut(channel).and_then(|subs| subs.remove(&conn.id)).is_some();
            if map.get(channel).is_some_and(HashMap::is_empty) {
                map.remove(channel);
            }
            removed
        };
        if removed {
            conn.channels.lock().unwrap_or_else(|p| p.into_inner()).retain(|c| c != channel);
        }
        removed
    }

    /// Whether `conn` is subscribed to `channel`.
    pub fn is_subscribed(&self, channel: &Channel, conn_id: u64) -> bool {
        self.lock().get(channel).is_some_and(|subs| subs.contains_key(&conn_id))
    }

    /// Removes a closing connection from every channel it was in.
    pub fn remove_connection(&self, conn: &ConnHandle) {
        self.open().remove(&conn.id);
        let channels = std::mem::take(&mut *conn.channels.lock().unwrap_or_else(|p| p.into_inner()));
        let mut map = self.lock();
        for channel in channels {
            if let Some(subs) = map.get_mut(&channel) {
                subs.remove(&conn.id);
                if subs.is_empty() {
                    map.remove(&channel);
                }
            }
        }
    }

    /// Queues `frame` for every subscriber of `channel`, skipping `except`; returns how many got it.
    pub fn publish(&self, channel: &Channel, frame: &Utf8Bytes, except: Option<u64>) -> usize {
        let map = self.lock();
        let Some(subs) = map.get(channel) else {
            return 0;
        };
        self.delivered(
            subs.values().filter(|c| Some(c.id) != except).filter(|c| c.send(frame.clone())).count(),
        )
    }

    /// Queues `frame` for every subscriber of `channel` whose user is not `user_id` (none of that
    /// user's tabs); returns how many got it.
    pub fn publish_except_user(&self, channel: &Channel, frame: &Utf8Bytes, user_id: i64) -> usize {
        let map = self.lock();
        let Some(subs) = map.get(channel) else {
            return 0;
        };
        self.delivered(
            subs.values().filter(|c| c.user.id != user_id).filter(|c| c.send(frame.clone())).count(),
        )
    }

    /// Queues `frame` on every personal channel (every user's sockets) except `user_id`'s.
    pub fn publish_to_users(&self, frame: &Utf8Bytes, except_user: i64) -> usize {
        let map = self.lock();
        let n = map
            .iter()
            .filter(|(channel, _)| matches!(channel, Channel::User(id) if *id != except_user))
            .flat_map(|(_, subs)| subs.values())
            .filter(|c| c.send(frame.clone()))
            .count();
        self.delivered(n)
    }

    /// The connections subscribed to `channel`.
    pub fn subscribers(&self, channel: &Channel) -> Vec<Arc<ConnHandle>> {
        self.lock().get(channel).map(|subs| subs.values().cloned().collect()).unwrap_or_default()
    }

    /// The main sockets of a user (those subscribed to their personal channel that count in presence).
    pub fn main_connections(&self, user_id: i64) -> Vec<Arc<ConnHandle>> {
        let mut conns = self.subscribers(&Channel::User(user_id));
        conns.retain(|c| c.device.is_some());
        conns
    }

    /// How many connections are subscribed to `channel`.
    pub fn subscriber_count(&self, channel: &Channel) -> usize {
        self.lock().get(channel).map_or(0, HashMap::len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hubbub_protocol::UserInfo;

    fn conn(id: u64, cap: usize) -> (Arc<ConnHandle>, crate::outbox::Receiver) {
        let (h, rx) = ConnHandle::new(
            id,
            UserInfo { id: id as i64, display_name: format!("u{id}") },
            Some("test".into()),
            cap,
        );
        (Arc::new(h), rx)
    }

    #[test]
    fn publish_reaches_subscribers_once_and_cleanup_is_complete() {
        let reg = Registry::default();
        let (a, mut arx) = conn(1, 8);
        let (b, mut brx) = conn(2, 8);
        let lobby = Channel::lobby();
        assert!(reg.subscribe(&lobby, &a));
        assert!(!reg.subscribe(&lobby, &a));
        assert!(reg.subscribe(&lobby, &b));
        assert_eq!(reg.publish(&lobby, &Utf8Bytes::from_static("x"), Some(2)), 1);
        assert_eq!(arx.try_recv().unwrap().as_str(), "x");
        assert!(brx.try_recv().is_none());
        reg.remove_connection(&a);
        assert!(!reg.is_subscribed(&lobby, 1));
        assert_eq!(reg.subscriber_count(&lobby), 1);
        assert!(reg.unsubscribe(&lobby, &b));
        assert_eq!(reg.subscriber_count(&lobby), 0);
    }

    #[test]
    fn a_full_queue_closes_the_slow_connection() {
        let reg = Registry::default();
        let (a, _arx) = conn(1, 1);
        reg.subscribe(&Channel::Presence, &a);
        assert_eq!(reg.publish(&Channel::Presence, &Utf8Bytes::from_static("1"), None), 1);
        assert_eq!(reg.publish(&Channel::Presence, &Utf8Bytes::from_static("2"), None), 0);
        assert!(a.is_closing());
    }
}
