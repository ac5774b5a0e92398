//! Places with check-in against a real hub and SQLite file: staff define places and get their QR
//! codes; a guest checks in with the key the QR code's link carries and is put into the place's
//! chat (an ephemeral room: nothing of it reaches the database file); guests not checked in, or
//! checked in longer ago than the window, are refused; the caps on places and on check-ins hold;
//! deleting a place takes everyone out of its chat.

use hubbub_client::Connection;
use hubbub_protocol::{ClientFrame, ErrorCode, ServerFrame};
use hubbub_tests::{TestHub, WAIT, call, connect_ready, error_code, join_and_connect, join_host};
use serde_json::{Value, json};

/// Defines a place as `staff`; its id and the key its check-in link carries.
async fn define(hub: &TestHub, staff: &str, name: &str) -> (i64, String) {
    let (status, place) =
        call(hub, "POST", "/api/admin/places", Some(staff), Some(json!({"name": name}))).await;
    assert_eq!(status, 201, "{place}");
    (place["id"].as_i64().unwrap(), key_of(&place))
}

/// The key in a place's check-in link (`.../place/{id}?key=...`).
fn key_of(place: &Value) -> String {
    let url = place["url"].as_str().unwrap();
    url.split_once("?key=").expect("the check-in link carries the key").1.to_owned()
}

async fn check_in(hub: &TestHub, guest: &str, id: i64, key: &str) -> (u16, Value) {
    call(hub, "POST", &format!("/api/places/{id}/check-in"), Some(guest), Some(json!({"key": key}))).await
}

async fn subscribe(conn: &mut Connection, channel: &str, r: &str) {
    let frame = ClientFrame::Subscribe { r#ref: Some(r.into()), channel: channel.into(), since: None };
    conn.send(&frame).await.unwrap();
}

async fn say(conn: &mut Connection, channel: &str, id: &str, body: &str) {
    let frame = ClientFrame::SendMessage {
        r#ref: Some(id.into()),
        channel: channel.into(),
        client_message_id: id.into(),
        body: body.into(),
        attachments: None,
        reply_to: None,
    };
    conn.send(&frame).await.unwrap();
}

#[tokio::test]
async fn a_guest_who_scanned_the_qr_code_chats_there_and_others_are_refused() {
    let hub = TestHub::start(&[]);
    let client = hub.client();
    let host = join_host(&hub, "Host").await;
    let (id, key) = define(&hub, &host.secret, "Table 4").await;
    let channel = format!("room:_place-{id}");

    // The host lists it, with its chat channel, the window, and a QR code of the check-in link.
    let (status, list) = call(&hub, "GET", "/api/admin/places", Some(&host.secret), None).await;
    assert_eq!(status, 200);
    assert_eq!(list["window_hours"], 12);
    assert_eq!(list["places"][0]["name"], "Table 4");
    assert_eq!(list["places"][0]["channel"], channel.as_str());
    let url = list["places"][0]["url"].as_str().unwrap();
    assert!(url.starts_with(&format!("{}/place/{id}?key=", hub.url)), "{url}");
    let qr = reqwest::Client::new()
        .get(format!("{}/api/admin/places/{id}/qr.svg", hub.url))
        .bearer_auth(&host.secret)
        .send()
        .await
        .unwrap();
    assert_eq!(qr.status().as_u16(), 200);
    assert_eq!(qr.headers()["content-type"], "image/svg+xml");
    assert!(qr.text().await.unwrap().contains("<svg"));

    let (ann, mut ann_conn) = join_and_connect(&client, "Ann").await;
    let (bob, mut bob_conn) = join_and_connect(&client, "Bob").await;
    let (carl, mut carl_conn) = join_and_connect(&client, "Carl").await;

    // Guests see the place but not its key; no check-in yet.
    let (status, visit) = call(&hub, "GET", &format!("/api/places/{id}"), Some(&ann.secret), None).await;
    assert_eq!(status, 200);
    assert_eq!(visit["place"]["name"], "Table 4");
    assert_eq!(visit["place"]["url"], format!("{}/place/{id}", hub.url));
    assert!(visit.get("checked_in_at").is_none(), "{visit}");
    // The QR code and the list are for staff only.
    let (status, err) = call(&hub, "GET", "/api/admin/places", Some(&ann.secret), None).await;
    assert_eq!((status, err["code"].as_str()), (403, Some("forbidden")));

    // Not checked in: the chat refuses.
    subscribe(&mut ann_conn, &channel, "s0").await;
    assert_eq!(error_code(&mut ann_conn, "s0").await, ErrorCode::Forbidden);
    // A guessed link (wrong key) checks nobody in.
    let (status, _) = check_in(&hub, &ann.secret, id, "not-the-key").await;
    assert_eq!(status, 403);

    // The QR code's link checks Ann and Bob in; their open sockets join the place's chat.
    for (guest, conn) in [(&ann, &mut ann_conn), (&bob, &mut bob_conn)] {
        let (status, visit) = check_in(&hub, &guest.secret, id, &key).await;
        assert_eq!(status, 200, "{visit}");
        let at = visit["checked_in_at"].as_i64().expect("checked in");
        assert_eq!(visit["admitted_until"].as_i64(), Some(at + 12 * 3_600_000));
        conn.recv_until(WAIT, |f| matches!(f, ServerFrame::Subscribed { channel: c, .. } if *c == channel))
            .await
            .expect("the place's chat");
    }
    say(&mut ann_conn, &channel, "m1", "Anyone at table 4?").await;
    let got = bob_conn.recv_until(WAIT, |f| matches!(f, ServerFrame::Message(_))).await.unwrap();
    let ServerFrame::Message(m) = got else { unreachable!() };
    assert_eq!(
        (m.body.as_str(), m.channel.as_str(), m.sender_id),
        ("Anyone at table 4?", channel.as_str(), ann.user.id)
    );

    // Carl did not check in: he can neither read nor write there.
    subscribe(&mut carl_conn, &channel, "s1").await;
    assert_eq!(error_code(&mut carl_conn, "s1").await, ErrorCode::Forbidden);
    say(&mut carl_conn, &channel, "c1", "let me in").await;
    assert_eq!(error_code(&mut carl_conn, "c1").await, ErrorCode::Forbidden);
    let _ = carl;

    // The chat is ephemeral: nothing of it is in the database file, while the check-ins are.
    let db = rusqlite::Connection::open(hub.data_dir.join("hubbub.db")).unwrap();
    let stored: i64 =
        db.query_row("SELECT COUNT(*) FROM messages WHERE channel = ?1", [&channel], |r| r.get(0)).unwrap();
    assert_eq!(stored, 0);
    let check_ins: i64 =
        db.query_row("SELECT COUNT(*) FROM check_ins WHERE place_id = ?1", [id], |r| r.get(0)).unwrap();
    assert_eq!(check_ins, 2);
}

#[tokio::test]
async fn the_window_admits_recent_check_ins_after_a_restart_and_not_older_ones() {
    let mut hub = TestHub::start(&["--place-chat-window-hours", "2"]);
    let client = hub.client();
    let host = join_host(&hub, "Host").await;
    let (id, key) = define(&hub, &host.secret, "Bar").await;
    let channel = format!("room:_place-{id}");
    let ann = client.join("Ann", None).await.unwrap();
    let bob = client.join("Bob", None).await.unwrap();
    for guest in [&ann, &bob] {
        assert_eq!(check_in(&hub, &guest.secret, id, &key).await.0, 200);
    }
    // Bob's check-in was three hours ago, beyond the two-hour window.
    assert!(hub.terminate());
    let db = rusqlite::Connection::open(hub.data_dir.join("hubbub.db")).unwrap();
    let moved =
        db.execute("UPDATE check_ins SET at = at - 3 * 3600000 WHERE user_id = ?1", [bob.user.id]).unwrap();
    assert_eq!(moved, 1);
    drop(db);
    hub.restart();
    let client = hub.client();

    // Ann's is recent: the restarted hub puts her back into the (empty, in-memory) chat.
    let mut ann_conn = connect_ready(&client, &ann).await;
    subscribe(&mut ann_conn, &channel, "a").await;
    ann_conn
        .recv_until(WAIT, |f| matches!(f, ServerFrame::Subscribed { channel: c, .. } if *c == channel))
        .await
        .expect("Ann is admitted");
    let mut bob_conn = connect_ready(&client, &bob).await;
    subscribe(&mut bob_conn, &channel, "b").await;
    assert_eq!(error_code(&mut bob_conn, "b").await, ErrorCode::Forbidden);
    let (_, visit) = call(&hub, "GET", &format!("/api/places/{id}"), Some(&bob.secret), None).await;
    assert!(
        visit["admitted_until"].as_i64().unwrap() < visit["checked_in_at"].as_i64().unwrap() + 3 * 3_600_000
    );

    // Scanning again admits him anew.
    assert_eq!(check_in(&hub, &bob.secret, id, &key).await.0, 200);
    bob_conn
        .recv_until(WAIT, |f| matches!(f, ServerFrame::Subscribed { channel: c, .. } if *c == channel))
        .await
        .expect("Bob is admitted after scanning again");
}

#[tokio::test]
async fn caps_bad_input_and_deletion() {
    let hub = TestHub::start(&["--max-places", "2", "--place-check-ins", "1"]);
    let client = hub.client();
    let host = join_host(&hub, "Host").await;
    let h = Some(host.secret.as_str());

    // Names: trimmed, 1 to 60 characters, unique ignoring case.
    for bad in [json!({"name": "  "}), json!({"name": "x".repeat(61)}), json!({"name": "a\u{7}b"})] {
        let (status, err) = call(&hub, "POST", "/api/admin/places", h, Some(bad.clone())).await;
        assert_eq!((status, err["code"].as_str()), (400, Some("invalid_place")), "{bad}");
    }
    let (status, err) = call(&hub, "POST", "/api/admin/places", h, Some(json!({"title": "x"}))).await;
    assert_eq!((status, err["code"].as_str()), (400, Some("invalid_json")));
    let (a, key_a) = define(&hub, &host.secret, "Patio").await;
    let (status, err) = call(&hub, "POST", "/api/admin/places", h, Some(json!({"name": " PATIO "}))).await;
    assert_eq!((status, err["code"].as_str()), (400, Some("invalid_place")));
    let (b, key_b) = define(&hub, &host.secret, "Bar").await;
    // The hub's cap on places.
    let (status, err) = call(&hub, "POST", "/api/admin/places", h, Some(json!({"name": "Roof"}))).await;
    assert_eq!((status, err["code"].as_str()), (409, Some("limit_reached")));

    // Renaming keeps the QR code valid; a taken name is refused; unknown and malformed ids are 404.
    let (status, place) =
        call(&hub, "PUT", &format!("/api/admin/places/{a}"), h, Some(json!({"name": "Garden"}))).await;
    assert_eq!((status, place["name"].as_str(), key_of(&place)), (200, Some("Garden"), key_a.clone()));
    let (status, _) =
        call(&hub, "PUT", &format!("/api/admin/places/{a}"), h, Some(json!({"name": "bar"}))).await;
    assert_eq!(status, 400);
    for path in ["/api/admin/places/999", "/api/admin/places/abc"] {
        let (status, err) = call(&hub, "PUT", path, h, Some(json!({"name": "Z"}))).await;
        assert_eq!((status, err["code"].as_str()), (404, Some("no_such_place")), "{path}");
    }

    // One other place per window: a second place is refused, the first can be scanned again.
    let (ann, mut ann_conn) = join_and_connect(&client, "Ann").await;
    assert_eq!(check_in(&hub, &ann.secret, a, &key_a).await.0, 200);
    let (status, err) = check_in(&hub, &ann.secret, b, &key_b).await;
    assert_eq!((status, err["code"].as_str()), (429, Some("rate_limited")));
    assert_eq!(check_in(&hub, &ann.secret, a, &key_a).await.0, 200);
    let (status, err) = check_in(&hub, &ann.secret, 999, &key_a).await;
    assert_eq!((status, err["code"].as_str()), (404, Some("no_such_place")));
    let (status, err) =
        call(&hub, "POST", &format!("/api/places/{a}/check-in"), Some(&ann.secret), Some(json!({}))).await;
    assert_eq!((status, err["code"].as_str()), (400, Some("invalid_json")));
    let (status, _) =
        call(&hub, "POST", &format!("/api/places/{a}/check-in"), None, Some(json!({"key": key_a}))).await;
    assert_eq!(status, 401);

    // Deleting the place takes Ann out of its chat, and the place is gone.
    let channel = format!("room:_place-{a}");
    ann_conn
        .recv_until(WAIT, |f| matches!(f, ServerFrame::Subscribed { channel: c, .. } if *c == channel))
        .await
        .unwrap();
    let (status, _) = call(&hub, "DELETE", &format!("/api/admin/places/{a}"), h, None).await;
    assert_eq!(status, 204);
    ann_conn
        .recv_until(WAIT, |f| matches!(f, ServerFrame::Unsubscribed { channel: c, .. } if *c == channel))
        .await
        .expect("taken out of the deleted place's chat");
    let (status, _) = call(&hub, "DELETE", &format!("/api/admin/places/{a}"), h, None).await;
    assert_eq!(status, 404);
    let (status, _) = call(&hub, "GET", &format!("/api/places/{a}"), Some(&ann.secret), None).await;
    assert_eq!(status, 404);
    // With one place fewer the cap lets a new one in.
    define(&hub, &host.secret, "Roof").await;
    // Staff's changes are in the audit log, newest first.
    let (_, log) = call(&hub, "GET", "/api/admin/audit", h, None).await;
    let actions: Vec<&str> =
        log["entries"].as_array().unwrap().iter().filter_map(|e| e["action"].as_str()).collect();
    assert_eq!(
        &actions[..5],
        ["place_create", "place_delete", "place_rename", "place_create", "place_create"]
    );
}
