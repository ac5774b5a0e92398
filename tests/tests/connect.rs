//! What a connecting socket is told, with the hub's connect caches in between: a session the hub
//! remembers is still refused the moment it ends, a renamed user is shown by the new name, and the
//! Lobby's shared snapshot is the Lobby as it is now (after an edit, after a rename that changes no
//! offset).

use std::time::Duration;

use hubbub_client::Event;
use hubbub_client::tungstenite::client::IntoClientRequest;
use hubbub_protocol::{ChatMessage, ClientFrame, ServerFrame, close};
use hubbub_tests::{Connection, HubClient, Session, TestHub, call, connect_ready};
use serde_json::json;

const WAIT: Duration = Duration::from_secs(10);
const ADMIN: &str = "connect-test-admin-token";

/// Opens `/ws` with `Authorization: Bearer <secret>`.
async fn open_bearer(hub: &TestHub, secret: &str) -> Connection {
    let url = format!("{}/ws", hub.url.replacen("http", "ws", 1));
    let mut req = url.into_client_request().unwrap();
    req.headers_mut().insert("authorization", format!("Bearer {secret}").parse().unwrap());
    let (ws, _) = hubbub_client::connect_request(req).await.expect("upgrade");
    Connection::from_stream(ws)
}

/// The user a new bearer socket is greeted as, or the close code it is refused with.
async fn greeted_as(hub: &TestHub, secret: &str) -> Result<String, Option<u16>> {
    let mut conn = open_bearer(hub, secret).await;
    match conn.next_event(WAIT).await.expect("a frame or the close") {
        Event::Frame(ServerFrame::ConnectionEstablished { user, .. }) => Ok(user.display_name),
        Event::Frame(other) => panic!("not a greeting: {other:?}"),
        Event::Closed { code, .. } => Err(code),
    }
}

/// The Lobby's snapshot a new socket of `session` is sent.
async fn lobby_snapshot(client: &HubClient, session: &Session) -> Vec<ChatMessage> {
    let mut conn = client.connect(session).await.expect("connect");
    let frame = conn
        .recv_until(WAIT, |f| matches!(f, ServerFrame::Subscribed { channel, .. } if channel == "room:lobby"))
        .await
        .expect("the Lobby's subscription");
    match frame {
        ServerFrame::Subscribed { messages: Some(messages), .. } => messages,
        other => panic!("no snapshot: {other:?}"),
    }
}

async fn send(conn: &mut Connection, frame: ClientFrame, r#ref: &str) -> ServerFrame {
    conn.send(&frame).await.unwrap();
    conn.recv_until(WAIT, |f| match f {
        ServerFrame::Ack { r#ref: r, .. } => r == r#ref,
        ServerFrame::Error { r#ref: r, .. } => r.as_deref() == Some(r#ref),
        _ => false,
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn a_session_ended_or_renamed_right_after_a_connect_is_seen_by_the_next_connect() {
    let hub = TestHub::start(&["--admin-token", ADMIN]);
    let client = hub.client();
    let ann = client.join("Ann", None).await.unwrap();
    let bo = client.join("Bo", None).await.unwrap();
    let cy = client.join("Cy", None).await.unwrap();
    // Each session is used once (so the hub remembers it), by bearer and by token.
    assert_eq!(greeted_as(&hub, &ann.secret).await, Ok("Ann".into()));
    assert_eq!(greeted_as(&hub, &bo.secret).await, Ok("Bo".into()));
    let token = client.ws_token(&ann).await.unwrap();
    let mut by_token = Connection::open(&client.ws_url(&token)).await.unwrap();
    assert!(matches!(by_token.next_frame(WAIT).await.unwrap(), ServerFrame::ConnectionEstablished { .. }));

    // Ann logs out: her secret and the token minted before are refused at once.
    let (status, _) = call(&hub, "POST", "/api/logout", Some(&ann.secret), None).await;
    assert_eq!(status, 204);
    assert_eq!(greeted_as(&hub, &ann.secret).await, Err(Some(close::UNAUTHENTICATED)));
    let mut late = Connection::open(&client.ws_url(&token)).await.unwrap();
    assert_eq!(late.expect_close(WAIT).await.unwrap().0, Some(close::UNAUTHENTICATED));
    let (_, me) = call(&hub, "GET", "/api/session", Some(&ann.secret), None).await;
    assert_eq!(me, json!({"me": null}), "the REST API forgets her too");

    // Bo is renamed by staff: his next socket is greeted by the new name.
    let path = format!("/api/admin/users/{}/rename", bo.user.id);
    let (status, body) = call(&hub, "POST", &path, Some(ADMIN), Some(json!({"display_name": "Bob"}))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(greeted_as(&hub, &bo.secret).await, Ok("Bob".into()));

    // Staff end every guest session: Bo's (remembered) and Cy's (never used) are refused alike.
    assert_eq!(greeted_as(&hub, &cy.secret).await, Ok("Cy".into()));
    let (status, body) = call(&hub, "POST", "/api/admin/sessions/end", Some(ADMIN), None).await;
    assert!(status < 300, "{status} {body}");
    assert_eq!(greeted_as(&hub, &bo.secret).await, Err(Some(close::UNAUTHENTICATED)));
    assert_eq!(greeted_as(&hub, &cy.secret).await, Err(Some(close::UNAUTHENTICATED)));
}

#[tokio::test]
async fn each_new_subscriber_gets_the_lobby_as_it_is_now() {
    let hub = TestHub::start(&["--admin-token", ADMIN]);
    let client = hub.client();
    let ann = client.join("Ann", None).await.unwrap();
    let mut writer = connect_ready(&client, &ann).await;
    let mut ids = Vec::new();
    for i in 0..3 {
        let r = format!("m{i}");
        let frame = ClientFrame::SendMessage {
            r#ref: Some(r.clone()),
            channel: "room:lobby".into(),
            client_message_id: r.clone(),
            body: format!("hello {i}"),
            attachments: None,
            reply_to: None,
        };
        match send(&mut writer, frame, &r).await {
            ServerFrame::Ack { message_id: Some(id), .. } => ids.push(id),
            other => panic!("{other:?}"),
        }
    }
    let bodies = |m: &[ChatMessage]| m.iter().map(|m| m.body.clone()).collect::<Vec<_>>();
    let names = |m: &[ChatMessage]| m.iter().map(|m| m.sender_name.clone()).collect::<Vec<_>>();
    let mut watchers: Vec<Session> = Vec::new();
    for i in 0..4 {
        watchers.push(client.join(&format!("Watcher {i}"), None).await.unwrap());
    }
    // Two sockets in a row get the same snapshot (the second is the first's shared copy).
    assert_eq!(bodies(&lobby_snapshot(&client, &watchers[0]).await), ["hello 0", "hello 1", "hello 2"]);
    assert_eq!(bodies(&lobby_snapshot(&client, &watchers[1]).await), ["hello 0", "hello 1", "hello 2"]);

    // An edit is an event: the next subscriber sees the message as edited.
    let edit = ClientFrame::EditMessage {
        r#ref: Some("e".into()),
        channel: "room:lobby".into(),
        message_id: ids[1],
        body: "hello again".into(),
    };
    assert!(matches!(send(&mut writer, edit, "e").await, ServerFrame::Ack { .. }));
    let after_edit = lobby_snapshot(&client, &watchers[2]).await;
    assert_eq!(bodies(&after_edit), ["hello 0", "hello again", "hello 2"]);
    assert!(after_edit[1].edited_at.is_some());

    // A rename is no event of the Lobby (its offset stays), yet the next snapshot shows the name.
    let path = format!("/api/admin/users/{}/rename", ann.user.id);
    let (status, body) = call(&hub, "POST", &path, Some(ADMIN), Some(json!({"display_name": "Anna"}))).await;
    assert_eq!(status, 200, "{body}");
    let after_rename = lobby_snapshot(&client, &watchers[3]).await;
    assert_eq!(names(&after_rename), ["Anna", "Anna", "Anna"]);
    assert_eq!(bodies(&after_rename), ["hello 0", "hello again", "hello 2"]);
}
