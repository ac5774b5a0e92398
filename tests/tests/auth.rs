//! Joining, sessions, tokens and refused sockets, against the real hub binary.

use std::time::Duration;

use hubbub_client::tungstenite::client::IntoClientRequest;
use hubbub_protocol::{ErrorCode, ServerFrame, close};
use hubbub_tests::{ClientError, Connection, TestHub, WAIT, connect_ready};

fn api_code(e: ClientError) -> (u16, ErrorCode) {
    hubbub_tests::api_error::<()>(Err(e))
}

#[tokio::test]
async fn join_gives_a_session_that_works_by_bearer_and_by_cookie() {
    let hub = TestHub::start(&[]);
    let http = reqwest::Client::new();
    let resp = http
        .post(format!("{}/api/join", hub.url))
        .json(&serde_json::json!({"display_name": "  Ann  "}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let cookie = resp.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["user"]["display_name"], "Ann");
    let secret = body["session"].as_str().unwrap().to_owned();
    assert!(cookie.starts_with(&format!("hubbub_session={secret};")));

    // The cookie alone identifies the same user, and a returning browser joining again stays that user.
    let cookie_header = format!("hubbub_session={secret}");
    let me: serde_json::Value = http
        .get(format!("{}/api/me", hub.url))
        .header("cookie", &cookie_header)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["user"]["id"], body["user"]["id"]);
    let again = http
        .post(format!("{}/api/join", hub.url))
        .header("cookie", &cookie_header)
        .json(&serde_json::json!({"display_name": "Annie"}))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 200);
    let again: serde_json::Value = again.json().await.unwrap();
    assert_eq!(again["user"]["id"], body["user"]["id"]);
    assert_eq!(again["user"]["display_name"], "Annie");

    // No session: 401 with a JSON body.
    let resp = http.get(format!("{}/api/me", hub.url)).send().await.unwrap();
    assert_eq!(resp.status(), 401);
    let err: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(err["code"], "unauthenticated");
}

#[tokio::test]
async fn bad_display_names_and_bodies_get_specific_errors() {
    let hub = TestHub::start(&[]);
    let client = hub.client();
    for bad in ["", "   ", "tab\there", &"x".repeat(33)] {
        let e = client.join(bad, None).await.unwrap_err();
        assert_eq!(api_code(e), (400, ErrorCode::InvalidDisplayName), "{bad:?}");
    }
    let resp = reqwest::Client::new()
        .post(format!("{}/api/join", hub.url))
        .header("content-type", "application/json")
        .body("{nope")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let err: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(err["code"], "invalid_json");
}

#[tokio::test]
async fn a_pin_protected_hub_needs_the_right_pin() {
    let hub = TestHub::start(&["--pin", "4321"]);
    let client = hub.client();
    assert!(client.info().await.unwrap().pin_required);
    assert_eq!(api_code(client.join("Bo", None).await.unwrap_err()), (401, ErrorCode::PinRequired));
    assert_eq!(api_code(client.join("Bo", Some("1111")).await.unwrap_err()), (403, ErrorCode::WrongPin));
    let s = client.join("Bo", Some("4321")).await.unwrap();
    assert_eq!(s.user.display_name, "Bo");
}

#[tokio::test]
async fn guessing_the_pin_is_cut_off_after_ten_wrong_tries() {
    let hub = TestHub::start(&["--pin", "4321"]);
    let client = hub.client();
    for guess in 0..10 {
        let e = client.join("Mallory", Some(&format!("{guess:04}"))).await.unwrap_err();
        assert_eq!(api_code(e), (403, ErrorCode::WrongPin));
    }
    // Even the right PIN is refused from this address for the rest of the minute.
    let e = client.join("Mallory", Some("4321")).await.unwrap_err();
    assert_eq!(api_code(e), (429, ErrorCode::RateLimited));
}

async fn expect_refused(url: &str, code: u16) {
    let mut conn = Connection::open(url).await.expect("the upgrade itself is accepted");
    let (got, reason) = conn.expect_close(WAIT).await.unwrap();
    assert_eq!(got, Some(code), "reason: {reason}");
}

#[tokio::test]
async fn bad_missing_or_expired_tokens_close_with_4401() {
    let hub = TestHub::start(&["--token-ttl-secs", "1"]);
    let client = hub.client();
    let ws = client.ws_url("x").replace("?token=x", "");
    expect_refused(&ws, close::UNAUTHENTICATED).await;
    expect_refused(&client.ws_url("garbage"), close::UNAUTHENTICATED).await;
    // A token signed by another hub is refused too.
    let other = TestHub::start(&[]);
    let foreign = other.client();
    let s = foreign.join("Eve", None).await.unwrap();
    expect_refused(&client.ws_url(&foreign.ws_token(&s).await.unwrap()), close::UNAUTHENTICATED).await;

    let s = client.join("Ann", None).await.unwrap();
    let token = client.ws_token(&s).await.unwrap();
    let mut ok = Connection::open(&client.ws_url(&token)).await.unwrap();
    assert!(matches!(ok.next_frame(WAIT).await.unwrap(), ServerFrame::ConnectionEstablished { .. }));
    tokio::time::sleep(Duration::from_millis(2100)).await;
    expect_refused(&client.ws_url(&token), close::UNAUTHENTICATED).await;
}

#[tokio::test]
async fn bearer_and_cookie_upgrades_and_the_origin_check() {
    let hub = TestHub::start(&[]);
    let client = hub.client();
    let s = client.join("Ann", None).await.unwrap();
    let ws_base = format!("{}/ws", hub.url.replacen("http", "ws", 1));
    let host = hub.url.trim_start_matches("http://").to_owned();

    let open_with = |headers: Vec<(&'static str, String)>| {
        let ws_base = ws_base.clone();
        async move {
            let mut req = ws_base.into_client_request().unwrap();
            for (k, v) in headers {
                req.headers_mut().insert(k, v.parse().unwrap());
            }
            let (ws, _) = tokio_tungstenite_connect(req).await;
            Connection::from_stream(ws)
        }
    };

    let mut bearer = open_with(vec![("authorization", format!("Bearer {}", s.secret))]).await;
    assert!(matches!(bearer.next_frame(WAIT).await.unwrap(), ServerFrame::ConnectionEstablished { .. }));

    let cookie = format!("hubbub_session={}", s.secret);
    let mut same_origin =
        open_with(vec![("cookie", cookie.clone()), ("origin", format!("http://{host}"))]).await;
    match same_origin.next_frame(WAIT).await.unwrap() {
        ServerFrame::ConnectionEstablished { user, .. } => assert_eq!(user.id, s.user.id),
        other => panic!("{other:?}"),
    }

    let mut cross_site = open_with(vec![("cookie", cookie), ("origin", "http://evil.example".into())]).await;
    let (code, _) = cross_site.expect_close(WAIT).await.unwrap();
    assert_eq!(code, Some(close::FORBIDDEN));

    let mut wrong_secret = open_with(vec![("authorization", "Bearer not-a-session".into())]).await;
    let (code, _) = wrong_secret.expect_close(WAIT).await.unwrap();
    assert_eq!(code, Some(close::UNAUTHENTICATED));
    let _ = connect_ready(&client, &s).await;
}

async fn tokio_tungstenite_connect(
    req: hubbub_client::tungstenite::handshake::client::Request,
) -> (hubbub_client::WebSocket, hubbub_client::tungstenite::handshake::client::Response) {
    hubbub_client::connect_request(req).await.expect("upgrade")
}

#[tokio::test]
async fn the_session_route_answers_a_newcomer_with_null_and_a_member_with_who_they_are() {
    let hub = TestHub::start(&[]);
    // No session, a made-up one: 200 with `null`, never a 401 a browser would log.
    for bearer in [None, Some("not-a-session")] {
        let (status, body) = hubbub_tests::call(&hub, "GET", "/api/session", bearer, None).await;
        assert_eq!((status, body), (200, serde_json::json!({"me": null})), "{bearer:?}");
    }
    let ann = hub.client().join("Ann", None).await.unwrap();
    let (status, body) = hubbub_tests::call(&hub, "GET", "/api/session", Some(&ann.secret), None).await;
    assert_eq!(status, 200);
    assert_eq!(body["me"]["user"]["display_name"], "Ann");
    assert_eq!(body["me"]["user"]["id"], ann.user.id);
    assert_eq!(body["me"]["role"], "guest");
    // After logging out the session is gone again.
    let (status, _) = hubbub_tests::call(&hub, "POST", "/api/logout", Some(&ann.secret), None).await;
    assert_eq!(status, 204);
    let (_, body) = hubbub_tests::call(&hub, "GET", "/api/session", Some(&ann.secret), None).await;
    assert_eq!(body, serde_json::json!({"me": null}));
}
