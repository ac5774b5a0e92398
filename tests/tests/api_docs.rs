//! The API descriptions against the hub that serves them: every GET the OpenAPI document lists
//! answers as documented, and every socket the AsyncAPI document lists opens at its address.

use hubbub_protocol::{ServerFrame, close};
use hubbub_tests::{TestHub, WAIT, call, join_host};

#[tokio::test]
async fn every_documented_get_answers_as_the_document_says() {
    let hub = TestHub::start(&[]);
    let host = join_host(&hub, "Host").await;
    let (status, doc) = call(&hub, "GET", "/api/openapi.json", None, None).await;
    assert_eq!(status, 200);
    assert_eq!(doc["openapi"], "3.1.0");
    let mut checked = 0;
    for (path, ops) in doc["paths"].as_object().unwrap() {
        let Some(op) = ops.get("get") else { continue };
        if path.contains('{') {
            continue; // needs an existing thing; the fuzzer covers these
        }
        let query = if path == "/api/search" { "?q=hello" } else { "" };
        let (status, body) = call(&hub, "GET", &format!("{path}{query}"), Some(&host.secret), None).await;
        let documented = op["responses"].as_object().unwrap();
        assert!(documented.contains_key(&status.to_string()), "GET {path} answered {status}, not documented");
        assert!((200..300).contains(&status), "GET {path} as a host answered {status}: {body}");
        // A JSON answer's top-level fields are the ones its schema names.
        let schema = &documented[&status.to_string()]["content"]["application/json"]["schema"];
        if let Some(name) = schema["$ref"].as_str().and_then(|r| r.strip_prefix("#/components/schemas/")) {
            let properties = doc["components"]["schemas"][name]["properties"].as_object().unwrap();
            for field in body.as_object().unwrap().keys() {
                assert!(properties.contains_key(field), "GET {path}: `{field}` is not in schema {name}");
            }
        }
        checked += 1;
    }
    assert!(checked >= 12, "only {checked} GET routes checked");

    // Without a session, a route that needs one says so in the documented shape.
    let (status, body) = call(&hub, "GET", "/api/rooms", None, None).await;
    assert_eq!(status, 401);
    assert_eq!(body["code"], "unauthenticated");
    // A body that is JSON but not an object is refused rather than read as the fields in order.
    let (status, body) =
        call(&hub, "POST", "/api/notifications/read", Some(&host.secret), Some(serde_json::json!([[1]])))
            .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["code"], "invalid_json");
}

#[tokio::test]
async fn every_documented_socket_opens_at_its_address() {
    let hub = TestHub::start(&[]);
    let client = hub.client();
    let guest = client.join("Ann", None).await.unwrap();
    let (status, doc) = call(&hub, "GET", "/api/asyncapi.json", None, None).await;
    assert_eq!(status, 200);
    assert_eq!(doc["asyncapi"], "3.0.0");
    let channels = doc["channels"].as_object().unwrap();
    assert_eq!(channels.len(), hubbub_protocol::SOCKETS.len());
    // A dialect's sockets speak its own frames; each has its own suite (`dialect_*.rs`).
    for (name, channel) in channels.iter().filter(|(_, c)| c.get("x-dialect").is_none()) {
        let address = channel["address"].as_str().unwrap();
        // Parameters that exist open the socket; ones that do not get the documented close.
        let (path, missing) = match name.as_str() {
            "room" => (address.replace("{id}", "lobby"), false),
            "party" => (address.replace("{code}", "ZZZZZZ"), true),
            _ => (address.to_owned(), false),
        };
        assert!(!path.contains('{'), "{name}: a parameter this test does not know: {path}");
        let mut socket = client.connect_path(&guest, &path).await.unwrap();
        if missing {
            let (code, _) = socket.expect_close(WAIT).await.unwrap();
            assert_eq!(code, Some(close::NOT_FOUND), "{path}");
        } else {
            let frame = socket.next_frame(WAIT).await.unwrap_or_else(|e| panic!("{path}: {e}"));
            assert!(
                matches!(frame, ServerFrame::ConnectionEstablished { .. } | ServerFrame::Subscribed { .. }),
                "{path} opened with {frame:?}"
            );
        }
    }
}
