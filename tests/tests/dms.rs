//! Direct conversations: request, accept, decline, block; only the two participants read or write.

use hubbub_protocol::{
    ClientFrame, DmState, DmThread, DmsResponse, ErrorCode, NotificationKind, ServerFrame, StartDmRequest,
    close,
};
use hubbub_tests::{TestHub, WAIT, api_error, error_code, expect_all, join_and_connect};

fn send(channel: &str, r: &str, body: &str) -> ClientFrame {
    ClientFrame::SendMessage {
        r#ref: Some(r.into()),
        channel: channel.into(),
        client_message_id: r.into(),
        body: body.into(),
        attachments: None,
        reply_to: None,
    }
}

#[tokio::test]
async fn a_conversation_is_requested_accepted_and_private_to_its_two_participants() {
    let hub = TestHub::start(&[]);
    let client = hub.client();
    let (ann, mut a) = join_and_connect(&client, "Ann").await;
    let (bo, mut b) = join_and_connect(&client, "Bo").await;
    let (cy, mut c) = join_and_connect(&client, "Cy").await;

    let thread: DmThread =
        client.post_json(&ann, "/api/dms", &StartDmRequest { user_id: bo.user.id }).await.unwrap();
    assert_eq!(
        (thread.state, thread.other.id, thread.initiated_by),
        (DmState::Pending, bo.user.id, ann.user.id)
    );
    let channel = thread.channel.clone();
    // Bo hears about it on his personal channel, and both are subscribed already.
    let ann_id = ann.user.id;
    let got = expect_all(
        &mut b,
        &[
            &|f| matches!(f, ServerFrame::Notification { .. }),
            &|f| matches!(f, ServerFrame::DmUpdate { thread } if thread.other.id == ann_id),
            &|f| matches!(f, ServerFrame::Subscribed { channel: ch, .. } if ch.starts_with("dm:")),
        ],
    )
    .await;
    let ServerFrame::Notification { notification, .. } = &got[0] else { unreachable!() };
    assert_eq!(
        (notification.kind, notification.channel.as_deref()),
        (NotificationKind::DmRequest, Some(channel.as_str()))
    );
    a.recv_until(WAIT, |f| matches!(f, ServerFrame::Subscribed { channel: ch, .. } if *ch == channel))
        .await
        .unwrap();
    // Starting it again returns the same thread; nobody else can start one with yourself.
    let same: DmThread =
        client.post_json(&ann, "/api/dms", &StartDmRequest { user_id: bo.user.id }).await.unwrap();
    assert_eq!(same.id, thread.id);
    assert_eq!(
        api_error(
            client.post_json::<_, DmThread>(&ann, "/api/dms", &StartDmRequest { user_id: ann.user.id }).await
        ),
        (403, ErrorCode::Forbidden)
    );
    assert_eq!(
        api_error(
            client.post_json::<_, DmThread>(&ann, "/api/dms", &StartDmRequest { user_id: 987_654 }).await
        ),
        (404, ErrorCode::NotFound)
    );

    // Pending: nothing can be sent yet, and only the recipient can accept.
    a.send(&send(&channel, "early", "hello?")).await.unwrap();
    assert_eq!(error_code(&mut a, "early").await, ErrorCode::DmNotAccepted);
    let own = client.post_json::<_, DmThread>(&ann, &format!("/api/dms/{}/accept", thread.id), &()).await;
    assert_eq!(api_error(own), (403, ErrorCode::Forbidden));

    // A third user can neither read nor write, over the shared socket or the path socket.
    c.send(&ClientFrame::Subscribe { r#ref: Some("peek".into()), channel: channel.clone(), since: None })
        .await
        .unwrap();
    assert_eq!(error_code(&mut c, "peek").await, ErrorCode::Forbidden);
    c.send(&send(&channel, "intrude", "hi both")).await.unwrap();
    assert_eq!(error_code(&mut c, "intrude").await, ErrorCode::Forbidden);
    let mut path = client.connect_path(&cy, &format!("/ws/dms/{}", thread.id)).await.unwrap();
    assert_eq!(path.expect_close(WAIT).await.unwrap().0, Some(close::FORBIDDEN));
    let history =
        client.get_json::<serde_json::Value>(&cy, &format!("/api/channels/{channel}/messages")).await;
    assert_eq!(api_error(history), (403, ErrorCode::Forbidden));

    let accepted: DmThread =
        client.post_json(&bo, &format!("/api/dms/{}/accept", thread.id), &()).await.unwrap();
    assert_eq!(accepted.state, DmState::Accepted);
    a.recv_until(
        WAIT,
        |f| matches!(f, ServerFrame::DmUpdate { thread } if thread.state == DmState::Accepted),
    )
    .await
    .unwrap();
    a.send(&send(&channel, "hi", "hi Bo")).await.unwrap();
    let ServerFrame::Message(m) = b.recv_until(WAIT, |f| matches!(f, ServerFrame::Message(_))).await.unwrap()
    else {
        unreachable!()
    };
    assert_eq!(m.body, "hi Bo");
    // Read receipts: Bo reads, Ann sees it.
    b.send(&ClientFrame::MarkRead { r#ref: None, channel: channel.clone(), offset: m.offset }).await.unwrap();
    a.recv_until(WAIT, |f| matches!(f, ServerFrame::ReadReceipt { user_id, offset, .. } if *user_id == bo.user.id && *offset == m.offset))
        .await
        .unwrap();
    let mut bo_again = client.connect(&bo).await.unwrap();
    let frame = bo_again
        .recv_until(WAIT, |f| matches!(f, ServerFrame::Subscribed { channel: c, .. } if *c == channel))
        .await
        .unwrap();
    let ServerFrame::Subscribed { messages: Some(msgs), read_marks: Some(marks), .. } = frame else {
        panic!("{frame:?}")
    };
    assert_eq!(msgs.len(), 1);
    assert!(marks.iter().any(|r| r.user_id == bo.user.id && r.offset == m.offset));
    let list: DmsResponse = client.get_json(&ann, "/api/dms").await.unwrap();
    assert_eq!((list.threads.len(), list.threads[0].other_last_read), (1, m.offset));

    // Blocking ends it for both: unsubscribed, and nothing more can be sent or started.
    let blocked: DmThread =
        client.post_json(&bo, &format!("/api/dms/{}/block", thread.id), &()).await.unwrap();
    assert_eq!(blocked.state, DmState::Blocked);
    a.recv_until(WAIT, |f| matches!(f, ServerFrame::Unsubscribed { channel: ch, .. } if *ch == channel))
        .await
        .unwrap();
    a.send(&send(&channel, "after", "still there?")).await.unwrap();
    assert_eq!(error_code(&mut a, "after").await, ErrorCode::Forbidden);
    assert_eq!(
        api_error(
            client.post_json::<_, DmThread>(&ann, "/api/dms", &StartDmRequest { user_id: bo.user.id }).await
        ),
        (403, ErrorCode::Forbidden)
    );
}

#[tokio::test]
async fn a_declined_request_can_be_asked_again() {
    let hub = TestHub::start(&[]);
    let client = hub.client();
    let (ann, _a) = join_and_connect(&client, "Ann").await;
    let (bo, _b) = join_and_connect(&client, "Bo").await;
    let t: DmThread =
        client.post_json(&ann, "/api/dms", &StartDmRequest { user_id: bo.user.id }).await.unwrap();
    let declined: DmThread = client.post_json(&bo, &format!("/api/dms/{}/decline", t.id), &()).await.unwrap();
    assert_eq!(declined.state, DmState::Declined);
    let twice = client.post_json::<_, DmThread>(&bo, &format!("/api/dms/{}/accept", t.id), &()).await;
    assert_eq!(api_error(twice), (403, ErrorCode::Forbidden), "a declined request is no longer pending");
    let again: DmThread =
        client.post_json(&bo, "/api/dms", &StartDmRequest { user_id: ann.user.id }).await.unwrap();
    assert_eq!((again.id, again.state, again.initiated_by), (t.id, DmState::Pending, bo.user.id));
}

#[tokio::test]
async fn a_direct_message_to_someone_offline_waits_in_their_inbox() {
    let hub = TestHub::start(&["--presence-grace-ms", "100"]);
    let client = hub.client();
    let (ann, mut a) = join_and_connect(&client, "Ann").await;
    let (bo, b) = join_and_connect(&client, "Bo").await;
    let t: DmThread =
        client.post_json(&ann, "/api/dms", &StartDmRequest { user_id: bo.user.id }).await.unwrap();
    let _: DmThread = client.post_json(&bo, &format!("/api/dms/{}/accept", t.id), &()).await.unwrap();
    // While Bo is online, a message is just a message.
    a.send(&send(&t.channel, "online", "are you there?")).await.unwrap();
    a.recv_until(WAIT, |f| matches!(f, ServerFrame::Ack { r#ref, .. } if r#ref == "online")).await.unwrap();
    b.close().await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    a.send(&send(&t.channel, "offline", "see you at the party")).await.unwrap();
    a.recv_until(WAIT, |f| matches!(f, ServerFrame::Ack { r#ref, .. } if r#ref == "offline")).await.unwrap();
    let inbox: hubbub_protocol::NotificationsResponse =
        client.get_json(&bo, "/api/notifications").await.unwrap();
    let kinds: Vec<_> = inbox.notifications.iter().map(|n| n.kind).collect();
    assert_eq!(kinds, vec![NotificationKind::DmMessage, NotificationKind::DmRequest]);
    assert_eq!(inbox.notifications[0].text, "see you at the party");
    assert_eq!(inbox.notifications[0].channel.as_deref(), Some(t.channel.as_str()));
    assert_eq!(inbox.unread_count, 1, "the answered request is already read");
}
