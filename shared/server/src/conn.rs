//! The hub's handle on one open connection: its bounded send queue, its close switch, and the count
//! of its writes still on the store (so its answers keep the order of its commands).
//!
//! **Architecture invariant:** every queue is bounded. A frame that does not fit in a connection's
//! queue closes that connection with 4008 (too slow); the hub never buffers more for it.

use std::borrow::Cow;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::ws::Utf8Bytes;
use hubbub_protocol::{Channel, ServerFrame, UserInfo};
use tokio::sync::Notify;

use crate::outbox::{self, Refused};

/// Why and how a connection should end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CloseReason {
    /// Send this close frame (after flushing what is queued when `flush` is set).
    Send { code: u16, reason: Cow<'static, str>, flush: bool },
    /// The peer is gone or already closed: stop without sending anything.
    Quiet,
}

/// Where a connection came from, for the admin API's list of connections and for ending a session's
/// sockets. Kept small: every idle connection holds one (the address inline, the path sized to fit).
#[derive(Debug, Clone, Default)]
pub struct ConnMeta {
    /// The session that opened it.
    pub session_id: i64,
    /// The peer's IP address (none for a connection not made over TCP, as in tests).
    pub address: Option<std::net::IpAddr>,
    /// The route it was opened on, e.g. `/ws` or `/ws/rooms/{id}` (shared, not copied per socket).
    pub route: Option<axum::extract::MatchedPath>,
    /// Unix ms.
    pub connected_at: i64,
}

/// One open connection, shared by the registry (to fan out) and the connection's own tasks.
#[derive(Debug)]
pub struct ConnHandle {
    pub id: u64,
    pub user: UserInfo,
    /// Where it came from.
    pub meta: ConnMeta,
    /// How this connection's device is shown in presence (e.g. `Android`); `None` for the seed path
    /// sockets, which watch one channel and do not count in presence.
    pub device: Option<String>,
    tx: outbox::Sender,
    close: Mutex<Option<CloseReason>>,
    close_notify: Notify,
    /// Channels this connection is subscribed to, so it can leave them all when it ends.
    pub(crate) channels: Mutex<Vec<Channel>>,
    /// Its commands' writes queued on the store whose answers are not queued yet.
    writes: Writes,
}

/// Most writes one connection may have on the store at once (fewer with a small send queue, see
/// [`ConnHandle::write_limit`]).
pub const MAX_WRITES_IN_FLIGHT: usize = 32;

/// A connection's writes in flight: a count and a wake-up for the reader waiting on it. The same
/// few bytes however busy the connection was; nothing is kept per write.
#[derive(Debug, Default)]
struct Writes {
    in_flight: AtomicUsize,
    changed: Notify,
}

/// One write in flight, counted until this is dropped: by its completion once the answer is queued,
/// or with the job itself if the job never runs (the store closing, a completion that panicked).
#[derive(Debug)]
pub struct WriteInFlight(Arc<ConnHandle>);

impl Drop for WriteInFlight {
    fn drop(&mut self) {
        let writes = &self.0.writes;
        writes.in_flight.fetch_sub(1, Ordering::AcqRel);
        writes.changed.notify_waiters();
    }
}

/// Serializes a frame once; the result is cheap to clone for every subscriber.
pub fn encode(frame: &ServerFrame) -> Utf8Bytes {
    match serde_json::to_string(frame) {
        Ok(s) => Utf8Bytes::from(s),
        Err(e) => {
            tracing::error!(error = %e, "frame failed to serialize");
            Utf8Bytes::from_static(r#"{"type":"error","code":"internal","message":"frame encoding failed"}"#)
        }
    }
}

/// Serializes a `subscribed` frame with `messages`, a JSON array encoded once and shared by every
/// new subscriber of the channel (the frame itself, with the subscriber's own read state and
/// presence, is theirs). The array goes right after the frame's type, where `messages: None` left
/// no key.
pub fn encode_subscribed(frame: &ServerFrame, messages: &str) -> Utf8Bytes {
    const HEAD: &str = r#"{"type":"subscribed","#;
    let own = encode(frame);
    match own.as_str().strip_prefix(HEAD) {
        Some(rest) if matches!(frame, ServerFrame::Subscribed { messages: None, .. }) => {
            let mut out = String::with_capacity(own.len() + messages.len() + 12);
            out.push_str(HEAD);
            out.push_str(r#""messages":"#);
            out.push_str(messages);
            out.push(',');
            out.push_str(rest);
            Utf8Bytes::from(out)
        }
        _ => {
            tracing::error!("a shared snapshot was given a frame it cannot go in");
            own
        }
    }
}

impl ConnHandle {
    /// A handle and the receiving end of its send queue (`capacity` frames).
    pub fn new(
        id: u64,
        user: UserInfo,
        device: Option<String>,
        capacity: usize,
    ) -> (ConnHandle, outbox::Receiver) {
        let (tx, rx) = outbox::outbox(capacity);
        let handle = ConnHandle {
            id,
            user,
            meta: ConnMeta::default(),
            device,
            tx,
            close: Mutex::new(None),
            close_notify: Notify::new(),
            channels: Mutex::new(Vec::new()),
            writes: Writes::default(),
        };
        (handle, rx)
    }

    /// The same handle, with where it came from.
    #[must_use]
    pub fn with_meta(mut self, meta: ConnMeta) -> Self {
        self.meta = meta;
        self
    }

    /// Frames queued and not yet written.
    pub fn queue_depth(&self) -> usize {
        self.tx.queued()
    }

    /// Whether it is on a party's channel: it is then pinged every `party_heartbeat` and dropped after
    /// `party_idle_timeout` of silence, so a player whose phone lost its network shows quickly.
    pub fn in_party(&self) -> bool {
        self.channels.lock().unwrap_or_else(|p| p.into_inner()).iter().any(|c| matches!(c, Channel::Party(_)))
    }

    /// The channels it is subscribed to.
    pub fn channel_names(&self) -> Vec<String> {
        self.channels.lock().unwrap_or_else(|p| p.into_inner()).iter().map(ToString::to_string).collect()
    }

    /// Queues an encoded frame. A full queue closes the connection as too slow; returns whether queued.
    pub fn send(&self, frame: Utf8Bytes) -> bool {
        match self.tx.try_send(frame) {
            Ok(()) => true,
            Err(Refused::Full) => {
                self.close(CloseReason::Send {
                    code: hubbub_protocol::close::TOO_SLOW,
                    reason: Cow::Borrowed("too slow: send queue full"),
                    flush: false,
                });
                false
            }
            Err(Refused::Closed) => false,
        }
    }

    /// Waits until at least a quarter of the send queue is free. The reader calls it before each
    /// command, so a client that pipelines commands faster than it reads the answers is slowed down
    /// instead of overflowing its own queue.
    pub async fn room_for_replies(&self) {
        self.tx.wait_for_room((self.tx.capacity() / 4).max(1)).await;
    }

    /// Counts one more write of this connection's on the store, until the returned value is dropped.
    pub fn write_started(self: &Arc<Self>) -> WriteInFlight {
        self.writes.in_flight.fetch_add(1, Ordering::AcqRel);
        WriteInFlight(Arc::clone(self))
    }

    /// How many of its writes may be on the store at once: [`MAX_WRITES_IN_FLIGHT`], or fewer when
    /// the send queue is small. Each write answers with an ack and usually an echo of its event, and
    /// the reader only knows a quarter of the queue was free before the command: a sixteenth keeps
    /// every answer of the writes in flight inside that quarter. One means a write at a time.
    pub fn write_limit(&self) -> usize {
        (self.tx.capacity() / 16).clamp(1, MAX_WRITES_IN_FLIGHT)
    }

    /// Waits until fewer than `n` of its writes are in flight.
    pub async fn writes_below(&self, n: usize) {
        loop {
            if self.writes.in_flight.load(Ordering::Acquire) < n {
                return;
            }
            let changed = self.writes.changed.notified();
            tokio::pin!(changed);
            // Registered before the count is read again, so a completion in between still wakes it.
            changed.as_mut().enable();
            if self.writes.in_flight.load(Ordering::Acquire) < n {
                return;
            }
            changed.await;
        }
    }

    /// Waits until every write of its is answered: an answer sent after this comes after theirs.
    pub async fn writes_settled(&self) {
        self.writes_below(1).await;
    }

    /// Encodes and queues one frame for this connection only.
    pub fn send_frame(&self, frame: &ServerFrame) -> bool {
        self.send(encode(frame))
    }

    /// Asks the connection to end. The first reason wins; later calls change nothing.
    pub fn close(&self, reason: CloseReason) {
        let mut slot = self.close.lock().unwrap_or_else(|p| p.into_inner());
        if slot.is_none() {
            *slot = Some(reason);
            drop(slot);
            self.close_notify.notify_one();
        }
    }

    /// Waits until [`ConnHandle::close`] is called and returns the reason.
    pub async fn closed(&self) -> CloseReason {
        loop {
            if let Some(r) = self.close.lock().unwrap_or_else(|p| p.into_inner()).clone() {
                return r;
            }
            self.close_notify.notified().await;
        }
    }

    /// Why the connection was asked to end, if it was.
    pub fn close_reason(&self) -> Option<CloseReason> {
        self.close.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The route it was opened on, for logs and metrics (`(none)` off the network, as in tests).
    pub fn route(&self) -> &str {
        self.meta.route.as_ref().map_or("(none)", axum::extract::MatchedPath::as_str)
    }

    /// Whether the connection has been asked to end.
    pub fn is_closing(&self) -> bool {
        self.close.lock().unwrap_or_else(|p| p.into_inner()).is_some()
    }
}

#[cfg(test)]
mod tests {
    use hubbub_protocol::{ChatMessage, ServerFrame};

    use super::*;

    fn message(id: i64, body: &str) -> ChatMessage {
        serde_json::from_value(serde_json::json!({
            "id": id, "channel": "room:lobby", "offset": id, "sender_id": 1, "sender_name": "Ann",
            "client_message_id": format!("c{id}"), "body": body, "created_at": 5
        }))
        .unwrap()
    }

    #[test]
    fn a_shared_snapshot_reads_as_the_frame_with_its_messages() {
        let messages = vec![message(1, "hi"), message(2, "\"quoted\" \\ and \u{1F600}")];
        let shared = serde_json::to_string(&messages).unwrap();
        let mut frame = ServerFrame::subscribed(Some("r\"1".into()), "room:lobby".into());
        if let ServerFrame::Subscribed { epoch, last_offset, unread, .. } = &mut frame {
            (*epoch, *last_offset, *unread) = (Some("e".into()), Some(2), Some(1));
        }
        let bytes = encode_subscribed(&frame, &shared);
        assert!(bytes.as_str().starts_with(r#"{"type":"subscribed","messages":[{"#), "{}", bytes.as_str());
        let read: ServerFrame = serde_json::from_str(bytes.as_str()).unwrap();
        if let ServerFrame::Subscribed { messages: m, .. } = &mut frame {
            *m = Some(messages);
        }
        assert_eq!(serde_json::to_value(read).unwrap(), serde_json::to_value(frame).unwrap());
    }
}
