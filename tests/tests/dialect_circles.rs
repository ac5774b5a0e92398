//! Circles' WebSocket API (seed 004), written from its document alone: a plain WebSocket client that
//! knows the document's three sockets, frames, fields and close codes, and Hubbub's join step. The
//! threads, check-ins and places it needs are made over Hubbub's REST routes (the document's HTTP
//! endpoints are not part of it). Where a Circles socket shares a conversation or a place's chat with
//! Hubbub's own clients, the test checks the other side too.

use hubbub_protocol::{ServerFrame, UserInfo};
use hubbub_tests::raw::{Raw, connect, is_rfc3339_utc, ws_token};
use hubbub_tests::{Session, TestHub, WAIT, call, join_host};
use serde_json::{Value, json};

fn ws(hub: &TestHub, path: &str, token: &str) -> String {
    format!("{}{path}?token={token}", hub.url.replacen("http", "ws", 1))
}

fn ws_bare(hub: &TestHub, path: &str) -> String {
    format!("{}{path}", hub.url.replacen("http", "ws", 1))
}

/// An ISO 8601 time in UTC, as the document's timestamps are.
fn assert_iso(v: &Value) {
    assert!(is_rfc3339_utc(v), "an ISO 8601 time in UTC, not {v}");
}

/// A user made by the join step.
struct Joined {
    id: i64,
    session: String,
}

async fn join(base: &str, name: &str) -> Joined {
    let (id, session) = hubbub_tests::raw::join(base, name).await;
    Joined { id, session }
}

/// Opens a `ws://` URL of the hub; the upgrade must succeed.
async fn open(url: &str) -> Raw {
    let rest = url.strip_prefix("ws://").expect("a ws:// URL");
    let (host, path) = rest.split_at(rest.find('/').expect("a path"));
    connect(&format!("http://{host}"), path, &[]).await.open()
}

/// Closes with the code the hub chooses for opening `url`.
async fn refused(url: &str) -> Option<u16> {
    open(url).await.close_code().await
}

/// Ann asks Bo for a thread; Bo accepts when `accept`. The thread's id.
async fn thread(hub: &TestHub, a: &Joined, b: &Joined, accept: bool) -> i64 {
    let (status, t) = call(hub, "POST", "/api/dms", Some(&a.session), Some(json!({"user_id": b.id}))).await;
    assert_eq!(status, 201, "{t}");
    let id = t["id"].as_i64().unwrap();
    if accept {
        let (status, _) = call(hub, "POST", &format!("/api/dms/{id}/accept"), Some(&b.session), None).await;
        assert_eq!(status, 200);
    }
    id
}

#[tokio::test]
async fn the_thread_socket_speaks_the_document() {
    let hub = TestHub::start(&["--presence-grace-ms", "100"]);
    let (ann, bo, cy) = (join(&hub.url, "Ann").await, join(&hub.url, "Bo").await, join(&hub.url, "Cy").await);
    let id = thread(&hub, &ann, &bo, false).await;
    let path = format!("/ws/dms/{id}");

    // 4403 while the thread is not accepted, for a non-participant, and for no such thread; 4401
    // without a valid token.
    let ann_token = ws_token(&hub.url, &ann.session).await;
    assert_eq!(refused(&ws(&hub, &path, &ann_token)).await, Some(4403), "pending thread");
    call(&hub, "POST", &format!("/api/dms/{id}/accept"), Some(&bo.session), None).await;
    let cy_token = ws_token(&hub.url, &cy.session).await;
    assert_eq!(refused(&ws(&hub, &path, &cy_token)).await, Some(4403), "not a participant");
    assert_eq!(refused(&ws(&hub, "/ws/dms/999999", &ann_token)).await, Some(4403), "no such thread");
    assert_eq!(refused(&ws(&hub, "/ws/dms/abc", &ann_token)).await, Some(4403), "no such thread");
    assert_eq!(refused(&ws_bare(&hub, &path)).await, Some(4401), "no token");
    assert_eq!(refused(&ws(&hub, &path, "not.a.jwt")).await, Some(4401), "bad token");

    // On connect: connection_established, then thread_info.
    let mut a = open(&ws(&hub, &path, &ann_token)).await;
    let hello = a.next().await;
    assert_eq!(
        (hello["type"].as_str(), hello["thread_id"].as_i64(), hello["user_id"].as_i64()),
        (Some("connection_established"), Some(id), Some(ann.id))
    );
    assert_iso(&hello["timestamp"]);
    let info = a.next().await;
    assert_eq!(info["type"], "thread_info");
    assert_eq!(info["other_user_online"], false);
    assert_iso(&info["timestamp"]);
    let participants = info["participants"].as_array().unwrap();
    assert_eq!(participants.len(), 2);
    assert_eq!(participants[0], json!({"id": ann.id, "name": "Ann", "avatar_url": null}));
    assert_eq!(participants[1], json!({"id": bo.id, "name": "Bo", "avatar_url": null}));

    // Bo connects with his session token (a Circles client keeps one token): Ann is online for him,
    // and Ann is told he came online.
    let mut b = open(&ws(&hub, &path, &bo.session)).await;
    assert_eq!(b.next().await["type"], "connection_established");
    assert_eq!(b.next().await["other_user_online"], true);
    let p = a.next_of("presence").await;
    assert_eq!((p["user_id"].as_i64(), p["online"].as_bool()), (Some(bo.id), Some(true)));
    assert_iso(&p["timestamp"]);

    // Keepalive.
    a.send(json!({"type": "ping"})).await;
    let pong = a.next_of("pong").await;
    assert_iso(&pong["timestamp"]);

    // typing, message, mark_read, reaction.
    b.send(json!({"type": "typing", "typing": true})).await;
    let t = a.next_of("typing").await;
    assert_eq!((t["user_id"].as_i64(), t["typing"].as_bool()), (Some(bo.id), Some(true)));
    assert_iso(&t["timestamp"]);
    a.send(json!({"type": "message", "text": "Hello there"})).await;
    for socket in [&mut a, &mut b] {
        let m = socket.next_of("message").await;
        assert_iso(&m["timestamp"]);
        let msg = &m["message"];
        assert_eq!(
            (msg["thread_id"].as_i64(), msg["sender_id"].as_i64(), msg["text"].as_str()),
            (Some(id), Some(ann.id), Some("Hello there"))
        );
        assert!(msg["id"].as_i64().unwrap() > 0);
        assert_iso(&msg["created_at"]);
        assert_eq!(msg["sender_info"], json!({"id": ann.id, "name": "Ann", "avatar_url": null}));
    }
    let message_id = {
        b.send(json!({"type": "mark_read"})).await;
        let r = a.next_of("read_receipt").await;
        assert_eq!(r["user_id"].as_i64(), Some(bo.id));
        assert_iso(&r["last_read_at"]);
        assert_iso(&r["timestamp"]);
        // The message is in Hubbub's history of the conversation too.
        let (_, page) =
            call(&hub, "GET", &format!("/api/channels/dm:{id}/messages"), Some(&bo.session), None).await;
        assert_eq!(page["messages"][0]["body"], "Hello there");
        page["messages"][0]["id"].as_i64().unwrap()
    };
    b.send(json!({"type": "reaction", "message_id": message_id, "reaction": "❤️"})).await;
    let r = a.next_of("reaction").await;
    assert_eq!(r, json!({"type": "reaction", "message_id": message_id, "user_id": bo.id, "reaction": "❤️"}));

    // Bad input is answered and the socket stays open.
    a.send_text("not json").await;
    assert_eq!(a.next_of("error").await["code"], "invalid_json");
    a.send(json!({"type": "shout"})).await;
    assert_eq!(a.next_of("error").await["code"], "unknown_type");
    a.send(json!({"type": "message"})).await;
    assert_eq!(a.next_of("error").await["code"], "invalid_frame");
    a.send(json!({"type": "message", "text": "   "})).await;
    assert_eq!(a.next_of("error").await["code"], "message_empty");
    a.send(json!({"type": "reaction", "message_id": 424242, "reaction": "x"})).await;
    assert_eq!(a.next_of("error").await["code"], "no_such_message");
    a.send(json!({"type": "ping"})).await;
    a.next_of("pong").await;

    // Bo leaves with a normal close: Ann sees him go offline.
    b.close().await;
    let p = a.next_of("presence").await;
    assert_eq!((p["user_id"].as_i64(), p["online"].as_bool()), (Some(bo.id), Some(false)));

    // A thread that stops being accepted (blocked) closes its sockets with 4403.
    let (status, _) = call(&hub, "POST", &format!("/api/dms/{id}/block"), Some(&ann.session), None).await;
    assert_eq!(status, 200);
    assert_eq!(a.close_code().await, Some(4403));
    assert_eq!(refused(&ws(&hub, &path, &ann_token)).await, Some(4403));
}

#[tokio::test]
async fn the_user_socket_tells_the_users_notifications() {
    let hub = TestHub::start(&[]);
    let (ann, bo, cy) = (join(&hub.url, "Ann").await, join(&hub.url, "Bo").await, join(&hub.url, "Cy").await);
    let id = thread(&hub, &ann, &bo, true).await;
    let ann_token = ws_token(&hub.url, &ann.session).await;

    // Only the token's own user: 4401 otherwise, and without a token.
    assert_eq!(refused(&ws(&hub, &format!("/ws/user/{}", bo.id), &ann_token)).await, Some(4401));
    assert_eq!(refused(&ws(&hub, "/ws/user/abc", &ann_token)).await, Some(4401));
    assert_eq!(refused(&ws_bare(&hub, &format!("/ws/user/{}", ann.id))).await, Some(4401));

    let mut u = open(&ws(&hub, &format!("/ws/user/{}", ann.id), &ann_token)).await;
    let hello = u.next().await;
    assert_eq!(
        (hello["type"].as_str(), hello["user_id"].as_i64()),
        (Some("connection_established"), Some(ann.id))
    );
    assert_iso(&hello["timestamp"]);
    u.send(json!({"type": "ping"})).await;
    assert_iso(&u.next_of("pong").await["timestamp"]);

    // A new message in an accepted thread, from the other participant.
    let mut b = open(&ws(&hub, &format!("/ws/dms/{id}"), &bo.session)).await;
    b.next_of("thread_info").await;
    b.send(json!({"type": "message", "text": "ping me"})).await;
    let m = u.next_of("dm_message").await;
    assert_eq!(
        (m["thread_id"].as_i64(), m["from_user"].as_i64(), m["text"].as_str()),
        (Some(id), Some(bo.id), Some("ping me"))
    );
    let message_id = m["message_id"].as_i64().unwrap();
    // A reply and a file from them (sent from a Hubbub client: the thread socket sends text only).
    let bo_token = ws_token(&hub.url, &bo.session).await;
    let mut bo_hubbub = open(&ws(&hub, "/ws", &bo_token)).await;
    bo_hubbub.next_of("connection_established").await;
    let channel = format!("dm:{id}");
    bo_hubbub
        .send(json!({"type": "send_message", "ref": "r1", "channel": channel, "client_message_id": "r1",
                     "body": "about that", "reply_to": message_id}))
        .await;
    let reply = u.next_of("dm_reply").await;
    assert_eq!(
        (reply["thread_id"].as_i64(), reply["reply_to_id"].as_i64(), reply["from_user"].as_i64()),
        (Some(id), Some(message_id), Some(bo.id))
    );
    assert_eq!(reply["text"], "about that");
    assert!(reply["message_id"].as_i64().is_some_and(|m| m > message_id));
    assert_iso(&reply["timestamp"]);
    let http = reqwest::Client::new();
    let uploaded: Value = http
        .post(format!("{}/api/channels/{channel}/files?name=notes.txt", hub.url))
        .bearer_auth(&bo.session)
        .body("the notes")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let file_id = uploaded["id"].as_i64().expect("an uploaded file");
    bo_hubbub
        .send(json!({"type": "send_message", "ref": "r2", "channel": channel, "client_message_id": "r2",
                     "body": "", "attachments": [file_id]}))
        .await;
    let media = u.next_of("dm_media").await;
    assert_eq!((media["thread_id"].as_i64(), media["from_user"].as_i64()), (Some(id), Some(bo.id)));
    let item = &media["media"][0];
    assert_eq!(
        (item["id"].as_i64(), item["name"].as_str(), item["size"].as_i64()),
        (Some(file_id), Some("notes.txt"), Some(9))
    );
    let bytes = http
        .get(format!("{}{}", hub.url, item["url"].as_str().unwrap()))
        .bearer_auth(&ann.session)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(bytes, "the notes", "the media's url serves the file to the thread's other participant");
    // A reaction by them.
    b.send(json!({"type": "reaction", "message_id": message_id, "reaction": "👍"})).await;
    let r = u.next_of("reaction").await;
    assert_eq!(
        (r["message_id"].as_i64(), r["emoji"].as_str(), r["from_user"].as_i64()),
        (Some(message_id), Some("👍"), Some(bo.id))
    );
    // A DM request.
    let (status, t) =
        call(&hub, "POST", "/api/dms", Some(&cy.session), Some(json!({"user_id": ann.id}))).await;
    assert_eq!(status, 201);
    let req = u.next_of("dm_request").await;
    assert_eq!((req["thread_id"].as_i64(), req["from_user"].as_i64()), (t["id"].as_i64(), Some(cy.id)));
    // Ann accepts while her socket is open: Cy's messages in that thread reach it from then on.
    let cy_thread = t["id"].as_i64().unwrap();
    let (status, _) =
        call(&hub, "POST", &format!("/api/dms/{cy_thread}/accept"), Some(&ann.session), None).await;
    assert_eq!(status, 200);
    let mut c = open(&ws(&hub, &format!("/ws/dms/{cy_thread}"), &cy.session)).await;
    c.next_of("thread_info").await;
    c.send(json!({"type": "message", "text": "hi Ann"})).await;
    let m = u.next_of("dm_message").await;
    assert_eq!(
        (m["thread_id"].as_i64(), m["from_user"].as_i64(), m["text"].as_str()),
        (Some(cy_thread), Some(cy.id), Some("hi Ann"))
    );

    u.send(json!({"type": "message", "text": "not here"})).await;
    assert_eq!(u.next_of("error").await["code"], "unknown_type");
}

#[tokio::test]
async fn the_place_chat_admits_recent_check_ins_only() {
    let mut hub = TestHub::start(&[]);
    let host = join_host(&hub, "Host").await;
    let (status, place) =
        call(&hub, "POST", "/api/admin/places", Some(&host.secret), Some(json!({"name": "Table 1"}))).await;
    assert_eq!(status, 201);
    let id = place["id"].as_i64().unwrap();
    let key = place["url"].as_str().unwrap().split_once("?key=").unwrap().1.to_owned();
    let (ann, bo) = (join(&hub.url, "Ann").await, join(&hub.url, "Bo").await);
    let path = format!("/ws/places/{id}/chat");

    // No check-in: 4403; no place: 4403; no token: 4401.
    assert_eq!(refused(&ws(&hub, &path, &ann.session)).await, Some(4403));
    assert_eq!(refused(&ws(&hub, "/ws/places/999/chat", &ann.session)).await, Some(4403));
    assert_eq!(refused(&ws_bare(&hub, &path)).await, Some(4401));

    for guest in [&ann, &bo] {
        let (status, _) = call(
            &hub,
            "POST",
            &format!("/api/places/{id}/check-in"),
            Some(&guest.session),
            Some(json!({"key": key})),
        )
        .await;
        assert_eq!(status, 200);
    }
    let mut a = open(&ws(&hub, &path, &ws_token(&hub.url, &ann.session).await)).await;
    assert_eq!(
        a.next().await,
        json!({"type": "connection_established", "place_id": id, "user_id": ann.id, "window_hours": 12})
    );
    let mut b = open(&ws(&hub, &path, &bo.session)).await;
    assert_eq!(b.next().await["type"], "connection_established");

    a.send(json!({"type": "ping"})).await;
    assert_iso(&a.next_of("pong").await["timestamp"]);
    a.send(json!({"type": "typing", "typing": true})).await;
    let t = b.next_of("typing").await;
    assert_eq!((t["user_id"].as_i64(), t["typing"].as_bool()), (Some(ann.id), Some(true)));
    // Bo also has the Hubbub web client open: the same chat reaches it in Hubbub's shape.
    let bo_session =
        Session { user: UserInfo { id: bo.id, display_name: "Bo".into() }, secret: bo.session.clone() };
    let mut bo_hubbub = hub.client().connect(&bo_session).await.unwrap();
    let place_channel = format!("room:_place-{id}");
    bo_hubbub
        .recv_until(
            WAIT,
            |f| matches!(f, ServerFrame::Subscribed { channel, .. } if *channel == place_channel),
        )
        .await
        .expect("the place's chat on Bo's main socket");
    a.send(json!({"type": "message", "text": "Anyone around?"})).await;
    let got = bo_hubbub.recv_until(WAIT, |f| matches!(f, ServerFrame::Message(_))).await.unwrap();
    let ServerFrame::Message(m) = got else { unreachable!() };
    assert_eq!(
        (m.body.as_str(), m.channel.as_str(), m.sender_id),
        ("Anyone around?", place_channel.as_str(), ann.id)
    );
    for socket in [&mut a, &mut b] {
        let m = socket.next_of("message").await;
        assert_eq!(
            (
                m["message"]["text"].as_str(),
                m["message"]["sender_id"].as_i64(),
                m["message"]["place_id"].as_i64()
            ),
            (Some("Anyone around?"), Some(ann.id), Some(id))
        );
        assert_eq!(m["message"]["sender_info"]["name"], "Ann");
    }
    a.send(json!({"type": "mark_read"})).await;
    assert_eq!(a.next_of("error").await["code"], "unknown_type");
    a.close().await;
    b.close().await;

    // Ann's check-in is older than the window after a restart; Bo's is not.
    assert!(hub.terminate());
    let db = rusqlite::Connection::open(hub.data_dir.join("hubbub.db")).unwrap();
    db.execute("UPDATE check_ins SET at = at - 13 * 3600000 WHERE user_id = ?1", [ann.id]).unwrap();
    drop(db);
    hub.restart();
    assert_eq!(refused(&ws(&hub, &path, &ann.session)).await, Some(4403), "check-in too old");
    let mut b = open(&ws(&hub, &path, &bo.session)).await;
    assert_eq!(b.next().await["type"], "connection_established");
    // Deleting the place closes its chat.
    let (status, _) =
        call(&hub, "DELETE", &format!("/api/admin/places/{id}"), Some(&host.secret), None).await;
    assert_eq!(status, 204);
    assert_eq!(b.close_code().await, Some(4403));
}
