//! The hub's side of an upgraded WebSocket: RFC 6455 framing over the connection's byte stream that
//! keeps no buffer while the socket is idle and never copies an outgoing payload.
//!
//! A server frame is the same bytes for every subscriber (server frames are not masked), and the
//! hub encodes each event once into a shared [`Utf8Bytes`]. This socket writes a frame as two
//! slices, its 2-10 byte header and that shared payload, in one vectored write with whatever else
//! is queued, so fanning an event out to a thousand sockets copies no payload and leaves no output
//! buffer behind (a general-purpose WebSocket keeps one per connection, as large as the largest
//! frame it ever sent). Reads go through a stack buffer; only the bytes of a frame not yet
//! complete are kept, and freed once it is. The headers are parsed and formatted by tungstenite's
//! [`FrameHeader`], the library that also serves the hub's clients and tests.
//!
//! What it enforces of RFC 6455 as a server: client frames are masked, reserved bits are zero,
//! control frames are final and at most 125 bytes, continuations continue something, text is
//! UTF-8, and no frame or message exceeds the hub's `max_frame_bytes`. A violation ends the stream
//! with the tungstenite error the connection maps to a close code (1002, 1007, 1009). A ping is
//! answered with a pong and a close with a close, as the RFC asks.

use std::collections::VecDeque;
use std::io::{Cursor, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use axum::body::Bytes;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes};
use futures_util::{Sink, Stream};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tungstenite::error::{CapacityError, ProtocolError};
use tungstenite::protocol::frame::FrameHeader;
use tungstenite::protocol::frame::coding::{Control, Data, OpCode};

/// How much one read takes from the socket at most (on the stack, not kept).
const READ_CHUNK: usize = 4096;
/// Frames queued before [`Sink::poll_ready`] writes them out; one vectored write takes them all.
const MAX_QUEUED: usize = 64;
/// A control frame's largest payload (RFC 6455, 5.5).
const MAX_CONTROL: usize = 125;

/// One queued outgoing frame: its header, and its payload shared with every other socket it goes to.
struct Outgoing {
    head: [u8; 10],
    head_len: u8,
    payload: Bytes,
}

impl Outgoing {
    fn new(opcode: OpCode, payload: Bytes) -> Outgoing {
        let header = FrameHeader { opcode, ..FrameHeader::default() };
        let mut head = [0u8; 10];
        let mut cursor = Cursor::new(&mut head[..]);
        // Ten bytes hold any unmasked header (2 + an 8-byte length), so this cannot fail.
        let _ = header.format(payload.len() as u64, &mut cursor);
        let head_len = cursor.position() as u8;
        Outgoing { head, head_len, payload }
    }

    fn len(&self) -> usize {
        usize::from(self.head_len) + self.payload.len()
    }
}

/// A message being received in fragments.
struct Partial {
    text: bool,
    data: Vec<u8>,
}

/// A server-side WebSocket over `io` (the upgraded HTTP connection), read as a [`Stream`] of
/// [`Message`]s and written as a [`Sink`] of them.
pub struct WireSocket<IO> {
    io: IO,
    /// Received bytes not yet making a whole frame; empty (and unallocated) between frames.
    read: Vec<u8>,
    /// A fragmented message in progress.
    partial: Option<Partial>,
    /// Frames to write, in order; `written` bytes of the first are already out.
    out: VecDeque<Outgoing>,
    written: usize,
    /// A close frame was queued: nothing is sent after it.
    close_sent: bool,
    /// The peer's close came (its answer is queued), or the stream failed or ended: nothing more
    /// is read.
    ended: bool,
    /// The largest frame, and message, accepted from the peer.
    limit: usize,
}

impl<IO> WireSocket<IO> {
    /// Wraps `io`, whose peer has completed the opening handshake; `limit` bounds what it may send.
    pub fn new(io: IO, limit: usize) -> WireSocket<IO> {
        WireSocket {
            io,
            read: Vec::new(),
            partial: None,
            out: VecDeque::new(),
            written: 0,
            close_sent: false,
            ended: false,
            limit,
        }
    }

    fn queue(&mut self, opcode: OpCode, payload: Bytes) {
        if self.close_sent {
            return;
        }
        if opcode == OpCode::Control(Control::Close) {
            self.close_sent = true;
        }
        self.out.push_back(Outgoing::new(opcode, payload));
    }

    /// Takes one whole frame off the read buffer and turns it into a message, when one is there.
    fn parse(&mut self) -> Result<Option<Message>, tungstenite::Error> {
        loop {
            let mut cursor = Cursor::new(&self.read[..]);
            let Some((header, len)) = FrameHeader::parse(&mut cursor)? else { return Ok(None) };
            let start = cursor.position() as usize;
            let len = usize::try_from(len).unwrap_or(usize::MAX);
            let so_far = self.partial.as_ref().map_or(0, |p| p.data.len());
            if len > self.limit || so_far.saturating_add(len) > self.limit {
                let size = so_far.saturating_add(len);
                return Err(CapacityError::MessageTooLong { size, max_size: self.limit }.into());
            }
            if self.read.len() - start < len {
                return Ok(None);
            }
            if header.rsv1 || header.rsv2 || header.rsv3 {
                return Err(ProtocolError::NonZeroReservedBits.into());
            }
            let Some(mask) = header.mask else { return Err(ProtocolError::UnmaskedFrameFromClient.into()) };
            let mut payload = self.read[start..start + len].to_vec();
            unmask(&mut payload, mask);
            self.consume(start + len);
            if let Some(message) = self.frame(header.opcode, header.is_final, payload)? {
                return Ok(Some(message));
            }
        }
    }

    /// Drops `n` bytes from the front of the read buffer, freeing it when nothing is left.
    fn consume(&mut self, n: usize) {
        if n == self.read.len() {
            self.read = Vec::new();
        } else {
            self.read.drain(..n);
            if self.read.capacity() > 4 * self.read.len().max(READ_CHUNK) {
                self.read.shrink_to_fit();
            }
        }
    }

    /// One frame's meaning: a message, or `None` for a fragment that does not finish one.
    fn frame(
        &mut self,
        opcode: OpCode,
        fin: bool,
        payload: Vec<u8>,
    ) -> Result<Option<Message>, tungstenite::Error> {
        match opcode {
            OpCode::Control(control) => {
                if !fin {
                    return Err(ProtocolError::FragmentedControlFrame.into());
                }
                if payload.len() > MAX_CONTROL {
                    return Err(ProtocolError::ControlFrameTooBig.into());
                }
                let payload = Bytes::from(payload);
                match control {
                    Control::Ping => {
                        self.queue(OpCode::Control(Control::Pong), payload.clone());
                        Ok(Some(Message::Ping(payload)))
                    }
                    Control::Pong => Ok(Some(Message::Pong(payload))),
                    Control::Close => {
                        let frame = close_frame(&payload)?;
                        // Answer with the same code (RFC 6455, 5.5.1); a close without one gets an
                        // empty close.
                        let answer = payload.get(..2).map(Bytes::copy_from_slice).unwrap_or_default();
                        self.queue(OpCode::Control(Control::Close), answer);
                        self.ended = true;
                        Ok(Some(Message::Close(frame)))
                    }
                    Control::Reserved(code) => Err(ProtocolError::UnknownControlFrameType(code).into()),
                }
            }
            OpCode::Data(Data::Continue) => {
                let Some(mut partial) = self.partial.take() else {
                    return Err(ProtocolError::UnexpectedContinueFrame.into());
                };
                partial.data.extend_from_slice(&payload);
                if fin {
                    finish(partial.text, partial.data).map(Some)
                } else {
                    self.partial = Some(partial);
                    Ok(None)
                }
            }
            OpCode::Data(data @ (Data::Text | Data::Binary)) => {
                if self.partial.is_some() {
                    return Err(ProtocolError::ExpectedFragment(data).into());
                }
                let text = data == Data::Text;
                if fin {
                    finish(text, payload).map(Some)
                } else {
                    self.partial = Some(Partial { text, data: payload });
                    Ok(None)
                }
            }
            OpCode::Data(Data::Reserved(code)) => Err(ProtocolError::UnknownDataFrameType(code).into()),
        }
    }
}

impl<IO: AsyncWrite + Unpin> WireSocket<IO> {
    /// Writes what is queued, as few vectored writes as the socket takes.
    fn write_out(&mut self, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        while !self.out.is_empty() {
            let mut slices = [IoSlice::new(&[]); 2 * MAX_QUEUED];
            let mut n = 0;
            let mut skip = self.written;
            for frame in self.out.iter().take(MAX_QUEUED) {
                let head = &frame.head[..usize::from(frame.head_len)];
                for part in [head, &frame.payload[..]] {
                    if skip >= part.len() {
                        skip -= part.len();
                    } else {
                        slices[n] = IoSlice::new(&part[skip..]);
                        skip = 0;
                        n += 1;
                    }
                }
            }
            let mut wrote = ready!(Pin::new(&mut self.io).poll_write_vectored(cx, &slices[..n]))?;
            if wrote == 0 {
                return Poll::Ready(Err(std::io::ErrorKind::WriteZero.into()));
            }
            wrote += self.written;
            while let Some(front) = self.out.front() {
                if wrote < front.len() {
                    break;
                }
                wrote -= front.len();
                self.out.pop_front();
            }
            self.written = wrote;
        }
        // The queue's storage is not kept for an idle socket.
        self.out = VecDeque::new();
        Pin::new(&mut self.io).poll_flush(cx)
    }
}

impl<IO: AsyncRead + AsyncWrite + Unpin> Stream for WireSocket<IO> {
    type Item = Result<Message, axum::Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if this.ended {
                return Poll::Ready(None);
            }
            match this.parse() {
                Ok(Some(message)) => {
                    if !this.out.is_empty() {
                        // A pong or the close's answer: written now, or by the next write.
                        let _ = this.write_out(cx);
                    }
                    return Poll::Ready(Some(Ok(message)));
                }
                Ok(None) => {}
                Err(e) => {
                    this.ended = true;
                    return Poll::Ready(Some(Err(axum::Error::new(e))));
                }
            }
            let mut chunk = [0u8; READ_CHUNK];
            let mut buf = ReadBuf::new(&mut chunk);
            match ready!(Pin::new(&mut this.io).poll_read(cx, &mut buf)) {
                Ok(()) if buf.filled().is_empty() => {
                    this.ended = true;
                    return Poll::Ready(None);
                }
                Ok(()) => this.read.extend_from_slice(buf.filled()),
                Err(e) => {
                    this.ended = true;
                    return Poll::Ready(Some(Err(axum::Error::new(e))));
                }
            }
        }
    }
}

impl<IO: AsyncWrite + Unpin> Sink<Message> for WireSocket<IO> {
    type Error = axum::Error;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        let this = self.get_mut();
        if this.out.len() >= MAX_QUEUED {
            ready!(this.write_out(cx)).map_err(axum::Error::new)?;
        }
        Poll::Ready(Ok(()))
    }

    fn start_send(self: Pin<&mut Self>, message: Message) -> Result<(), Self::Error> {
        let this = self.get_mut();
        match message {
            Message::Text(text) => this.queue(OpCode::Data(Data::Text), Bytes::from(text)),
            Message::Binary(data) => this.queue(OpCode::Data(Data::Binary), data),
            Message::Ping(data) => this.queue(OpCode::Control(Control::Ping), data),
            Message::Pong(data) => this.queue(OpCode::Control(Control::Pong), data),
            Message::Close(frame) => {
                let payload = frame.map(|f| close_payload(f.code, f.reason.as_str())).unwrap_or_default();
                this.queue(OpCode::Control(Control::Close), payload);
            }
        }
        Ok(())
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.get_mut().write_out(cx).map_err(axum::Error::new)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        let this = self.get_mut();
        ready!(this.write_out(cx)).map_err(axum::Error::new)?;
        Pin::new(&mut this.io).poll_shutdown(cx).map_err(axum::Error::new)
    }
}

/// Undoes the client's masking (RFC 6455, 5.3).
fn unmask(payload: &mut [u8], mask: [u8; 4]) {
    for (i, byte) in payload.iter_mut().enumerate() {
        *byte ^= mask[i & 3];
    }
}

/// A whole message from its payload; text must be UTF-8.
fn finish(text: bool, data: Vec<u8>) -> Result<Message, tungstenite::Error> {
    if text {
        let text = Utf8Bytes::try_from(data).map_err(|e| tungstenite::Error::Utf8(e.to_string()))?;
        Ok(Message::Text(text))
    } else {
        Ok(Message::Binary(Bytes::from(data)))
    }
}

/// A close frame's code and reason; an empty payload is a close without a code.
fn close_frame(payload: &[u8]) -> Result<Option<CloseFrame>, tungstenite::Error> {
    match payload {
        [] => Ok(None),
        [_] => Err(ProtocolError::InvalidCloseSequence.into()),
        [hi, lo, reason @ ..] => {
            let reason = std::str::from_utf8(reason).map_err(|e| tungstenite::Error::Utf8(e.to_string()))?;
            Ok(Some(CloseFrame { code: u16::from_be_bytes([*hi, *lo]), reason: reason.into() }))
        }
    }
}

/// The payload of a close frame we send: the code, then the reason (cut to fit a control frame).
fn close_payload(code: u16, reason: &str) -> Bytes {
    let mut end = reason.len().min(MAX_CONTROL - 2);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    let mut payload = Vec::with_capacity(2 + end);
    payload.extend_from_slice(&code.to_be_bytes());
    payload.extend_from_slice(&reason.as_bytes()[..end]);
    Bytes::from(payload)
}

#[cfg(test)]
mod tests;
