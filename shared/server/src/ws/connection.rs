//! One connection: a writer loop draining the bounded queue and a reader loop handling commands,
//! both in the connection's one task.
//!
//! The writer owns the socket's sending half: it batches queued frames into one flush, pings on the
//! heartbeat, and on close flushes (when asked) and sends the close frame. The reader owns the
//! receiving half and drops peers that stay silent past the idle timeout. A connection in a party
//! uses the party's shorter heartbeat and idle timeout (`party_heartbeat`, `party_idle_timeout`), so
//! a player whose phone went silent is shown reconnecting within seconds.
//!
//! The loops are generic over the socket: anything that is a [`Stream`] of messages and a [`Sink`]
//! for them, with axum's error. The hub runs them on its own socket (`super::HubSocket`); the tests
//! (`tests.rs`) run them on in-memory channels.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes};
use futures_util::{Sink, SinkExt, Stream, StreamExt};
use std::collections::HashMap;

use hubbub_protocol::{Channel, ErrorCode, ServerFrame, StreamPosition, UserInfo, close};

use tokio::time::{Instant, sleep, timeout};

use super::commands;
use crate::conn::{CloseReason, ConnHandle, ConnMeta};
use crate::hub::Hub;
use crate::outbox;
use crate::party::{Joined, Msg};
use crate::store::stored_status;
use crate::time::now_ms;

/// Longest the writer waits for the socket to take one batch before it gives the peer up.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// Most queued frames written before one flush.
const MAX_BATCH: usize = 64;

/// What a socket is for, which decides what it is subscribed to from the start.
#[derive(Debug, Clone)]
pub enum Kind {
    /// `/ws`: counts in presence; the personal channel, `presence`, and every room and conversation
    /// of the user, each resumed from `since` when the client gave a position for it.
    Main { device: String, since: HashMap<Channel, StreamPosition> },
    /// `/notifications/ws`, `/ws/user/{id}`: the personal channel only.
    Personal,
    /// `/users/online/ws`: `online_users` only.
    OnlineUsers,
    /// `/ws/rooms/{id}`, `/ws/dms/{id}`: one chat channel (access checked before the upgrade).
    Chat(Channel),
    /// A dialect's socket that counts in presence like `/ws` (shown as `device`) but starts on the
    /// listed channels only, and on the user's personal channel when `personal`.
    Listed { device: String, channels: Vec<Channel>, personal: bool },
    /// `/party/{code}/ws`: joins the party (a seat, or the audience) and receives its channel; a
    /// refused join closes with 4403 (the code was checked before the upgrade).
    Party(String),
}

/// A user's status as stored: the chosen one (if any) and the status line.
type StoredStatus = (Option<String>, Option<String>);

/// The rooms and conversations a user is subscribed to on connect, Lobby first, and the status
/// they chose last time; read together, in one trip to a reader thread.
async fn chat_channels(hub: &Hub, user_id: i64) -> (Vec<Channel>, Option<StoredStatus>) {
    match hub.chat().channels_of(user_id, move |db| stored_status(db, user_id)).await {
        Ok((channels, stored)) => (channels, Some(stored)),
        Err(e) => {
            tracing::warn!(error = %e, "could not list a user's rooms; subscribing the Lobby only");
            (vec![Channel::lobby()], None)
        }
    }
}

/// Runs an authenticated connection until it ends, then removes every trace of it.
///
/// The returned future lives as long as the socket, so it holds only what an open connection
/// needs: the socket's two halves, the hub, the connection's handle and queue, and its read and
/// write loops. What is set up before it (the user, the settings) goes into the handle here, and
/// the steps that await other parts of the hub (opening, each command, closing) run as boxed
/// futures, so an idle connection does not keep the largest state a command needs. Both loops
/// run in this one future (a task per connection, not two): the reader's command may wait for
/// room in the send queue while the writer drains it, since each is polled whenever the task wakes.
///
/// `socket` is the hub's own socket, or anything else that reads and writes [`Message`]s
/// with axum's error (the tests use channels).
pub fn run<S>(
    socket: S,
    hub: Hub,
    user: UserInfo,
    kind: Kind,
    meta: ConnMeta,
) -> impl Future<Output = ()> + Send
where
    S: Stream<Item = Result<Message, axum::Error>> + Sink<Message, Error = axum::Error> + Send + 'static,
{
    let device = match &kind {
        Kind::Main { device, .. } | Kind::Listed { device, .. } => Some(device.clone()),
        _ => None,
    };
    let id = hub.next_connection_id();
    let (handle, rx) = ConnHandle::new(id, user, device, hub.config().send_queue);
    let conn = Arc::new(handle.with_meta(meta));
    let kind = Box::new(kind);
    let (sink, stream) = socket.split();
    async move {
        hub.core().registry().register(&conn);
        if hub.shutting_down() {
            conn.close(CloseReason::Send {
                code: close::GOING_AWAY,
                reason: Cow::Borrowed("hub shutting down"),
                flush: true,
            });
        }
        hub.count_connection(true);
        hub.core().metrics().connection_opened(conn.route());
        hub.retention().session_used(conn.meta.session_id);
        tracing::debug!(conn = conn.id, user = conn.user.id, ?kind, "connection opened");
        Box::pin(open(&hub, &conn, *kind)).await;

        let writer = write_loop(sink, rx, Arc::clone(&conn), hub.clone());
        let read = read_loop(stream, hub.clone(), Arc::clone(&conn));
        tokio::pin!(read, writer);
        tokio::select! {
            reason = &mut read => {
                conn.close(reason);
                let _ = Box::pin(timeout(Duration::from_secs(3), &mut writer)).await;
            }
            _ = &mut writer => {
                // We sent a close (or the socket failed): let the peer answer it, briefly.
                let _ = Box::pin(timeout(Duration::from_secs(1), &mut read)).await;
            }
        }
        Box::pin(close_down(&hub, &conn)).await;
    }
}

/// Greets a new connection and subscribes it to its channels (or seats it in its party).
async fn open(hub: &Hub, conn: &Arc<ConnHandle>, kind: Kind) {
    let user = &conn.user;
    let personal = Channel::User(user.id);
    // The stored status, once read (a main socket reads it with its channels).
    let mut stored = None;
    let (channels, since) = match &kind {
        Kind::Main { since, .. } => {
            let mut channels = vec![personal, Channel::Presence];
            let (chats, status) = chat_channels(hub, user.id).await;
            channels.extend(chats);
            stored = Some(status);
            (channels, since.clone())
        }
        Kind::Personal => (vec![personal], HashMap::new()),
        Kind::Listed { channels, personal: with_personal, .. } => {
            let own = with_personal.then_some(personal);
            (own.into_iter().chain(channels.iter().cloned()).collect(), HashMap::new())
        }
        Kind::OnlineUsers => (vec![Channel::OnlineUsers], HashMap::new()),
        Kind::Chat(channel) => (vec![channel.clone()], HashMap::new()),
        Kind::Party(code) => (vec![Channel::Party(code.clone())], HashMap::new()),
    };
    conn.send_frame(&ServerFrame::ConnectionEstablished {
        connection_id: conn.id,
        user: user.clone(),
        hub: hub.info(),
        server_time: now_ms(),
        heartbeat_ms: u32::try_from(hub.config().heartbeat.as_millis()).unwrap_or(u32::MAX),
        channels: channels.iter().map(ToString::to_string).collect(),
    });
    if conn.device.is_some() {
        hub.moderation().greet(conn, &channels);
        let user_id = user.id;
        let stored = match stored {
            Some(stored) => stored,
            None => hub.store().read(move |db| stored_status(db, user_id)).await.ok(),
        };
        let stored = stored.map(|(status, text)| (commands::parse_status(status.as_deref()), text));
        hub.presence().connect(conn, stored);
    }
    if let Kind::Party(code) = &kind {
        let msg = Msg::Join {
            conn: Arc::clone(conn),
            audience: false,
            remote: None,
            r#ref: None,
            reply: Joined::PathSocket,
        };
        if hub.parties().send(code, msg).await.is_err() {
            conn.close(CloseReason::Send {
                code: close::NOT_FOUND,
                reason: "no such party".into(),
                flush: true,
            });
        }
    } else {
        commands::subscribe_opening(hub, conn, channels, since).await;
    }
}

/// Takes a closed connection out of every channel, party and presence scope.
async fn close_down(hub: &Hub, conn: &Arc<ConnHandle>) {
    let parties: Vec<String> = conn
        .channels
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
        .filter_map(|c| if let Channel::Party(code) = c { Some(code.clone()) } else { None })
        .collect();
    hub.core().registry().remove_connection(conn);
    // A hub shutting down closes every socket; its parties keep their players as they were.
    for code in parties.into_iter().filter(|_| !hub.shutting_down()) {
        hub.parties().detach(&code, conn).await;
    }
    hub.presence().disconnect(conn);
    hub.count_connection(false);
    let code = match conn.close_reason() {
        Some(CloseReason::Send { code, .. }) => Some(code),
        _ => None,
    };
    hub.core().metrics().connection_closed(conn.route(), code);
    tracing::debug!(conn = conn.id, "connection closed");
}

/// Reads and handles commands one after another until the peer closes, fails or goes silent.
async fn read_loop<R>(mut stream: R, hub: Hub, conn: Arc<ConnHandle>) -> CloseReason
where
    R: Stream<Item = Result<Message, axum::Error>> + Unpin,
{
    loop {
        let config = hub.config();
        let idle = if conn.in_party() { config.party_idle_timeout } else { config.idle_timeout };
        let next = match timeout(idle, stream.next()).await {
            Ok(next) => next,
            Err(_) => {
                tracing::debug!(conn = conn.id, "idle timeout");
                return CloseReason::Send {
                    code: close::IDLE_TIMEOUT,
                    reason: Cow::Borrowed("idle timeout"),
                    flush: false,
                };
            }
        };
        match next {
            None | Some(Ok(Message::Close(_))) => return CloseReason::Quiet,
            Some(Err(e)) => return read_error(&e),
            Some(Ok(Message::Text(text))) => {
                conn.room_for_replies().await;
                Box::pin(commands::handle(&hub, &conn, text.as_str())).await;
            }
            Some(Ok(Message::Binary(_))) => {
                hub.core().metrics().frame_in("binary");
                // Its answer must not overtake those of writes still in flight (rare: boxed).
                Box::pin(conn.writes_settled()).await;
                conn.send_frame(&ServerFrame::error(
                    None,
                    ErrorCode::InvalidFrame,
                    "binary frames are not supported; send JSON text",
                ));
            }
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
        }
    }
}

/// An oversized frame closes with 1009, a text frame that is not UTF-8 with 1007 (RFC 6455,
/// 8.1), a frame that breaks the protocol (unmasked, reserved bits, a stray continuation) with
/// 1002; any other read error means the peer is gone.
fn read_error(e: &axum::Error) -> CloseReason {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = source {
        match err.downcast_ref::<tungstenite::Error>() {
            Some(tungstenite::Error::Capacity(_)) => {
                return CloseReason::Send {
                    code: close::TOO_BIG,
                    reason: Cow::Borrowed("frame too large"),
                    flush: false,
                };
            }
            Some(tungstenite::Error::Utf8(_)) => {
                return CloseReason::Send {
                    code: close::INVALID_PAYLOAD,
                    reason: Cow::Borrowed("text frame is not valid UTF-8"),
                    flush: false,
                };
            }
            Some(tungstenite::Error::Protocol(e)) => {
                tracing::debug!(error = %e, "protocol error on a socket");
                return CloseReason::Send {
                    code: close::PROTOCOL_ERROR,
                    reason: Cow::Borrowed("WebSocket protocol error"),
                    flush: false,
                };
            }
            _ => {}
        }
        source = err.source();
    }
    tracing::debug!(error = %e, "socket read failed");
    CloseReason::Quiet
}

/// Drains the send queue into the socket and pings on the heartbeat until the connection closes.
async fn write_loop<W>(mut sink: W, mut rx: outbox::Receiver, conn: Arc<ConnHandle>, hub: Hub)
where
    W: Sink<Message, Error = axum::Error> + Unpin,
{
    let beat = || if conn.in_party() { hub.config().party_heartbeat } else { hub.config().heartbeat };
    let heartbeat = sleep(beat());
    tokio::pin!(heartbeat);
    loop {
        // Joining a party (a command, answered by a frame that wakes this loop) brings the next ping
        // forward to the party's heartbeat.
        let soonest = Instant::now() + beat();
        if heartbeat.deadline() > soonest {
            heartbeat.as_mut().reset(soonest);
        }
        tokio::select! {
            biased;
            reason = conn.closed() => {
                Box::pin(finish(&mut sink, &mut rx, reason, &hub)).await;
                return;
            }
            frame = rx.recv() => {
                let Some(frame) = frame else { return };
                if !matches!(Box::pin(timeout(WRITE_TIMEOUT, write_batch(&mut sink, &mut rx, frame, &hub))).await, Ok(Ok(()))) {
                    conn.close(CloseReason::Quiet);
                }
            }
            () = &mut heartbeat => {
                heartbeat.as_mut().reset(Instant::now() + beat());
                if !matches!(Box::pin(timeout(WRITE_TIMEOUT, sink.send(Message::Ping(Default::default())))).await, Ok(Ok(()))) {
                    conn.close(CloseReason::Quiet);
                }
            }
        }
    }
}

/// Writes `first` and whatever else is already queued (up to [`MAX_BATCH`]), then flushes once.
async fn write_batch<W>(
    sink: &mut W,
    rx: &mut outbox::Receiver,
    first: Utf8Bytes,
    hub: &Hub,
) -> Result<(), axum::Error>
where
    W: Sink<Message, Error = axum::Error> + Unpin,
{
    let metrics = hub.core().metrics();
    metrics.frame_out(first.as_str());
    sink.feed(Message::Text(first)).await?;
    for _ in 1..MAX_BATCH {
        match rx.try_recv() {
            Some(frame) => {
                metrics.frame_out(frame.as_str());
                sink.feed(Message::Text(frame)).await?;
            }
            None => break,
        }
    }
    sink.flush().await
}

/// Ends the writer's side: flushes what is queued when asked, then sends the close frame (or
/// nothing, for a quiet close).
async fn finish<W>(sink: &mut W, rx: &mut outbox::Receiver, reason: CloseReason, hub: &Hub)
where
    W: Sink<Message, Error = axum::Error> + Unpin,
{
    let CloseReason::Send { code, reason, flush } = reason else {
        return;
    };
    let _ = timeout(Duration::from_secs(2), async {
        if flush {
            rx.close();
            while let Some(frame) = rx.recv().await {
                hub.core().metrics().frame_out(frame.as_str());
                sink.feed(Message::Text(frame)).await?;
            }
        }
        sink.send(Message::Close(Some(CloseFrame { code, reason: reason.as_ref().into() }))).await
    })
    .await;
}

#[cfg(test)]
mod tests;
