//! go-falcon (seed 001) conformance, written from its document: a plain client that knows
//! `/websocket/connect`, the `WSMessage` envelope, the room names and message types, and the
//! `/websocket` admin and status routes; plus Hubbub's join step (`POST /api/join`) and Hubbub's REST
//! where a test needs something to happen (a rename, a new room, the admin token the hub runs with).

use hubbub_tests::raw::{Raw, connect, is_rfc3339_utc, join};
use hubbub_tests::{TestHub, call};
use serde_json::{Value, json};

const ADMIN: &str = "a-long-enough-admin-token";

fn hub() -> TestHub {
    TestHub::start(&["--admin-token", ADMIN, "--presence-grace-ms", "100"])
}

async fn bearer(hub: &TestHub, session: &str) -> Raw {
    let auth = format!("Bearer {session}");
    connect(&hub.url, "/websocket/connect", &[("Authorization", &auth)]).await.open()
}

/// The envelope's own fields, on every frame from the hub.
fn check_envelope(frame: &Value) {
    assert!(frame["type"].is_string(), "{frame}");
    assert!(frame.get("data").is_some(), "{frame}");
    assert!(is_rfc3339_utc(&frame["timestamp"]), "{frame}");
    assert!(frame["id"].as_str().is_some_and(|id| !id.is_empty()), "{frame}");
}

async fn joined(ws: &mut Raw, room: &str) -> Value {
    let frame = ws.next_where(room, |f| f["type"] == "room_joined" && f["room"] == room).await;
    check_envelope(&frame);
    frame
}

#[tokio::test]
async fn connecting_assigns_the_personal_and_group_rooms_with_either_credential() {
    let hub = hub();
    let (ann, session) = join(&hub.url, "Ann").await;
    let mut ws = bearer(&hub, &session).await;
    joined(&mut ws, &format!("user:{ann}")).await;
    joined(&mut ws, "group:lobby").await;
    // The cookie, holding a JWT (the hub's 60 s token).
    let (_, token) = call(&hub, "GET", "/api/auth/ws-token", Some(&session), None).await;
    let cookie = format!("falcon_auth_token={}", token["token"].as_str().unwrap());
    let mut c = connect(&hub.url, "/websocket/connect", &[("Cookie", &cookie)]).await.open();
    joined(&mut c, &format!("user:{ann}")).await;
    // Bad or missing credentials: 401 before the upgrade.
    let forged = [("Authorization", "Bearer forged.jwt.token")];
    assert_eq!(connect(&hub.url, "/websocket/connect", &forged).await.refused(), 401);
    assert_eq!(
        connect(&hub.url, "/websocket/connect", &[("Cookie", "falcon_auth_token=x")]).await.refused(),
        401
    );
    assert_eq!(connect(&hub.url, "/websocket/connect", &[]).await.refused(), 401);
}

#[tokio::test]
async fn heartbeats_messages_and_presence_in_the_envelope() {
    let hub = hub();
    let (ann, ann_session) = join(&hub.url, "Ann").await;
    let (bob, bob_session) = join(&hub.url, "Bob").await;
    let mut a = bearer(&hub, &ann_session).await;
    let snapshot = a.next_of("presence").await;
    check_envelope(&snapshot);
    assert!(snapshot["data"]["users"].as_array().is_some_and(|u| u.iter().any(|u| u["user_id"] == ann)));
    joined(&mut a, "group:lobby").await;
    let mut b = bearer(&hub, &bob_session).await;
    joined(&mut b, "group:lobby").await;
    a.send(json!({"type": "heartbeat", "data": {}})).await;
    let beat = a.next_of("heartbeat").await;
    check_envelope(&beat);
    assert_eq!(beat["data"]["status"], "ok");
    // A message to a group is stored and reaches everyone in it.
    b.send(json!({"type": "message", "room": "group:lobby", "data": {"text": "Hello!", "sender": "Bob"}}))
        .await;
    for ws in [&mut a, &mut b] {
        let m =
            ws.next_where("Bob's message", |f| f["type"] == "message" && f["data"]["text"] == "Hello!").await;
        check_envelope(&m);
        assert_eq!(m["room"], "group:lobby");
        assert_eq!(m["from"], bob.to_string());
        assert_eq!(m["data"]["sender"], "Bob");
    }
    // Presence: Bob is away, and Ann is told.
    b.send(json!({"type": "presence", "data": {"status": "away"}})).await;
    let away = a
        .next_where("Bob away", |f| {
            f["type"] == "presence" && f["data"]["user_id"] == bob && f["data"]["status"] == "away"
        })
        .await;
    check_envelope(&away);
    // Bob leaves: offline.
    b.close().await;
    a.next_where("Bob offline", |f| {
        f["type"] == "presence" && f["data"]["user_id"] == bob && f["data"]["status"] == "offline"
    })
    .await;
}

#[tokio::test]
async fn custom_rooms_relay_messages_and_custom_events_among_their_members() {
    let hub = hub();
    let (_, ann_session) = join(&hub.url, "Ann").await;
    let (_, bob_session) = join(&hub.url, "Bob").await;
    let (_, cy_session) = join(&hub.url, "Cy").await;
    let mut a = bearer(&hub, &ann_session).await;
    let mut b = bearer(&hub, &bob_session).await;
    let mut c = bearer(&hub, &cy_session).await;
    for ws in [&mut a, &mut b] {
        ws.send(json!({"type": "room_joined", "room": "fleet-ops", "data": {}})).await;
        joined(ws, "fleet-ops").await;
    }
    a.send(json!({"type": "custom_event", "room": "fleet-ops", "data": {"event": "align", "x": 1}})).await;
    let event = b.next_of("custom_event").await;
    check_envelope(&event);
    assert_eq!(event["room"], "fleet-ops");
    assert_eq!(event["data"], json!({"event": "align", "x": 1}));
    a.send(json!({"type": "message", "room": "fleet-ops", "data": {"text": "warp in 5"}})).await;
    for ws in [&mut a, &mut b] {
        let m = ws
            .next_where("the relayed message", |f| f["type"] == "message" && f["room"] == "fleet-ops")
            .await;
        assert_eq!(m["data"]["text"], "warp in 5");
        assert_eq!(m["data"]["sender"], "Ann");
    }
    // Cy is not in the room: he gets none of it, and may not send to it.
    let seen = c.drain(std::time::Duration::from_millis(300)).await;
    assert!(seen.iter().all(|f| f["room"] != "fleet-ops"), "{seen:?}");
    c.send(json!({"type": "custom_event", "room": "fleet-ops", "data": {}})).await;
    assert_eq!(c.next_of("error").await["data"]["code"], "not_in_room");
    // The admin routes see the room; leaving it is answered by room_left.
    let (status, rooms) = call(&hub, "GET", "/websocket/rooms", Some(ADMIN), None).await;
    assert_eq!(status, 200, "{rooms}");
    let ops = rooms["rooms"].as_array().unwrap().iter().find(|r| r["room"] == "fleet-ops").cloned();
    assert_eq!(ops, Some(json!({"room": "fleet-ops", "kind": "custom", "connections": 2})));
    b.send(json!({"type": "room_left", "room": "fleet-ops", "data": {}})).await;
    let left = b.next_of("room_left").await;
    check_envelope(&left);
    assert_eq!(left["room"], "fleet-ops");
    // `room_update` with an action does the same.
    c.send(json!({"type": "room_update", "room": "fleet-ops", "data": {"action": "join"}})).await;
    joined(&mut c, "fleet-ops").await;
    a.send(json!({"type": "custom_event", "room": "fleet-ops", "data": {"event": "dock"}})).await;
    assert_eq!(c.next_of("custom_event").await["data"]["event"], "dock");
    let missed = b.drain(std::time::Duration::from_millis(300)).await;
    assert!(missed.iter().all(|f| f["type"] != "custom_event"), "{missed:?}");
    c.send(json!({"type": "room_update", "room": "fleet-ops", "data": {"action": "leave"}})).await;
    assert_eq!(c.next_of("room_left").await["room"], "fleet-ops");
}

#[tokio::test]
async fn profile_group_membership_and_system_notifications_arrive_as_their_types() {
    let hub = hub();
    let (_, ann_session) = join(&hub.url, "Ann").await;
    let (bob, bob_session) = join(&hub.url, "Bob").await;
    let mut a = bearer(&hub, &ann_session).await;
    let _b = bearer(&hub, &bob_session).await;
    a.next_where("Bob online", |f| f["type"] == "presence" && f["data"]["user_id"] == bob).await;
    // Bob renames himself: a user_profile_update.
    let (status, _) =
        call(&hub, "POST", "/api/join", Some(&bob_session), Some(json!({"display_name": "Bobby"}))).await;
    assert_eq!(status, 200);
    let update = a.next_of("user_profile_update").await;
    check_envelope(&update);
    assert_eq!(update["data"]["user_id"], bob);
    assert_eq!(update["data"]["profile"]["character_name"], "Bobby");
    // Ann makes a room: she is a member of a new group, and its room is hers now.
    let (status, room) = call(
        &hub,
        "POST",
        "/api/rooms",
        Some(&ann_session),
        Some(json!({"name": "Fleet Commanders", "kind": "open"})),
    )
    .await;
    assert_eq!(status, 201, "{room}");
    let slug = room["id"].as_str().unwrap().to_owned();
    let change = a.next_of("group_membership_change").await;
    check_envelope(&change);
    assert_eq!(change["data"]["group_id"], slug);
    assert_eq!(change["data"]["group_name"], "Fleet Commanders");
    assert_eq!(change["data"]["joined"], true);
    joined(&mut a, &format!("group:{slug}")).await;
    let (status, _) = call(&hub, "POST", &format!("/api/rooms/{slug}/leave"), Some(&ann_session), None).await;
    assert_eq!(status, 200);
    let change = a.next_of("group_membership_change").await;
    assert_eq!(change["data"]["joined"], false);
    assert_eq!(a.next_of("room_left").await["room"], format!("group:{slug}"));
    // A broadcast from the admin API: a system_notification.
    let body = json!({"data": {"message": "Server restart at 20:00"}});
    let (status, answer) = call(&hub, "POST", "/websocket/broadcast", Some(ADMIN), Some(body)).await;
    assert_eq!(status, 200, "{answer}");
    assert!(answer["delivered"].as_u64().is_some_and(|n| n >= 2), "{answer}");
    let notice = a.next_of("system_notification").await;
    check_envelope(&notice);
    assert_eq!(notice["data"]["message"], "Server restart at 20:00");
}

#[tokio::test]
async fn admin_routes_are_for_staff_and_status_is_public() {
    let hub = hub();
    let (ann, session) = join(&hub.url, "Ann").await;
    let mut ws = bearer(&hub, &session).await;
    joined(&mut ws, "group:lobby").await;
    for (method, path) in
        [("GET", "/websocket/connections"), ("GET", "/websocket/rooms"), ("POST", "/websocket/broadcast")]
    {
        let body = (method == "POST").then(|| json!({"data": {"message": "hi"}}));
        let (status, error) = call(&hub, method, path, Some(&session), body.clone()).await;
        assert_eq!(status, 403, "{path}: {error}");
        assert!(error["message"].is_string(), "{error}");
        let (status, _) = call(&hub, method, path, None, body).await;
        assert_eq!(status, 401, "{path}");
    }
    let (status, list) = call(&hub, "GET", "/websocket/connections", Some(ADMIN), None).await;
    assert_eq!(status, 200, "{list}");
    let mine = list["connections"].as_array().unwrap().iter().find(|c| c["user_id"] == ann).cloned().unwrap();
    assert_eq!(mine["path"], "/websocket/connect");
    assert!(is_rfc3339_utc(&mine["connected_at"]));
    assert!(mine["rooms"].as_array().unwrap().contains(&json!("group:lobby")), "{mine}");
    let (status, health) = call(&hub, "GET", "/websocket/status", None, None).await;
    assert_eq!(status, 200);
    assert_eq!(health["status"], "healthy");
    assert_eq!(health["falcon_connections"], 1);
    assert!(is_rfc3339_utc(&health["timestamp"]));
}

#[tokio::test]
async fn bad_frames_are_answered_with_an_error_envelope() {
    let hub = hub();
    let (_, session) = join(&hub.url, "Ann").await;
    let mut ws = bearer(&hub, &session).await;
    joined(&mut ws, "group:lobby").await;
    let cases = [
        (json!({"type": "dance", "data": {}}), "invalid_message"),
        (json!({"type": "room_joined", "data": {}}), "invalid_room"),
        (json!({"type": "room_joined", "room": "user:999999", "data": {}}), "forbidden"),
        (json!({"type": "room_joined", "room": "group:no-such-room", "data": {}}), "no_such_channel"),
        (json!({"type": "message", "room": "group:lobby", "data": {}}), "invalid_message"),
        (json!({"type": "system_notification", "data": {}}), "unsupported_type"),
    ];
    for (frame, code) in cases {
        ws.send(frame.clone()).await;
        let error = ws.next_of("error").await;
        check_envelope(&error);
        assert_eq!(error["data"]["code"], code, "{frame}");
    }
    ws.send_text("not json").await;
    assert_eq!(ws.next_of("error").await["data"]["code"], "invalid_message");
}

#[tokio::test]
async fn conversations_are_thread_rooms() {
    let hub = hub();
    let (_, ann_session) = join(&hub.url, "Ann").await;
    let (bob, bob_session) = join(&hub.url, "Bob").await;
    let (status, thread) =
        call(&hub, "POST", "/api/dms", Some(&ann_session), Some(json!({"user_id": bob}))).await;
    assert_eq!(status, 201, "{thread}");
    let id = thread["id"].as_i64().unwrap();
    let (status, _) = call(&hub, "POST", &format!("/api/dms/{id}/accept"), Some(&bob_session), None).await;
    assert_eq!(status, 200);
    let room = format!("thread:{id}");
    let mut a = bearer(&hub, &ann_session).await;
    let mut b = bearer(&hub, &bob_session).await;
    joined(&mut a, &room).await;
    joined(&mut b, &room).await;
    a.send(json!({"type": "message", "room": room, "data": {"text": "psst"}, "id": "t-1"})).await;
    let m = b.next_where("the thread message", |f| f["type"] == "message" && f["room"] == room).await;
    check_envelope(&m);
    assert_eq!(m["data"]["text"], "psst");
    assert_eq!(m["data"]["client_message_id"], "t-1");
}
