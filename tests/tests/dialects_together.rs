//! Several dialects in one room at once: a message sent by a Campfire client reaches a go-falcon
//! client and a Hubbub client (the `hubbub-client` crate) in the same room, each in its own shape;
//! and a message from the Hubbub client reaches the other two the same way.

use std::time::Duration;

use hubbub_protocol::{ClientFrame, ServerFrame};
use hubbub_tests::TestHub;
use hubbub_tests::raw::{connect, join};
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
