//! QuizMaster's WebSocket API (seed 003), written from its document alone: `/ws/endpoint?token=`,
//! the `connection_status` greeting, the `{type, message?, data?}` envelope, `error` for what cannot
//! be handled, and the DevTools simulation's `update` and `complete` with timing; plus Hubbub's
//! join step.

use hubbub_tests::TestHub;
use hubbub_tests::raw::{Raw, connect, ws_token};
use serde_json::{Value, json};

fn endpoint(hub: &TestHub, token: Option<&str>) -> String {
    let base = format!("{}/ws/endpoint", hub.url.replacen("http", "ws", 1));
    token.map_or(base.clone(), |t| format!("{base}?token={t}"))
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

async fn error_code(ws: &mut Raw) -> Value {
    let e = ws.next_of("error").await;
    assert!(e["message"].as_str().is_some_and(|m| !m.is_empty()), "{e}");
    e["data"]["code"].clone()
}

#[tokio::test]
async fn the_endpoint_greets_and_streams_a_simulation() {
    let hub = TestHub::start(&[]);
    let ann = join(&hub.url, "Ann").await;

    // The greeting, with the token from Hubbub's token route or the session token itself.
    let jwt = ws_token(&hub.url, &ann.session).await;
    for token in [jwt.as_str(), ann.session.as_str()] {
        let mut ws = open(&endpoint(&hub, Some(token))).await;
        let hello = ws.next().await;
        assert_eq!(
            (hello["type"].as_str(), hello["message"].as_str()),
            (Some("connection_status"), Some("Connected successfully"))
        );
        assert_eq!(hello["data"]["user_id"].as_i64(), Some(ann.id));
        ws.close().await;
    }
    // No token, a bad one, or the document's development "mock user id": refused.
    for url in [
        endpoint(&hub, None),
        endpoint(&hub, Some("nope")),
        endpoint(&hub, Some("f9b5645d-898b-4d58-b10a-a6b50a9d234b")),
    ] {
        assert_eq!(open(&url).await.close_code().await, Some(4401), "{url}");
    }

    let mut ws = open(&endpoint(&hub, Some(&jwt))).await;
    assert_eq!(ws.next().await["type"], "connection_status");
    ws.send(json!({"type": "simulate", "data": {"steps": 3, "delay_ms": 20}})).await;
    let mut last_elapsed = 0;
    for step in 1..=3u64 {
        let u = ws.next().await;
        assert_eq!(u["type"], "update", "{u}");
        assert!(u["message"].as_str().is_some());
        let d = &u["data"];
        assert_eq!(
            (d["id"].as_u64(), d["step"].as_u64(), d["total"].as_u64()),
            (Some(1), Some(step), Some(3))
        );
        let progress = d["progress"].as_f64().unwrap();
        assert!((progress - step as f64 / 3.0).abs() < 1e-9, "{progress}");
        let elapsed = d["elapsed_ms"].as_u64().unwrap();
        assert!(elapsed >= last_elapsed);
        last_elapsed = elapsed;
    }
    let c = ws.next().await;
    assert_eq!(
        (c["type"].as_str(), c["data"]["steps"].as_u64(), c["data"]["total"].as_u64()),
        (Some("complete"), Some(3), Some(3))
    );
    assert_eq!(c["data"]["cancelled"], false);
    assert!(c["data"]["elapsed_ms"].as_u64().unwrap() >= last_elapsed);

    // Defaults apply when data is left out; `cancel` stops it with a `complete` saying so.
    ws.send(json!({"type": "simulate"})).await;
    let u = ws.next_of("update").await;
    assert_eq!((u["data"]["id"].as_u64(), u["data"]["total"].as_u64()), (Some(2), Some(5)));
    ws.send(json!({"type": "cancel"})).await;
    let c = ws.next_of("complete").await;
    assert_eq!((c["data"]["id"].as_u64(), c["data"]["cancelled"].as_bool()), (Some(2), Some(true)));
    assert!(c["data"]["steps"].as_u64().unwrap() < 5);
}

#[tokio::test]
async fn bad_input_is_answered_with_error_and_the_socket_stays_open() {
    let hub = TestHub::start(&[]);
    let ann = join(&hub.url, "Ann").await;
    let mut ws = open(&endpoint(&hub, Some(&ann.session))).await;
    assert_eq!(ws.next().await["type"], "connection_status");

    ws.send_text("{not json").await;
    assert_eq!(error_code(&mut ws).await, "invalid_json");
    ws.send(json!({"message": "no type"})).await;
    assert_eq!(error_code(&mut ws).await, "invalid_frame");
    ws.send(json!({"type": "launch"})).await;
    assert_eq!(error_code(&mut ws).await, "unknown_type");
    ws.send(json!({"type": "simulate", "data": {"steps": "many"}})).await;
    assert_eq!(error_code(&mut ws).await, "invalid_frame");
    for data in [json!({"steps": 0}), json!({"steps": 101}), json!({"delay_ms": 2001}), json!({"steps": -1})]
    {
        ws.send(json!({"type": "simulate", "data": data})).await;
        assert_eq!(error_code(&mut ws).await, "invalid_frame", "{data}");
    }

    // Two running at once per user; a third waits for one to end.
    for _ in 0..2 {
        ws.send(json!({"type": "simulate", "data": {"steps": 100, "delay_ms": 2000}})).await;
    }
    ws.send(json!({"type": "simulate", "data": {"steps": 1}})).await;
    assert_eq!(error_code(&mut ws).await, "limit_reached");
    ws.send(json!({"type": "cancel"})).await;
    for _ in 0..2 {
        assert_eq!(ws.next_of("complete").await["data"]["cancelled"], true);
    }

    // Ten starts in ten seconds per user; the eleventh says when to retry.
    for _ in 0..8 {
        ws.send(json!({"type": "simulate", "data": {"steps": 1, "delay_ms": 0}})).await;
        assert_eq!(ws.next_of("complete").await["data"]["cancelled"], false);
    }
    ws.send(json!({"type": "simulate", "data": {"steps": 1, "delay_ms": 0}})).await;
    let e = ws.next_of("error").await;
    assert_eq!(e["data"]["code"], "rate_limited");
    assert!(e["data"]["retry_after_ms"].as_u64().unwrap() > 0);
}
