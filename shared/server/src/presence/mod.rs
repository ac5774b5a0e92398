//! Who is online, hub-wide and per room: entries per connection, chosen and automatic statuses, a
//! grace period before anyone goes offline, and diffs coalesced over a short window.
//!
//! Every change and every presence subscription happens under one lock, and changes reach
//! subscribers only from [`Presence::flush`], as whole entries. A subscriber's snapshot may already
//! contain a change that a later diff repeats; applying an entry twice changes nothing, so snapshot
//! and diffs never disagree. With N clients reconnecting at once, each subscriber gets one diff per
//! window (in frames of at most [`SNAPSHOT_CHUNK`] entries), not N.

mod list;
mod set;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use hubbub_protocol::{Channel, DevicePresence, OnlineUser, PresenceStatus, ServerFrame};
pub use set::PresenceSet;

use crate::channels::Registry;
use axum::extract::ws::Utf8Bytes;

use crate::conn::{ConnHandle, encode};
use crate::time::now_ms;

/// What a user chose for themselves; kept while they are present anywhere.
#[derive(Debug, Clone)]
struct Profile {
    display_name: String,
    /// The name lowercased: what lists sort and search by.
    key: String,
    chosen: Option<PresenceStatus>,
    text: Option<String>,
}

#[derive(Debug)]
struct Book {
    profiles: HashMap<i64, Profile>,
    /// `Channel::Presence` for the hub, `Channel::Room` for rooms.
    sets: HashMap<Channel, PresenceSet>,
    /// The most users a scope lists (see [`list`]).
    list_max: usize,
    /// Each scope's list as new subscribers are sent it (see [`Book::opening`]).
    listed: HashMap<Channel, list::Listed>,
}

impl Book {
    fn entry(&self, scope: &Channel, user_id: i64) -> Option<OnlineUser> {
        let (devices, since) = self.sets.get(scope)?.devices(user_id)?;
        let profile = self.profiles.get(&user_id)?;
        let active = devices.iter().any(|d| d.status == PresenceStatus::Online);
        Some(OnlineUser {
            user_id,
            display_name: profile.display_name.clone(),
            connections: u32::try_from(devices.len()).unwrap_or(u32::MAX),
            since,
            status: profile.chosen.unwrap_or(if active {
                PresenceStatus::Online
            } else {
                PresenceStatus::Away
            }),
            status_text: profile.text.clone(),
            devices,
        })
    }
}

/// Presence of the whole hub and of each room.
#[derive(Debug)]
pub struct Presence {
    book: Mutex<Book>,
    grace: Duration,
}

impl Presence {
    /// `grace`: how long a user whose last connection closed still counts as online; `list_max`:
    /// the most users a scope lists to its subscribers (at least 1).
    pub fn new(grace: Duration, list_max: usize) -> Presence {
        let book = Book {
            profiles: HashMap::new(),
            sets: HashMap::new(),
            list_max: list_max.max(1),
            listed: HashMap::new(),
        };
        Presence { book: Mutex::new(book), grace }
    }

    fn lock(&self) -> MutexGuard<'_, Book> {
        self.book.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn device(conn: &ConnHandle) -> DevicePresence {
        DevicePresence {
            connection_id: conn.id,
            device: conn.device.clone().unwrap_or_default(),
            status: PresenceStatus::Online,
            since: now_ms(),
        }
    }

    fn join(book: &mut Book, scope: &Channel, conn: &ConnHandle) {
        let profile = book.profiles.entry(conn.user.id).or_insert_with(|| Profile {
            display_name: conn.user.display_name.clone(),
            key: conn.user.display_name.to_lowercase(),
            chosen: None,
            text: None,
        });
        if profile.display_name != conn.user.display_name {
            profile.display_name.clone_from(&conn.user.display_name);
            profile.key = conn.user.display_name.to_lowercase();
        }
        let key = profile.key.clone();
        book.sets.entry(scope.clone()).or_default().join(conn.user.id, Self::device(conn), &key);
    }

    /// A connection comes online: it counts in the hub's presence. `stored` is the status the user
    /// chose last time; it applies when they were not present anywhere yet.
    pub fn connect(&self, conn: &ConnHandle, stored: Option<(PresenceStatus, Option<String>)>) {
        let mut book = self.lock();
        let fresh = !book.profiles.contains_key(&conn.user.id);
        Self::join(&mut book, &Channel::Presence, conn);
        if let (true, Some((status, text)), Some(profile)) =
            (fresh, stored, book.profiles.get_mut(&conn.user.id))
        {
            profile.chosen = (status != PresenceStatus::Online).then_some(status);
            profile.text = text;
        }
    }

    /// A connection closed: it leaves the hub's presence and every room's.
    pub fn disconnect(&self, conn: &ConnHandle) {
        let now = Instant::now();
        let mut book = self.lock();
        for set in book.sets.values_mut() {
            set.leave(conn.user.id, conn.id, now, self.grace);
        }
    }

    /// Sends `conn` the hub's online list and subscribes it to the `presence` diffs.
    pub fn subscribe(&self, conn: &Arc<ConnHandle>, registry: &Registry, r#ref: Option<String>) {
        let mut book = self.lock();
        let (first, rest, total) = book.opening(&Channel::Presence);
        let mut frame = ServerFrame::subscribed(r#ref, Channel::Presence.to_string());
        if let ServerFrame::Subscribed { users, total: all, .. } = &mut frame {
            (*users, *all) = (Some(first), Some(total));
        }
        conn.send_frame(&frame);
        send_rest(conn, rest);
        registry.subscribe(&Channel::Presence, conn);
    }

    /// Subscribes `conn` to `online_users`: the hub's list now and after every change.
    pub fn subscribe_online_users(&self, conn: &Arc<ConnHandle>, registry: &Registry, r#ref: Option<String>) {
        let mut book = self.lock();
        conn.send_frame(&ServerFrame::subscribed(r#ref, Channel::OnlineUsers.to_string()));
        let (users, total) = book.listing(&Channel::Presence);
        conn.send_frame(&online_users_update(users, total));
        registry.subscribe(&Channel::OnlineUsers, conn);
    }

    /// Enters `conn` into a room's presence and sends the frame `subscribed` builds (and encodes)
    /// from the room's members online, then subscribes `conn` to the room; all in one step, so no
    /// diff is missed.
    pub fn enter_room(
        &self,
        room: &Channel,
        conn: &Arc<ConnHandle>,
        registry: &Registry,
        subscribed: impl FnOnce(Vec<OnlineUser>, u32) -> Utf8Bytes,
    ) {
        let mut book = self.lock();
        Self::join(&mut book, room, conn);
        let (first, rest, total) = book.opening(room);
        conn.send(subscribed(first, total));
        send_rest(conn, rest);
        registry.subscribe(room, conn);
    }

    /// Takes `conn` out of a room's presence (it unsubscribed).
    pub fn leave_room(&self, room: &Channel, conn: &ConnHandle) {
        if let Some(set) = self.lock().sets.get_mut(room) {
            set.leave(conn.user.id, conn.id, Instant::now(), self.grace);
        }
    }

    /// A user chose a status (`online` clears a chosen one) and a status line.
    pub fn set_status(&self, user_id: i64, status: PresenceStatus, text: Option<String>) {
        let mut book = self.lock();
        let Some(profile) = book.profiles.get_mut(&user_id) else {
            return;
        };
        profile.chosen = (status != PresenceStatus::Online).then_some(status);
        profile.text = text;
        for set in book.sets.values_mut() {
            set.touch(user_id);
        }
    }

    /// A user was renamed: every list they are in shows the new name (and sorts by it) from the next
    /// flush, without waiting for their sockets to reconnect.
    pub fn rename(&self, user_id: i64, display_name: &str) {
        let mut book = self.lock();
        let Some(profile) = book.profiles.get_mut(&user_id) else {
            return;
        };
        display_name.clone_into(&mut profile.display_name);
        profile.key = display_name.to_lowercase();
        let key = profile.key.clone();
        for set in book.sets.values_mut() {
            set.rekey(user_id, &key);
        }
    }

    /// A connection's tab went idle (or came back).
    pub fn set_activity(&self, conn: &ConnHandle, idle: bool) {
        let status = if idle { PresenceStatus::Away } else { PresenceStatus::Online };
        for set in self.lock().sets.values_mut() {
            set.set_device_status(conn.user.id, conn.id, status);
        }
    }

    /// Whether a user is online (connected, or within the grace period).
    pub fn is_online(&self, user_id: i64) -> bool {
        self.lock().sets.get(&Channel::Presence).is_some_and(|s| s.contains(user_id))
    }

    /// Everyone online on the hub whose name contains `query` (any case), by name: `limit` of
    /// them from `offset`, how many matched, and how many are online in all.
    pub fn page(&self, query: &str, offset: usize, limit: usize) -> (Vec<OnlineUser>, usize, usize) {
        let book = self.lock();
        let (users, matched) = book.page(&Channel::Presence, query, offset, limit);
        (users, matched, book.sets.get(&Channel::Presence).map_or(0, PresenceSet::len))
    }

    /// The most users a scope lists to its subscribers.
    pub fn list_max(&self) -> usize {
        self.lock().list_max
    }

    /// Ends grace periods that ran out by `now` and sends each scope's subscribers one diff with
    /// everything that changed since the last flush. Returns how many diff frames were published.
    pub fn flush(&self, now: Instant, registry: &Registry) -> usize {
        let mut book = self.lock();
        let mut frames = 0;
        let scopes: Vec<Channel> = book.sets.keys().cloned().collect();
        for scope in scopes {
            let Some(frame) = book.diff(&scope, now) else {
                if book.sets.get(&scope).is_some_and(PresenceSet::is_idle) && scope != Channel::Presence {
                    book.sets.remove(&scope);
                    book.listed.remove(&scope);
                }
                continue;
            };
            for piece in list::pieces(frame, SNAPSHOT_CHUNK) {
                registry.publish(&scope, &encode(&piece), None);
                frames += 1;
            }
            if scope == Channel::Presence && registry.subscriber_count(&Channel::OnlineUsers) > 0 {
                let (users, total) = book.listing(&Channel::Presence);
                registry.publish(&Channel::OnlineUsers, &encode(&online_users_update(users, total)), None);
            }
        }
        let Book { profiles, sets, .. } = &mut *book;
        profiles.retain(|id, _| sets.values().any(|s| s.contains(*id)));
        frames
    }
}

fn online_users_update(users: Vec<OnlineUser>, total_count: u32) -> ServerFrame {
    ServerFrame::OnlineUsersUpdate { users, total_count, timestamp: now_ms() }
}

/// Presence entries in one frame (about 1.8 KiB). A large hub's list goes out as `subscribed` with the
/// first entries, then `presence_diff` frames whose joins carry the rest, all before any later diff
/// (the book stays locked): the client applies them like any diff and ends with the exact list, and
/// no socket writes one huge frame. That matters because a socket's write buffer keeps the size of
/// the largest frame it wrote: one 360 KiB snapshot per connection stayed allocated for the
/// connection's life (2,000 users: 233 KiB per connection before, 53 KiB after 50-entry frames).
pub const SNAPSHOT_CHUNK: usize = 10;
/// Most frames one snapshot is split into, so a huge list cannot fill a socket's send queue with
/// them: above 2,000 entries the chunks grow instead.
pub const MAX_SNAPSHOT_FRAMES: usize = 200;

/// The first chunk of a snapshot, the rest, and the chunk size.
fn split_snapshot(mut users: Vec<OnlineUser>) -> (Vec<OnlineUser>, Vec<OnlineUser>, usize) {
    let chunk = SNAPSHOT_CHUNK.max(users.len().div_ceil(MAX_SNAPSHOT_FRAMES));
    let rest = if users.len() > chunk { users.split_off(chunk) } else { Vec::new() };
    (users, rest, chunk)
}

/// Sends the entries after the first chunk: `presence_diff` frames of joins, already encoded.
fn send_rest(conn: &ConnHandle, rest: Vec<Utf8Bytes>) {
    for frame in rest {
        conn.send(frame);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hubbub_protocol::UserInfo;

    fn conn(id: u64, user: i64) -> (Arc<ConnHandle>, crate::outbox::Receiver) {
        let (h, rx) = ConnHandle::new(
            id,
            UserInfo { id: user, display_name: format!("u{user}") },
            Some("test".into()),
            64,
        );
        (Arc::new(h), rx)
    }

    fn frames(rx: &mut crate::outbox::Receiver) -> Vec<serde_json::Value> {
        std::iter::from_fn(|| rx.try_recv()).map(|f| serde_json::from_str(f.as_str()).unwrap()).collect()
    }

    #[test]
    fn a_big_snapshot_arrives_in_small_frames_that_add_up_to_the_list() {
        let presence = Presence::new(Duration::from_secs(10), 1000);
        let registry = Registry::default();
        let others: Vec<_> = (2..=51).map(|i| conn(i, i as i64).0).collect();
        for c in &others {
            presence.connect(c, None);
        }
        let (late, mut rx) = conn(1, 1);
        presence.connect(&late, None);
        presence.subscribe(&late, &registry, None);
        let got = frames(&mut rx);
        assert_eq!(got.len(), 6, "51 entries: 10 in `subscribed`, then 4 x 10 and 1 as joins");
        assert_eq!(got[0]["type"], "subscribed");
        assert!(got[1..].iter().all(|f| f["type"] == "presence_diff" && f["channel"] == "presence"));
        let mut ids: Vec<i64> =
            got[0]["users"].as_array().unwrap().iter().map(|u| u["user_id"].as_i64().unwrap()).collect();
        for f in &got[1..] {
            ids.extend(f["joins"].as_array().unwrap().iter().map(|u| u["user_id"].as_i64().unwrap()));
        }
        ids.sort_unstable();
        assert_eq!(ids, (1..=51).collect::<Vec<_>>());
        // A huge list is split into at most MAX_SNAPSHOT_FRAMES frames.
        let (first, rest, chunk) = split_snapshot(
            vec![got[0]["users"][0].clone(); 50_000]
                .into_iter()
                .map(|u| serde_json::from_value(u).unwrap())
                .collect(),
        );
        assert_eq!((first.len(), chunk), (250, 250));
        assert_eq!(1 + rest.len().div_ceil(chunk), MAX_SNAPSHOT_FRAMES);
    }

    #[test]
    fn many_joins_in_one_window_are_one_diff_per_subscriber() {
        let presence = Presence::new(Duration::from_secs(10), 1000);
        let registry = Registry::default();
        let (watcher, mut rx) = conn(1, 1);
        presence.connect(&watcher, None);
        presence.subscribe(&watcher, &registry, None);
        let others: Vec<_> = (2..=101).map(|i| conn(i, i as i64).0).collect();
        for c in &others {
            presence.connect(c, None);
        }
        // One diff of 101 entries, each once, in frames of at most SNAPSHOT_CHUNK; the total last.
        assert_eq!(presence.flush(Instant::now(), &registry), 11);
        let got = frames(&mut rx);
        assert_eq!(got.len(), 12, "the snapshot, then the diff in 11 frames");
        let diffs = &got[1..];
        assert!(
            diffs.iter().all(|f| f["type"] == "presence_diff" && f["joins"].as_array().unwrap().len() <= 10)
        );
        let mut ids: Vec<i64> = diffs
            .iter()
            .flat_map(|f| f["joins"].as_array().unwrap().iter().map(|u| u["user_id"].as_i64().unwrap()))
            .collect();
        ids.sort_unstable();
        assert_eq!(ids, (1..=101).collect::<Vec<_>>());
        assert!(diffs[..10].iter().all(|f| f.get("total").is_none()));
        assert_eq!(diffs[10]["total"], 101);
        assert_eq!(presence.flush(Instant::now(), &registry), 0, "nothing new, nothing sent");
    }

    #[test]
    fn a_rename_reaches_subscribers_and_re_sorts_the_list() {
        let presence = Presence::new(Duration::from_secs(10), 1000);
        let registry = Registry::default();
        let (watcher, mut rx) = conn(1, 1);
        presence.connect(&watcher, None);
        let others: Vec<_> = (2..=3).map(|i| conn(i, i as i64).0).collect();
        for c in &others {
            presence.connect(c, None);
        }
        presence.subscribe(&watcher, &registry, None);
        presence.flush(Instant::now(), &registry);
        frames(&mut rx);
        let names =
            |p: &Presence| p.page("", 0, 10).0.into_iter().map(|u| u.display_name).collect::<Vec<_>>();
        assert_eq!(names(&presence), ["u1", "u2", "u3"]);

        presence.rename(3, "Aaron");
        assert_eq!(names(&presence), ["Aaron", "u1", "u2"], "sorted by the new name");
        assert_eq!(presence.page("aar", 0, 10).1, 1, "found by the new name");
        assert!(presence.flush(Instant::now(), &registry) > 0);
        let got = frames(&mut rx);
        let renamed: Vec<_> = got
            .iter()
            .flat_map(|f| f["joins"].as_array().into_iter().flatten())
            .filter(|u| u["user_id"] == 3)
            .map(|u| u["display_name"].clone())
            .collect();
        assert_eq!(renamed, ["Aaron"], "one change with the new name: {got:?}");
        presence.rename(99, "nobody");
        assert_eq!(names(&presence), ["Aaron", "u1", "u2"], "renaming someone not present changes nothing");
    }

    #[test]
    fn chosen_status_wins_and_idle_devices_make_away() {
        let presence = Presence::new(Duration::from_secs(10), 1000);
        let (a, _) = conn(1, 1);
        let (b, _) = conn(2, 1);
        presence.connect(&a, None);
        presence.connect(&b, None);
        presence.set_activity(&a, true);
        assert_eq!(presence.page("", 0, 10).0[0].status, PresenceStatus::Online, "one tab still active");
        presence.set_activity(&b, true);
        assert_eq!(presence.page("", 0, 10).0[0].status, PresenceStatus::Away);
        presence.set_status(1, PresenceStatus::Busy, Some("in a game".into()));
        let me = &presence.page("", 0, 10).0[0];
        assert_eq!(
            (me.status, me.status_text.as_deref(), me.connections),
            (PresenceStatus::Busy, Some("in a game"), 2)
        );
        presence.set_status(1, PresenceStatus::Online, None);
        assert_eq!(presence.page("", 0, 10).0[0].status, PresenceStatus::Away, "back to automatic");
    }

    #[test]
    fn room_presence_is_separate_and_follows_its_members() {
        let presence = Presence::new(Duration::ZERO, 1000);
        let registry = Registry::default();
        let lobby = Channel::lobby();
        let (a, mut arx) = conn(1, 1);
        let (b, _) = conn(2, 2);
        presence.connect(&a, None);
        presence.connect(&b, None);
        presence.enter_room(&lobby, &a, &registry, |users, _| {
            assert_eq!(users.len(), 1);
            encode(&ServerFrame::Unsubscribed { r#ref: None, channel: "x".into() })
        });
        presence.enter_room(&lobby, &b, &registry, |users, _| {
            assert_eq!(users.len(), 2);
            encode(&ServerFrame::Unsubscribed { r#ref: None, channel: "x".into() })
        });
        presence.flush(Instant::now(), &registry);
        presence.leave_room(&lobby, &b);
        presence.flush(Instant::now(), &registry);
        let got = frames(&mut arx);
        let last = got.last().unwrap();
        assert_eq!((last["channel"].as_str(), last["leaves"][0].as_i64()), (Some("room:lobby"), Some(2)));
        assert!(presence.is_online(2), "leaving a room is not leaving the hub");
    }
}
