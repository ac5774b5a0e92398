//! Lobby chat between real clients: delivery, acks, idempotent resends, history, persistence.

use hubbub_protocol::{ClientFrame, ServerFrame};
use hubbub_tests::{TestHub, WAIT, connect_ready, join_and_connect};

fn send(r: &str, cmid: &str, body: &str) -> ClientFrame {
    ClientFrame::SendMessage {
        r#ref: Some(r.into()),
        channel: "room:lobby".into(),
        client_message_id: cmid.into(),
        body: body.into(),
        attachments: None,
        reply_to: None,
    }
}

#[tokio::test]
async fn two_guests_chat_in_the_lobby() {
    let hub = TestHub::start(&[]);
    let client = hub.client();
    let (ann, mut a) = join_and_connect(&client, "Ann").await;
    let (_bo, mut b) = join_and_connect(&client, "Bo").await;

    a.send(&send("r1", "m-1", "hello Bo")).await.unwrap();
    let ack = a.recv_until(WAIT, |f| matches!(f, ServerFrame::Ack { .. })).await.unwrap();
    let ServerFrame::Ack { r#ref, message_id, offset, duplicate, channel } = ack else { unreachable!() };
    assert_eq!((r#ref.as_str(), offset, duplicate), ("r1", Some(1), false));
    assert_eq!(channel.as_deref(), Some("room:lobby"));

    let got = b.recv_until(WAIT, |f| matches!(f, ServerFrame::Message(_))).await.unwrap();
    let ServerFrame::Message(m) = got else { unreachable!() };
    assert_eq!(
        (m.body.as_str(), m.sender_id, m.offset, Some(m.id)),
        ("hello Bo", ann.user.id, 1, message_id)
    );
    assert_eq!(m.sender_name, "Ann");

    b.send(&send("r9", "b-1", "hi Ann")).await.unwrap();
    let got =
        a.recv_until(WAIT, |f| matches!(f, ServerFrame::Message(m) if m.body == "hi Ann")).await.unwrap();
    let ServerFrame::Message(m) = got else { unreachable!() };
    assert_eq!(m.offset, 2);
}

#[tokio::test]
async fn a_resent_client_message_id_is_stored_once() {
    let hub = TestHub::start(&[]);
    let client = hub.client();
    let (ann, mut a) = join_and_connect(&client, "Ann").await;
    let (_bo, mut b) = join_and_connect(&client, "Bo").await;

    a.send(&send("r1", "same", "once")).await.unwrap();
    a.send(&send("r2", "same", "once (resent)")).await.unwrap();
    a.send(&send("r3", "next", "twice")).await.unwrap();
    let mut acks = Vec::new();
    while acks.len() < 3 {
        if let ServerFrame::Ack { r#ref, offset, duplicate, .. } =
            a.recv_until(WAIT, |f| matches!(f, ServerFrame::Ack { .. })).await.unwrap()
        {
            acks.push((r#ref, offset, duplicate));
        }
    }
    assert_eq!(
        acks,
        vec![("r1".into(), Some(1), false), ("r2".into(), Some(1), true), ("r3".into(), Some(2), false)]
    );
    // Bo sees offset 1 and then offset 2: the resend produced no second message.
    for want in [1, 2] {
        let ServerFrame::Message(m) =
            b.recv_until(WAIT, |f| matches!(f, ServerFrame::Message(_))).await.unwrap()
        else {
            unreachable!()
        };
        assert_eq!(m.offset, want);
    }
    // A resend after a reconnect is still recognised. (This used to join a second user named "Ann",
    // which names now refuse, and checked nothing.)
    drop(a);
    let mut again = connect_ready(&client, &ann).await;
    again.send(&send("r4", "same", "once (after reconnecting)")).await.unwrap();
    let ack = again.recv_until(WAIT, |f| matches!(f, ServerFrame::Ack { .. })).await.unwrap();
    let ServerFrame::Ack { offset, duplicate, .. } = ack else { unreachable!() };
    assert_eq!((offset, duplicate), (Some(1), true));
}

#[tokio::test]
async fn subscribers_get_the_last_50_messages_and_history_survives_a_restart() {
    let mut hub = TestHub::start(&["--message-rate", "0"]);
    let client = hub.client();
    let (ann, mut a) = join_and_connect(&client, "Ann").await;
    for i in 1..=60 {
        a.send(&send(&format!("r{i}"), &format!("c{i}"), &format!("message {i}"))).await.unwrap();
    }
    a.recv_until(WAIT, |f| matches!(f, ServerFrame::Ack { r#ref, .. } if r#ref == "r60")).await.unwrap();

    let check = |frame: ServerFrame| {
        let ServerFrame::Subscribed { messages: Some(messages), last_offset, epoch, .. } = frame else {
            panic!("expected the lobby snapshot, got {frame:?}")
        };
        assert_eq!(last_offset, Some(60));
        assert!(epoch.is_some());
        let offsets: Vec<i64> = messages.iter().map(|m| m.offset).collect();
        assert_eq!(offsets, (11..=60).collect::<Vec<_>>());
        assert_eq!(messages.last().unwrap().body, "message 60");
    };
    let (_bo, b) = join_and_connect(&client, "Bo").await;
    drop(b);
    let mut b = client.connect(&client.join("Bo2", None).await.unwrap()).await.unwrap();
    check(
        b.recv_until(
            WAIT,
            |f| matches!(f, ServerFrame::Subscribed { channel, .. } if channel == "room:lobby"),
        )
        .await
        .unwrap(),
    );

    assert!(hub.terminate(), "hub exits 0 on SIGTERM");
    hub.restart();
    let client = hub.client();
    let mut a = client.connect(&ann).await.expect("the session survives a restart");
    check(
        a.recv_until(
            WAIT,
            |f| matches!(f, ServerFrame::Subscribed { channel, .. } if channel == "room:lobby"),
        )
        .await
        .unwrap(),
    );
    // Offsets continue after the restart, and the old client_message_id is still known.
    a.send(&send("again", "c60", "dup after restart")).await.unwrap();
    let ack = a.recv_until(WAIT, |f| matches!(f, ServerFrame::Ack { .. })).await.unwrap();
    assert!(matches!(ack, ServerFrame::Ack { offset: Some(60), duplicate: true, .. }), "{ack:?}");
    a.send(&send("new", "c61", "new after restart")).await.unwrap();
    let ack = a.recv_until(WAIT, |f| matches!(f, ServerFrame::Ack { .. })).await.unwrap();
    assert!(matches!(ack, ServerFrame::Ack { offset: Some(61), duplicate: false, .. }), "{ack:?}");
    let _ = connect_ready(&client, &ann).await;
}
