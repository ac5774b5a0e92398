//! Rooms: create, list, join, leave, invite; edits, deletes, reactions; read marks; typing; history
//! and search. All against the real hub.

use std::time::Duration;

use hubbub_protocol::{
    ClientFrame, CreateRoomRequest, ErrorCode, InviteRequest, MessagesResponse, NotificationKind, Room,
    RoomKind, RoomsResponse, ServerFrame, close,
};
use hubbub_tests::{
    Connection, HubClient, Session, TestHub, WAIT, api_error, error_code, expect_all, join_and_connect,
};

async fn create(client: &HubClient, s: &Session, name: &str, kind: RoomKind) -> Room {
    let req = CreateRoomRequest { name: name.into(), topic: Some("a topic".into()), kind };
    client.post_json(s, "/api/rooms", &req).await.expect("create room")
}

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

async fn subscribed_to(conn: &mut Connection, channel: &str) -> ServerFrame {
    conn.recv_until(WAIT, |f| matches!(f, ServerFrame::Subscribed { channel: c, .. } if c == channel))
        .await
        .expect("subscribed")
}

async fn ack_offset(conn: &mut Connection, r: &str) -> i64 {
    match conn.recv_until(WAIT, |f| matches!(f, ServerFrame::Ack { r#ref, .. } if r#ref == r)).await.unwrap()
    {
        ServerFrame::Ack { offset, .. } => offset.expect("an offset in the ack"),
        _ => unreachable!(),
    }
}

#[tokio::test]
async fn open_rooms_are_created_listed_joined_and_left_with_live_subscriptions() {
    let hub = TestHub::start(&[]);
    let client = hub.client();
    let (ann, mut a) = join_and_connect(&client, "Ann").await;
    let (bo, mut b) = join_and_connect(&client, "Bo").await;

    let room = create(&client, &ann, "Board Games!", RoomKind::Open).await;
    assert_eq!(
        (room.id.as_str(), room.channel.as_str(), room.member, room.member_count),
        ("board-games", "room:board-games", true, 1)
    );
    // The creator's open socket is subscribed at once and told about the room.
    expect_all(
        &mut a,
        &[
            &|f| matches!(f, ServerFrame::Subscribed { channel, .. } if channel == "room:board-games"),
            &|f| matches!(f, ServerFrame::RoomUpdate { room } if room.id == "board-games"),
        ],
    )
    .await;
    let again = create(&client, &ann, "board games", RoomKind::Open).await;
    assert_eq!(again.id, "board-games-2", "slugs are unique");

    // Everyone else hears about a new open room, as non-members.
    b.recv_until(
        WAIT,
        |f| matches!(f, ServerFrame::RoomUpdate { room } if room.id == "board-games" && !room.member),
    )
    .await
    .unwrap();
    let list: RoomsResponse = client.get_json(&bo, "/api/rooms").await.unwrap();
    assert_eq!(list.rooms[0].id, "lobby");
    let listed = list.rooms.iter().find(|r| r.id == "board-games").expect("open rooms are listed");
    assert!(!listed.member);

    // Not a member yet: no reading, no writing.
    b.send(&ClientFrame::Subscribe {
        r#ref: Some("s".into()),
        channel: "room:board-games".into(),
        since: None,
    })
    .await
    .unwrap();
    assert_eq!(error_code(&mut b, "s").await, ErrorCode::Forbidden);
    b.send(&send("room:board-games", "early", "hi")).await.unwrap();
    assert_eq!(error_code(&mut b, "early").await, ErrorCode::Forbidden);

    let joined: Room = client.post_json(&bo, "/api/rooms/board-games/join", &()).await.unwrap();
    assert_eq!((joined.member, joined.member_count), (true, 2));
    let frame = subscribed_to(&mut b, "room:board-games").await;
    let ServerFrame::Subscribed { users: Some(users), .. } = frame else { panic!("room presence") };
    assert_eq!(users.len(), 2, "room presence lists both members online");
    b.send(&send("room:board-games", "m1", "who has the dice?")).await.unwrap();
    a.recv_until(WAIT, |f| matches!(f, ServerFrame::Message(m) if m.body == "who has the dice?"))
        .await
        .unwrap();

    let left: Room = client.post_json(&bo, "/api/rooms/board-games/leave", &()).await.unwrap();
    assert!(!left.member);
    b.recv_until(
        WAIT,
        |f| matches!(f, ServerFrame::Unsubscribed { channel, .. } if channel == "room:board-games"),
    )
    .await
    .unwrap();
    assert_eq!(
        api_error(client.post_json::<_, Room>(&bo, "/api/rooms/lobby/leave", &()).await),
        (403, ErrorCode::Forbidden)
    );
    assert_eq!(
        api_error(client.post_json::<_, Room>(&bo, "/api/rooms/nope/join", &()).await),
        (404, ErrorCode::NotFound)
    );
    let bad = CreateRoomRequest { name: "  ".into(), topic: None, kind: RoomKind::Open };
    assert_eq!(
        api_error(client.post_json::<_, Room>(&bo, "/api/rooms", &bad).await),
        (400, ErrorCode::InvalidRoom)
    );
    let _ = bo;
}

#[tokio::test]
async fn closed_rooms_need_an_invitation_and_room_sockets_check_it() {
    let hub = TestHub::start(&[]);
    let client = hub.client();
    let (ann, _a) = join_and_connect(&client, "Ann").await;
    let (bo, mut b) = join_and_connect(&client, "Bo").await;
    let room = create(&client, &ann, "Staff", RoomKind::Closed).await;
    assert_eq!(room.kind, RoomKind::Closed);
    let list: RoomsResponse = client.get_json(&bo, "/api/rooms").await.unwrap();
    assert!(list.rooms.iter().all(|r| r.id != "staff"), "closed rooms are not listed to outsiders");
    assert_eq!(
        api_error(client.post_json::<_, Room>(&bo, "/api/rooms/staff/join", &()).await),
        (403, ErrorCode::Forbidden)
    );
    let mut outsider = client.connect_path(&bo, "/ws/rooms/staff").await.unwrap();
    assert_eq!(outsider.expect_close(WAIT).await.unwrap().0, Some(close::FORBIDDEN));
    let mut nowhere = client.connect_path(&bo, "/ws/rooms/nowhere").await.unwrap();
    assert_eq!(nowhere.expect_close(WAIT).await.unwrap().0, Some(close::NOT_FOUND));

    let invite = InviteRequest { user_id: bo.user.id };
    assert_eq!(client.post_no_content(&ann, "/api/rooms/staff/invite", &invite).await.unwrap(), 204);
    let stranger = InviteRequest { user_id: 999_999 };
    assert_eq!(
        api_error(client.post_no_content(&ann, "/api/rooms/staff/invite", &stranger).await),
        (404, ErrorCode::NotFound)
    );
    assert_eq!(
        api_error(client.post_no_content(&bo, "/api/rooms/staff/invite", &invite).await),
        (403, ErrorCode::Forbidden)
    );
    let frame = b.recv_until(WAIT, |f| matches!(f, ServerFrame::Notification { .. })).await.unwrap();
    let ServerFrame::Notification { notification, .. } = frame else { unreachable!() };
    assert_eq!(
        (notification.kind, notification.channel.as_deref()),
        (NotificationKind::RoomInvite, Some("room:staff"))
    );
    let list: RoomsResponse = client.get_json(&bo, "/api/rooms").await.unwrap();
    assert!(list.rooms.iter().any(|r| r.id == "staff" && !r.member), "an invitation shows the room");
    let joined: Room = client.post_json(&bo, "/api/rooms/staff/join", &()).await.unwrap();
    assert!(joined.member);
    let mut room_socket = client.connect_path(&bo, "/ws/rooms/staff").await.unwrap();
    subscribed_to(&mut room_socket, "room:staff").await;
}

#[tokio::test]
async fn edits_deletes_and_reactions_are_events_with_offsets() {
    let hub = TestHub::start(&[]);
    let client = hub.client();
    let (_ann, mut a) = join_and_connect(&client, "Ann").await;
    let (_bo, mut b) = join_and_connect(&client, "Bo").await;
    a.send(&send("room:lobby", "m", "helo")).await.unwrap();
    assert_eq!(ack_offset(&mut a, "m").await, 1);
    let ServerFrame::Message(m) = b.recv_until(WAIT, |f| matches!(f, ServerFrame::Message(_))).await.unwrap()
    else {
        unreachable!()
    };
    let react = |r: &str, emoji: &str| ClientFrame::React {
        r#ref: Some(r.into()),
        channel: "room:lobby".into(),
        message_id: m.id,
        emoji: emoji.into(),
    };
    b.send(&react("r1", "👍")).await.unwrap();
    assert_eq!(ack_offset(&mut b, "r1").await, 2);
    let frame = a.recv_until(WAIT, |f| matches!(f, ServerFrame::Reaction { .. })).await.unwrap();
    assert!(
        matches!(frame, ServerFrame::Reaction { offset: 2, added: true, ref emoji, .. } if emoji == "👍")
    );
    b.send(&react("r2", "👍")).await.unwrap();
    assert_eq!(ack_offset(&mut b, "r2").await, 3, "a second toggle takes it back");
    a.recv_until(WAIT, |f| matches!(f, ServerFrame::Reaction { offset: 3, added: false, .. })).await.unwrap();
    b.send(&react("bad", "no spaces")).await.unwrap();
    assert_eq!(error_code(&mut b, "bad").await, ErrorCode::InvalidEmoji);

    b.send(&ClientFrame::EditMessage {
        r#ref: Some("e0".into()),
        channel: "room:lobby".into(),
        message_id: m.id,
        body: "mine now".into(),
    })
    .await
    .unwrap();
    assert_eq!(error_code(&mut b, "e0").await, ErrorCode::Forbidden, "only the author edits");
    a.send(&ClientFrame::EditMessage {
        r#ref: Some("e1".into()),
        channel: "room:lobby".into(),
        message_id: m.id,
        body: "hello".into(),
    })
    .await
    .unwrap();
    assert_eq!(ack_offset(&mut a, "e1").await, 4);
    b.recv_until(
        WAIT,
        |f| matches!(f, ServerFrame::MessageEdited { offset: 4, body, .. } if body == "hello"),
    )
    .await
    .unwrap();
    a.send(&ClientFrame::DeleteMessage {
        r#ref: Some("d".into()),
        channel: "room:lobby".into(),
        message_id: m.id,
    })
    .await
    .unwrap();
    assert_eq!(ack_offset(&mut a, "d").await, 5);
    b.recv_until(WAIT, |f| matches!(f, ServerFrame::MessageDeleted { offset: 5, .. })).await.unwrap();
    b.send(&react("r3", "🎉")).await.unwrap();
    assert_eq!(error_code(&mut b, "r3").await, ErrorCode::NoSuchMessage);
    a.send(&ClientFrame::EditMessage {
        r#ref: Some("e2".into()),
        channel: "room:lobby".into(),
        message_id: 424242,
        body: "x".into(),
    })
    .await
    .unwrap();
    assert_eq!(error_code(&mut a, "e2").await, ErrorCode::NoSuchMessage);

    // The history shows the message as it is now.
    let page: MessagesResponse = client.get_json(&_ann, "/api/channels/room:lobby/messages").await.unwrap();
    assert_eq!(page.messages.len(), 1);
    assert!(page.messages[0].deleted_at.is_some() && page.messages[0].body.is_empty());
}

#[tokio::test]
async fn a_sender_over_the_rate_limit_gets_an_error_not_a_disconnect() {
    let hub = TestHub::start(&["--message-rate", "5"]);
    let client = hub.client();
    let (_ann, mut a) = join_and_connect(&client, "Ann").await;
    for i in 0..5 {
        a.send(&send("room:lobby", &format!("ok{i}"), "hi")).await.unwrap();
        ack_offset(&mut a, &format!("ok{i}")).await;
    }
    a.send(&send("room:lobby", "sixth", "hi")).await.unwrap();
    assert_eq!(error_code(&mut a, "sixth").await, ErrorCode::RateLimited);
    a.send(&ClientFrame::Ping { r#ref: None }).await.unwrap();
    a.recv_until(WAIT, |f| matches!(f, ServerFrame::Pong { .. })).await.unwrap();
}

#[tokio::test]
async fn read_marks_give_receipts_and_unread_counts() {
    // A process, so the restart follows a crash (SIGKILL): acknowledged read marks are on disk.
    let mut hub = TestHub::start_process(&[]);
    let client = hub.client();
    let (ann, mut a) = join_and_connect(&client, "Ann").await;
    let (bo, mut b) = join_and_connect(&client, "Bo").await;
    for i in 0..3 {
        a.send(&send("room:lobby", &format!("m{i}"), "news")).await.unwrap();
        ack_offset(&mut a, &format!("m{i}")).await;
    }
    let lobby = |rooms: RoomsResponse| rooms.rooms.into_iter().find(|r| r.id == "lobby").unwrap();
    let seen = lobby(client.get_json(&bo, "/api/rooms").await.unwrap());
    assert_eq!((seen.unread, seen.last_read, seen.last_offset), (3, 0, 3));
    assert_eq!(lobby(client.get_json(&ann, "/api/rooms").await.unwrap()).unread, 0, "your own messages");
    b.send(&ClientFrame::MarkRead { r#ref: Some("r".into()), channel: "room:lobby".into(), offset: 2 })
        .await
        .unwrap();
    assert_eq!(ack_offset(&mut b, "r").await, 2);
    a.recv_until(
        WAIT,
        |f| matches!(f, ServerFrame::ReadReceipt { user_id, offset: 2, .. } if *user_id == bo.user.id),
    )
    .await
    .unwrap();
    // Marks never move back, and are clamped to what exists.
    b.send(&ClientFrame::MarkRead { r#ref: Some("back".into()), channel: "room:lobby".into(), offset: 1 })
        .await
        .unwrap();
    assert_eq!(ack_offset(&mut b, "back").await, 2);
    assert_eq!(lobby(client.get_json(&bo, "/api/rooms").await.unwrap()).unread, 1);
    drop((a, b));
    hub.kill();
    hub.restart();
    let client = hub.client();
    let mut b = client.connect(&bo).await.unwrap();
    let frame = subscribed_to(&mut b, "room:lobby").await;
    assert!(
        matches!(frame, ServerFrame::Subscribed { last_read: Some(2), unread: Some(1), .. }),
        "{frame:?}"
    );
}

#[tokio::test]
async fn typing_reaches_the_others_and_expires() {
    let hub = TestHub::start(&[]);
    let client = hub.client();
    let (ann, mut a) = join_and_connect(&client, "Ann").await;
    let mut a2 = hubbub_tests::connect_ready(&client, &ann).await;
    let (_bo, mut b) = join_and_connect(&client, "Bo").await;
    a.send(&ClientFrame::Typing { channel: "room:lobby".into(), typing: true }).await.unwrap();
    let frame = b.recv_until(WAIT, |f| matches!(f, ServerFrame::Typing { .. })).await.unwrap();
    assert!(matches!(frame, ServerFrame::Typing { typing: true, user_id, .. } if user_id == ann.user.id));
    let other_tab = a2
        .recv_until(std::time::Duration::from_millis(300), |f| matches!(f, ServerFrame::Typing { .. }))
        .await;
    assert!(other_tab.is_err(), "Ann's other tab is not told that Ann is typing");
    // Sending a message ends typing at once.
    a.send(&send("room:lobby", "t", "done")).await.unwrap();
    b.recv_until(WAIT, |f| matches!(f, ServerFrame::Typing { typing: false, .. })).await.unwrap();
    // Without a refresh it expires: 10 s, swept every 5 s.
    a.send(&ClientFrame::Typing { channel: "room:lobby".into(), typing: true }).await.unwrap();
    b.recv_until(WAIT, |f| matches!(f, ServerFrame::Typing { typing: true, .. })).await.unwrap();
    b.recv_until(Duration::from_secs(20), |f| matches!(f, ServerFrame::Typing { typing: false, .. }))
        .await
        .unwrap();
    // The typer never hears about themselves, and typing somewhere unsubscribed is an error.
    let seen_self =
        a.recv_until(Duration::from_millis(300), |f| matches!(f, ServerFrame::Typing { .. })).await;
    assert!(seen_self.is_err());
    a.send_text(r#"{"type":"typing","channel":"room:elsewhere","typing":true}"#).await.unwrap();
    let err = a.recv_until(WAIT, |f| matches!(f, ServerFrame::Error { .. })).await.unwrap();
    assert!(matches!(err, ServerFrame::Error { code: ErrorCode::NotSubscribed, .. }));
}

#[tokio::test]
async fn history_pages_and_search_respect_who_can_read() {
    let hub = TestHub::start(&["--message-rate", "0"]);
    let client = hub.client();
    let (ann, mut a) = join_and_connect(&client, "Ann").await;
    let (bo, _b) = join_and_connect(&client, "Bo").await;
    for i in 1..=30 {
        a.send(&send("room:lobby", &format!("l{i}"), &format!("lobby note {i}"))).await.unwrap();
    }
    ack_offset(&mut a, "l30").await;
    create(&client, &ann, "Secret", RoomKind::Closed).await;
    subscribed_to(&mut a, "room:secret").await;
    a.send(&send("room:secret", "s", "the secret note is here")).await.unwrap();
    ack_offset(&mut a, "s").await;

    let newest: MessagesResponse =
        client.get_json(&bo, "/api/channels/room:lobby/messages?limit=10").await.unwrap();
    let offsets: Vec<i64> = newest.messages.iter().map(|m| m.offset).collect();
    assert_eq!((offsets, newest.more), ((21..=30).collect::<Vec<_>>(), true));
    let older: MessagesResponse =
        client.get_json(&bo, "/api/channels/room:lobby/messages?before=21&limit=15").await.unwrap();
    assert_eq!((older.messages[0].offset, older.messages.len(), older.more), (6, 15, true));
    let after: MessagesResponse =
        client.get_json(&bo, "/api/channels/room:lobby/messages?after=25").await.unwrap();
    assert_eq!((after.messages.len(), after.more), (5, false));
    let denied = client.get_json::<MessagesResponse>(&bo, "/api/channels/room:secret/messages").await;
    assert_eq!(api_error(denied), (403, ErrorCode::Forbidden));
    let bad = client.get_json::<MessagesResponse>(&bo, "/api/channels/presence/messages").await;
    assert_eq!(api_error(bad), (404, ErrorCode::NoSuchChannel));

    let found: MessagesResponse = client.get_json(&bo, "/api/search?q=note").await.unwrap();
    assert_eq!(found.messages.len(), 30, "Bo finds lobby notes only");
    assert!(found.messages.iter().all(|m| m.channel == "room:lobby"));
    let found: MessagesResponse = client.get_json(&ann, "/api/search?q=secret%20note").await.unwrap();
    assert_eq!(found.messages.len(), 1);
    let denied = client.get_json::<MessagesResponse>(&bo, "/api/search?q=secret&channel=room:secret").await;
    assert_eq!(api_error(denied), (403, ErrorCode::Forbidden));
}

#[tokio::test]
async fn ephemeral_rooms_are_invite_only_and_never_touch_the_disk() {
    let mut hub = TestHub::start(&[]);
    let client = hub.client();
    let (ann, mut a) = join_and_connect(&client, "Ann").await;
    let (bo, mut b) = join_and_connect(&client, "Bo").await;
    let (cy, _c) = join_and_connect(&client, "Cy").await;
    let room = create(&client, &ann, "Snack Run", RoomKind::Ephemeral).await;
    assert_eq!((room.id.as_str(), room.kind), ("_snack-run", RoomKind::Ephemeral));
    // A party's chat room is `_party-{code}`: a guest's room by that name gets another slug.
    let lookalike = create(&client, &ann, "Party XYZW", RoomKind::Ephemeral).await;
    assert_eq!(lookalike.id, "_room-party-xyzw");
    let open = create(&client, &ann, "Party XYZW", RoomKind::Open).await;
    assert_eq!(open.id, "party-xyzw", "on disk, slugs never start with `_`");
    subscribed_to(&mut a, "room:_snack-run").await;
    assert_eq!(
        api_error(client.post_json::<_, Room>(&bo, "/api/rooms/_snack-run/join", &()).await),
        (403, ErrorCode::Forbidden)
    );
    let mut outsider = client.connect_path(&cy, "/ws/rooms/_snack-run").await.unwrap();
    assert_eq!(outsider.expect_close(WAIT).await.unwrap().0, Some(close::FORBIDDEN));

    client
        .post_no_content(&ann, "/api/rooms/_snack-run/invite", &InviteRequest { user_id: bo.user.id })
        .await
        .unwrap();
    let joined: Room = client.post_json(&bo, "/api/rooms/_snack-run/join", &()).await.unwrap();
    assert!(joined.member);
    subscribed_to(&mut b, "room:_snack-run").await;
    let marker = "zq-ephemeral-marker-7731";
    a.send(&send("room:_snack-run", "e1", marker)).await.unwrap();
    assert_eq!(ack_offset(&mut a, "e1").await, 1);
    let ServerFrame::Message(m) =
        b.recv_until(WAIT, |f| matches!(f, ServerFrame::Message(m) if m.body == marker)).await.unwrap()
    else {
        unreachable!()
    };
    b.send(&ClientFrame::React {
        r#ref: Some("r".into()),
        channel: "room:_snack-run".into(),
        message_id: m.id,
        emoji: "🍕".into(),
    })
    .await
    .unwrap();
    assert_eq!(ack_offset(&mut b, "r").await, 2);
    let page: MessagesResponse =
        client.get_json(&bo, "/api/channels/room:_snack-run/messages").await.unwrap();
    assert_eq!(page.messages.len(), 1);
    let listed: RoomsResponse = client.get_json(&bo, "/api/rooms").await.unwrap();
    assert!(listed.rooms.iter().any(|r| r.id == "_snack-run" && r.member));

    // Nothing of it reached the database files...
    drop((a, b));
    assert!(hub.terminate());
    // (The database and its journal; `files/` is a directory of uploads, none made here.)
    for file in std::fs::read_dir(&hub.data_dir).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_file()) {
        let bytes = std::fs::read(file).unwrap();
        assert!(
            !bytes.windows(marker.len()).any(|w| w == marker.as_bytes()),
            "the marker was written to disk"
        );
    }
    // ...and after a restart the room is gone.
    hub.restart();
    let client = hub.client();
    assert_eq!(
        api_error(client.post_json::<_, Room>(&ann, "/api/rooms/_snack-run/join", &()).await),
        (404, ErrorCode::NotFound)
    );
    let listed: RoomsResponse = client.get_json(&ann, "/api/rooms").await.unwrap();
    assert!(listed.rooms.iter().all(|r| r.id != "_snack-run"));
}
