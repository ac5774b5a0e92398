//! The inbox, pings, mentions and the seed path sockets, against the real hub.

use hubbub_protocol::{
    ClientFrame, ErrorCode, MarkReadRequest, MarkReadResponse, NotificationKind, NotificationsResponse,
    PingRequest, PingResponse, ServerFrame, close,
};
use hubbub_tests::{ClientError, Connection, TestHub, WAIT, connect_ready, join_and_connect};

fn ping(to: i64, join_url: Option<&str>, r: &str) -> ClientFrame {
    ClientFrame::PingUser { r#ref: Some(r.into()), user_id: to, join_url: join_url.map(Into::into) }
}

async fn error_code(conn: &mut Connection) -> ErrorCode {
    match conn.recv_until(WAIT, |f| matches!(f, ServerFrame::Error { .. })).await.unwrap() {
        ServerFrame::Error { code, .. } => code,
        _ => unreachable!(),
    }
}

fn api_error(e: ClientError) -> (u16, ErrorCode) {
    hubbub_tests::api_error::<()>(Err(e))
}

#[tokio::test]
async fn a_ping_with_a_join_link_reaches_every_tab_and_the_inbox() {
    let hub = TestHub::start(&[]);
    let client = hub.client();
    let (ann, mut a) = join_and_connect(&client, "Ann").await;
    let (bo, mut b) = join_and_connect(&client, "Bo").await;
    let mut bell = client.connect_path(&bo, "/notifications/ws").await.unwrap();
    bell.recv_until(WAIT, |f| matches!(f, ServerFrame::Subscribed { .. })).await.unwrap();

    let link = "http://127.0.0.1:7470/party/ABCD";
    a.send(&ping(bo.user.id, Some(link), "p1")).await.unwrap();
    a.recv_until(WAIT, |f| matches!(f, ServerFrame::Ack { r#ref, .. } if r#ref == "p1")).await.unwrap();
    for conn in [&mut b, &mut bell] {
        let frame = conn.recv_until(WAIT, |f| matches!(f, ServerFrame::Ping { .. })).await.unwrap();
        let ServerFrame::Ping { from_user_id, from_username, join_url, timestamp } = frame else {
            unreachable!()
        };
        assert_eq!(
            (from_user_id, from_username.as_str(), join_url.as_deref()),
            (ann.user.id, "Ann", Some(link))
        );
        assert!(timestamp > 0);
        let frame = conn.recv_until(WAIT, |f| matches!(f, ServerFrame::Notification { .. })).await.unwrap();
        let ServerFrame::Notification { notification, unread_count } = frame else { unreachable!() };
        assert_eq!(unread_count, 1);
        assert_eq!(notification.kind, NotificationKind::Ping);
        assert_eq!(notification.join_url.as_deref(), Some(link));
        assert_eq!(notification.from_username.as_deref(), Some("Ann"));
        assert!(notification.text.contains("Ann"), "{}", notification.text);
    }
    let inbox: NotificationsResponse = client.get_json(&bo, "/api/notifications").await.unwrap();
    assert_eq!((inbox.unread_count, inbox.notifications.len()), (1, 1));
    assert_eq!(inbox.notifications[0].join_url.as_deref(), Some(link));
}

#[tokio::test]
async fn bad_pings_get_specific_errors_on_the_socket_and_over_rest() {
    let hub = TestHub::start(&["--presence-grace-ms", "100"]);
    let client = hub.client();
    let (ann, mut a) = join_and_connect(&client, "Ann").await;
    let (bo, _b) = join_and_connect(&client, "Bo").await;
    let gone = client.join("Gone", None).await.unwrap();

    a.send(&ping(ann.user.id, None, "self")).await.unwrap();
    assert_eq!(error_code(&mut a).await, ErrorCode::Forbidden);
    a.send(&ping(gone.user.id, None, "off")).await.unwrap();
    assert_eq!(error_code(&mut a).await, ErrorCode::UserOffline);
    a.send(&ping(424_242, None, "nobody")).await.unwrap();
    assert_eq!(error_code(&mut a).await, ErrorCode::NotFound);
    a.send(&ping(bo.user.id, Some("javascript:alert(1)"), "js")).await.unwrap();
    assert_eq!(error_code(&mut a).await, ErrorCode::InvalidJoinUrl);

    let req = PingRequest { join_url: None };
    let err =
        client.post_json::<_, PingResponse>(&ann, &format!("/api/users/{}/ping", gone.user.id), &req).await;
    assert_eq!(api_error(err.unwrap_err()), (409, ErrorCode::UserOffline));
    let err = client.post_json::<_, PingResponse>(&ann, "/api/users/xyz/ping", &req).await;
    assert_eq!(api_error(err.unwrap_err()), (404, ErrorCode::NotFound));
    let bad = PingRequest { join_url: Some("ftp://x".into()) };
    let err =
        client.post_json::<_, PingResponse>(&ann, &format!("/api/users/{}/ping", bo.user.id), &bad).await;
    assert_eq!(api_error(err.unwrap_err()), (400, ErrorCode::InvalidJoinUrl));

    // Five pings in ten seconds are fine; the sixth is refused, and it is not a disconnect.
    let path = format!("/api/users/{}/ping", bo.user.id);
    for _ in 0..5 {
        let ok: PingResponse = client.post_json(&ann, &path, &req).await.unwrap();
        assert!(ok.notification_id > 0);
    }
    let err = client.post_json::<_, PingResponse>(&ann, &path, &req).await;
    assert_eq!(api_error(err.unwrap_err()), (429, ErrorCode::RateLimited));
    a.send(&ping(bo.user.id, None, "sixth")).await.unwrap();
    assert_eq!(error_code(&mut a).await, ErrorCode::RateLimited);
    a.send(&ClientFrame::Ping { r#ref: None }).await.unwrap();
    a.recv_until(WAIT, |f| matches!(f, ServerFrame::Pong { .. })).await.unwrap();
}

#[tokio::test]
async fn mentions_and_pings_stay_in_the_inbox_across_restarts_until_read() {
    // A process, so the restarts can be crashes (SIGKILL): the inbox is on disk, not only flushed at exit.
    let mut hub = TestHub::start_process(&[]);
    let client = hub.client();
    let (ann, mut a) = join_and_connect(&client, "Ann").await;
    let (bo, mut b) = join_and_connect(&client, "Bo Lee").await;
    a.send(&ClientFrame::SendMessage {
        r#ref: Some("m".into()),
        channel: "room:lobby".into(),
        client_message_id: "m1".into(),
        body: "snacks are here, @bo lee!".into(),
        attachments: None,
        reply_to: None,
    })
    .await
    .unwrap();
    let frame = b.recv_until(WAIT, |f| matches!(f, ServerFrame::Notification { .. })).await.unwrap();
    let ServerFrame::Notification { notification, unread_count } = frame else { unreachable!() };
    assert_eq!((notification.kind, unread_count), (NotificationKind::Mention, 1));
    assert_eq!(notification.channel.as_deref(), Some("room:lobby"));
    assert_eq!(notification.text, "snacks are here, @bo lee!");
    // Resending the same message mentions nobody twice.
    a.send(&ClientFrame::SendMessage {
        r#ref: Some("again".into()),
        channel: "room:lobby".into(),
        client_message_id: "m1".into(),
        body: "snacks are here, @bo lee!".into(),
        attachments: None,
        reply_to: None,
    })
    .await
    .unwrap();
    a.recv_until(WAIT, |f| matches!(f, ServerFrame::Ack { r#ref, duplicate: true, .. } if r#ref == "again"))
        .await
        .unwrap();
    a.send(&ping(bo.user.id, None, "p")).await.unwrap();
    a.recv_until(WAIT, |f| matches!(f, ServerFrame::Ack { r#ref, .. } if r#ref == "p")).await.unwrap();
    b.recv_until(WAIT, |f| matches!(f, ServerFrame::Notification { unread_count: 2, .. })).await.unwrap();
    drop((a, b));

    hub.kill();
    hub.restart();
    let client = hub.client();
    let inbox: NotificationsResponse = client.get_json(&bo, "/api/notifications").await.unwrap();
    assert_eq!(inbox.unread_count, 2);
    let kinds: Vec<_> = inbox.notifications.iter().map(|n| n.kind).collect();
    assert_eq!(kinds, vec![NotificationKind::Ping, NotificationKind::Mention], "newest first");
    assert_eq!(inbox.notifications[1].from_user_id, Some(ann.user.id));

    // The personal channel's snapshot carries the count; reading on one tab updates the others.
    let mut tab1 = client.connect(&bo).await.unwrap();
    let frame = tab1
        .recv_until(
            WAIT,
            |f| matches!(f, ServerFrame::Subscribed { channel, .. } if channel.starts_with("user:")),
        )
        .await
        .unwrap();
    assert!(matches!(frame, ServerFrame::Subscribed { unread_notifications: Some(2), .. }), "{frame:?}");
    let mut tab2 = connect_ready(&client, &bo).await;
    let mention_id = inbox.notifications[1].id;
    tab1.send(&ClientFrame::MarkNotificationsRead { r#ref: Some("r".into()), ids: Some(vec![mention_id]) })
        .await
        .unwrap();
    let frame = tab2.recv_until(WAIT, |f| matches!(f, ServerFrame::NotificationsRead { .. })).await.unwrap();
    assert!(
        matches!(frame, ServerFrame::NotificationsRead { unread_count: 1, ids: Some(ref ids) } if ids == &vec![mention_id])
    );
    let done: MarkReadResponse =
        client.post_json(&bo, "/api/notifications/read", &MarkReadRequest { ids: None }).await.unwrap();
    assert_eq!(done.unread_count, 0);

    hub.kill();
    hub.restart();
    let inbox: NotificationsResponse = hub.client().get_json(&bo, "/api/notifications").await.unwrap();
    assert_eq!(inbox.unread_count, 0);
    assert!(inbox.notifications.iter().all(|n| n.read));
}

#[tokio::test]
async fn seed_path_sockets_are_the_same_machinery() {
    let hub = TestHub::start(&["--presence-grace-ms", "100"]);
    let client = hub.client();
    let (ann, _a) = join_and_connect(&client, "Ann").await;

    let mut online = client.connect_path(&ann, "/users/online/ws").await.unwrap();
    let frame =
        online.recv_until(WAIT, |f| matches!(f, ServerFrame::OnlineUsersUpdate { .. })).await.unwrap();
    let ServerFrame::OnlineUsersUpdate { users, total_count, .. } = frame else { unreachable!() };
    assert_eq!((total_count, users[0].user_id), (1, ann.user.id));
    let (_bo, b) = join_and_connect(&client, "Bo").await;
    online
        .recv_until(WAIT, |f| matches!(f, ServerFrame::OnlineUsersUpdate { total_count: 2, .. }))
        .await
        .unwrap();
    b.close().await.unwrap();
    online
        .recv_until(WAIT, |f| matches!(f, ServerFrame::OnlineUsersUpdate { total_count: 1, .. }))
        .await
        .unwrap();

    // (`/ws/user/{id}` is Circles' socket now: `dialect_circles.rs`.)
    let token = client.ws_token(&ann).await.unwrap();
    let mut bad = Connection::open(&client.ws_path_url("/notifications/ws", "nope")).await.unwrap();
    assert_eq!(bad.expect_close(WAIT).await.unwrap().0, Some(close::UNAUTHENTICATED));
    drop(token);

    // Path sockets are watchers, not presence: Ann's count stays 1 with three sockets open.
    let list = client.online_users(&ann).await.unwrap();
    assert_eq!(list.users[0].connections, 1);
}

/// Inbox frames carry an absolute unread count, so they must leave in the order their writes
/// committed: under mentions sent over the socket, invitations made over REST and mark-all-read
/// requests, all at once, every `notification` frame says one more than the frame before it and
/// every `notifications_read` (of everything) says zero; the last count is the inbox's.
#[tokio::test]
async fn unread_counts_never_go_back_under_concurrent_sends_and_reads() {
    use hubbub_protocol::{CreateRoomRequest, InviteRequest, Room, RoomKind};
    let hub = TestHub::start(&[]);
    let client = hub.client();
    let (ann, mut a) = join_and_connect(&client, "Ann").await;

    let mut work = Vec::new();
    for s in 0..3 {
        let client = client.clone();
        work.push(tokio::spawn(async move {
            let (_, mut conn) = join_and_connect(&client, &format!("Sender {s}")).await;
            for i in 0..20 {
                let frame = ClientFrame::SendMessage {
                    r#ref: Some(format!("m{i}")),
                    channel: "room:lobby".into(),
                    client_message_id: format!("s{s}-{i}"),
                    body: format!("hey @Ann, number {i}"),
                    attachments: None,
                    reply_to: None,
                };
                conn.send(&frame).await.unwrap();
                let r = format!("m{i}");
                conn.recv_until(WAIT, |f| matches!(f, ServerFrame::Ack { r#ref, .. } if *r#ref == r))
                    .await
                    .unwrap();
            }
        }));
    }
    for s in 0..2 {
        let client = client.clone();
        let ann_id = ann.user.id;
        work.push(tokio::spawn(async move {
            let me = client.join(&format!("Host {s}"), None).await.unwrap();
            for i in 0..10 {
                let req =
                    CreateRoomRequest { name: format!("r{s}x{i}"), topic: None, kind: RoomKind::Closed };
                let room: Room = client.post_json(&me, "/api/rooms", &req).await.unwrap();
                let path = format!("/api/rooms/{}/invite", room.id);
                client.post_no_content(&me, &path, &InviteRequest { user_id: ann_id }).await.unwrap();
            }
        }));
    }
    {
        let (client, ann) = (client.clone(), ann.clone());
        work.push(tokio::spawn(async move {
            for _ in 0..15 {
                let _: MarkReadResponse = client
                    .post_json(&ann, "/api/notifications/read", &MarkReadRequest { ids: None })
                    .await
                    .unwrap();
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
        }));
    }
    for w in work {
        w.await.unwrap();
    }

    // Every entry is counted by the frames; read them until the inbox's own count is reached.
    let inbox: NotificationsResponse = client.get_json(&ann, "/api/notifications").await.unwrap();
    let (mut last, mut added, mut reads) = (0u32, 0u32, 0u32);
    while added < 80 || reads < 15 {
        match a.next_frame(WAIT).await.unwrap() {
            ServerFrame::Notification { unread_count, .. } => {
                assert_eq!(unread_count, last + 1, "a notification frame after {last} unread");
                last = unread_count;
                added += 1;
            }
            ServerFrame::NotificationsRead { unread_count, ids: None } => {
                assert_eq!(unread_count, 0, "marking everything read leaves none");
                last = 0;
                reads += 1;
            }
            _ => {}
        }
    }
    assert_eq!(last, inbox.unread_count, "60 mentions and 20 invitations, 15 mark-all-reads");
}
