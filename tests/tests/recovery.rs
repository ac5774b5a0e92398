//! Catch-up after a drop: exactly the missed events (messages, edits, deletes, reactions), in
//! order, once each, then live, even while others keep sending during the replay.

use std::collections::BTreeMap;

use hubbub_protocol::{ClientFrame, ServerFrame};
use hubbub_tests::{Connection, TestHub, WAIT, join_and_connect};

/// The offset and kind of a persisted lobby event, or `None` for any other frame.
fn event(frame: &ServerFrame) -> Option<(i64, &'static str)> {
    match frame {
        ServerFrame::Message(m) if m.channel == "room:lobby" => Some((m.offset, "message")),
        ServerFrame::MessageEdited { channel, offset, .. } if channel == "room:lobby" => {
            Some((*offset, "edit"))
        }
        ServerFrame::MessageDeleted { channel, offset, .. } if channel == "room:lobby" => {
            Some((*offset, "delete"))
        }
        ServerFrame::Reaction { channel, offset, .. } if channel == "room:lobby" => {
            Some((*offset, "reaction"))
        }
        _ => None,
    }
}

fn msg(r: String, body: String) -> ClientFrame {
    ClientFrame::SendMessage {
        r#ref: Some(r.clone()),
        channel: "room:lobby".into(),
        client_message_id: r,
        body,
        attachments: None,
        reply_to: None,
    }
}

/// Sends `frame` and waits for its ack; returns the event's offset.
async fn acked(conn: &mut Connection, frame: ClientFrame) -> i64 {
    let r = frame.reference().unwrap().to_owned();
    conn.send(&frame).await.unwrap();
    match conn.recv_until(WAIT, |f| matches!(f, ServerFrame::Ack { r#ref, .. } | ServerFrame::Error { r#ref: Some(r#ref), .. } if *r#ref == r)).await.unwrap() {
        ServerFrame::Ack { offset: Some(o), .. } => o,
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_client_replays_exactly_what_it_missed_while_others_keep_sending() {
    let hub = TestHub::start(&["--message-rate", "0", "--reaction-rate", "0"]);
    let client = hub.client();
    let (ann, a) = join_and_connect(&client, "Ann").await;
    let (_bo, mut b) = join_and_connect(&client, "Bo").await;
    let (_cy, mut c) = join_and_connect(&client, "Cy").await;

    // A little history Ann has seen, then she drops.
    let mut expected: BTreeMap<i64, &'static str> = BTreeMap::new();
    let mut ids = Vec::new();
    for i in 0..5 {
        let o = acked(&mut b, msg(format!("seen{i}"), format!("before the drop {i}"))).await;
        expected.insert(o, "message");
    }
    drop(a);
    let since = *expected.keys().last().unwrap();
    let epoch = {
        let mut probe = client.connect(&ann).await.unwrap();
        let frame = probe
            .recv_until(
                WAIT,
                |f| matches!(f, ServerFrame::Subscribed { channel, .. } if channel == "room:lobby"),
            )
            .await
            .unwrap();
        let ServerFrame::Subscribed { epoch: Some(epoch), .. } = frame else { panic!("epoch") };
        epoch
    };
    expected.clear();

    // 500 messages with edits, deletes and reactions among them.
    for i in 0..500 {
        let o = acked(&mut b, msg(format!("m{i}"), format!("missed {i}"))).await;
        expected.insert(o, "message");
        let ServerFrame::Message(m) =
            c.recv_until(WAIT, |f| matches!(f, ServerFrame::Message(m) if m.offset == o)).await.unwrap()
        else {
            unreachable!()
        };
        ids.push(m.id);
        if i % 10 == 9 {
            let target = ids[i - 5];
            let o = acked(
                &mut b,
                ClientFrame::EditMessage {
                    r#ref: Some(format!("e{i}")),
                    channel: "room:lobby".into(),
                    message_id: target,
                    body: format!("edited {i}"),
                },
            )
            .await;
            expected.insert(o, "edit");
        }
        if i % 7 == 3 {
            let o = acked(
                &mut c,
                ClientFrame::React {
                    r#ref: Some(format!("r{i}")),
                    channel: "room:lobby".into(),
                    message_id: ids[i],
                    emoji: "👍".into(),
                },
            )
            .await;
            expected.insert(o, "reaction");
        }
        if i % 25 == 24 {
            let o = acked(
                &mut b,
                ClientFrame::DeleteMessage {
                    r#ref: Some(format!("d{i}")),
                    channel: "room:lobby".into(),
                    message_id: ids[i - 1],
                },
            )
            .await;
            expected.insert(o, "delete");
        }
    }
    let missed = expected.len();
    assert!(missed > 600, "{missed} events");

    // Cy keeps sending while Ann reconnects and replays.
    let live = tokio::spawn(async move {
        let mut offsets = Vec::new();
        for i in 0..150 {
            offsets.push(acked(&mut c, msg(format!("live{i}"), format!("during the replay {i}"))).await);
        }
        offsets
    });
    let token = client.ws_token(&ann).await.unwrap();
    let url = format!("{}&since=room:lobby@{epoch}:{since}", client.ws_url(&token));
    let mut a = Connection::open(&url).await.unwrap();
    let frame = a
        .recv_until(WAIT, |f| matches!(f, ServerFrame::Subscribed { channel, .. } if channel == "room:lobby"))
        .await
        .unwrap();
    let ServerFrame::Subscribed { recovered: Some(true), messages: None, events: Some(replayed), .. } = frame
    else {
        panic!("expected a catch-up, got {frame:?}")
    };
    for o in live.await.unwrap() {
        expected.insert(o, "message");
    }
    let last = *expected.keys().last().unwrap();

    // The catch-up inside `subscribed`, then live frames.
    let mut got: Vec<(i64, &'static str)> =
        replayed.iter().map(|f| event(f).expect("only chat events")).collect();
    assert!(got.len() >= missed, "the catch-up holds at least everything missed before the reconnect");
    while got.last().is_none_or(|(o, _)| *o < last) {
        let frame = a.next_frame(WAIT).await.expect("every event arrives");
        if let Some(e) = event(&frame) {
            got.push(e);
        }
    }
    let offsets: Vec<i64> = got.iter().map(|(o, _)| *o).collect();
    let want: Vec<i64> = ((since + 1)..=last).collect();
    assert_eq!(offsets, want, "every missed and live event once, in order, no gap");
    let kinds: BTreeMap<i64, &'static str> = got.into_iter().collect();
    assert_eq!(kinds, expected, "each event is the kind that was acknowledged");
}

#[tokio::test]
async fn a_since_from_another_epoch_or_too_old_gets_a_fresh_snapshot() {
    let hub = TestHub::start(&[]);
    let client = hub.client();
    let (ann, mut a) = join_and_connect(&client, "Ann").await;
    a.send(&msg("one".into(), "one".into())).await.unwrap();
    a.recv_until(WAIT, |f| matches!(f, ServerFrame::Ack { .. })).await.unwrap();
    let token = client.ws_token(&ann).await.unwrap();
    let mut again =
        Connection::open(&format!("{}&since=room:lobby@deadbeef:0", client.ws_url(&token))).await.unwrap();
    let frame = again
        .recv_until(WAIT, |f| matches!(f, ServerFrame::Subscribed { channel, .. } if channel == "room:lobby"))
        .await
        .unwrap();
    let ServerFrame::Subscribed { recovered: Some(false), messages: Some(messages), .. } = frame else {
        panic!("{frame:?}")
    };
    assert_eq!(messages.len(), 1);
    // A malformed entry is ignored: that channel starts from a plain snapshot.
    let token = client.ws_token(&ann).await.unwrap();
    let mut odd =
        Connection::open(&format!("{}&since=garbage,room:lobby@x", client.ws_url(&token))).await.unwrap();
    let frame = odd
        .recv_until(WAIT, |f| matches!(f, ServerFrame::Subscribed { channel, .. } if channel == "room:lobby"))
        .await
        .unwrap();
    assert!(matches!(frame, ServerFrame::Subscribed { recovered: None, messages: Some(_), .. }), "{frame:?}");
}
