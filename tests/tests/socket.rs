//! The connection itself: first frames, ping, bad input, size limit, idle peers, presence, shutdown.

use std::time::Duration;

use hubbub_client::tungstenite::Message;
use hubbub_protocol::{ClientFrame, ErrorCode, ServerFrame, close};
use hubbub_tests::{TestHub, WAIT, join_and_connect};

fn error_code(frame: &ServerFrame) -> Option<ErrorCode> {
    match frame {
        ServerFrame::Error { code, .. } => Some(*code),
        _ => None,
    }
}

#[tokio::test]
async fn connect_sends_identity_then_the_three_subscriptions() {
    let hub = TestHub::start(&[]);
    let client = hub.client();
    let s = client.join("Ann", None).await.unwrap();
    let mut c = client.connect(&s).await.unwrap();
    let ServerFrame::ConnectionEstablished { user, hub: info, channels, heartbeat_ms, .. } =
        c.next_frame(WAIT).await.unwrap()
    else {
        panic!("first frame must be connection_established")
    };
    assert_eq!(user, s.user);
    assert_eq!(info.name, "Test Hub");
    assert!(heartbeat_ms > 0);
    let mut subscribed = Vec::new();
    while subscribed.len() < 3 {
        if let ServerFrame::Subscribed { channel, users, .. } = c.next_frame(WAIT).await.unwrap() {
            if channel == "presence" {
                let users = users.expect("presence snapshot");
                assert_eq!(users.len(), 1);
                assert_eq!(users[0].user_id, s.user.id);
            }
            subscribed.push(channel);
        }
    }
    // One `subscribed` per announced channel; the order between channels is not promised.
    subscribed.sort();
    let mut announced = channels.clone();
    announced.sort();
    assert_eq!(subscribed, announced);
    assert_eq!(channels, vec![format!("user:{}", s.user.id), "presence".into(), "room:lobby".into()]);

    c.send(&ClientFrame::Ping { r#ref: Some("p".into()) }).await.unwrap();
    let pong = c.recv_until(WAIT, |f| matches!(f, ServerFrame::Pong { .. })).await.unwrap();
    assert!(matches!(pong, ServerFrame::Pong { r#ref: Some(r), server_time } if r == "p" && server_time > 0));
}

#[tokio::test]
async fn bad_frames_get_error_frames_and_the_connection_stays_open() {
    let hub = TestHub::start(&[]);
    let (_s, mut c) = join_and_connect(&hub.client(), "Ann").await;
    let cases: &[(&str, ErrorCode)] = &[
        ("{this is not json", ErrorCode::InvalidJson),
        (r#"{"no":"type"}"#, ErrorCode::InvalidFrame),
        (r#"{"type":"moonwalk","ref":"x"}"#, ErrorCode::UnknownType),
        (r#"{"type":"send_message","ref":"y"}"#, ErrorCode::InvalidFrame),
        (
            r#"{"type":"send_message","ref":"z","channel":"room:lobby","client_message_id":"a","body":"   "}"#,
            ErrorCode::MessageEmpty,
        ),
        (
            r#"{"type":"send_message","channel":"room:lobby","client_message_id":"","body":"x"}"#,
            ErrorCode::InvalidClientMessageId,
        ),
        (
            r#"{"type":"send_message","channel":"room:nowhere","client_message_id":"q","body":"x"}"#,
            ErrorCode::NoSuchChannel,
        ),
        (r#"{"type":"subscribe","channel":"user:999999"}"#, ErrorCode::Forbidden),
        (r#"{"type":"subscribe","channel":"bogus"}"#, ErrorCode::NoSuchChannel),
        (r#"{"type":"subscribe","channel":"room:nowhere"}"#, ErrorCode::NoSuchChannel),
        (r#"{"type":"unsubscribe","channel":"room:nowhere"}"#, ErrorCode::NotSubscribed),
    ];
    for (text, want) in cases {
        c.send_text(*text).await.unwrap();
        let frame = c.recv_until(WAIT, |f| error_code(f).is_some()).await.unwrap();
        assert_eq!(error_code(&frame), Some(*want), "{text} -> {frame:?}");
    }
    let long = "é".repeat(4001);
    c.send(&ClientFrame::SendMessage {
        r#ref: Some("long".into()),
        channel: "room:lobby".into(),
        client_message_id: "long".into(),
        body: long,
        attachments: None,
        reply_to: None,
    })
    .await
    .unwrap();
    let frame = c.recv_until(WAIT, |f| error_code(f).is_some()).await.unwrap();
    assert!(
        matches!(frame, ServerFrame::Error { code: ErrorCode::MessageTooLong, r#ref: Some(ref r), .. } if r == "long")
    );
    c.send_raw(Message::Binary(vec![1, 2, 3].into())).await.unwrap();
    let frame = c.recv_until(WAIT, |f| error_code(f).is_some()).await.unwrap();
    assert_eq!(error_code(&frame), Some(ErrorCode::InvalidFrame));
    // Still open and working.
    c.send(&ClientFrame::Ping { r#ref: None }).await.unwrap();
    c.recv_until(WAIT, |f| matches!(f, ServerFrame::Pong { .. })).await.unwrap();
    c.send(&ClientFrame::Unsubscribe { r#ref: Some("u".into()), channel: "room:lobby".into() })
        .await
        .unwrap();
    let frame = c.recv_until(WAIT, |f| matches!(f, ServerFrame::Unsubscribed { .. })).await.unwrap();
    assert!(matches!(frame, ServerFrame::Unsubscribed { r#ref: Some(r), .. } if r == "u"));
}

#[tokio::test]
async fn an_oversized_frame_closes_with_1009() {
    let hub = TestHub::start(&[]);
    let (_s, mut c) = join_and_connect(&hub.client(), "Ann").await;
    let big = format!(r#"{{"type":"ping","ref":"{}"}}"#, "x".repeat(70 * 1024));
    // The hub may close before the whole frame is written; either way the close code is 1009.
    let _ = c.send_text(big).await;
    let (code, _) = c.expect_close(WAIT).await.unwrap();
    assert_eq!(code, Some(close::TOO_BIG));
}

#[tokio::test]
async fn a_silent_peer_is_dropped_after_the_idle_timeout() {
    let hub =
        TestHub::start(&["--heartbeat-secs", "1", "--idle-timeout-secs", "2", "--presence-grace-ms", "200"]);
    let client = hub.client();
    let (quiet_session, mut quiet) = join_and_connect(&client, "Quiet").await;
    let (_w, mut watcher) = join_and_connect(&client, "Watcher").await;
    // The watcher keeps reading, and so answers the hub's pings; it waits to see Quiet leave.
    let quiet_id = quiet_session.user.id;
    let watching = tokio::spawn(async move {
        watcher
            .recv_until(
                Duration::from_secs(15),
                |f| matches!(f, ServerFrame::PresenceDiff { leaves, .. } if leaves.contains(&quiet_id)),
            )
            .await
            .map(|_| watcher)
    });
    // Quiet reads nothing, so it answers no pings, like a phone that went to sleep mid-connection.
    let mut watcher = watching.await.unwrap().expect("the watcher saw Quiet go offline");
    assert_eq!(client.status().await.unwrap().connections, 1);
    // The hub sent close 4000 and dropped the socket. The quiet client, reading now, first tries to
    // answer the queued pings, so it may hit the broken pipe before it reads the close frame.
    match quiet.expect_close(WAIT).await {
        Ok((code, _)) => assert_eq!(code, Some(close::IDLE_TIMEOUT)),
        Err(hubbub_tests::ClientError::Ws(e)) => {
            let e = e.to_string();
            assert!(e.contains("pipe") || e.contains("reset"), "{e}");
        }
        Err(e) => panic!("{e}"),
    }
    watcher.send(&ClientFrame::Ping { r#ref: None }).await.unwrap();
    watcher.recv_until(WAIT, |f| matches!(f, ServerFrame::Pong { .. })).await.unwrap();
}

#[tokio::test]
async fn shutdown_flushes_and_closes_every_socket_with_1001() {
    let mut hub = TestHub::start(&[]);
    let client = hub.client();
    let (_a, mut a) = join_and_connect(&client, "Ann").await;
    let (_b, mut b) = join_and_connect(&client, "Bo").await;
    a.send(&ClientFrame::SendMessage {
        r#ref: Some("last".into()),
        channel: "room:lobby".into(),
        client_message_id: "last".into(),
        body: "last words".into(),
        attachments: None,
        reply_to: None,
    })
    .await
    .unwrap();
    a.recv_until(WAIT, |f| matches!(f, ServerFrame::Ack { .. })).await.unwrap();
    assert!(hub.terminate(), "hub exits 0 after a graceful shutdown");
    for c in [&mut a, &mut b] {
        let (code, reason) = c.expect_close(WAIT).await.unwrap();
        assert_eq!(code, Some(close::GOING_AWAY), "{reason}");
    }
}

#[tokio::test]
async fn status_info_and_the_web_client_are_served() {
    let hub = TestHub::start(&[]);
    let client = hub.client();
    let status = client.status().await.unwrap();
    assert_eq!(status.status, "ok");
    let info = client.info().await.unwrap();
    assert_eq!((info.name.as_str(), info.protocol_version, info.pin_required), ("Test Hub", 1, false));
    assert_eq!(info.hub_id.len(), 32);

    let http = reqwest::Client::new();
    let page = http.get(&hub.url).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    assert_eq!(page.headers()["cache-control"], "no-cache");
    let etag = page.headers()["etag"].clone();
    let html = page.text().await.unwrap();
    assert!(html.contains("<html") || html.contains("<!doctype") || html.contains("<!DOCTYPE"));
    let again = http.get(&hub.url).header("if-none-match", etag).send().await.unwrap();
    assert_eq!(again.status(), 304);
    let deep = http.get(format!("{}/some/client/route", hub.url)).send().await.unwrap();
    assert_eq!(deep.status(), 200, "SPA fallback");
    let missing = http.get(format!("{}/assets/nope.js", hub.url)).send().await.unwrap();
    assert_eq!(missing.status(), 404);
    let api = http.get(format!("{}/api/nope", hub.url)).send().await.unwrap();
    assert_eq!(api.status(), 404);
    let body: serde_json::Value = api.json().await.unwrap();
    assert_eq!(body["code"], "not_found");
    let plain = http.get(format!("{}/ws", hub.url)).send().await.unwrap();
    assert_eq!(plain.status(), 426);
}

#[tokio::test]
async fn a_client_that_pipelines_faster_than_it_reads_is_slowed_not_cut_off() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("small-queue.toml");
    std::fs::write(&config, "send_queue = 64\nmessage_rate = 0\n").unwrap();
    let hub = TestHub::start(&["--config", config.to_str().unwrap()]);
    let (_s, mut c) = join_and_connect(&hub.client(), "Flood").await;
    // 400 sends without reading: 800 frames come back (acks and the echoes) through a 64-frame queue.
    for i in 0..400 {
        c.send(&ClientFrame::SendMessage {
            r#ref: Some(format!("f{i}")),
            channel: "room:lobby".into(),
            client_message_id: format!("f{i}"),
            body: format!("flood {i}"),
            attachments: None,
            reply_to: None,
        })
        .await
        .unwrap();
    }
    let mut acks = 0;
    while acks < 400 {
        match c.next_frame(WAIT).await {
            Ok(ServerFrame::Ack { .. }) => acks += 1,
            Ok(_) => {}
            Err(e) => panic!("after {acks} acks: {e}"),
        }
    }
}
