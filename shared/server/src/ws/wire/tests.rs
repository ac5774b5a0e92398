//! The framing against tungstenite's client over an in-memory pipe, and against hand-made bytes
//! for what a well-behaved client never sends.

use axum::body::Bytes;
use axum::extract::ws::{CloseFrame, Message};
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream, duplex};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::{CloseFrame as ClientClose, Role};
use tokio_tungstenite::tungstenite::{self as ts, Message as ClientMessage};

use super::WireSocket;

const LIMIT: usize = 1024;

/// A server socket and a client on the two ends of a pipe holding at most `pipe` bytes.
async fn pair(pipe: usize) -> (WireSocket<DuplexStream>, WebSocketStream<DuplexStream>) {
    let (server, client) = duplex(pipe);
    let client = WebSocketStream::from_raw_socket(client, Role::Client, None).await;
    (WireSocket::new(server, LIMIT), client)
}

/// The tungstenite error a failed read carries.
fn failure(item: Option<Result<Message, axum::Error>>) -> ts::Error {
    let err = item.expect("the stream yields the failure").expect_err("a failure");
    let inner = std::error::Error::source(&err).expect("a source");
    match inner.downcast_ref::<ts::Error>() {
        Some(ts::Error::Capacity(c)) => ts::Error::Capacity(*c),
        Some(ts::Error::Utf8(s)) => ts::Error::Utf8(s.clone()),
        Some(ts::Error::Protocol(p)) => ts::Error::Protocol(p.clone()),
        other => panic!("unexpected error {other:?}"),
    }
}

#[tokio::test]
async fn messages_cross_both_ways() {
    let (mut server, mut client) = pair(1 << 20).await;
    client.send(ClientMessage::text("hello hub")).await.unwrap();
    client.send(ClientMessage::binary(vec![1, 2, 3])).await.unwrap();
    assert_eq!(server.next().await.unwrap().unwrap(), Message::Text("hello hub".into()));
    assert_eq!(server.next().await.unwrap().unwrap(), Message::Binary(Bytes::from_static(&[1, 2, 3])));

    // 125, 126 and 70,000 bytes: the three header lengths.
    let bodies: Vec<String> = [5, 125, 126, 70_000].iter().map(|n| "x".repeat(*n)).collect();
    for body in &bodies {
        server.feed(Message::Text(body.as_str().into())).await.unwrap();
    }
    server.flush().await.unwrap();
    for body in &bodies {
        assert_eq!(client.next().await.unwrap().unwrap(), ClientMessage::text(body.as_str()));
    }
    // Between messages the socket holds no buffer.
    assert_eq!(server.read.capacity(), 0);
    assert_eq!(server.out.capacity(), 0, "the send queue is not kept");
}

#[tokio::test]
async fn many_frames_through_a_narrow_pipe_arrive_whole_and_in_order() {
    // 64 bytes of pipe: every vectored write is cut short, often inside a header.
    let (mut server, mut client) = pair(64).await;
    let reader = tokio::spawn(async move {
        let mut got = Vec::new();
        while got.len() < 300 {
            match client.next().await {
                Some(Ok(ClientMessage::Text(t))) => got.push(t.to_string()),
                other => panic!("unexpected {other:?}"),
            }
        }
        got
    });
    let sent: Vec<String> = (0..300).map(|i| format!("{i}:{}", "y".repeat(i % 200))).collect();
    for text in &sent {
        server.feed(Message::Text(text.as_str().into())).await.unwrap();
    }
    server.flush().await.unwrap();
    assert_eq!(reader.await.unwrap(), sent);
}

#[tokio::test]
async fn fragments_and_a_ping_between_them_make_one_message_and_a_pong() {
    let (mut server, mut client) = pair(1 << 16).await;
    client.send(ClientMessage::Frame(Frame::message("hel", OpCode::Data(Data::Text), false))).await.unwrap();
    client.send(ClientMessage::Ping(Bytes::from_static(b"p1"))).await.unwrap();
    client
        .send(ClientMessage::Frame(Frame::message("lo", OpCode::Data(Data::Continue), true)))
        .await
        .unwrap();
    assert_eq!(server.next().await.unwrap().unwrap(), Message::Ping(Bytes::from_static(b"p1")));
    assert_eq!(server.next().await.unwrap().unwrap(), Message::Text("hello".into()));
    assert_eq!(client.next().await.unwrap().unwrap(), ClientMessage::Pong(Bytes::from_static(b"p1")));
}

#[tokio::test]
async fn a_frame_cut_anywhere_is_read_once_whole() {
    let (server_io, mut raw) = duplex(1 << 16);
    let mut server = WireSocket::new(server_io, LIMIT);
    // "hi" masked with 1,2,3,4, sent a byte at a time.
    let mask = [1u8, 2, 3, 4];
    let frame = [0x81, 0x82, 1, 2, 3, 4, b'h' ^ mask[0], b'i' ^ mask[1]];
    let writer = tokio::spawn(async move {
        for byte in frame {
            raw.write_all(&[byte]).await.unwrap();
            tokio::task::yield_now().await;
        }
        raw
    });
    assert_eq!(server.next().await.unwrap().unwrap(), Message::Text("hi".into()));
    drop(writer.await.unwrap());
    assert!(server.next().await.is_none(), "the peer went away");
}

#[tokio::test]
async fn a_close_is_answered_with_its_code_and_ends_the_stream() {
    let (mut server, mut client) = pair(1 << 16).await;
    client.close(Some(ClientClose { code: 4000.into(), reason: "bye".into() })).await.unwrap();
    let closed = server.next().await.unwrap().unwrap();
    assert_eq!(closed, Message::Close(Some(CloseFrame { code: 4000, reason: "bye".into() })));
    assert!(server.next().await.is_none());
    match client.next().await {
        Some(Ok(ClientMessage::Close(Some(frame)))) => assert_eq!(u16::from(frame.code), 4000),
        other => panic!("expected the close's answer, got {other:?}"),
    }
}

#[tokio::test]
async fn the_hub_closes_with_a_code_and_reason_and_sends_nothing_after() {
    let (mut server, mut client) = pair(1 << 16).await;
    server.send(Message::Close(Some(CloseFrame { code: 4401, reason: "who are you".into() }))).await.unwrap();
    server.send(Message::Text("too late".into())).await.unwrap();
    match client.next().await {
        Some(Ok(ClientMessage::Close(Some(frame)))) => {
            assert_eq!(u16::from(frame.code), 4401);
            assert_eq!(frame.reason.as_str(), "who are you");
        }
        other => panic!("expected a close, got {other:?}"),
    }
}

#[tokio::test]
async fn an_oversized_frame_or_message_is_refused() {
    let (mut server, mut client) = pair(1 << 16).await;
    client.send(ClientMessage::text("z".repeat(LIMIT + 1))).await.unwrap();
    assert!(matches!(failure(server.next().await), ts::Error::Capacity(_)));
    assert!(server.next().await.is_none(), "nothing is read after a failure");

    // Fragments each under the limit, together over it.
    let (mut server, mut client) = pair(1 << 16).await;
    let half = "z".repeat(LIMIT / 2 + 1);
    client
        .send(ClientMessage::Frame(Frame::message(half.clone(), OpCode::Data(Data::Text), false)))
        .await
        .unwrap();
    client
        .send(ClientMessage::Frame(Frame::message(half, OpCode::Data(Data::Continue), true)))
        .await
        .unwrap();
    assert!(matches!(failure(server.next().await), ts::Error::Capacity(_)));
}

#[tokio::test]
async fn text_that_is_not_utf8_is_refused() {
    let (mut server, mut client) = pair(1 << 16).await;
    client
        .send(ClientMessage::Frame(Frame::message(vec![0xff, 0xfe], OpCode::Data(Data::Text), true)))
        .await
        .unwrap();
    assert!(matches!(failure(server.next().await), ts::Error::Utf8(_)));
}

/// Hand-made frames no conforming client sends.
async fn raw_failure(bytes: &'static [u8]) -> ts::Error {
    let (server_io, mut raw) = duplex(1 << 16);
    let mut server = WireSocket::new(server_io, LIMIT);
    raw.write_all(bytes).await.unwrap();
    let error = failure(server.next().await);
    // Nothing was answered.
    drop(server);
    let mut rest = Vec::new();
    raw.read_to_end(&mut rest).await.unwrap();
    assert!(rest.is_empty(), "no frame is sent for a broken one: {rest:?}");
    error
}

#[tokio::test]
async fn frames_that_break_the_protocol_are_refused() {
    use ts::error::ProtocolError as P;
    let protocol = |e: ts::Error| match e {
        ts::Error::Protocol(p) => p,
        other => panic!("expected a protocol error, got {other:?}"),
    };
    // Unmasked text "hi".
    assert_eq!(protocol(raw_failure(&[0x81, 0x02, b'h', b'i']).await), P::UnmaskedFrameFromClient);
    // RSV1 set (no extension was agreed).
    assert_eq!(protocol(raw_failure(&[0xc1, 0x80, 0, 0, 0, 0]).await), P::NonZeroReservedBits);
    // A continuation with nothing to continue.
    assert_eq!(protocol(raw_failure(&[0x80, 0x80, 0, 0, 0, 0]).await), P::UnexpectedContinueFrame);
    // A fragmented ping.
    assert_eq!(protocol(raw_failure(&[0x09, 0x80, 0, 0, 0, 0]).await), P::FragmentedControlFrame);
    // Opcode 3 (reserved): refused as the header is read.
    assert_eq!(protocol(raw_failure(&[0x83, 0x80, 0, 0, 0, 0]).await), P::InvalidOpcode(3));
    // A close with a one-byte payload.
    assert_eq!(protocol(raw_failure(&[0x88, 0x81, 0, 0, 0, 0, 7]).await), P::InvalidCloseSequence);
}
