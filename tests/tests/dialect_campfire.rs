//! Campfire (seed 002) conformance, written from its document: a plain WebSocket client that knows
//! `/ws`, the three ways to present a session token, and the Campfire frames; plus Hubbub's join
//! step (`POST /api/join`), which gives the session token, and the room every hub has (`lobby`).

use std::time::Duration;

use hubbub_tests::TestHub;
use hubbub_tests::raw::{Raw, connect, is_rfc3339_utc, join};
use serde_json::{Value, json};

/// A hub whose users go offline as soon as their last socket closes, and whose typing changes are
/// relayed at once.
fn hub() -> TestHub {
    TestHub::start(&["--presence-grace-ms", "100", "--typing-window-ms", "50"])
}

async fn by_query(hub: &TestHub, session: &str) -> Raw {
    connect(&hub.url, &format!("/ws?token={session}"), &[]).await.open()
}

async fn join_room(ws: &mut Raw, room: &str) -> Value {
    ws.send(json!({"type": "JoinRoom", "room_id": room})).await;
    ws.next_of("PresenceUpdate").await
}

fn ids(update: &Value) -> Vec<String> {
    update["online_users"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn each_documented_credential_opens_the_socket_and_a_bad_one_is_a_401() {
    let hub = hub();
    let (ann, session) = join(&hub.url, "Ann").await;
    // 1. Query parameter.
    let mut q = by_query(&hub, &session).await;
    assert_eq!(ids(&join_room(&mut q, "lobby").await), vec![ann.to_string()]);
    // 2. Authorization header: a Campfire first frame makes it a Campfire socket.
    let bearer = format!("Bearer {session}");
    let mut h = connect(&hub.url, "/ws", &[("Authorization", &bearer)]).await.open();
    let update = join_room(&mut h, "lobby").await;
    assert_eq!(update["room_id"], "lobby");
    // 3. Cookie.
    let cookie = format!("session_token={session}");
    let mut c = connect(&hub.url, "/ws", &[("Cookie", &cookie)]).await.open();
    assert_eq!(join_room(&mut c, "lobby").await["type"], "PresenceUpdate");
    // Authentication errors are 401 responses, before the upgrade. A bad `?token=` could as well be
    // a Hubbub client's, whose protocol refuses it after the upgrade, with 4401.
    assert_eq!(connect(&hub.url, "/ws", &[("Cookie", "session_token=nope")]).await.refused(), 401);
    let mut bad = connect(&hub.url, "/ws?token=not-a-session", &[]).await.open();
    assert_eq!(bad.close_code().await, Some(4401));
}

#[tokio::test]
async fn messages_reach_the_room_once_with_the_documented_fields() {
    let hub = hub();
    let (ann, ann_session) = join(&hub.url, "Ann").await;
    let (_, bob_session) = join(&hub.url, "Bob").await;
    let mut a = by_query(&hub, &ann_session).await;
    let mut b = by_query(&hub, &bob_session).await;
    join_room(&mut a, "lobby").await;
    join_room(&mut b, "lobby").await;
    let create = json!({"type": "CreateMessage", "room_id": "lobby", "content": "Hello, world!",
                        "client_message_id": "550e8400-e29b-41d4-a716-446655440001"});
    a.send(create.clone()).await;
    for ws in [&mut a, &mut b] {
        let frame = ws.next_of("NewMessage").await;
        let m = &frame["message"];
        assert!(m["id"].as_str().is_some_and(|s| !s.is_empty()), "{frame}");
        assert_eq!(m["room_id"], "lobby");
        assert_eq!(m["creator_id"], ann.to_string());
        assert_eq!(m["content"], "Hello, world!");
        assert_eq!(m["client_message_id"], "550e8400-e29b-41d4-a716-446655440001");
        assert!(is_rfc3339_utc(&m["created_at"]), "{frame}");
    }
    // Deduplication: a resend is stored and delivered once; the next message is the next one seen.
    a.send(create).await;
    a.send(
        json!({"type": "CreateMessage", "room_id": "lobby", "content": "second", "client_message_id": "c2"}),
    )
    .await;
    for ws in [&mut a, &mut b] {
        assert_eq!(ws.next_of("NewMessage").await["message"]["content"], "second");
    }
}

#[tokio::test]
async fn the_last_seen_message_decides_what_a_reconnecting_client_is_given() {
    let hub = hub();
    let (_, ann_session) = join(&hub.url, "Ann").await;
    let (_, bob_session) = join(&hub.url, "Bob").await;
    let mut a = by_query(&hub, &ann_session).await;
    let mut b = by_query(&hub, &bob_session).await;
    join_room(&mut a, "lobby").await;
    join_room(&mut b, "lobby").await;
    a.send(json!({"type": "CreateMessage", "room_id": "lobby", "content": "one", "client_message_id": "m1"}))
        .await;
    let first = b.next_of("NewMessage").await;
    b.send(json!({"type": "UpdateLastSeen", "message_id": first["message"]["id"]})).await;
    // Nothing comes back for a good UpdateLastSeen; an unknown id is an error.
    b.send(json!({"type": "UpdateLastSeen", "message_id": "no-such-message"})).await;
    let error = b.next_of("Error").await;
    assert_eq!(error["code"], "MESSAGE_NOT_FOUND");
    b.close().await;
    a.send(json!({"type": "CreateMessage", "room_id": "lobby", "content": "two", "client_message_id": "m2"}))
        .await;
    a.next_where("the second message", |f| f["message"]["content"] == "two").await;
    // Bob comes back: joining the room gives the message after his last seen, not the one before.
    let mut b = by_query(&hub, &bob_session).await;
    b.send(json!({"type": "JoinRoom", "room_id": "lobby"})).await;
    let missed = b.next_of("NewMessage").await;
    assert_eq!(missed["message"]["content"], "two");
    assert_eq!(b.next_of("PresenceUpdate").await["room_id"], "lobby");
}

#[tokio::test]
async fn presence_and_join_and_leave_events_follow_the_room() {
    let hub = hub();
    let (ann, ann_session) = join(&hub.url, "Ann").await;
    let (bob, bob_session) = join(&hub.url, "Bob").await;
    let mut a = by_query(&hub, &ann_session).await;
    assert_eq!(ids(&join_room(&mut a, "lobby").await), vec![ann.to_string()]);
    let mut b = by_query(&hub, &bob_session).await;
    let joined = a.next_of("UserJoined").await;
    assert_eq!(joined, json!({"type": "UserJoined", "user_id": bob.to_string(), "room_id": "lobby"}));
    let mut online = ids(&a.next_of("PresenceUpdate").await);
    online.sort();
    let mut both = vec![ann.to_string(), bob.to_string()];
    both.sort();
    assert_eq!(online, both);
    // Bob leaves the room: he is no longer among its online users.
    join_room(&mut b, "lobby").await;
    b.send(json!({"type": "LeaveRoom", "room_id": "lobby"})).await;
    let left = a.next_of("UserLeft").await;
    assert_eq!(left, json!({"type": "UserLeft", "user_id": bob.to_string(), "room_id": "lobby"}));
    assert_eq!(ids(&a.next_of("PresenceUpdate").await), vec![ann.to_string()]);
    // After leaving, Bob's socket gets none of the room's messages.
    a.send(
        json!({"type": "CreateMessage", "room_id": "lobby", "content": "gone?", "client_message_id": "g"}),
    )
    .await;
    a.next_of("NewMessage").await;
    let after = b.drain(Duration::from_millis(500)).await;
    assert!(after.iter().all(|f| f["type"] != "NewMessage"), "{after:?}");
}

#[tokio::test]
async fn typing_starts_and_stops() {
    let hub = hub();
    let (ann, ann_session) = join(&hub.url, "Ann").await;
    let (_, bob_session) = join(&hub.url, "Bob").await;
    let mut a = by_query(&hub, &ann_session).await;
    let mut b = by_query(&hub, &bob_session).await;
    join_room(&mut a, "lobby").await;
    join_room(&mut b, "lobby").await;
    a.send(json!({"type": "StartTyping", "room_id": "lobby"})).await;
    let start = b.next_of("TypingStart").await;
    assert_eq!(start, json!({"type": "TypingStart", "user_id": ann.to_string(), "room_id": "lobby"}));
    a.send(json!({"type": "StopTyping", "room_id": "lobby"})).await;
    let stop = b.next_of("TypingStop").await;
    assert_eq!(stop, json!({"type": "TypingStop", "user_id": ann.to_string(), "room_id": "lobby"}));
}

#[tokio::test]
async fn bad_frames_are_answered_with_upper_case_error_codes_and_the_socket_stays_open() {
    let hub = hub();
    let (_, session) = join(&hub.url, "Ann").await;
    let mut a = by_query(&hub, &session).await;
    let cases = [
        (json!({"type": "Dance"}), "INVALID_MESSAGE_FORMAT"),
        (json!({"type": "JoinRoom"}), "INVALID_MESSAGE_FORMAT"),
        (json!({"type": "JoinRoom", "room_id": "no-such-room"}), "ROOM_NOT_FOUND"),
        (json!({"type": "LeaveRoom", "room_id": "lobby"}), "NOT_IN_ROOM"),
        (
            json!({"type": "CreateMessage", "room_id": "lobby", "content": "   ", "client_message_id": "x"}),
            "MESSAGE_CREATION_FAILED",
        ),
    ];
    for (frame, code) in cases {
        a.send(frame.clone()).await;
        let error = a.next_of("Error").await;
        assert_eq!(error["code"], code, "{frame}");
        assert!(error["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    a.send_text("{not json").await;
    assert_eq!(a.next_of("Error").await["code"], "INVALID_MESSAGE_FORMAT");
    assert_eq!(join_room(&mut a, "lobby").await["type"], "PresenceUpdate");
}

#[tokio::test]
async fn hubbub_clients_on_the_same_path_are_not_taken_for_campfire_ones() {
    let hub = hub();
    let (_, session) = join(&hub.url, "Ann").await;
    // A bearer socket whose first frame is Hubbub's stays Hubbub's.
    let bearer = format!("Bearer {session}");
    let mut h = connect(&hub.url, "/ws", &[("Authorization", &bearer)]).await.open();
    assert_eq!(h.next().await["type"], "connection_established");
    h.send(json!({"type": "ping", "ref": "p"})).await;
    assert_eq!(h.next_of("pong").await["ref"], "p");
    h.send(json!({"type": "JoinRoom", "room_id": "lobby"})).await;
    assert_eq!(h.next_of("error").await["code"], "unknown_type");
    // A 60 s token in ?token= is Hubbub's, and no credential at all is refused Hubbub's way.
    let token: Value = reqwest::Client::new()
        .get(format!("{}/api/auth/ws-token", hub.url))
        .bearer_auth(&session)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let path = format!("/ws?token={}", token["token"].as_str().unwrap());
    let mut t = connect(&hub.url, &path, &[]).await.open();
    assert_eq!(t.next().await["type"], "connection_established");
    let mut none = connect(&hub.url, "/ws", &[]).await.open();
    assert_eq!(none.close_code().await, Some(4401));
}
