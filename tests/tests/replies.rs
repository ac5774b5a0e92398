//! Replies against a real hub: the reply is stored with the message it answers, every reader gets
//! its quote (live, in history and after a restart), the quote says "deleted" once the original is,
//! and a reply to a message of another channel (or to a deleted one) is refused.

use hubbub_client::{Connection, HubClient, Session};
use hubbub_protocol::{
    ChatMessage, ClientFrame, CreateRoomRequest, ErrorCode, MessagesResponse, Room, RoomKind, ServerFrame,
};
use hubbub_tests::{TestHub, WAIT, connect_ready, error_code, join_and_connect};

fn send(channel: &str, r: &str, body: &str, reply_to: Option<i64>) -> ClientFrame {
    ClientFrame::SendMessage {
        r#ref: Some(r.into()),
        channel: channel.into(),
        client_message_id: format!("cmid-{r}"),
        body: body.into(),
        attachments: None,
        reply_to,
    }
}

/// Sends and waits for the ack; returns the message id.
async fn sent(conn: &mut Connection, channel: &str, r: &str, body: &str, reply_to: Option<i64>) -> i64 {
    conn.send(&send(channel, r, body, reply_to)).await.unwrap();
    match conn.recv_until(WAIT, |f| matches!(f, ServerFrame::Ack { r#ref, .. } if r#ref == r)).await.unwrap()
    {
        ServerFrame::Ack { message_id: Some(id), .. } => id,
        other => panic!("expected an ack with a message id, got {other:?}"),
    }
}

async fn received(conn: &mut Connection, body: &str) -> ChatMessage {
    match conn.recv_until(WAIT, |f| matches!(f, ServerFrame::Message(m) if m.body == body)).await.unwrap() {
        ServerFrame::Message(m) => m,
        _ => unreachable!(),
    }
}

async fn history(client: &HubClient, s: &Session, channel: &str) -> Vec<ChatMessage> {
    let page: MessagesResponse =
        client.get_json(s, &format!("/api/channels/{channel}/messages")).await.expect("history");
    page.messages
}

#[tokio::test]
async fn a_reply_carries_a_quote_that_follows_the_original() {
    let mut hub = TestHub::start(&[]);
    let client = hub.client();
    let (ann, mut a) = join_and_connect(&client, "Ann").await;
    let (bo, mut b) = join_and_connect(&client, "Bo").await;

    let long = format!("{} and then some more words", "🍕".repeat(120));
    let original = sent(&mut a, "room:lobby", "o1", &long, None).await;
    let reply = sent(&mut b, "room:lobby", "r1", "yes please", Some(original)).await;

    // Everyone in the room gets the reply with its quote: author and the first 100 characters.
    let live = received(&mut a, "yes please").await;
    assert_eq!(live.id, reply);
    let q = live.reply_to.expect("a quote");
    assert_eq!(
        (q.message_id, q.sender_id, q.sender_name.as_str(), q.deleted),
        (original, ann.user.id, "Ann", false)
    );
    assert_eq!(q.excerpt, format!("{}…", "🍕".repeat(100)));

    // A short original is quoted whole; history shows both quotes as they are now.
    let short = sent(&mut a, "room:lobby", "o2", "tacos?", None).await;
    sent(&mut b, "room:lobby", "r2", "always", Some(short)).await;
    let stored = history(&client, &bo, "room:lobby").await;
    let always = stored.iter().find(|m| m.body == "always").expect("the second reply");
    assert_eq!(always.reply_to.as_ref().map(|q| q.excerpt.as_str()), Some("tacos?"));
    assert!(stored.iter().find(|m| m.body == "tacos?").unwrap().reply_to.is_none());

    // Once the original is deleted, the quote says so and keeps none of its text.
    a.send(&ClientFrame::DeleteMessage {
        r#ref: Some("d".into()),
        channel: "room:lobby".into(),
        message_id: original,
    })
    .await
    .unwrap();
    a.recv_until(WAIT, |f| matches!(f, ServerFrame::Ack { r#ref, .. } if r#ref == "d")).await.unwrap();
    let stored = history(&client, &bo, "room:lobby").await;
    let q = stored.iter().find(|m| m.id == reply).unwrap().reply_to.clone().expect("still a reply");
    assert!(q.deleted, "{q:?}");
    assert_eq!((q.message_id, q.excerpt.as_str()), (original, ""));

    // Replying to the deleted message is refused.
    b.send(&send("room:lobby", "r3", "too late", Some(original))).await.unwrap();
    assert_eq!(error_code(&mut b, "r3").await, ErrorCode::InvalidReply);

    // The reply survives a restart, with its quote, in the snapshot of a fresh socket.
    drop((a, b));
    assert!(hub.terminate());
    hub.restart();
    let client = hub.client();
    let mut b = client.connect(&bo).await.unwrap();
    let frame = b
        .recv_until(WAIT, |f| matches!(f, ServerFrame::Subscribed { channel, .. } if channel == "room:lobby"))
        .await
        .unwrap();
    let ServerFrame::Subscribed { messages: Some(messages), .. } = frame else { panic!("a snapshot") };
    let always = messages.iter().find(|m| m.body == "always").expect("the reply after a restart");
    let q = always.reply_to.as_ref().expect("its quote");
    assert_eq!(
        (q.message_id, q.sender_name.as_str(), q.excerpt.as_str(), q.deleted),
        (short, "Ann", "tacos?", false)
    );
}

#[tokio::test]
async fn a_reply_must_answer_a_message_of_the_same_channel() {
    let hub = TestHub::start(&[]);
    let client = hub.client();
    let (ann, mut a) = join_and_connect(&client, "Ann").await;
    let req = CreateRoomRequest { name: "Kitchen".into(), topic: None, kind: RoomKind::Open };
    let room: Room = client.post_json(&ann, "/api/rooms", &req).await.expect("create room");
    let kitchen = room.channel.clone();
    a.recv_until(WAIT, |f| matches!(f, ServerFrame::Subscribed { channel, .. } if *channel == kitchen))
        .await
        .unwrap();

    let in_lobby = sent(&mut a, "room:lobby", "l1", "lobby news", None).await;
    a.send(&send(&kitchen, "k1", "about that", Some(in_lobby))).await.unwrap();
    assert_eq!(error_code(&mut a, "k1").await, ErrorCode::InvalidReply);
    // A message id that does not exist at all is refused the same way.
    a.send(&send(&kitchen, "k2", "about nothing", Some(in_lobby + 1000))).await.unwrap();
    assert_eq!(error_code(&mut a, "k2").await, ErrorCode::InvalidReply);

    // Nothing was stored for the refused replies, and a reply inside the room works.
    let here = sent(&mut a, &kitchen, "k3", "kettle on", None).await;
    sent(&mut a, &kitchen, "k4", "thanks", Some(here)).await;
    let stored = history(&client, &ann, &kitchen).await;
    let bodies: Vec<&str> = stored.iter().map(|m| m.body.as_str()).collect();
    assert_eq!(bodies, ["kettle on", "thanks"]);
    assert_eq!(stored[1].reply_to.as_ref().map(|q| q.message_id), Some(here));

    // A reconnecting socket can reply as well.
    drop(a);
    let mut again = connect_ready(&client, &ann).await;
    sent(&mut again, "room:lobby", "l2", "still here", Some(in_lobby)).await;
}

#[tokio::test]
async fn replies_work_in_an_ephemeral_room_kept_in_memory() {
    let hub = TestHub::start(&[]);
    let client = hub.client();
    let (ann, mut a) = join_and_connect(&client, "Ann").await;
    let req = CreateRoomRequest { name: "Pop-up".into(), topic: None, kind: RoomKind::Ephemeral };
    let room: Room = client.post_json(&ann, "/api/rooms", &req).await.expect("create room");
    let popup = room.channel.clone();
    a.recv_until(WAIT, |f| matches!(f, ServerFrame::Subscribed { channel, .. } if *channel == popup))
        .await
        .unwrap();

    let first = sent(&mut a, &popup, "e1", "who brings ice?", None).await;
    let reply = sent(&mut a, &popup, "e2", "me", Some(first)).await;
    let stored = history(&client, &ann, &popup).await;
    let q = stored.iter().find(|m| m.id == reply).and_then(|m| m.reply_to.clone()).expect("a quote");
    assert_eq!((q.message_id, q.sender_name.as_str(), q.excerpt.as_str()), (first, "Ann", "who brings ice?"));
    // An id that is no message of the room is refused.
    a.send(&send(&popup, "e3", "re: nothing", Some(reply + 500))).await.unwrap();
    assert_eq!(error_code(&mut a, "e3").await, ErrorCode::InvalidReply);
}
