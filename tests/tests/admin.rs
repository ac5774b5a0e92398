//! Roles and the admin API against a real hub: every admin route refuses guests (403) and strangers
//! (401) and opens to hosts, moderators and the admin token; a host link works once; roles survive
//! a restart and reach everyone's `hub_state`; a moderator cannot act on a host or change roles;
//! what guests may do follows the settings; announcements reach every screen and inbox, and later
//! joiners too; logout and "end every guest session" close sockets with 4412; the audit log keeps
//! it all; the connection and room lists say who is where.

use hubbub_protocol::{ErrorCode, HubState, NotificationKind, Role, ServerFrame, close};
use hubbub_tests::{TestHub, WAIT, call, connect_ready, expect_all, host_token, join_and_connect, join_host};
use serde_json::{Value, json};

const ADMIN_TOKEN: &str = "a-long-enough-admin-token";

/// Every admin route, with a body that would be valid, for `user` (the target) and room `lobby`.
fn routes(user: i64) -> Vec<(&'static str, String, Option<Value>)> {
    vec![
        ("GET", "/api/admin/connections".into(), None),
        ("GET", "/api/admin/users".into(), None),
        ("GET", "/api/admin/rooms".into(), None),
        ("GET", "/api/admin/bans".into(), None),
        ("GET", "/api/admin/settings".into(), None),
        ("GET", "/api/admin/announcements".into(), None),
        ("GET", "/api/admin/audit".into(), None),
        ("POST", format!("/api/admin/users/{user}/kick"), Some(json!({}))),
        ("POST", format!("/api/admin/users/{user}/ban"), Some(json!({}))),
        ("POST", format!("/api/admin/users/{user}/mute"), Some(json!({"minutes": 1}))),
        ("POST", format!("/api/admin/users/{user}/unmute"), Some(json!({}))),
        ("POST", format!("/api/admin/users/{user}/rename"), Some(json!({"display_name": "X"}))),
        ("POST", format!("/api/admin/users/{user}/role"), Some(json!({"role": "moderator"}))),
        ("POST", format!("/api/admin/users/{user}/clear-messages"), Some(json!({}))),
        ("DELETE", "/api/admin/bans/1".into(), None),
        ("POST", "/api/admin/rooms/lobby/slow-mode".into(), Some(json!({"seconds": 5}))),
        ("POST", "/api/admin/rooms/lobby/lock".into(), Some(json!({"locked": true}))),
        ("DELETE", "/api/admin/channels/room:lobby/messages/1".into(), None),
        ("PUT", "/api/admin/settings".into(), Some(json!({"permissions": {}}))),
        ("POST", "/api/admin/announcements".into(), Some(json!({"text": "hi"}))),
        ("DELETE", "/api/admin/announcements/1".into(), None),
        ("POST", "/api/admin/broadcast".into(), Some(json!({"text": "hi"}))),
        ("POST", "/api/admin/sessions/end".into(), None),
        ("PUT", "/api/admin/pin".into(), Some(json!({}))),
    ]
}

#[tokio::test]
async fn every_admin_route_refuses_guests_and_strangers_and_opens_to_staff_and_the_token() {
    let hub = TestHub::start(&["--admin-token", ADMIN_TOKEN]);
    let client = hub.client();
    let guest = client.join("Guest", None).await.unwrap();
    let target = client.join("Target", None).await.unwrap();
    for (method, path, body) in routes(target.user.id) {
        let (status, err) = call(&hub, method, &path, Some(&guest.secret), body.clone()).await;
        assert_eq!((status, err["code"].as_str()), (403, Some("forbidden")), "{method} {path} as a guest");
        let (status, _) = call(&hub, method, &path, None, body.clone()).await;
        assert_eq!(status, 401, "{method} {path} with no session");
        let (status, _) = call(&hub, method, &path, Some("not-the-token-at-all"), body).await;
        assert_eq!(status, 401, "{method} {path} with a wrong token");
    }
    // The token acts as a host.
    let (status, users) = call(&hub, "GET", "/api/admin/users?q=tar", Some(ADMIN_TOKEN), None).await;
    assert_eq!((status, users["total"].as_u64()), (200, Some(1)));
    let path = format!("/api/admin/users/{}/role", guest.user.id);
    let (status, _) = call(&hub, "POST", &path, Some(ADMIN_TOKEN), Some(json!({"role": "moderator"}))).await;
    assert_eq!(status, 200);
    // Now the guest is a moderator: the read routes open, the host's own stay closed.
    assert_eq!(call(&hub, "GET", "/api/admin/connections", Some(&guest.secret), None).await.0, 200);
    let (status, _) = call(&hub, "POST", "/api/admin/sessions/end", Some(&guest.secret), None).await;
    assert_eq!(status, 403, "ending sessions is the host's");
    let (status, err) = call(&hub, "GET", "/api/admin/users?limit=abc", Some(&guest.secret), None).await;
    assert_eq!((status, err["code"].as_str()), (400, Some("invalid_frame")));
    let (status, err) = call(
        &hub,
        "POST",
        &format!("/api/admin/users/{}/mute", target.user.id),
        Some(&guest.secret),
        Some(json!({"minutes": 0})),
    )
    .await;
    assert_eq!((status, err["code"].as_str()), (400, Some("invalid_frame")));
    let (status, _) =
        call(&hub, "POST", "/api/admin/users/999999/kick", Some(&guest.secret), Some(json!({}))).await;
    assert_eq!(status, 404);
}

async fn hub_state(conn: &mut hubbub_tests::Connection, pred: impl Fn(&HubState) -> bool) -> HubState {
    match conn.recv_until(WAIT, |f| matches!(f, ServerFrame::HubState { state } if pred(state))).await {
        Ok(ServerFrame::HubState { state }) => state,
        other => panic!("expected a matching hub_state, got {other:?}"),
    }
}

#[tokio::test]
async fn a_host_link_works_once_roles_survive_a_restart_and_moderators_stay_below_hosts() {
    let mut hub = TestHub::start(&[]);
    let client = hub.client();
    let (guest, mut watcher) = join_and_connect(&client, "Watcher").await;
    let mia = client.join("Mia", None).await.unwrap();
    // A host link claimed by a signed-in guest; the same link a second time is refused.
    let token = host_token(&hub);
    let (status, role) =
        call(&hub, "POST", "/api/host/claim", Some(&mia.secret), Some(json!({"token": token}))).await;
    assert_eq!((status, role["role"].as_str()), (200, Some("host")));
    let (status, err) =
        call(&hub, "POST", "/api/host/claim", Some(&guest.secret), Some(json!({"token": token}))).await;
    assert_eq!((status, err["code"].as_str()), (403, Some("forbidden")));
    let (status, _) =
        call(&hub, "POST", "/api/host/claim", Some(&guest.secret), Some(json!({"token": "forged"}))).await;
    assert_eq!(status, 403);
    let bad = json!({"display_name": "Sneaky", "host_token": "forged"});
    let (status, _) = call(&hub, "POST", "/api/join", None, Some(bad)).await;
    assert_eq!(status, 403, "a bad link creates nobody");
    // Everyone's hub_state lists the new host, for badges.
    let state = hub_state(&mut watcher, |s| s.staff.iter().any(|m| m.user_id == mia.user.id)).await;
    assert_eq!(state.role, Role::Guest);

    // The host appoints a moderator; the moderator cannot act on the host or change roles.
    let leo = join_host(&hub, "Leo").await; // a second host, to demote later
    let (status, _) = call(
        &hub,
        "POST",
        &format!("/api/admin/users/{}/role", guest.user.id),
        Some(&mia.secret),
        Some(json!({"role": "moderator"})),
    )
    .await;
    assert_eq!(status, 200);
    hub_state(&mut watcher, |s| s.role == Role::Moderator).await;
    let (status, err) = call(
        &hub,
        "POST",
        &format!("/api/admin/users/{}/kick", mia.user.id),
        Some(&guest.secret),
        Some(json!({})),
    )
    .await;
    assert_eq!((status, err["code"].as_str()), (403, Some("forbidden")));
    let (status, _) = call(
        &hub,
        "POST",
        &format!("/api/admin/users/{}/role", leo.user.id),
        Some(&guest.secret),
        Some(json!({"role": "guest"})),
    )
    .await;
    assert_eq!(status, 403, "only hosts change roles");
    let (status, _) = call(
        &hub,
        "POST",
        &format!("/api/admin/users/{}/kick", mia.user.id),
        Some(&mia.secret),
        Some(json!({})),
    )
    .await;
    assert_eq!(status, 403, "nobody kicks themselves");

    // After a restart, the roles are still there.
    drop(watcher);
    hub.terminate();
    hub.restart();
    let client = hub.client();
    let mut again = connect_ready(&client, &guest).await;
    let _ = again.next_frame(WAIT).await;
    let (_, me) = call(&hub, "GET", "/api/me", Some(&guest.secret), None).await;
    assert_eq!(me["role"], "moderator");
    let (_, me) = call(&hub, "GET", "/api/me", Some(&mia.secret), None).await;
    assert_eq!(me["role"], "host");
}

#[tokio::test]
async fn settings_keep_guests_from_rooms_parties_and_packs_and_announcements_reach_everyone() {
    let hub = TestHub::start(&[]);
    let client = hub.client();
    let host = join_host(&hub, "Hostess").await;
    let (guest, mut g) = join_and_connect(&client, "Guest").await;

    let staff_only =
        json!({"permissions": {"create_rooms": "staff", "host_parties": "staff", "import_packs": "staff"}});
    let (status, _) = call(&hub, "PUT", "/api/admin/settings", Some(&host.secret), Some(staff_only)).await;
    assert_eq!(status, 200);
    hub_state(&mut g, |s| s.permissions.host_parties == hubbub_protocol::Who::Staff).await;
    for (path, body) in [
        ("/api/rooms", json!({"name": "Mine", "kind": "open"})),
        ("/api/parties", json!({})),
        ("/api/quiz/packs", json!({"title": "P", "questions": []})),
    ] {
        let (status, err) = call(&hub, "POST", path, Some(&guest.secret), Some(body.clone())).await;
        assert_eq!((status, err["code"].as_str()), (403, Some("forbidden")), "{path}");
    }
    let (status, staff_room) = call(
        &hub,
        "POST",
        "/api/rooms",
        Some(&host.secret),
        Some(json!({"name": "Staff Room", "kind": "open"})),
    )
    .await;
    assert_eq!(status, 201, "staff still may");
    let (status, _) = call(&hub, "POST", "/api/parties", Some(&host.secret), Some(json!({}))).await;
    assert_eq!(status, 201);

    // An announcement: a banner in hub_state and an inbox entry for everyone, later joiners too.
    let (status, a) = call(
        &hub,
        "POST",
        "/api/admin/announcements",
        Some(&host.secret),
        Some(json!({"text": "Pizza at 8"})),
    )
    .await;
    assert_eq!(status, 201, "{a}");
    // The banner and the inbox entry, in either order.
    expect_all(
        &mut g,
        &[
            &|f| matches!(f, ServerFrame::HubState { state } if state.announcements.iter().any(|a| a.text == "Pizza at 8")),
            &|f| matches!(f, ServerFrame::Notification { notification, .. } if notification.kind == NotificationKind::Announcement && notification.text == "Pizza at 8"),
        ],
    )
    .await;
    let mut fresh = client.connect(&client.join("Later Still", None).await.unwrap()).await.unwrap();
    let state = hub_state(&mut fresh, |_| true).await;
    assert_eq!(state.announcements.iter().map(|a| a.text.as_str()).collect::<Vec<_>>(), ["Pizza at 8"]);
    let id = a["id"].as_i64().unwrap();
    assert_eq!(
        call(&hub, "DELETE", &format!("/api/admin/announcements/{id}"), Some(&host.secret), None).await.0,
        204
    );
    hub_state(&mut g, |s| s.announcements.is_empty()).await;
    let (status, err) = call(
        &hub,
        "POST",
        "/api/admin/announcements",
        Some(&host.secret),
        Some(json!({"text": "x", "channel": "room:nope"})),
    )
    .await;
    assert_eq!((status, err["code"].as_str()), (404, Some("not_found")));

    // A room's announcement is for its members: the host (a member) sees it, the guest (not one) does not.
    let room = format!("room:{}", staff_room["id"].as_str().unwrap());
    let body = json!({"text": "Staff meeting", "channel": room});
    assert_eq!(call(&hub, "POST", "/api/admin/announcements", Some(&host.secret), Some(body)).await.0, 201);
    let mut host_socket = client.connect(&host).await.unwrap();
    let state = hub_state(&mut host_socket, |_| true).await;
    assert!(state.announcements.iter().any(|a| a.channel.as_deref() == Some(room.as_str())), "{state:?}");
    let mut guest_socket = client.connect(&guest).await.unwrap();
    let state = hub_state(&mut guest_socket, |_| true).await;
    assert!(state.announcements.is_empty(), "not the guest's room: {state:?}");
    // Once the guest joins the room, their open socket is shown its announcement.
    guest_socket
        .recv_until(WAIT, |f| matches!(f, ServerFrame::Subscribed { channel, .. } if channel == "room:lobby"))
        .await
        .unwrap();
    let slug = staff_room["id"].as_str().unwrap();
    assert_eq!(
        call(&hub, "POST", &format!("/api/rooms/{slug}/join"), Some(&guest.secret), None).await.0,
        200
    );
    hub_state(&mut guest_socket, |s| s.announcements.iter().any(|a| a.text == "Staff meeting")).await;

    // A notice to everyone reaches the guest's socket.
    let (status, body) = call(
        &hub,
        "POST",
        "/api/admin/broadcast",
        Some(&host.secret),
        Some(json!({"text": "Doors close soon"})),
    )
    .await;
    assert!(status == 200 && body["delivered"].as_u64() >= Some(2), "{body}");
    g.recv_until(WAIT, |f| matches!(f, ServerFrame::Notice { text, .. } if text == "Doors close soon"))
        .await
        .unwrap();
    let (status, _) =
        call(&hub, "POST", "/api/admin/broadcast", Some(&host.secret), Some(json!({"text": ""}))).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn logout_and_ending_guest_sessions_close_sockets_with_4412_and_the_audit_log_keeps_it() {
    let hub = TestHub::start(&[]);
    let client = hub.client();
    let host = join_host(&hub, "Hostess").await;
    let mut host_socket = connect_ready(&client, &host).await;
    let (leaving, mut l) = join_and_connect(&client, "Leaving").await;
    let (staying, mut s) = join_and_connect(&client, "Staying").await;

    assert_eq!(call(&hub, "POST", "/api/logout", Some(&leaving.secret), None).await.0, 204);
    assert_eq!(l.expect_close(WAIT).await.unwrap().0, Some(close::SESSION_ENDED));
    assert_eq!(call(&hub, "GET", "/api/me", Some(&leaving.secret), None).await.0, 401);

    // The connection list shows who is where.
    let (_, list) = call(&hub, "GET", "/api/admin/connections", Some(&host.secret), None).await;
    let mine =
        list["connections"].as_array().unwrap().iter().find(|c| c["user"]["id"] == staying.user.id).unwrap();
    assert_eq!((mine["path"].as_str(), mine["address"].as_str()), (Some("/ws"), Some("127.0.0.1")));
    assert!(mine["channels"].as_array().unwrap().iter().any(|c| c == "room:lobby"));
    let (_, rooms) = call(&hub, "GET", "/api/admin/rooms", Some(&host.secret), None).await;
    assert!(rooms["rooms"][0]["subscribers"].as_u64() >= Some(2), "{rooms}");

    let (status, body) = call(&hub, "POST", "/api/admin/sessions/end", Some(&host.secret), None).await;
    assert_eq!((status, body["ended"].as_u64()), (200, Some(1)), "the guest still signed in");
    assert_eq!(s.expect_close(WAIT).await.unwrap().0, Some(close::SESSION_ENDED));
    host_socket.send(&hubbub_protocol::ClientFrame::Ping { r#ref: Some("p".into()) }).await.unwrap();
    host_socket.recv_until(WAIT, |f| matches!(f, ServerFrame::Pong { .. })).await.expect("the host stays");

    // The PIN, with guest sessions ended again.
    let fresh = client.join("Fresh", None).await.unwrap();
    let (status, _) = call(
        &hub,
        "PUT",
        "/api/admin/pin",
        Some(&host.secret),
        Some(json!({"pin": "4321", "end_guest_sessions": true})),
    )
    .await;
    assert_eq!(status, 204);
    assert_eq!(call(&hub, "GET", "/api/me", Some(&fresh.secret), None).await.0, 401);
    let err = client.join("Newcomer", None).await.unwrap_err();
    assert!(
        matches!(err, hubbub_tests::ClientError::Api { body, .. } if body.code == ErrorCode::PinRequired)
    );
    // A host link is stronger than the PIN: a co-host joins without it.
    join_host(&hub, "Co-host").await;

    let (_, log) = call(&hub, "GET", "/api/admin/audit", Some(&host.secret), None).await;
    let actions: Vec<&str> =
        log["entries"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(
        actions,
        ["claim_host", "end_sessions", "set_pin", "end_sessions", "claim_host"],
        "newest first"
    );
    let (_, page) = call(&hub, "GET", "/api/admin/audit?limit=1", Some(&host.secret), None).await;
    let before = page["entries"][0]["id"].as_i64().unwrap();
    let (_, rest) =
        call(&hub, "GET", &format!("/api/admin/audit?before={before}&limit=10"), Some(&host.secret), None)
            .await;
    assert_eq!(rest["entries"].as_array().unwrap().len(), 4);
}
