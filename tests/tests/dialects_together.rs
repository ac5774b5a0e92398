//! Several dialects in one room at once: a message sent by a Campfire client reaches a go-falcon
//! client and a Hubbub client (the `hubbub-client` crate) in the same room, each in its own shape;
//! and a message from the Hubbub client reaches the other two the same way. And all five documents'
//! clients with a Hubbub client at once: one room, one presence list, one party.

use std::time::Duration;

use hubbub_protocol::{ClientFrame, ServerFrame};
use hubbub_tests::raw::{connect, join, ws_token};
use hubbub_tests::{TestHub, call, join_host};
use serde_json::json;

const WAIT: Duration = Duration::from_secs(10);

/// The next `message` on a Hubbub connection whose body is `body`.
async fn hubbub_message(conn: &mut hubbub_client::Connection, body: &str) -> hubbub_protocol::ChatMessage {
    loop {
        if let ServerFrame::Message(m) = conn.next_frame(WAIT).await.expect("a frame")
            && m.body == body
        {
            return m;
        }
    }
}

#[tokio::test]
async fn one_message_reaches_campfire_go_falcon_and_hubbub_clients_each_in_its_own_shape() {
    let hub = TestHub::start(&[]);
    let (camper, camper_session) = join(&hub.url, "Camper").await;
    let (_, falcon_session) = join(&hub.url, "Falconer").await;
    let client = hub.client();
    let hubbub_user = client.join("Hubber", None).await.unwrap();
    let mut hubbub = client.connect(&hubbub_user).await.unwrap();
    let mut campfire = connect(&hub.url, &format!("/ws?token={camper_session}"), &[]).await.open();
    campfire.send(json!({"type": "JoinRoom", "room_id": "lobby"})).await;
    campfire.next_of("PresenceUpdate").await;
    let auth = format!("Bearer {falcon_session}");
    let mut falcon = connect(&hub.url, "/websocket/connect", &[("Authorization", &auth)]).await.open();
    falcon.next_where("the lobby", |f| f["type"] == "room_joined" && f["room"] == "group:lobby").await;

    campfire
        .send(json!({"type": "CreateMessage", "room_id": "lobby", "content": "from the campfire",
                     "client_message_id": "cf-1"}))
        .await;
    let cf = campfire.next_of("NewMessage").await;
    assert_eq!(cf["message"]["creator_id"], camper.to_string());
    let fa = falcon.next_where("the message", |f| f["type"] == "message").await;
    assert_eq!(fa["room"], "group:lobby");
    assert_eq!(fa["from"], camper.to_string());
    assert_eq!(fa["data"]["text"], "from the campfire");
    assert_eq!(fa["data"]["sender"], "Camper");
    let hm = hubbub_message(&mut hubbub, "from the campfire").await;
    assert_eq!(hm.channel, "room:lobby");
    assert_eq!(hm.sender_id, camper);
    assert_eq!(hm.client_message_id, "cf-1");
    // The same message everywhere: one id.
    assert_eq!(cf["message"]["id"], hm.id.to_string());
    assert_eq!(fa["id"], hm.id.to_string());

    // And back: the Hubbub client's message reaches the other two.
    let send = ClientFrame::SendMessage {
        r#ref: Some("h1".into()),
        channel: "room:lobby".into(),
        client_message_id: "h-1".into(),
        body: "from hubbub".into(),
        attachments: None,
        reply_to: None,
    };
    hubbub.send(&send).await.unwrap();
    let cf = campfire.next_of("NewMessage").await;
    assert_eq!(cf["message"]["content"], "from hubbub");
    assert_eq!(cf["message"]["creator_id"], hubbub_user.user.id.to_string());
    let fa = falcon.next_where("the Hubbub message", |f| f["type"] == "message").await;
    assert_eq!(fa["data"]["text"], "from hubbub");
    assert_eq!(fa["from"], hubbub_user.user.id.to_string());
}

/// The five documents' clients and Hubbub's own, at once, over one hub: one room (a place's chat:
/// Circles' place socket, Campfire's `JoinRoom`, go-falcon's automatic group and the Hubbub client's
/// channel), one presence list (Quipflip's `online_users_update` lists everyone whose socket counts
/// as online, whatever it speaks, the same users as Hubbub's presence), and one party (a Quipflip
/// player and a Hubbub player seated side by side), while QuizMaster's endpoint streams a
/// simulation to a user of the same hub.
#[tokio::test]
async fn five_dialects_and_a_hubbub_client_share_a_room_a_presence_list_and_a_party() {
    let hub = TestHub::start(&[]);
    let host = join_host(&hub, "Host").await;
    let (status, place) =
        call(&hub, "POST", "/api/admin/places", Some(&host.secret), Some(json!({"name": "Bar"}))).await;
    assert_eq!(status, 201, "{place}");
    let place_id = place["id"].as_i64().unwrap();
    let key = place["url"].as_str().unwrap().split_once("?key=").unwrap().1.to_owned();
    let channel = place["channel"].as_str().unwrap().to_owned();
    let slug = channel.strip_prefix("room:").unwrap().to_owned();

    let (_, camper_session) = join(&hub.url, "Camper").await;
    let (falconer, falcon_session) = join(&hub.url, "Falconer").await;
    let (circler, circles_session) = join(&hub.url, "Circler").await;
    let (quipper, quip_session) = join(&hub.url, "Quipper").await;
    let (_, quiz_session) = join(&hub.url, "Quizzer").await;
    let client = hub.client();
    let hubber = client.join("Hubber", None).await.unwrap();
    for session in [&camper_session, &falcon_session, &circles_session, &hubber.secret] {
        let (status, body) = call(
            &hub,
            "POST",
            &format!("/api/places/{place_id}/check-in"),
            Some(session),
            Some(json!({"key": key})),
        )
        .await;
        assert_eq!(status, 200, "{body}");
    }

    // Everyone in the room, each the way its document says.
    let mut hubbub = client.connect(&hubber).await.unwrap();
    hubbub
        .recv_until(WAIT, |f| matches!(f, ServerFrame::Subscribed { channel: c, .. } if *c == channel))
        .await
        .unwrap();
    let mut campfire = connect(&hub.url, &format!("/ws?token={camper_session}"), &[]).await.open();
    campfire.send(json!({"type": "JoinRoom", "room_id": slug})).await;
    campfire.next_of("PresenceUpdate").await;
    let auth = format!("Bearer {falcon_session}");
    let mut falcon = connect(&hub.url, "/websocket/connect", &[("Authorization", &auth)]).await.open();
    let group = format!("group:{slug}");
    falcon.next_where("the place's group", |f| f["type"] == "room_joined" && f["room"] == group).await;
    let circles_token = ws_token(&hub.url, &circles_session).await;
    let mut circles =
        connect(&hub.url, &format!("/ws/places/{place_id}/chat?token={circles_token}"), &[]).await.open();
    assert_eq!(circles.next_of("connection_established").await["place_id"], place_id);

    // A message from the Circles client reaches the other three in their own shapes, with one id.
    circles.send(json!({"type": "message", "text": "anyone at the bar?"})).await;
    let ci = circles.next_of("message").await;
    assert_eq!(ci["message"]["sender_id"], circler);
    let cf = campfire.next_of("NewMessage").await;
    assert_eq!(cf["message"]["content"], "anyone at the bar?");
    assert_eq!(cf["message"]["room_id"], slug);
    assert_eq!(cf["message"]["creator_id"], circler.to_string());
    let fa = falcon.next_where("the message", |f| f["type"] == "message").await;
    assert_eq!(
        (fa["room"].as_str(), fa["data"]["text"].as_str()),
        (Some(group.as_str()), Some("anyone at the bar?"))
    );
    let hm = hubbub_message(&mut hubbub, "anyone at the bar?").await;
    assert_eq!((hm.channel.as_str(), hm.sender_id), (channel.as_str(), circler));
    assert_eq!(ci["message"]["id"].as_i64(), Some(hm.id));
    assert_eq!(cf["message"]["id"], hm.id.to_string());

    // And one from go-falcon reaches Circles, Campfire and Hubbub.
    falcon.send(json!({"type": "message", "room": group, "data": {"text": "two at the window"}})).await;
    let ci = circles.next_of("message").await;
    assert_eq!(
        (ci["message"]["text"].as_str(), ci["message"]["sender_id"].as_i64()),
        (Some("two at the window"), Some(falconer))
    );
    assert_eq!(campfire.next_of("NewMessage").await["message"]["creator_id"], falconer.to_string());
    assert_eq!(hubbub_message(&mut hubbub, "two at the window").await.sender_id, falconer);

    // One presence list: Quipflip's online users are Hubbub's, whatever each one's socket speaks.
    let online_token = quip_token(&hub, &quip_session).await;
    let mut online =
        connect(&hub.url, &format!("/qf/users/online/ws?token={online_token}"), &[]).await.open();
    let wanted = ["Camper", "Falconer", "Hubber", "Quipper"];
    let listed = loop {
        let update = online.next_of("online_users_update").await;
        let mut names: Vec<String> = update["users"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["username"].as_str().unwrap().to_owned())
            .collect();
        names.sort();
        if wanted.iter().all(|w| names.iter().any(|n| n == w)) {
            break names;
        }
    };
    let (status, hubbub_online) = call(&hub, "GET", "/api/users/online", Some(&hubber.secret), None).await;
    assert_eq!(status, 200, "{hubbub_online}");
    let mut hubbub_names: Vec<String> = hubbub_online["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["display_name"].as_str().unwrap().to_owned())
        .collect();
    hubbub_names.sort();
    assert_eq!(listed, hubbub_names, "one presence list, in two shapes");

    // One party: a Hubbub player and a Quipflip player seated in it together.
    let (status, party) = call(&hub, "POST", "/api/parties", Some(&host.secret), Some(json!({}))).await;
    assert_eq!(status, 201, "{party}");
    let code = party["code"].as_str().unwrap().to_owned();
    let seat = ClientFrame::PartyJoin {
        r#ref: Some("seat".into()),
        code: code.clone(),
        audience: None,
        remote: None,
    };
    hubbub.send(&seat).await.unwrap();
    hubbub
        .recv_until(WAIT, |f| matches!(f, ServerFrame::Ack { r#ref, .. } if r#ref == "seat"))
        .await
        .unwrap();
    let party_token = quip_token(&hub, &quip_session).await;
    let mut quip_party =
        connect(&hub.url, &format!("/qf/party/{code}/ws?context=game&token={party_token}"), &[]).await.open();
    let state = quip_party.next_of("session_update").await;
    assert!(names_user(&state, hubber.user.id), "the Quipflip player sees the Hubbub player seated: {state}");
    hubbub
        .recv_until(
            WAIT,
            |f| matches!(f, ServerFrame::PlayerJoined { player: Some(p), .. } if p.user_id == quipper),
        )
        .await
        .unwrap();

    // QuizMaster's endpoint, beside all of them: a user of the same hub runs a simulation.
    let quiz_token = ws_token(&hub.url, &quiz_session).await;
    let mut quiz = connect(&hub.url, &format!("/ws/endpoint?token={quiz_token}"), &[]).await.open();
    assert_eq!(quiz.next().await["type"], "connection_status");
    quiz.send(json!({"type": "simulate", "data": {"steps": 2, "delay_ms": 10}})).await;
    assert_eq!(quiz.next_of("complete").await["data"]["steps"], 2);
}

/// A Quipflip token, from the document's own route.
async fn quip_token(hub: &TestHub, session: &str) -> String {
    let (status, body) = call(hub, "GET", "/qf/auth/ws-token", Some(session), None).await;
    assert_eq!(status, 200, "{body}");
    body["token"].as_str().unwrap().to_owned()
}

/// Whether `v` holds, at any depth, an object whose `user_id` is `id`.
fn names_user(v: &serde_json::Value, id: i64) -> bool {
    match v {
        serde_json::Value::Object(map) => {
            map.get("user_id").and_then(serde_json::Value::as_i64) == Some(id)
                || map.values().any(|x| names_user(x, id))
        }
        serde_json::Value::Array(items) => items.iter().any(|x| names_user(x, id)),
        _ => false,
    }
}
