//! go-falcon's rooms: how the hub reads a room's name (`user:`, `group:`, `thread:`, custom), and
//! the rooms among its own sockets: which `/websocket/connect` socket is in which room, so a
//! custom room's messages and any room's `custom_event`s reach the others in it, and the admin routes
//! can list them. One per hub (in `dialects::Shared`).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::ws::Message;
use hubbub_protocol::dialects::falcon::WsMessage;
use hubbub_protocol::{Channel, UserInfo};
use tokio::sync::mpsc;

/// Most rooms one socket is in (its automatic ones included).
pub const MAX_ROOMS_PER_SOCKET: usize = 256;

struct Member {
    #[allow(dead_code)]
    user: UserInfo,
    tx: mpsc::Sender<Message>,
    rooms: HashSet<String>,
}

#[derive(Default)]
struct Book {
    sockets: HashMap<u64, Member>,
    rooms: BTreeMap<String, HashSet<u64>>,
}

/// The rooms of a hub's `/websocket/connect` sockets.
#[derive(Default)]
pub struct Rooms {
    book: Mutex<Book>,
    next: AtomicU64,
}

impl Rooms {
    fn book(&self) -> std::sync::MutexGuard<'_, Book> {
        self.book.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A new socket; frames for it go to `tx`. Returns its id (never 0).
    pub fn register(&self, user: UserInfo, tx: mpsc::Sender<Message>) -> u64 {
        let id = self.next.fetch_add(1, Ordering::Relaxed) + 1;
        self.book().sockets.insert(id, Member { user, tx, rooms: HashSet::new() });
        id
    }

    /// Puts socket `id` in `room`.
    pub fn join(&self, id: u64, room: &str) -> Result<(), String> {
        let mut book = self.book();
        let Some(member) = book.sockets.get_mut(&id) else { return Ok(()) };
        if !member.rooms.contains(room) && member.rooms.len() >= MAX_ROOMS_PER_SOCKET {
            return Err(format!("a connection is in at most {MAX_ROOMS_PER_SOCKET} rooms"));
        }
        member.rooms.insert(room.to_owned());
        book.rooms.entry(room.to_owned()).or_default().insert(id);
        Ok(())
    }

    /// Takes socket `id` out of `room`; false if it was not in it.
    pub fn leave(&self, id: u64, room: &str) -> bool {
        let mut book = self.book();
        let was = book.sockets.get_mut(&id).is_some_and(|m| m.rooms.remove(room));
        if let Some(members) = book.rooms.get_mut(room) {
            members.remove(&id);
            if members.is_empty() {
                book.rooms.remove(room);
            }
        }
        was
    }

    pub fn is_in(&self, id: u64, room: &str) -> bool {
        self.book().sockets.get(&id).is_some_and(|m| m.rooms.contains(room))
    }

    /// Forgets a closed socket.
    pub fn remove(&self, id: u64) {
        let mut book = self.book();
        let Some(member) = book.sockets.remove(&id) else { return };
        for room in member.rooms {
            if let Some(members) = book.rooms.get_mut(&room) {
                members.remove(&id);
                if members.is_empty() {
                    book.rooms.remove(&room);
                }
            }
        }
    }

    /// Sends `frame` to every socket in `room` but `except`; returns how many took it. A socket
    /// whose queue is full misses it (and the hub logs it).
    pub fn relay(&self, room: &str, except: Option<u64>, frame: &WsMessage) -> u32 {
        let Ok(text) = serde_json::to_string(frame) else { return 0 };
        let text: axum::extract::ws::Utf8Bytes = text.into();
        let book = self.book();
        let mut delivered = 0;
        for id in book.rooms.get(room).into_iter().flatten().filter(|id| Some(**id) != except) {
            if let Some(member) = book.sockets.get(id) {
                match member.tx.try_send(Message::Text(text.clone())) {
                    Ok(()) => delivered += 1,
                    Err(e) => tracing::debug!(socket = id, room, error = %e, "a relayed frame was dropped"),
                }
            }
        }
        delivered
    }

    /// Every room with its number of sockets.
    pub fn list(&self) -> Vec<(String, u32)> {
        let book = self.book();
        book.rooms
            .iter()
            .map(|(room, ids)| (room.clone(), u32::try_from(ids.len()).unwrap_or(u32::MAX)))
            .collect()
    }

    /// How many sockets and rooms there are.
    pub fn counts(&self) -> (u32, u32) {
        let book = self.book();
        let n = |x: usize| u32::try_from(x).unwrap_or(u32::MAX);
        (n(book.sockets.len()), n(book.rooms.len()))
    }
}

/// A go-falcon room, as the hub reads its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Target {
    User(i64),
    Group(String),
    Thread(i64),
    Custom(String),
}

impl Target {
    pub(super) fn parse(room: &str) -> Option<Target> {
        let room = room.trim();
        if room.is_empty() || room.chars().count() > 100 || room.chars().any(char::is_control) {
            return None;
        }
        Some(match room.split_once(':') {
            Some(("user", id)) => Target::User(id.parse().ok()?),
            Some(("group", slug)) => Target::Group(slug.to_owned()),
            Some(("thread", id)) => Target::Thread(id.parse().ok()?),
            _ => Target::Custom(room.to_owned()),
        })
    }

    /// The Hubbub channel of a group or thread.
    pub(super) fn channel(&self) -> Option<String> {
        match self {
            Target::Group(slug) => format!("room:{slug}").parse::<Channel>().ok().map(|c| c.to_string()),
            Target::Thread(id) => Some(Channel::Dm(*id).to_string()),
            _ => None,
        }
    }
}

/// go-falcon's name for a Hubbub channel: `room:x` is `group:x`, `dm:4` is `thread:4`.
pub(super) fn room_of(channel: &str) -> String {
    if let Some(slug) = channel.strip_prefix("room:") {
        format!("group:{slug}")
    } else if let Some(id) = channel.strip_prefix("dm:") {
        format!("thread:{id}")
    } else {
        channel.to_owned()
    }
}

/// go-falcon's name for a room.
pub(super) fn room_name(target: &Target) -> String {
    match target {
        Target::User(id) => format!("user:{id}"),
        Target::Group(slug) => format!("group:{slug}"),
        Target::Thread(id) => format!("thread:{id}"),
        Target::Custom(name) => name.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rooms_fill_and_empty_with_their_sockets() {
        let rooms = Rooms::default();
        let user = UserInfo { id: 1, display_name: "Ann".into() };
        let (tx, mut rx) = mpsc::channel(4);
        let (tx2, mut rx2) = mpsc::channel(4);
        let a = rooms.register(user.clone(), tx);
        let b = rooms.register(user, tx2);
        rooms.join(a, "ops").unwrap();
        rooms.join(b, "ops").unwrap();
        let frame: WsMessage =
            serde_json::from_value(serde_json::json!({"type": "custom_event", "data": {"x": 1}})).unwrap();
        assert_eq!(rooms.relay("ops", Some(a), &frame), 1);
        assert!(rx.try_recv().is_err());
        assert!(rx2.try_recv().is_ok());
        assert!(rooms.leave(b, "ops"));
        assert!(!rooms.leave(b, "ops"));
        rooms.remove(a);
        assert_eq!(rooms.counts(), (1, 0));
        for i in 0..MAX_ROOMS_PER_SOCKET {
            rooms.join(b, &format!("r{i}")).unwrap();
        }
        assert!(rooms.join(b, "one too many").is_err());
    }

    #[test]
    fn room_names_read_as_the_document_writes_them() {
        assert_eq!(Target::parse("user:4"), Some(Target::User(4)));
        assert_eq!(Target::parse("group:lobby"), Some(Target::Group("lobby".into())));
        assert_eq!(Target::parse("thread:9"), Some(Target::Thread(9)));
        assert_eq!(Target::parse("fleet-ops"), Some(Target::Custom("fleet-ops".into())));
        assert_eq!(Target::parse("user:abc"), None);
        assert_eq!(Target::parse(""), None);
        assert_eq!(room_of("room:lobby"), "group:lobby");
        assert_eq!(room_of("dm:3"), "thread:3");
        assert_eq!(room_of("user:3"), "user:3");
    }
}
