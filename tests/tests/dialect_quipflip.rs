//! Quipflip (seed 000) conformance, written from its document: a plain client that knows the `/qf`
//! paths, the token exchange, the frames and the close codes; plus Hubbub's join step (`POST
//! /api/join`), and Hubbub's REST where a test needs something to happen (a party to exist, an
//! invitation, a logout).

use hubbub_tests::raw::{Raw, connect, is_rfc3339_utc, join};
use hubbub_tests::{TestHub, call, join_host};
use serde_json::{Value, json};

/// `GET /qf/auth/ws-token` with the session.
async fn ws_token(hub: &TestHub, session: &str) -> String {
    let (status, body) = call(hub, "GET", "/qf/auth/ws-token", Some(session), None).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["expires_in"].as_u64().is_some_and(|s| s > 0 && s <= 60), "{body}");
    body["token"].as_str().unwrap().to_owned()
}

async fn open(hub: &TestHub, session: &str, path: &str) -> Raw {
    let token = ws_token(hub, session).await;
    let sep = if path.contains('?') { '&' } else { '?' };
    connect(&hub.url, &format!("{path}{sep}token={token}"), &[]).await.open()
}

fn names(update: &Value) -> Vec<String> {
    let mut names: Vec<String> = update["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn a_missing_or_bad_token_closes_every_socket_with_1008() {
    let hub = TestHub::start(&[]);
    let (_, host) = (0, join_host(&hub, "Host").await);
    let (status, party) = call(&hub, "POST", "/api/parties", Some(&host.secret), Some(json!({}))).await;
    assert_eq!(status, 201, "{party}");
    let party_path = format!("/qf/party/{}/ws?context=lobby", party["code"].as_str().unwrap());
    for path in ["/qf/notifications/ws", "/qf/users/online/ws", party_path.as_str()] {
        let mut none = connect(&hub.url, path, &[]).await.open();
        assert_eq!(none.close_code().await, Some(1008), "{path} without a token");
        let sep = if path.contains('?') { '&' } else { '?' };
        let mut bad = connect(&hub.url, &format!("{path}{sep}token=forged.token.here"), &[]).await.open();
        assert_eq!(bad.close_code().await, Some(1008), "{path} with a bad token");
    }
    let (status, _) = call(&hub, "GET", "/qf/auth/ws-token", None, None).await;
    assert_eq!(status, 401, "a token is issued only while authenticated");
}

#[tokio::test]
async fn online_users_are_pushed_and_polled_and_pings_go_by_username() {
    let hub = TestHub::start(&[]);
    let (_, ann) = join(&hub.url, "Ann").await;
    let (_, bob) = join(&hub.url, "Bob").await;
    let mut online = open(&hub, &ann, "/qf/users/online/ws").await;
    let first = online.next_of("online_users_update").await;
    assert_eq!(names(&first), vec!["Ann"]);
    assert_eq!(first["total_count"], 1);
    assert!(is_rfc3339_utc(&first["timestamp"]), "{first}");
    assert!(is_rfc3339_utc(&first["users"][0]["online_since"]), "{first}");
    // Bob comes online: a new snapshot lists both.
    let mut bob_notes = open(&hub, &bob, "/qf/notifications/ws").await;
    let mut bob_online = open(&hub, &bob, "/qf/users/online/ws").await;
    let both = online.next_where("both online", |f| f["total_count"] == 2).await;
    assert_eq!(names(&both), vec!["Ann", "Bob"]);
    // The REST fallback has the same shape.
    let (status, polled) = call(&hub, "GET", "/qf/users/online", Some(&ann), None).await;
    assert_eq!(status, 200);
    assert_eq!(names(&polled), vec!["Ann", "Bob"], "{polled}");
    assert!(is_rfc3339_utc(&polled["timestamp"]));
    // pingOnlineUser(username): Bob gets `ping` on both of his sockets.
    let body = json!({"username": "bob", "join_url": "http://example.com/party/ABCD"});
    let (status, answer) = call(&hub, "POST", "/qf/users/online/ping", Some(&ann), Some(body)).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["username"], "Bob");
    for ws in [&mut bob_notes, &mut bob_online] {
        let ping = ws.next_of("ping").await;
        assert_eq!(ping["from_username"], "Ann");
        assert_eq!(ping["join_url"], "http://example.com/party/ABCD");
        assert!(is_rfc3339_utc(&ping["timestamp"]), "{ping}");
    }
    // Nobody of that name online: refused, with the REST API's error body.
    let (status, error) =
        call(&hub, "POST", "/qf/users/online/ping", Some(&ann), Some(json!({"username": "Zed"}))).await;
    assert_eq!(status, 409, "{error}");
    assert_eq!(error["code"], "user_offline");
}

#[tokio::test]
async fn notifications_carry_the_documented_fields() {
    let hub = TestHub::start(&[]);
    let (_, ann) = join(&hub.url, "Ann").await;
    let (bob_id, bob) = join(&hub.url, "Bob").await;
    let mut notes = open(&hub, &bob, "/qf/notifications/ws").await;
    // Ann invites Bob to a room of hers: an inbox entry for Bob.
    let room = json!({"name": "Quiz night", "kind": "closed"});
    let (status, room) = call(&hub, "POST", "/api/rooms", Some(&ann), Some(room)).await;
    assert_eq!(status, 201, "{room}");
    let invite = format!("/api/rooms/{}/invite", room["id"].as_str().unwrap());
    let (status, _) = call(&hub, "POST", &invite, Some(&ann), Some(json!({"user_id": bob_id}))).await;
    assert_eq!(status, 204);
    let n = notes.next_of("notification").await;
    assert_eq!(n["notification_type"], "room_invite");
    assert_eq!(n["actor_username"], "Ann");
    assert!(n["action"].as_str().is_some_and(|a| !a.is_empty()), "{n}");
    assert_eq!(n["recipient_role"], "invitee");
    assert!(n["phrase_text"].as_str().is_some_and(|t| !t.is_empty()), "{n}");
    assert!(is_rfc3339_utc(&n["timestamp"]), "{n}");
    // The token may come as the session cookie instead of `?token=`.
    let cookie = format!("hubbub_session={bob}");
    let mut by_cookie = connect(&hub.url, "/qf/notifications/ws", &[("Cookie", &cookie)]).await.open();
    by_cookie.send(json!({"type": "ping"})).await;
    assert_eq!(by_cookie.next_of("pong").await["type"], "pong");
    // The socket sends; a keepalive is answered and anything else is refused, and it stays open.
    notes.send(json!({"type": "ping"})).await;
    assert_eq!(notes.next_of("pong").await["type"], "pong");
    notes.send(json!({"type": "subscribe", "channel": "presence"})).await;
    assert_eq!(notes.next_of("error").await["code"], "unknown_type");
    // Logging out closes the socket as an authentication loss (1008: the client stops).
    let (status, _) = call(&hub, "POST", "/api/logout", Some(&bob), None).await;
    assert_eq!(status, 204);
    assert_eq!(notes.close_code().await, Some(1008));
}

#[tokio::test]
async fn the_party_socket_joins_the_session_and_carries_its_events() {
    let hub = TestHub::start(&[]);
    let host = join_host(&hub, "Host").await;
    let (status, party) = call(&hub, "POST", "/api/parties", Some(&host.secret), Some(json!({}))).await;
    assert_eq!(status, 201, "{party}");
    let code = party["code"].as_str().unwrap().to_owned();
    let mut watcher = open(&hub, &host.secret, &format!("/qf/party/{code}/ws?context=lobby")).await;
    let first = watcher.next().await;
    assert_eq!(
        first["type"], "session_update",
        "the party's state comes first, and nothing of Hubbub's before it"
    );
    let (ann_id, ann) = join(&hub.url, "Ann").await;
    let mut player = open(&hub, &ann, &format!("/qf/party/{}/ws?context=game", code.to_lowercase())).await;
    assert_eq!(player.next().await["type"], "session_update");
    let joined = watcher.next_of("player_joined").await;
    assert_eq!(joined["player"]["user_id"], ann_id);
    // The game runs over the same sockets: ready, start, the first phase.
    player.send(json!({"type": "party_ready", "code": code, "ready": true})).await;
    let ready = watcher.next_of("player_ready").await;
    assert_eq!((ready["user_id"].as_i64(), ready["ready"].as_bool()), (Some(ann_id), Some(true)));
    watcher.send(json!({"type": "party_start", "code": code})).await;
    for ws in [&mut watcher, &mut player] {
        assert!(ws.next_of("session_started").await["rounds"].as_u64().is_some_and(|r| r > 0));
        assert!(ws.next_of("phase_transition").await["clock"].is_object());
    }
    // A refused command is an error frame, and Hubbub's acknowledgements are not sent.
    player.send(json!({"type": "party_start", "code": code})).await;
    let refused = player.next_of("error").await;
    assert!(refused["code"] == "not_host" || refused["code"] == "wrong_phase", "{refused}");
    // An unknown session tells the client to stop reconnecting; a bad context is refused.
    let mut unknown = open(&hub, &ann, "/qf/party/ZZZZZZ/ws?context=lobby").await;
    assert_eq!(unknown.close_code().await, Some(4000));
    let token = ws_token(&hub, &ann).await;
    let path = format!("/qf/party/{code}/ws?context=dance&token={token}");
    assert_eq!(connect(&hub.url, &path, &[]).await.refused(), 400);
}
