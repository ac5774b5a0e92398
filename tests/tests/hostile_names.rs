//! Hostile guests and names, the PIN and joining: taking someone's name (by case, by look-alike, with
//! invisible characters), guessing the PIN from many addresses, and a join flood from one address.
//! Each attack is refused as documented while a bystander in the Lobby keeps getting every message.
//!
//! Clients bind to distinct loopback addresses (127.0.0.0/8 is all local on Linux), so the hub sees
//! them as distinct guests on the LAN.

use std::net::{IpAddr, Ipv4Addr};

use hubbub_protocol::{ClientFrame, ServerFrame};
use hubbub_tests::{Connection, Session, TestHub, WAIT, connect_ready};
use serde_json::{Value, json};

/// `POST /api/join` from the loopback address `127.0.0.{host}`, with an optional session; the status
/// and the JSON body.
async fn join_from(hub: &TestHub, host: u8, body: Value, session: Option<&str>) -> (u16, Value) {
    let client = reqwest::Client::builder()
        .local_address(IpAddr::V4(Ipv4Addr::new(127, 0, 0, host)))
        .build()
        .expect("http client");
    let mut req = client.post(format!("{}/api/join", hub.url)).json(&body);
    if let Some(secret) = session {
        req = req.bearer_auth(secret);
    }
    let resp = req.send().await.expect("join request");
    let status = resp.status().as_u16();
    (status, resp.json().await.expect("a JSON body"))
}

/// Joins as `name` from `127.0.0.{host}` and opens a socket.
async fn guest(hub: &TestHub, host: u8, name: &str, pin: Option<&str>) -> (Session, Connection) {
    let (status, body) = join_from(hub, host, json!({"display_name": name, "pin": pin}), None).await;
    assert_eq!(status, 201, "{name} joins: {body}");
    let session: Session = Session {
        user: serde_json::from_value(body["user"].clone()).expect("user"),
        secret: body["session"].as_str().expect("session").to_owned(),
    };
    let conn = connect_ready(&hub.client(), &session).await;
    (session, conn)
}

/// The sender posts `count` Lobby messages tagged `tag`, then an end marker; the bystander must get
/// each exactly once, in order, on a socket that is still open.
async fn bystander_hears(sender: &mut Connection, bystander: &mut Connection, tag: &str, count: usize) {
    let bodies: Vec<String> =
        (0..count).map(|i| format!("{tag} {i}")).chain([format!("{tag} end")]).collect();
    for (i, body) in bodies.iter().enumerate() {
        let frame = ClientFrame::SendMessage {
            r#ref: Some(format!("{tag}-{i}")),
            channel: "room:lobby".into(),
            client_message_id: format!("{tag}-{i}"),
            body: body.clone(),
            attachments: None,
            reply_to: None,
        };
        sender.send(&frame).await.expect("the sender's socket is open");
    }
    let end = format!("{tag} end");
    let mut got = Vec::new();
    while got.last() != Some(&end) {
        match bystander.next_frame(WAIT).await.expect("the bystander is still connected and hears the chat") {
            ServerFrame::Message(m) if m.body.starts_with(&format!("{tag} ")) => got.push(m.body),
            _ => {}
        }
    }
    assert_eq!(got, bodies, "every message reaches the bystander exactly once");
}

fn code(body: &Value) -> &str {
    body["code"].as_str().unwrap_or("")
}

#[tokio::test]
async fn a_name_in_use_cannot_be_taken_or_renamed_into_and_invisible_characters_are_refused() {
    let hub = TestHub::start_process(&[]);
    let (_alice, _alice_conn) = guest(&hub, 1, "Alice", None).await;
    let (_bea, mut bystander) = guest(&hub, 2, "Bea", None).await;
    let (cy, mut sender) = guest(&hub, 3, "Cy", None).await;
    bystander_hears(&mut sender, &mut bystander, "before", 3).await;

    // Alice's name by case and by look: Cyrillic А, capital I for l, fullwidth letters.
    for taken in ["Alice", "alice", "ALICE", "\u{410}lice", "AIice", "Ａｌｉｃｅ", "  alice  "] {
        let (status, body) = join_from(&hub, 9, json!({"display_name": taken}), None).await;
        assert_eq!((status, code(&body)), (409, "name_taken"), "{taken:?}: {body}");
        assert!(body["message"].as_str().unwrap().contains(taken.trim()), "names what was asked: {body}");
    }
    // Renaming into it (a returning guest with a new name) is refused too; Cy keeps "Cy".
    for taken in ["alice", "AIice"] {
        let (status, body) = join_from(&hub, 3, json!({"display_name": taken}), Some(&cy.secret)).await;
        assert_eq!((status, code(&body)), (409, "name_taken"), "rename to {taken:?}: {body}");
    }
    let (status, body) = join_from(&hub, 3, json!({"display_name": "Cy"}), Some(&cy.secret)).await;
    assert_eq!((status, body["user"]["display_name"].as_str()), (200, Some("Cy")));
    // ...while changing the case of one's own name is fine.
    let (status, body) = join_from(&hub, 3, json!({"display_name": "CY"}), Some(&cy.secret)).await;
    assert_eq!((status, body["user"]["display_name"].as_str()), (200, Some("CY")), "{body}");

    bystander_hears(&mut sender, &mut bystander, "during", 3).await;

    // Every invisible or formatting character, wherever it hides in the name.
    for c in [
        '\u{2060}',
        '\u{ad}',
        '\u{61c}',
        '\u{180e}',
        '\u{2062}',
        '\u{e0041}',
        '\u{e0001}',
        '\u{e007f}',
        '\u{200b}',
        '\u{200d}',
        '\u{202e}',
        '\u{feff}',
        '\u{3164}',
        '\u{fe0f}',
        '\u{115f}',
        '\u{34f}',
        '\u{e000}',
        '\u{50000}',
    ] {
        for name in [format!("A{c}lice"), format!("Zed{c}"), format!("{c}Zed")] {
            let (status, body) = join_from(&hub, 9, json!({"display_name": name}), None).await;
            assert_eq!(
                (status, code(&body)),
                (400, "invalid_display_name"),
                "U+{:04X} in {name:?}: {body}",
                u32::from(c)
            );
        }
    }
    // A rename into an invisible trick is refused the same way.
    let (status, body) = join_from(&hub, 3, json!({"display_name": "Cy\u{2060}"}), Some(&cy.secret)).await;
    assert_eq!((status, code(&body)), (400, "invalid_display_name"), "{body}");
    // Ordinary emoji, joined ones too, and letters of other scripts still pass.
    for ok in ["Dee 👩‍💻", "❤️ Eve", "Дмитрий", "王小明"] {
        let (status, body) = join_from(&hub, 9, json!({"display_name": ok}), None).await;
        assert_eq!(status, 201, "{ok:?}: {body}");
    }

    bystander_hears(&mut sender, &mut bystander, "after", 3).await;
}

#[tokio::test]
async fn wrong_pins_from_many_addresses_pause_pins_hub_wide() {
    let hub = TestHub::start_process(&["--pin", "4321"]);
    let (_bea, mut bystander) = guest(&hub, 2, "Bea", Some("4321")).await;
    let (cy, mut sender) = guest(&hub, 3, "Cy", Some("4321")).await;
    bystander_hears(&mut sender, &mut bystander, "before", 3).await;

    // 20 addresses, 2 guesses each: under the per-address limit (10 a minute), over the hub's (30).
    let mut evaluated = 0;
    let mut refused = Vec::new();
    for round in 0..2 {
        for host in 10..30u8 {
            let guess = format!("{:04}", u16::from(host) * 2 + round);
            let (status, body) = join_from(
                &hub,
                host,
                json!({"display_name": format!("guesser {host} {round}"), "pin": guess}),
                None,
            )
            .await;
            match code(&body) {
                "wrong_pin" => evaluated += 1,
                "rate_limited" => {
                    assert_eq!(status, 429);
                    refused.push(body["retry_after_ms"].as_u64().expect("retry_after_ms"));
                }
                other => panic!("unexpected answer {status} {other}: {body}"),
            }
        }
    }
    assert_eq!(evaluated, 30, "the hub evaluates 30 wrong PINs in a minute, whatever the addresses");
    assert_eq!(refused.len(), 10);
    assert!(refused.iter().all(|&ms| ms > 0 && ms <= 60_000), "{refused:?}");
    bystander_hears(&mut sender, &mut bystander, "during", 3).await;

    // The pause is for every PIN, the right one too, from an address that never guessed.
    let (status, body) = join_from(&hub, 50, json!({"display_name": "Dee", "pin": "4321"}), None).await;
    assert_eq!((status, code(&body)), (429, "rate_limited"), "{body}");
    assert!(body["retry_after_ms"].as_u64().is_some_and(|ms| ms > 0), "{body}");
    // A guest who already joined needs no PIN and is not paused.
    let (status, body) = join_from(&hub, 3, json!({"display_name": "Cy"}), Some(&cy.secret)).await;
    assert_eq!(status, 200, "{body}");

    bystander_hears(&mut sender, &mut bystander, "after", 3).await;
}

#[tokio::test]
async fn one_address_cannot_flood_the_hub_with_users() {
    let hub = TestHub::start_process(&[]);
    let (_bea, mut bystander) = guest(&hub, 2, "Bea", None).await;
    let (_cy, mut sender) = guest(&hub, 3, "Cy", None).await;
    bystander_hears(&mut sender, &mut bystander, "before", 3).await;

    // As fast as one address can: 30 new users a minute (the default), then `rate_limited`.
    let mut created = Vec::new();
    let mut refused = 0;
    for i in 0..60 {
        let (status, body) = join_from(&hub, 7, json!({"display_name": format!("flood {i}")}), None).await;
        match status {
            201 => created.push(body["session"].as_str().unwrap().to_owned()),
            429 => {
                assert_eq!(code(&body), "rate_limited");
                assert!(body["retry_after_ms"].as_u64().is_some_and(|ms| ms > 0 && ms <= 60_000), "{body}");
                refused += 1;
            }
            _ => panic!("unexpected answer {status}: {body}"),
        }
    }
    assert_eq!((created.len(), refused), (30, 30));
    bystander_hears(&mut sender, &mut bystander, "during", 3).await;

    // A guest from another address still joins, and a flooder returning with a session is not a new user.
    let (status, body) = join_from(&hub, 8, json!({"display_name": "Dee"}), None).await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = join_from(&hub, 7, json!({"display_name": "flood 0"}), Some(&created[0])).await;
    assert_eq!(status, 200, "{body}");

    bystander_hears(&mut sender, &mut bystander, "after", 3).await;
}

#[tokio::test]
async fn a_join_flood_from_many_addresses_meets_the_hub_wide_budget() {
    // A small hub-wide budget so a few addresses reach it: each address stays under its own.
    let hub = TestHub::start_process(&["--join-rate-hub", "12"]);
    let (_bea, mut bystander) = guest(&hub, 2, "Bea", None).await;
    let (cy, mut sender) = guest(&hub, 3, "Cy", None).await;
    let mut answers = Vec::new();
    for i in 0..20u8 {
        let (status, body) =
            join_from(&hub, 100 + i, json!({"display_name": format!("spoof {i}")}), None).await;
        if status == 429 {
            assert_eq!(code(&body), "rate_limited");
            assert!(body["retry_after_ms"].as_u64().is_some_and(|ms| ms > 0 && ms <= 60_000), "{body}");
        }
        answers.push(status);
    }
    assert_eq!(
        answers.iter().filter(|&&s| s == 201).count(),
        10,
        "12 a minute, Bea and Cy included: {answers:?}"
    );
    assert!(answers[10..].iter().all(|&s| s == 429), "{answers:?}");
    // Returning guests are not new users.
    let (status, body) = join_from(&hub, 3, json!({"display_name": "Cy"}), Some(&cy.secret)).await;
    assert_eq!(status, 200, "{body}");
    bystander_hears(&mut sender, &mut bystander, "after", 3).await;
}

#[tokio::test]
async fn a_rename_flood_is_refused_after_the_budget_and_the_lists_keep_the_last_name() {
    let hub = TestHub::start_process(&["--rename-rate", "5"]);
    let (_bea, mut bystander) = guest(&hub, 2, "Bea", None).await;
    let (cy, mut sender) = guest(&hub, 3, "Cy", None).await;

    // Five renames a minute go through; each is a change every online list hears about.
    for i in 1..=5 {
        let name = format!("Cy {i}");
        let (status, body) = join_from(&hub, 3, json!({"display_name": name}), Some(&cy.secret)).await;
        assert_eq!((status, body["user"]["display_name"].as_str()), (200, Some(name.as_str())), "{body}");
    }
    // The sixth is refused, with when to try again, and the name stays the fifth.
    let (status, body) = join_from(&hub, 3, json!({"display_name": "Cy 6"}), Some(&cy.secret)).await;
    assert_eq!((status, code(&body)), (429, "rate_limited"), "{body}");
    assert!(body["retry_after_ms"].as_u64().is_some_and(|ms| ms > 0 && ms <= 60_000), "{body}");
    // Coming back under the same name is not a rename, and is not refused.
    let (status, body) = join_from(&hub, 3, json!({"display_name": "Cy 5"}), Some(&cy.secret)).await;
    assert_eq!((status, body["user"]["display_name"].as_str()), (200, Some("Cy 5")), "{body}");

    let online: Value = reqwest::Client::new()
        .get(format!("{}/api/users/online?q=cy", hub.url))
        .bearer_auth(&cy.secret)
        .send()
        .await
        .expect("online list")
        .json()
        .await
        .expect("JSON");
    let names: Vec<&str> = online["users"]
        .as_array()
        .expect("users")
        .iter()
        .filter_map(|u| u["display_name"].as_str())
        .collect();
    assert_eq!(names, ["Cy 5"], "{online}");
    bystander_hears(&mut sender, &mut bystander, "after renames", 3).await;
}
