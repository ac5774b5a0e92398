//! Moderation against a real hub, each action seen from the target's side and a bystander's: a kick
//! closes every socket of the target with 4410 and keeps them out for the cooldown; a ban ends their
//! sessions (4411) and refuses their browser under a new name; mute, slow mode and a locked room
//! refuse with their codes; a host deletes anyone's message and clears a user's; a rename reaches the
//! online lists.

use std::time::Duration;

use hubbub_protocol::{ClientFrame, ErrorCode, Role, ServerFrame, close};
use hubbub_tests::{
    Connection, Session, TestHub, WAIT, call, connect_ready, error_code, join_and_connect, join_host,
};
use serde_json::{Value, json};

fn send(channel: &str, id: &str, body: &str) -> ClientFrame {
    ClientFrame::SendMessage {
        r#ref: Some(id.to_owned()),
        channel: channel.to_owned(),
        client_message_id: id.to_owned(),
        body: body.to_owned(),
        attachments: None,
        reply_to: None,
    }
}

/// Sends a message and returns its id from the ack.
async fn sent(conn: &mut Connection, channel: &str, id: &str, body: &str) -> i64 {
    conn.send(&send(channel, id, body)).await.unwrap();
    match conn.recv_until(WAIT, |f| matches!(f, ServerFrame::Ack { r#ref, .. } if r#ref == id)).await.unwrap()
    {
        ServerFrame::Ack { message_id: Some(m), .. } => m,
        other => panic!("expected an ack with the message id, got {other:?}"),
    }
}

/// Reads until the socket closes; its close code and reason.
async fn closed(conn: &mut Connection) -> (Option<u16>, String) {
    conn.expect_close(WAIT).await.expect("the socket closes")
}

/// `POST /api/join` as a browser holding `cookies` (`name=value; ...`); the status, the body, and
/// the cookies it holds afterwards (those it had, updated by the answer's `Set-Cookie`).
async fn browser_join(hub: &TestHub, name: &str, cookies: &str) -> (u16, Value, String) {
    let mut req =
        reqwest::Client::new().post(format!("{}/api/join", hub.url)).json(&json!({"display_name": name}));
    if !cookies.is_empty() {
        req = req.header("cookie", cookies);
    }
    let resp = req.send().await.unwrap();
    let mut jar: Vec<String> = cookies.split("; ").filter(|c| !c.is_empty()).map(str::to_owned).collect();
    for set in resp.headers().get_all("set-cookie") {
        let pair = set.to_str().unwrap().split(';').next().unwrap().to_owned();
        let key = pair.split('=').next().unwrap().to_owned();
        jar.retain(|c| !c.starts_with(&format!("{key}=")));
        jar.push(pair);
    }
    (resp.status().as_u16(), resp.json().await.unwrap(), jar.join("; "))
}

async fn post(hub: &TestHub, who: &Session, path: &str, body: Value) -> (u16, Value) {
    call(hub, "POST", path, Some(&who.secret), Some(body)).await
}

#[tokio::test]
async fn a_kick_closes_every_socket_with_4410_and_keeps_them_out_for_the_cooldown() {
    let hub = TestHub::start(&["--kick-cooldown-secs", "2", "--presence-grace-ms", "200"]);
    let client = hub.client();
    let host = join_host(&hub, "Hostess").await;
    let (troll, mut main) = join_and_connect(&client, "Troll").await;
    let mut path_socket = client.connect_path(&troll, "/notifications/ws").await.unwrap();
    let (_, mut bystander) = join_and_connect(&client, "Bystander").await;

    let (status, _) =
        post(&hub, &host, &format!("/api/admin/users/{}/kick", troll.user.id), json!({"reason": "spam"}))
            .await;
    assert_eq!(status, 204);
    for socket in [&mut main, &mut path_socket] {
        let (code, reason) = closed(socket).await;
        assert_eq!(code, Some(close::KICKED));
        assert!(reason.contains("spam"), "the reason reaches the target: {reason}");
    }
    let kicked_at = std::time::Instant::now();
    // Back at once: refused with 4410.
    let mut again = client.connect(&troll).await.unwrap();
    assert_eq!(closed(&mut again).await.0, Some(close::KICKED));
    // The bystander sees the troll go offline once the grace period ends.
    bystander
        .recv_until(WAIT, |f| match f {
            ServerFrame::PresenceDiff { leaves, .. } => leaves.contains(&troll.user.id),
            _ => false,
        })
        .await
        .expect("the troll leaves the bystander's list");
    // After the cooldown: in again.
    tokio::time::sleep(Duration::from_millis(2100).saturating_sub(kicked_at.elapsed())).await;
    connect_ready(&client, &troll).await;
}

#[tokio::test]
async fn a_ban_ends_the_sessions_and_the_same_browser_cannot_come_back_under_a_new_name() {
    let hub = TestHub::start(&[]);
    let client = hub.client();
    let host = join_host(&hub, "Hostess").await;
    // The troll's browser: it keeps the cookies the hub sets, as a browser does.
    let (status, joined, cookies) = browser_join(&hub, "Troll", "").await;
    assert_eq!(status, 201);
    assert!(cookies.contains("hubbub_device="), "the hub names the browser: {cookies}");
    let troll = Session {
        user: serde_json::from_value(joined["user"].clone()).unwrap(),
        secret: joined["session"].as_str().unwrap().to_owned(),
    };
    let mut socket = connect_ready(&client, &troll).await;

    let (status, ban) =
        post(&hub, &host, &format!("/api/admin/users/{}/ban", troll.user.id), json!({"reason": "abuse"}))
            .await;
    assert_eq!(status, 201, "{ban}");
    assert_eq!(ban["user"]["id"], troll.user.id);
    assert_eq!(closed(&mut socket).await.0, Some(close::BANNED));
    assert_eq!(call(&hub, "GET", "/api/me", Some(&troll.secret), None).await.0, 401, "the session is over");

    // The same browser, under a new name: refused. Another browser: welcome.
    let (status, err, _) = browser_join(&hub, "Innocent", &cookies).await;
    assert_eq!((status, err["code"].as_str()), (403, Some("banned")));
    client.join("Someone Else", None).await.expect("another browser joins");

    // The host lifts the ban: the browser may join again.
    let (_, bans) = call(&hub, "GET", "/api/admin/bans", Some(&host.secret), None).await;
    let id = bans["bans"][0]["id"].as_i64().unwrap();
    assert_eq!(call(&hub, "DELETE", &format!("/api/admin/bans/{id}"), Some(&host.secret), None).await.0, 204);
    assert_eq!(browser_join(&hub, "Reformed", &cookies).await.0, 201);
}

#[tokio::test]
async fn mute_slow_mode_and_a_locked_room_refuse_with_their_codes_and_spare_the_others() {
    let hub = TestHub::start(&[]);
    let client = hub.client();
    let host = join_host(&hub, "Hostess").await;
    let mut host_socket = connect_ready(&client, &host).await;
    let (guest, mut g) = join_and_connect(&client, "Guest").await;
    let (other_user, mut other) = join_and_connect(&client, "Other").await;

    // A hub-wide mute: the target is told, their sends are refused with when it ends.
    let (status, _) =
        post(&hub, &host, &format!("/api/admin/users/{}/mute", guest.user.id), json!({"minutes": 5})).await;
    assert_eq!(status, 204);
    let notice = g.recv_until(WAIT, |f| matches!(f, ServerFrame::Moderated { .. })).await.unwrap();
    assert!(matches!(notice, ServerFrame::Moderated { until: Some(_), .. }));
    g.send(&send("room:lobby", "m1", "hello?")).await.unwrap();
    let refused = g
        .recv_until(WAIT, |f| matches!(f, ServerFrame::Error { r#ref: Some(r), .. } if r == "m1"))
        .await
        .unwrap();
    let ServerFrame::Error { code, retry_after_ms, .. } = refused else { unreachable!() };
    assert_eq!(code, ErrorCode::Muted);
    assert!(retry_after_ms.is_some_and(|ms| ms > 290_000 && ms <= 300_000), "{retry_after_ms:?}");
    sent(&mut other, "room:lobby", "o1", "others still talk").await;
    // Pings are silenced too.
    g.send(&ClientFrame::PingUser { r#ref: Some("p1".into()), user_id: other_user.user.id, join_url: None })
        .await
        .unwrap();
    assert_eq!(error_code(&mut g, "p1").await, ErrorCode::Muted);
    assert_eq!(
        post(&hub, &host, &format!("/api/admin/users/{}/unmute", guest.user.id), json!({})).await.0,
        204
    );
    sent(&mut g, "room:lobby", "m2", "back").await;

    // Slow mode: one message per 30 s for guests; the host is not held to it.
    let (status, room) = post(&hub, &host, "/api/admin/rooms/lobby/slow-mode", json!({"seconds": 30})).await;
    assert_eq!((status, room["slow_mode_secs"].as_u64()), (200, Some(30)));
    g.recv_until(WAIT, |f| matches!(f, ServerFrame::RoomUpdate { room } if room.slow_mode_secs == 30))
        .await
        .unwrap();
    sent(&mut g, "room:lobby", "s1", "first").await;
    g.send(&send("room:lobby", "s2", "second")).await.unwrap();
    assert_eq!(error_code(&mut g, "s2").await, ErrorCode::SlowMode);
    sent(&mut g, "room:lobby", "s1", "first").await; // a resend of the same message is not a new one
    sent(&mut host_socket, "room:lobby", "h1", "host one").await;
    sent(&mut host_socket, "room:lobby", "h2", "host two").await;
    post(&hub, &host, "/api/admin/rooms/lobby/slow-mode", json!({"seconds": 0})).await;

    // A locked room: read-only for guests.
    let (status, room) = post(&hub, &host, "/api/admin/rooms/lobby/lock", json!({"locked": true})).await;
    assert_eq!((status, room["locked"].as_bool()), (200, Some(true)));
    other.send(&send("room:lobby", "l1", "let me in")).await.unwrap();
    assert_eq!(error_code(&mut other, "l1").await, ErrorCode::RoomLocked);
    sent(&mut host_socket, "room:lobby", "h3", "the host speaks").await;
    post(&hub, &host, "/api/admin/rooms/lobby/lock", json!({"locked": false})).await;
    sent(&mut other, "room:lobby", "l2", "open again").await;

    // A room's own mute: only there.
    let (_, created) = post(&hub, &guest, "/api/rooms", json!({"name": "Side", "kind": "open"})).await;
    let side = format!("room:{}", created["id"].as_str().unwrap());
    post(
        &hub,
        &host,
        &format!("/api/admin/users/{}/mute", guest.user.id),
        json!({"minutes": 1, "channel": side}),
    )
    .await;
    g.send(&send(&side, "r1", "in side")).await.unwrap();
    assert_eq!(error_code(&mut g, "r1").await, ErrorCode::Muted);
    // The room's mute is in the guest's hub_state, so a reloaded page knows it too.
    let mut fresh = client.connect(&guest).await.unwrap();
    fresh
        .recv_until(WAIT, |f| matches!(f, ServerFrame::HubState { state } if state.room_mutes.iter().any(|m| m.channel == side)))
        .await
        .expect("the room mute in hub_state");
    sent(&mut g, "room:lobby", "r2", "the lobby is fine").await;
}

#[tokio::test]
async fn staff_delete_anyones_message_and_clear_a_users_and_a_rename_reaches_the_lists() {
    let hub = TestHub::start(&[]);
    let client = hub.client();
    let host = join_host(&hub, "Hostess").await;
    let mut host_socket = connect_ready(&client, &host).await;
    let (guest, mut g) = join_and_connect(&client, "Rude Name").await;
    let (other, mut o) = join_and_connect(&client, "Other").await;

    let first = sent(&mut g, "room:lobby", "a", "bad words").await;
    sent(&mut g, "room:lobby", "b", "more").await;
    sent(&mut g, "room:lobby", "c", "and more").await;
    let others = sent(&mut o, "room:lobby", "d", "mine").await;
    // A guest cannot delete another's message; the host can, and the event says who did.
    g.send(&ClientFrame::DeleteMessage {
        r#ref: Some("x".into()),
        channel: "room:lobby".into(),
        message_id: others,
    })
    .await
    .unwrap();
    assert_ne!(error_code(&mut g, "x").await, ErrorCode::Internal);
    host_socket
        .send(&ClientFrame::DeleteMessage {
            r#ref: Some("del".into()),
            channel: "room:lobby".into(),
            message_id: first,
        })
        .await
        .unwrap();
    let deleted = o
        .recv_until(
            WAIT,
            |f| matches!(f, ServerFrame::MessageDeleted { message_id, .. } if *message_id == first),
        )
        .await
        .unwrap();
    assert!(
        matches!(deleted, ServerFrame::MessageDeleted { deleted_by: Some(by), .. } if by == host.user.id)
    );

    // Clear: the rest of the guest's messages go, the other's stays.
    let (status, body) =
        post(&hub, &host, &format!("/api/admin/users/{}/clear-messages", guest.user.id), json!({})).await;
    assert_eq!((status, body["deleted"].as_u64()), (200, Some(2)));
    let (_, page) = call(&hub, "GET", "/api/channels/room:lobby/messages", Some(&other.secret), None).await;
    let live: Vec<&str> = page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["deleted_at"].is_null())
        .map(|m| m["body"].as_str().unwrap())
        .collect();
    assert_eq!(live, ["mine"]);

    // Rename: the target is told, the bystander's list shows the new name.
    let (status, user) = post(
        &hub,
        &host,
        &format!("/api/admin/users/{}/rename", guest.user.id),
        json!({"display_name": "Nice Name"}),
    )
    .await;
    assert_eq!((status, user["display_name"].as_str()), (200, Some("Nice Name")));
    g.recv_until(WAIT, |f| matches!(f, ServerFrame::Moderated { reason: Some(r), .. } if r == "Nice Name"))
        .await
        .unwrap();
    o.recv_until(WAIT, |f| match f {
        ServerFrame::PresenceDiff { joins, .. } => {
            joins.iter().any(|u| u.user_id == guest.user.id && u.display_name == "Nice Name")
        }
        _ => false,
    })
    .await
    .expect("the bystander's list has the new name");
    let (status, body) = post(
        &hub,
        &host,
        &format!("/api/admin/users/{}/rename", guest.user.id),
        json!({"display_name": "other"}),
    )
    .await;
    assert_eq!((status, body["code"].as_str()), (409, Some("name_taken")));
    assert_eq!(hub_role(&hub, &guest).await, Role::Guest);
}

async fn hub_role(hub: &TestHub, who: &Session) -> Role {
    let (_, me) = call(hub, "GET", "/api/me", Some(&who.secret), None).await;
    serde_json::from_value(me["role"].clone()).unwrap()
}
