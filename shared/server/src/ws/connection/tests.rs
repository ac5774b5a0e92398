//! A connection's loops driven through in-memory channels against a real hub: what the client sends
//! goes down one channel, what the hub writes comes up a bounded one, so a test decides when the
//! "socket" takes writes and can hand the reader any frame or read error.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::ws::Message;
use futures_util::{Sink, SinkExt, Stream, StreamExt};
use hubbub_protocol::{Channel, ClientFrame, ErrorCode, ServerFrame, UserInfo, close};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::PollSender;

use super::{Kind, run};
use crate::config::Config;
use crate::conn::encode;
use crate::hub::Hub;
use crate::store::create_user_with_session;
use crate::time::now_ms;

/// Longest a test waits for the hub to write or end before it fails (a paused clock gets there
/// at once, so this must outlast every timer a paused test waits for).
const WAIT: Duration = Duration::from_secs(60);

/// The hub's side of an in-memory socket: reads from one half, writes to the other.
struct Duplex<R, W> {
    incoming: R,
    outgoing: W,
}

impl<R: Stream + Unpin, W: Unpin> Stream for Duplex<R, W> {
    type Item = R::Item;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<R::Item>> {
        self.incoming.poll_next_unpin(cx)
    }
}

impl<R: Unpin, W: Sink<Message> + Unpin> Sink<Message> for Duplex<R, W> {
    type Error = W::Error;

    fn poll_ready(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), W::Error>> {
        self.outgoing.poll_ready_unpin(cx)
    }

    fn start_send(mut self: Pin<&mut Self>, item: Message) -> Result<(), W::Error> {
        self.outgoing.start_send_unpin(item)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), W::Error>> {
        self.outgoing.poll_flush_unpin(cx)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), W::Error>> {
        self.outgoing.poll_close_unpin(cx)
    }
}

/// A hub on a fresh data directory, with `adjust` applied to its settings.
async fn open_hub(adjust: impl FnOnce(&mut Config)) -> (tempfile::TempDir, Hub) {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config {
        data_dir: dir.path().to_owned(),
        discovery: false,
        sync_full: false,
        message_rate: 0,
        ..Config::default()
    };
    adjust(&mut config);
    let hub = Hub::open(config).await.unwrap();
    (dir, hub)
}

/// The test's end of one connection.
struct Client {
    user: UserInfo,
    /// What the hub's reader takes, in order: frames, or read errors.
    to_hub: mpsc::UnboundedSender<Result<Message, axum::Error>>,
    /// What the hub's writer sent. Bounded: while the test does not read, the writer can put only
    /// this channel's capacity in it and then waits, like a socket whose peer stopped reading.
    from_hub: mpsc::Receiver<Message>,
    /// How many items the hub's reader has taken from `to_hub`.
    taken: Arc<AtomicUsize>,
    /// The connection: ends once it has closed and left everything.
    task: JoinHandle<()>,
}

/// Opens a main connection for a new user; the hub may write `room` messages before the test reads.
async fn connect(hub: &Hub, room: usize) -> Client {
    let user = hub
        .store()
        .write_wait(|db| create_user_with_session(db, "Tester", b"test session", None, None, now_ms()))
        .await
        .unwrap()
        .expect("a fresh hub has no user of that name")
        .user;
    let (to_hub, mut incoming) = mpsc::unbounded_channel();
    let (outgoing, from_hub) = mpsc::channel(room);
    let taken = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&taken);
    let incoming = futures_util::stream::poll_fn(move |cx| incoming.poll_recv(cx)).inspect(move |_| {
        counter.fetch_add(1, Ordering::SeqCst);
    });
    let outgoing = PollSender::new(outgoing).sink_map_err(axum::Error::new);
    let kind = Kind::Main { device: "Test".to_owned(), since: HashMap::new() };
    let task = tokio::spawn(run(
        Duplex { incoming, outgoing },
        hub.clone(),
        user.clone(),
        kind,
        crate::conn::ConnMeta::default(),
    ));
    Client { user, to_hub, from_hub, taken, task }
}

fn text(frame: &ClientFrame) -> Result<Message, axum::Error> {
    Ok(Message::Text(serde_json::to_string(frame).unwrap().into()))
}

fn ping(r: &str) -> ClientFrame {
    ClientFrame::Ping { r#ref: Some(r.to_owned()) }
}

fn send_message(r: &str, body: &str) -> ClientFrame {
    ClientFrame::SendMessage {
        r#ref: Some(r.to_owned()),
        channel: "room:lobby".to_owned(),
        client_message_id: r.to_owned(),
        body: body.to_owned(),
        attachments: None,
        reply_to: None,
    }
}

impl Client {
    fn send(&self, frame: &ClientFrame) {
        self.to_hub.send(text(frame)).unwrap();
    }

    /// The next message the hub wrote, pings included; `None` once the connection is gone.
    async fn message(&mut self) -> Option<Message> {
        tokio::time::timeout(WAIT, self.from_hub.recv()).await.expect("the hub wrote nothing")
    }

    /// The next frame the hub sent, heartbeat pings skipped; fails on a close.
    async fn frame(&mut self) -> ServerFrame {
        loop {
            match self.message().await {
                Some(Message::Text(text)) => return serde_json::from_str(text.as_str()).unwrap(),
                Some(Message::Ping(_)) => {}
                other => panic!("expected a frame, got {other:?}"),
            }
        }
    }

    /// Reads `connection_established`, `hub_state` and one `subscribed` per channel it names, in
    /// that order.
    async fn greeting(&mut self) -> Vec<String> {
        let channels = match self.frame().await {
            ServerFrame::ConnectionEstablished { channels, user, .. } => {
                assert_eq!(user, self.user);
                channels
            }
            other => panic!("expected connection_established first, got {other:?}"),
        };
        match self.frame().await {
            ServerFrame::HubState { state } => assert_eq!(state.role, hubbub_protocol::Role::Guest),
            other => panic!("expected hub_state second, got {other:?}"),
        }
        for channel in &channels {
            match self.frame().await {
                ServerFrame::Subscribed { r#ref: None, channel: got, .. } => assert_eq!(&got, channel),
                other => panic!("expected the {channel} subscription, got {other:?}"),
            }
        }
        channels
    }

    /// Reads up to the close frame: the frames before it (pings skipped) and its code.
    async fn until_close(&mut self) -> (Vec<ServerFrame>, u16) {
        let mut frames = Vec::new();
        loop {
            match self.message().await {
                Some(Message::Text(text)) => frames.push(serde_json::from_str(text.as_str()).unwrap()),
                Some(Message::Ping(_)) => {}
                Some(Message::Close(Some(close))) => return (frames, close.code),
                other => panic!("expected frames and a close, got {other:?}"),
            }
        }
    }

    /// Answers the hub's close (or hangs up), waits for the connection to end, and checks it left
    /// the hub: not counted, subscribed nowhere.
    async fn hang_up(self, hub: &Hub) {
        let _ = self.to_hub.send(Ok(Message::Close(None)));
        drop(self.to_hub);
        tokio::time::timeout(WAIT, self.task).await.expect("the connection did not end").unwrap();
        assert_eq!(hub.connection_count(), 0);
        assert_eq!(hub.core().registry().subscriber_count(&Channel::lobby()), 0);
    }
}

#[tokio::test]
async fn the_greeting_comes_first_and_commands_are_answered_in_order() {
    let (_dir, hub) = open_hub(|_| {}).await;
    let mut c = connect(&hub, 64).await;
    let channels = c.greeting().await;
    assert_eq!(channels, [format!("user:{}", c.user.id), "presence".to_owned(), "room:lobby".to_owned()]);

    // Pings are answered at once, a message only after it is stored: the answers still come in the
    // order the commands were sent, and each message's echo before the next answer.
    let mut sent = Vec::new();
    let mut bodies = Vec::new();
    for i in 0..12 {
        let r = format!("r{i}");
        if i % 3 == 1 {
            let body = format!("message {i}");
            c.send(&send_message(&r, &body));
            bodies.push(body);
        } else {
            c.send(&ping(&r));
        }
        sent.push(r);
    }
    let mut answered = Vec::new();
    let mut echoed = Vec::new();
    while answered.len() < sent.len() {
        match c.frame().await {
            ServerFrame::Pong { r#ref: Some(r), .. } => answered.push(r),
            ServerFrame::Ack { r#ref, channel, .. } => {
                assert_eq!(channel.as_deref(), Some("room:lobby"));
                answered.push(r#ref);
            }
            ServerFrame::Message(m) => echoed.push(m.body),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(answered, sent);
    assert_eq!(echoed, bodies);
    c.hang_up(&hub).await;
}

#[tokio::test]
async fn a_client_that_pipelines_faster_than_it_reads_is_slowed_not_cut_off() {
    const QUEUE: usize = 16;
    const ROOM: usize = 4;
    const SENDS: usize = 120;
    let (_dir, hub) = open_hub(|config| config.send_queue = QUEUE).await;
    let mut c = connect(&hub, ROOM).await;
    c.greeting().await;
    let refs: Vec<String> = (0..SENDS).map(|i| format!("f{i}")).collect();
    for r in &refs {
        c.send(&send_message(r, "flood"));
    }
    // 240 frames (acks and echoes) are due through a 16-frame queue, and nothing is read. The
    // reader takes a command only while 12 frames or fewer are queued, after the previous one's ack
    // was queued; at most ROOM + 1 frames have left the queue (in the channel, and one the writer
    // holds). That bound holds at any moment; the pause gives a reader that ignored it time to
    // break it.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let taken = c.taken.load(Ordering::SeqCst);
    assert!(taken <= QUEUE - QUEUE / 4 + ROOM + 2, "the reader took {taken} commands of {SENDS}");

    // Every command is answered and every echo delivered; the connection is still open.
    c.send(&ping("still there"));
    let (mut acks, mut echoes) = (Vec::new(), 0);
    loop {
        match c.frame().await {
            ServerFrame::Ack { r#ref, .. } => acks.push(r#ref),
            ServerFrame::Message(_) => echoes += 1,
            ServerFrame::Pong { r#ref: Some(r), .. } if r == "still there" => break,
            other => panic!("after {} acks: {other:?}", acks.len()),
        }
    }
    assert_eq!(acks, refs);
    assert_eq!(echoes, SENDS);
    c.hang_up(&hub).await;
}

#[tokio::test]
async fn a_connection_whose_queue_overflows_is_closed_with_4008() {
    const QUEUE: usize = 8;
    const ROOM: usize = 2;
    const PUBLISHED: usize = 40;
    let (_dir, hub) = open_hub(|config| config.send_queue = QUEUE).await;
    let mut c = connect(&hub, ROOM).await;
    c.greeting().await;
    // The client stops reading: the writer puts ROOM frames in the channel, holds one more, and the
    // rest must wait in the queue, which holds QUEUE.
    for i in 0..PUBLISHED {
        let frame = encode(&ServerFrame::Pong { r#ref: Some(format!("p{i}")), server_time: 0 });
        hub.core().registry().publish(&Channel::lobby(), &frame, None);
        tokio::task::yield_now().await;
    }
    let (frames, code) = c.until_close().await;
    assert_eq!(code, close::TOO_SLOW);
    // What fit is delivered, in order; nothing after the overflow is.
    let got: Vec<String> = frames
        .into_iter()
        .map(|f| match f {
            ServerFrame::Pong { r#ref: Some(r), .. } => r,
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert!(got.len() <= QUEUE + ROOM + 1, "{} frames delivered", got.len());
    assert_eq!(got, (0..got.len()).map(|i| format!("p{i}")).collect::<Vec<_>>());
    c.hang_up(&hub).await;
    // The metrics saw the same: one 4008, no socket open, as many pongs written as arrived.
    let text = hub.core().metrics().render((0, 0));
    let line = |l: String| assert!(text.lines().any(|t| t == l), "no {l:?} in\n{text}");
    line(r#"hubbub_closes_total{code="4008"} 1"#.to_owned());
    line(r#"hubbub_connections_open{path="(none)"} 0"#.to_owned());
    line(format!(r#"hubbub_frames_out_total{{type="pong"}} {}"#, got.len()));
}

#[tokio::test]
async fn a_peer_that_stops_taking_writes_is_given_up_without_a_close_frame() {
    let (_dir, hub) = open_hub(|_| {}).await;
    let mut c = connect(&hub, 1).await;
    c.greeting().await;
    // Nothing below waits for the store, so the paused clock goes straight to the write timeout.
    tokio::time::pause();
    for i in 0..3 {
        let frame = encode(&ServerFrame::Pong { r#ref: Some(format!("p{i}")), server_time: 0 });
        hub.core().registry().publish(&Channel::lobby(), &frame, None);
    }
    tokio::time::timeout(WAIT, &mut c.task).await.expect("the connection did not end").unwrap();
    assert_eq!(hub.connection_count(), 0);
    // The channel held one frame; the writer gave up on the rest and sent no close frame.
    assert!(matches!(c.message().await, Some(Message::Text(_))));
    assert!(c.message().await.is_none());
}

#[tokio::test]
async fn an_oversized_frame_closes_with_1009() {
    let (_dir, hub) = open_hub(|_| {}).await;
    let mut c = connect(&hub, 64).await;
    c.greeting().await;
    let too_long = tungstenite::error::CapacityError::MessageTooLong { size: 70_000, max_size: 65_536 };
    c.to_hub.send(Err(axum::Error::new(tungstenite::Error::Capacity(too_long)))).unwrap();
    let (frames, code) = c.until_close().await;
    assert_eq!(code, close::TOO_BIG);
    assert!(frames.is_empty(), "{frames:?}");
    c.hang_up(&hub).await;
}

#[tokio::test]
async fn any_other_read_error_ends_the_connection_without_a_close_frame() {
    let (_dir, hub) = open_hub(|_| {}).await;
    let mut c = connect(&hub, 64).await;
    c.greeting().await;
    let reset = std::io::Error::from(std::io::ErrorKind::ConnectionReset);
    c.to_hub.send(Err(axum::Error::new(tungstenite::Error::Io(reset)))).unwrap();
    while let Some(message) = c.message().await {
        assert!(matches!(message, Message::Ping(_)), "{message:?}");
    }
    c.hang_up(&hub).await;
}

#[tokio::test]
async fn a_binary_frame_is_answered_with_an_error_and_the_connection_stays_open() {
    let (_dir, hub) = open_hub(|_| {}).await;
    let mut c = connect(&hub, 64).await;
    c.greeting().await;
    c.to_hub.send(Ok(Message::Binary(Bytes::from_static(b"\x01\x02")))).unwrap();
    c.send(&ping("after"));
    match c.frame().await {
        ServerFrame::Error { r#ref: None, code, .. } => assert_eq!(code, ErrorCode::InvalidFrame),
        other => panic!("expected an invalid_frame error, got {other:?}"),
    }
    match c.frame().await {
        ServerFrame::Pong { r#ref: Some(r), .. } => assert_eq!(r, "after"),
        other => panic!("expected the pong, got {other:?}"),
    }
    c.hang_up(&hub).await;
}

#[tokio::test]
async fn a_silent_client_is_closed_with_4000() {
    let (_dir, hub) = open_hub(|_| {}).await;
    let mut c = connect(&hub, 64).await;
    c.greeting().await;
    // Nothing below waits for the store, so the paused clock goes straight to each timer: the
    // heartbeats, then the idle timeout.
    tokio::time::pause();
    let mut pings = 0;
    let code = loop {
        match c.message().await {
            Some(Message::Ping(_)) => pings += 1,
            Some(Message::Close(Some(close))) => break close.code,
            other => panic!("expected pings and a close, got {other:?}"),
        }
    };
    assert_eq!(code, close::IDLE_TIMEOUT);
    assert!(pings > 0, "the writer pings a silent client before giving it up");
    c.hang_up(&hub).await;
}

/// An idle connection costs its task: the future `run` returns, alive as long as the socket. It
/// holds the loops and pointers, not the state of the steps that await the rest of the hub (those
/// are boxed while they run), so it stays this small whatever the hub does on connect or on a
/// slow write.
#[tokio::test]
async fn an_open_connection_is_a_small_future() {
    let (_dir, hub) = open_hub(|_| {}).await;
    let (_to_hub, mut incoming) = mpsc::unbounded_channel::<Result<Message, axum::Error>>();
    let (outgoing, _from_hub) = mpsc::channel(1);
    let incoming = futures_util::stream::poll_fn(move |cx| incoming.poll_recv(cx));
    let outgoing = PollSender::new(outgoing).sink_map_err(axum::Error::new);
    let user = UserInfo { id: 1, display_name: "Tester".to_owned() };
    let kind = Kind::Main { device: "Test".to_owned(), since: HashMap::new() };
    let future = run(Duplex { incoming, outgoing }, hub, user, kind, crate::conn::ConnMeta::default());
    let size = std::mem::size_of_val(&future);
    // About 1 KB: the two loops' timers and wake-ups, and pointers. Before the framing and the
    // loops shared one task, the connection's tasks held 3.7 KB.
    assert!(size <= 1024, "a connection's future takes {size} bytes");
}
