//! The translating socket every dialect runs on: a wrapper around the upgraded WebSocket that turns
//! the dialect's frames into Hubbub commands for the connection's reader, and the hub's frames into
//! the dialect's for the peer. Hubbub's own sockets never pass through it.
//!
//! The connection (`ws::run`) reads commands from this socket's stream half and writes frames to its
//! sink half. A frame from the peer goes to [`Dialect::inbound`], which may queue Hubbub commands
//! (the stream then yields them one by one, so the reader handles them in order, as it would a
//! Hubbub client's), answer the peer directly (an error in the dialect's shape, a `pong`), or close
//! the socket. A frame from the hub goes to [`Dialect::outbound`], which queues zero or more frames
//! for the peer. Direct answers are written by the stream half itself (both halves share this one
//! value behind the split's lock), so they need no command and no change to the connection.
//!
//! Every queue here is bounded by one step: the stream reads the next peer frame only once the
//! answers to the last one are written, and the sink takes the next hub frame only once the
//! translation of the last one is written. The hub's own bounded send queue stays the limit.

use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes};
use futures_util::{Sink, Stream};
use hubbub_protocol::UserInfo;
use serde::Serialize;
use tokio::sync::mpsc;

/// One dialect's translation: the state of one socket (rooms it joined, ids it has seen) and how
/// frames cross in each direction.
pub trait Dialect: Send + Unpin + 'static {
    /// Called once the connection is set up (`user` is known, the hub's greeting is queued):
    /// commands queued here run before any from the peer.
    fn open(&mut self, _user: &UserInfo, _out: &mut Out) {}
    /// One text frame from the peer.
    fn inbound(&mut self, text: Utf8Bytes, out: &mut Out);
    /// One frame from the hub (Hubbub's JSON, as a Hubbub client would get it).
    fn outbound(&mut self, frame: Utf8Bytes, out: &mut Out);
    /// Whether `user` may open this socket beyond what its kind checks, and what the dialect needs
    /// to know first (see [`crate::ws::Wrap::admit`]).
    fn admit(
        &mut self,
        _hub: &crate::hub::Hub,
        _user: i64,
    ) -> impl Future<Output = Result<(), crate::ws::Closing>> + Send {
        async { Ok(()) }
    }
    /// True while frames cross untouched both ways (a socket that turned out to speak Hubbub):
    /// then the socket forwards them without calling [`Dialect::inbound`] or
    /// [`Dialect::outbound`], as cheaply as a wrapper can.
    fn passthrough(&self) -> bool {
        false
    }
    /// The close code the peer is sent for one the hub chose (the idle timeout, a logout...).
    fn close_code(&self, code: u16) -> u16 {
        code
    }
}

/// What a translation step produced: Hubbub commands for the reader, frames for the peer, and
/// perhaps a close.
#[derive(Debug, Default)]
pub struct Out {
    hub: VecDeque<Utf8Bytes>,
    peer: VecDeque<Message>,
    close: Option<CloseFrame>,
}

impl Out {
    /// Queues a Hubbub command, as if a Hubbub client had sent it.
    pub fn command(&mut self, frame: &hubbub_protocol::ClientFrame) {
        match serde_json::to_string(frame) {
            Ok(text) => self.hub.push_back(text.into()),
            Err(e) => tracing::warn!(error = %e, "a translated command did not serialize"),
        }
    }

    /// Queues a Hubbub command as it came (a Hubbub client on a socket a dialect shares).
    pub fn command_text(&mut self, text: Utf8Bytes) {
        self.hub.push_back(text);
    }

    /// Queues a frame for the peer.
    pub fn send<T: Serialize>(&mut self, frame: &T) {
        match serde_json::to_string(frame) {
            Ok(text) => self.peer.push_back(Message::Text(text.into())),
            Err(e) => tracing::warn!(error = %e, "a dialect frame did not serialize"),
        }
    }

    /// Queues a frame for the peer as it is (a hub frame a dialect passes through unchanged).
    pub fn send_text(&mut self, text: Utf8Bytes) {
        self.peer.push_back(Message::Text(text));
    }

    /// Closes the socket with `code` once what is queued for the peer is written.
    pub fn close(&mut self, code: u16, reason: &str) {
        self.close = Some(CloseFrame { code, reason: reason.into() });
    }

    /// How many frames wait for the peer.
    pub fn queued_for_peer(&self) -> usize {
        self.peer.len()
    }
}

/// A socket speaking dialect `D` over `S` (the hub's [`crate::ws::HubSocket`]; channels in unit tests).
pub struct DialectSocket<S, D> {
    inner: S,
    dialect: D,
    out: Out,
    /// Frames other sockets address to this one (a dialect's own fan-out), already in the
    /// dialect's shape; bounded by its sender.
    side: Option<mpsc::Receiver<Message>>,
    /// Frames were written from the stream half and not yet flushed.
    unflushed: bool,
    /// The dialect closed the socket: the stream ends once the close frame is written.
    done: bool,
    /// Wakes the stream half (the connection's reader) when a hub frame makes the dialect queue
    /// a command: the reader may be waiting on the peer, which would not wake it.
    reader: Option<std::task::Waker>,
}

impl<S, D: Dialect> DialectSocket<S, D> {
    /// Wraps `inner` for `user`'s connection.
    pub fn new(inner: S, mut dialect: D, user: &UserInfo) -> Self {
        let mut out = Out::default();
        dialect.open(user, &mut out);
        DialectSocket { inner, dialect, out, side: None, unflushed: false, done: false, reader: None }
    }

    /// Also delivers what arrives on `side` to the peer (frames other sockets address to this one).
    pub fn with_side(mut self, side: mpsc::Receiver<Message>) -> Self {
        self.side = Some(side);
        self
    }
}

impl<S, D> DialectSocket<S, D>
where
    S: Sink<Message, Error = axum::Error> + Unpin,
    D: Dialect,
{
    /// Writes what is queued for the peer (and flushes it when `flush`).
    fn drain(&mut self, cx: &mut Context<'_>, flush: bool) -> Poll<Result<(), axum::Error>> {
        while !self.out.peer.is_empty() {
            ready!(Pin::new(&mut self.inner).poll_ready(cx))?;
            if let Some(message) = self.out.peer.pop_front() {
                Pin::new(&mut self.inner).start_send(message)?;
                self.unflushed = true;
            }
        }
        // An idle socket keeps no queue storage.
        self.out.peer = VecDeque::new();
        if flush && self.unflushed {
            ready!(Pin::new(&mut self.inner).poll_flush(cx))?;
            self.unflushed = false;
        }
        Poll::Ready(Ok(()))
    }
}

impl<S, D> Stream for DialectSocket<S, D>
where
    S: Stream<Item = Result<Message, axum::Error>> + Sink<Message, Error = axum::Error> + Unpin,
    D: Dialect,
{
    type Item = Result<Message, axum::Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if !this.reader.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
            this.reader = Some(cx.waker().clone());
        }
        loop {
            if let Err(e) = ready!(this.drain(cx, true)) {
                return Poll::Ready(Some(Err(e)));
            }
            if this.done {
                return Poll::Ready(None);
            }
            if let Some(command) = this.out.hub.pop_front() {
                if this.out.hub.is_empty() {
                    this.out.hub = VecDeque::new();
                }
                return Poll::Ready(Some(Ok(Message::Text(command))));
            }
            if let Some(close) = this.out.close.take() {
                this.out.peer.push_back(Message::Close(Some(close)));
                this.done = true;
                continue;
            }
            if let Some(side) = this.side.as_mut() {
                match side.poll_recv(cx) {
                    Poll::Ready(Some(message)) => {
                        this.out.peer.push_back(message);
                        continue;
                    }
                    Poll::Ready(None) => this.side = None,
                    Poll::Pending => {}
                }
            }
            match ready!(Pin::new(&mut this.inner).poll_next(cx)) {
                Some(Ok(Message::Text(text))) if !this.dialect.passthrough() => {
                    this.dialect.inbound(text, &mut this.out);
                }
                other => return Poll::Ready(other),
            }
        }
    }
}

impl<S, D> Sink<Message> for DialectSocket<S, D>
where
    S: Sink<Message, Error = axum::Error> + Unpin,
    D: Dialect,
{
    type Error = axum::Error;

    fn poll_ready(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        ready!(self.drain(cx, false))?;
        Pin::new(&mut self.inner).poll_ready(cx)
    }

    fn start_send(mut self: Pin<&mut Self>, item: Message) -> Result<(), Self::Error> {
        let this = &mut *self;
        match item {
            // `poll_ready` left nothing queued and the inner socket ready: straight through.
            Message::Text(frame) if this.dialect.passthrough() && this.out.peer.is_empty() => {
                Pin::new(&mut this.inner).start_send(Message::Text(frame))?;
            }
            Message::Text(frame) => {
                this.dialect.outbound(frame, &mut this.out);
                // A close decided on a hub frame goes out now: the stream half may be waiting on
                // the peer, and nothing would wake it to send the close.
                if let Some(close) = this.out.close.take() {
                    this.out.peer.push_back(Message::Close(Some(close)));
                    this.done = true;
                }
                if !this.out.hub.is_empty()
                    && let Some(reader) = &this.reader
                {
                    reader.wake_by_ref();
                }
            }
            Message::Close(Some(CloseFrame { code, reason })) => {
                let code = this.dialect.close_code(code);
                this.out.peer.push_back(Message::Close(Some(CloseFrame { code, reason })));
            }
            other => this.out.peer.push_back(other),
        }
        Ok(())
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        ready!(self.drain(cx, false))?;
        ready!(Pin::new(&mut self.inner).poll_flush(cx))?;
        self.unflushed = false;
        Poll::Ready(Ok(()))
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        ready!(self.drain(cx, false))?;
        Pin::new(&mut self.inner).poll_close(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::{FutureExt, SinkExt, StreamExt};

    /// An in-memory socket: what the peer sent, waiting to be read, and what was written to it.
    #[derive(Default)]
    struct Memory {
        incoming: VecDeque<Message>,
        written: Vec<Message>,
        flushes: usize,
    }

    impl Stream for Memory {
        type Item = Result<Message, axum::Error>;
        fn poll_next(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Self::Item>> {
            match self.incoming.pop_front() {
                Some(m) => Poll::Ready(Some(Ok(m))),
                None => Poll::Pending,
            }
        }
    }

    impl Sink<Message> for Memory {
        type Error = axum::Error;
        fn poll_ready(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), axum::Error>> {
            Poll::Ready(Ok(()))
        }
        fn start_send(mut self: Pin<&mut Self>, item: Message) -> Result<(), axum::Error> {
            self.written.push(item);
            Ok(())
        }
        fn poll_flush(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), axum::Error>> {
            self.flushes += 1;
            Poll::Ready(Ok(()))
        }
        fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), axum::Error>> {
            Poll::Ready(Ok(()))
        }
    }

    /// A made-up dialect: `say X` is a `ping` command, `huh` is answered directly, `bye` closes;
    /// every hub frame becomes two frames, and the idle timeout becomes 1001.
    struct Shout;

    impl Dialect for Shout {
        fn open(&mut self, _: &UserInfo, out: &mut Out) {
            out.command(&hubbub_protocol::ClientFrame::Ping { r#ref: Some("open".into()) });
        }
        fn inbound(&mut self, text: Utf8Bytes, out: &mut Out) {
            match text.as_str() {
                "huh" => out.send(&serde_json::json!({"kind": "what?"})),
                "bye" => out.close(4100, "bye"),
                other => out.command(&hubbub_protocol::ClientFrame::Ping { r#ref: Some(other.into()) }),
            }
        }
        fn outbound(&mut self, frame: Utf8Bytes, out: &mut Out) {
            out.send_text(frame.clone());
            out.send_text(frame);
        }
        fn close_code(&self, code: u16) -> u16 {
            if code == hubbub_protocol::close::IDLE_TIMEOUT { 1001 } else { code }
        }
    }

    fn text(m: &Message) -> &str {
        match m {
            Message::Text(t) => t.as_str(),
            other => panic!("not text: {other:?}"),
        }
    }

    #[test]
    fn commands_direct_answers_translations_and_closes_each_take_their_way() {
        let user = UserInfo { id: 1, display_name: "Ann".into() };
        let mut inner = Memory::default();
        for m in ["huh", "x", "bye", "never read"] {
            inner.incoming.push_back(Message::Text(m.into()));
        }
        let mut socket = DialectSocket::new(inner, Shout, &user);
        // The command queued on open comes first, then the peer's frames in order.
        let first = socket.next().now_or_never().flatten().unwrap().unwrap();
        assert_eq!(text(&first), r#"{"type":"ping","ref":"open"}"#);
        // `huh` is answered directly (written and flushed by the stream), and `x` is the next command.
        let second = socket.next().now_or_never().flatten().unwrap().unwrap();
        assert_eq!(text(&second), r#"{"type":"ping","ref":"x"}"#);
        assert_eq!(text(&socket.inner.written[0]), r#"{"kind":"what?"}"#);
        assert!(socket.inner.flushes >= 1);
        // A hub frame becomes two; the hub's close code is the dialect's.
        socket.send(Message::Text("{\"type\":\"pong\"}".into())).now_or_never().unwrap().unwrap();
        let close = CloseFrame { code: hubbub_protocol::close::IDLE_TIMEOUT, reason: "idle".into() };
        socket.send(Message::Close(Some(close))).now_or_never().unwrap().unwrap();
        assert_eq!(socket.inner.written.len(), 4);
        assert_eq!(text(&socket.inner.written[2]), "{\"type\":\"pong\"}");
        assert!(matches!(&socket.inner.written[3], Message::Close(Some(f)) if f.code == 1001));
        // `bye` closes with the dialect's code and ends the stream; nothing after it is read.
        assert!(socket.next().now_or_never().unwrap().is_none());
        assert!(matches!(socket.inner.written.last(), Some(Message::Close(Some(f))) if f.code == 4100));
        assert_eq!(socket.inner.incoming.len(), 1);
    }

    /// A socket that turned out to speak Hubbub: nothing is translated either way.
    struct Through;

    impl Dialect for Through {
        fn inbound(&mut self, _: Utf8Bytes, _: &mut Out) {
            panic!("a passthrough socket translates nothing");
        }
        fn outbound(&mut self, _: Utf8Bytes, _: &mut Out) {
            panic!("a passthrough socket translates nothing");
        }
        fn passthrough(&self) -> bool {
            true
        }
    }

    #[test]
    fn a_passthrough_socket_forwards_frames_untouched() {
        let user = UserInfo { id: 1, display_name: "Ann".into() };
        let mut inner = Memory::default();
        inner.incoming.push_back(Message::Text(r#"{"type":"ping"}"#.into()));
        let mut socket = DialectSocket::new(inner, Through, &user);
        let read = socket.next().now_or_never().flatten().unwrap().unwrap();
        assert_eq!(text(&read), r#"{"type":"ping"}"#);
        socket.send(Message::Text(r#"{"type":"pong"}"#.into())).now_or_never().unwrap().unwrap();
        assert_eq!(socket.inner.written.len(), 1);
        assert_eq!(text(&socket.inner.written[0]), r#"{"type":"pong"}"#);
    }
}
