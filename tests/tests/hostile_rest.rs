//! A hostile or careless guest against the REST API and the socket's framing, with the real hub:
//! cross-site requests, bodies that are not JSON, malformed query strings and methods, search text
//! the full-text engine cannot take, and a text frame that is not UTF-8. Each attack is refused as
//! documented (a JSON `{code, message}` with its status, or the close code), and a bystander in the
//! Lobby keeps receiving every message exactly once and stays connected.

use hubbub_client::tungstenite::Message;
use hubbub_client::tungstenite::protocol::frame::Frame;
use hubbub_client::tungstenite::protocol::frame::coding::{Data, OpCode};
use hubbub_protocol::{
    ClientFrame, MarkReadResponse, NotificationsResponse, PingRequest, PingResponse, ServerFrame, close,
};
use hubbub_tests::{Connection, HubClient, Session, TestHub, WAIT, join_and_connect};
use reqwest::StatusCode;
use serde_json::Value;

/// A hub with a bystander reading the Lobby and a talker writing to it.
struct Scene {
    hub: TestHub,
    client: HubClient,
    talker: Connection,
    bystander: Connection,
    http: reqwest::Client,
}

impl Scene {
    async fn start() -> Scene {
        let hub = TestHub::start_process(&[]);
        let client = hub.client();
        let (_t, talker) = join_and_connect(&client, "Talker").await;
        let (_b, bystander) = join_and_connect(&client, "Bystander").await;
        Scene { hub, client, talker, bystander, http: reqwest::Client::new() }
    }

    /// The hub's own origin, as its pages send it.
    fn origin(&self) -> String {
        self.hub.url.clone()
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.hub.url)
    }

    /// The talker sends three messages tagged `tag`; the bystander, on the socket it had before the
    /// attack, gets each exactly once and still answers a ping.
    async fn bystander_unaffected(&mut self, tag: &str) {
        let bodies: Vec<String> = (1..=3).map(|n| format!("{tag} {n}")).collect();
        for (n, body) in bodies.iter().enumerate() {
            let r = format!("{tag}-{n}");
            self.talker
                .send(&ClientFrame::SendMessage {
                    r#ref: Some(r.clone()),
                    channel: "room:lobby".into(),
                    client_message_id: r.clone(),
                    body: body.clone(),
                    attachments: None,
                    reply_to: None,
                })
                .await
                .unwrap();
            self.talker
                .recv_until(WAIT, |f| matches!(f, ServerFrame::Ack { r#ref, .. } if *r#ref == r))
                .await
                .expect("the talker's message is acknowledged");
        }
        let mut seen = vec![0; bodies.len()];
        let last = bodies.last().unwrap().clone();
        self.bystander
            .recv_until(WAIT, |f| {
                if let ServerFrame::Message(m) = f {
                    if let Some(i) = bodies.iter().position(|b| *b == m.body) {
                        seen[i] += 1;
                    }
                    return m.body == last;
                }
                false
            })
            .await
            .expect("the bystander receives the talker's messages");
        self.bystander.send(&ClientFrame::Ping { r#ref: Some(format!("{tag}-ping")) }).await.unwrap();
        self.bystander
            .recv_until(WAIT, |f| {
                if let ServerFrame::Message(m) = f
                    && let Some(i) = bodies.iter().position(|b| *b == m.body)
                {
                    seen[i] += 1;
                }
                matches!(f, ServerFrame::Pong { .. })
            })
            .await
            .expect("the bystander is still connected");
        assert_eq!(seen, vec![1; bodies.len()], "each message exactly once");
    }
}

/// The status and JSON `{code, message}` of an answer, failing if the body is not that shape.
async fn json_error(resp: reqwest::Response) -> (StatusCode, String) {
    let status = resp.status();
    let kind = resp.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let text = resp.text().await.unwrap();
    assert!(kind.starts_with("application/json"), "{status} {kind:?}: {text:?}");
    let body: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{status} {text:?}: {e}"));
    let code = body["code"].as_str().unwrap_or_else(|| panic!("no code: {text}")).to_owned();
    assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()), "no message: {text}");
    (status, code)
}

fn cookie(s: &Session) -> String {
    format!("hubbub_session={}", s.secret)
}

fn bearer(s: &Session) -> String {
    format!("Bearer {}", s.secret)
}

#[tokio::test]
async fn malformed_query_strings_paths_and_methods_are_json_errors() {
    let mut scene = Scene::start().await;
    let me = scene.client.join("Prober", None).await.unwrap();
    for path in [
        "/api/notifications?limit=abc",
        "/api/notifications?before=abc",
        "/api/channels/room:lobby/messages?limit=abc",
        "/api/channels/room:lobby/messages?before=abc",
        "/api/channels/room:lobby/messages?after=1.5",
        "/api/search",
        "/api/search?q=pizza&limit=abc",
        "/api/users/online?limit=abc",
        "/api/users/online?offset=-1",
    ] {
        let resp = scene.http.get(scene.url(path)).header("authorization", bearer(&me)).send().await.unwrap();
        assert_eq!(json_error(resp).await, (StatusCode::BAD_REQUEST, "invalid_frame".into()), "{path}");
    }
    // A path segment that is not text.
    let resp =
        scene.http.get(scene.url("/api/parties/%FF")).header("authorization", bearer(&me)).send().await;
    assert_eq!(json_error(resp.unwrap()).await, (StatusCode::NOT_FOUND, "no_such_party".into()));
    let resp = scene.http.get(scene.url("/api/parties/%FF/qr.svg")).send().await.unwrap();
    assert_eq!(json_error(resp).await, (StatusCode::NOT_FOUND, "no_such_party".into()));

    // A known route with a method it does not take.
    for (method, path) in [
        (reqwest::Method::DELETE, "/api/rooms"),
        (reqwest::Method::PUT, "/api/join"),
        (reqwest::Method::PATCH, "/api/notifications"),
        (reqwest::Method::POST, "/api/me"),
    ] {
        let resp = scene
            .http
            .request(method.clone(), scene.url(path))
            .header("authorization", bearer(&me))
            .send()
            .await
            .unwrap();
        assert!(resp.headers().contains_key("allow"), "{method} {path}");
        assert_eq!(
            json_error(resp).await,
            (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed".into()),
            "{method} {path}"
        );
    }
    // Outside /api/ only GET and HEAD serve the web client; anything else is a 405, never the page.
    for (method, path) in [
        (reqwest::Method::POST, "/"),
        (reqwest::Method::POST, "/some/client/route"),
        (reqwest::Method::PUT, "/index.html"),
        (reqwest::Method::DELETE, "/assets/app.js"),
        (reqwest::Method::POST, "/ws"),
        (reqwest::Method::POST, "/party/ABCD/ws"),
    ] {
        let resp = scene.http.request(method.clone(), scene.url(path)).body("x=1").send().await.unwrap();
        assert!(resp.headers().contains_key("allow"), "{method} {path}");
        assert_eq!(
            json_error(resp).await,
            (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed".into()),
            "{method} {path}"
        );
    }
    let page = scene.http.get(scene.url("/some/client/route")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK, "GET still serves the web client");
    let resp = scene.http.post(scene.url("/api/nope")).header("authorization", bearer(&me)).send().await;
    assert_eq!(json_error(resp.unwrap()).await, (StatusCode::NOT_FOUND, "not_found".into()));
    scene.bystander_unaffected("after the probes").await;
}

#[tokio::test]
async fn a_cross_site_ping_with_the_victims_cookie_is_refused_and_delivers_nothing() {
    let mut scene = Scene::start().await;
    let (victim, _v) = join_and_connect(&scene.client, "Victim").await;
    let (target, mut t) = join_and_connect(&scene.client, "Target").await;
    let path = format!("/api/users/{}/ping", target.user.id);
    let evil = "http://evil.example";
    let form = "application/x-www-form-urlencoded";

    // What a page on another site can make the victim's browser send: a form post, or a fetch
    // without a body, with the cookie and the foreign Origin.
    for (origin, kind, body) in [
        (Some(evil), Some(form), "join_url=http%3A%2F%2Fevil.example%2F"),
        (Some(evil), Some("text/plain"), r#"{"join_url":"http://evil.example/"}"#),
        (Some(evil), Some("application/json"), "{}"),
        (Some(evil), None, ""),
        (Some("null"), Some(form), ""),
        // Another service on the hub's own address is "same-site", not the hub.
        (Some("http://127.0.0.1:1"), Some(form), ""),
    ] {
        let mut req = scene.http.post(scene.url(&path)).header("cookie", cookie(&victim));
        if let Some(o) = origin {
            req = req.header("origin", o);
        }
        if let Some(k) = kind {
            req = req.header("content-type", k);
        }
        let resp = req.body(body).send().await.unwrap();
        assert_eq!(
            json_error(resp).await,
            (StatusCode::FORBIDDEN, "forbidden".into()),
            "{origin:?} {kind:?}"
        );
    }
    // A browser that sends no Origin still says where the request came from.
    for site in ["cross-site", "same-site"] {
        let resp = scene
            .http
            .post(scene.url(&path))
            .header("cookie", cookie(&victim))
            .header("sec-fetch-site", site)
            .send()
            .await
            .unwrap();
        assert_eq!(json_error(resp).await, (StatusCode::FORBIDDEN, "forbidden".into()), "{site}");
    }
    // The hub's own page, but a form body: refused as not JSON.
    let resp = scene
        .http
        .post(scene.url(&path))
        .header("cookie", cookie(&victim))
        .header("origin", scene.origin())
        .header("content-type", form)
        .body("join_url=x")
        .send()
        .await
        .unwrap();
    assert_eq!(json_error(resp).await, (StatusCode::UNSUPPORTED_MEDIA_TYPE, "invalid_json".into()));

    // The hub's own page with JSON works, and is the first and only ping the target sees.
    let mine = "http://127.0.0.1:7470/party/MINE";
    let resp = scene
        .http
        .post(scene.url(&path))
        .header("cookie", cookie(&victim))
        .header("origin", scene.origin())
        .json(&PingRequest { join_url: Some(mine.into()) })
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let sent: PingResponse = resp.json().await.unwrap();
    let frame = t.recv_until(WAIT, |f| matches!(f, ServerFrame::Ping { .. })).await.unwrap();
    let ServerFrame::Ping { from_user_id, join_url, .. } = frame else { unreachable!() };
    assert_eq!(
        (from_user_id, join_url.as_deref()),
        (victim.user.id, Some(mine)),
        "no forged ping came first"
    );
    let inbox: NotificationsResponse = scene.client.get_json(&target, "/api/notifications").await.unwrap();
    assert_eq!(inbox.notifications.len(), 1, "{inbox:?}");
    assert_eq!(inbox.notifications[0].id, sent.notification_id);
    scene.bystander_unaffected("after the cross-site pings").await;
}

#[tokio::test]
async fn marking_read_as_text_plain_is_refused_and_marks_nothing() {
    let mut scene = Scene::start().await;
    let (sender, _s) = join_and_connect(&scene.client, "Sender").await;
    let (reader, _r) = join_and_connect(&scene.client, "Reader").await;
    let path = format!("/api/users/{}/ping", reader.user.id);
    let _: PingResponse =
        scene.client.post_json(&sender, &path, &PingRequest { join_url: None }).await.unwrap();

    for (auth, origin) in [("cookie", Some(scene.origin())), ("cookie", None), ("authorization", None)] {
        let value = if auth == "cookie" { cookie(&reader) } else { bearer(&reader) };
        let mut req = scene
            .http
            .post(scene.url("/api/notifications/read"))
            .header(auth, value)
            .header("content-type", "text/plain;charset=UTF-8")
            .body(r#"{"ids":[]}"#);
        if let Some(o) = &origin {
            req = req.header("origin", o);
        }
        let resp = req.send().await.unwrap();
        assert_eq!(
            json_error(resp).await,
            (StatusCode::UNSUPPORTED_MEDIA_TYPE, "invalid_json".into()),
            "{auth} {origin:?}"
        );
        let inbox: NotificationsResponse =
            scene.client.get_json(&reader, "/api/notifications").await.unwrap();
        assert_eq!(inbox.unread_count, 1, "nothing was marked");
    }
    // A body with no type at all is not taken as "the defaults" either.
    let resp = scene
        .http
        .post(scene.url("/api/notifications/read"))
        .header("authorization", bearer(&reader))
        .body(r#"{"ids":[]}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(json_error(resp).await, (StatusCode::UNSUPPORTED_MEDIA_TYPE, "invalid_json".into()));
    let inbox: NotificationsResponse = scene.client.get_json(&reader, "/api/notifications").await.unwrap();
    assert_eq!(inbox.unread_count, 1, "nothing was marked");

    // The hub's own page with JSON, and an empty body without a type (the defaults: all), still work.
    let resp = scene
        .http
        .post(scene.url("/api/notifications/read"))
        .header("cookie", cookie(&reader))
        .header("origin", scene.origin())
        .json(&serde_json::json!({"ids": [0]}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let resp = scene
        .http
        .post(scene.url("/api/notifications/read"))
        .header("cookie", cookie(&reader))
        .header("origin", scene.origin())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let marked: MarkReadResponse = resp.json().await.unwrap();
    assert_eq!(marked.unread_count, 0);
    scene.bystander_unaffected("after the text/plain posts").await;
}

#[tokio::test]
async fn a_cross_site_join_cannot_rename_a_guest_or_replace_their_session() {
    let mut scene = Scene::start().await;
    let (victim, _v) = join_and_connect(&scene.client, "Victim").await;
    for with_cookie in [true, false] {
        let mut req = scene
            .http
            .post(scene.url("/api/join"))
            .header("origin", "http://evil.example")
            .header("content-type", "text/plain")
            .body(r#"{"display_name":"Pwned"}"#);
        if with_cookie {
            req = req.header("cookie", cookie(&victim));
        }
        let resp = req.send().await.unwrap();
        assert!(!resp.headers().contains_key("set-cookie"), "no session is handed to a foreign page");
        assert_eq!(json_error(resp).await, (StatusCode::FORBIDDEN, "forbidden".into()));
    }
    let me: Value = scene.client.get_json(&victim, "/api/me").await.unwrap();
    assert_eq!(me["user"]["display_name"], "Victim");
    // A script of the guest's own (no Origin, a bearer or no session) joins as before.
    let other = scene.client.join("Scripted", None).await.unwrap();
    assert_eq!(other.user.display_name, "Scripted");
    scene.bystander_unaffected("after the cross-site joins").await;
}

#[tokio::test]
async fn search_text_the_index_cannot_take_is_a_400_and_operators_are_plain_words() {
    let mut scene = Scene::start().await;
    let me = scene.client.join("Searcher", None).await.unwrap();
    for q in ["a%00b", "%00", "a%01b", "a%7Fb", "a%0Bb"] {
        let resp = scene
            .http
            .get(scene.url(&format!("/api/search?q={q}")))
            .header("authorization", bearer(&me))
            .send()
            .await
            .unwrap();
        assert_eq!(json_error(resp).await, (StatusCode::BAD_REQUEST, "invalid_frame".into()), "{q}");
    }
    for q in [
        "%22",
        "%22%22%22",
        "NEAR(",
        "NEAR(a%20b",
        "*",
        "a*",
        "-",
        "-a",
        ":",
        "a:b",
        "%5Ea",
        "(",
        ")",
        "AND",
        "OR%20NOT",
        "%7Bbody%7D:a",
        "%F0%9F%99%82",
    ] {
        let resp = scene
            .http
            .get(scene.url(&format!("/api/search?q={q}")))
            .header("authorization", bearer(&me))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "{q}: {}", resp.text().await.unwrap());
    }
    scene.bystander_unaffected("after the searches").await;
}

#[tokio::test]
async fn a_text_frame_that_is_not_utf8_closes_with_1007() {
    let mut scene = Scene::start().await;
    let (_m, mut mangler) = join_and_connect(&scene.client, "Mangler").await;
    let frame = Frame::message(vec![b'{', 0xff, 0xfe, b'}'], OpCode::Data(Data::Text), true);
    mangler.send_raw(Message::Frame(frame)).await.unwrap();
    let (code, _) = mangler.expect_close(WAIT).await.expect("a close frame, not a dropped connection");
    assert_eq!(code, Some(close::INVALID_PAYLOAD));
    scene.bystander_unaffected("after the bad frame").await;
}

/// Opens `/ws` by hand over TCP for `session` and returns the socket past the `101`.
async fn raw_socket(scene: &Scene, session: &Session) -> tokio::net::TcpStream {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = scene.hub.url.trim_start_matches("http://").trim_end_matches('/').to_owned();
    let mut tcp = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let request = format!(
        "GET /ws HTTP/1.1\r\nHost: {addr}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\
         Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
         Authorization: Bearer {}\r\n\r\n",
        session.secret
    );
    tcp.write_all(request.as_bytes()).await.unwrap();
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut byte = [0u8; 1];
        tcp.read_exact(&mut byte).await.unwrap();
        head.push(byte[0]);
    }
    let head = String::from_utf8(head).unwrap();
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    // RFC 6455's own example key and answer.
    assert!(head.contains("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="), "{head}");
    tcp
}

/// Reads server frames until a close; returns its code (`None` if the connection ended without one).
async fn close_code(tcp: &mut tokio::net::TcpStream) -> Option<u16> {
    use tokio::io::AsyncReadExt;
    let read = async {
        loop {
            let mut head = [0u8; 2];
            tcp.read_exact(&mut head).await.ok()?;
            assert_eq!(head[1] & 0x80, 0, "server frames are not masked");
            let len = match head[1] & 0x7f {
                126 => u64::from(tcp.read_u16().await.ok()?),
                127 => tcp.read_u64().await.ok()?,
                n => u64::from(n),
            };
            let mut payload = vec![0u8; usize::try_from(len).unwrap()];
            tcp.read_exact(&mut payload).await.ok()?;
            if head[0] & 0x0f == 0x8 {
                return payload.get(..2).map(|c| u16::from_be_bytes([c[0], c[1]]));
            }
        }
    };
    tokio::time::timeout(WAIT, read).await.expect("the hub ends the socket")
}

#[tokio::test]
async fn frames_that_break_the_websocket_protocol_close_with_1002_or_1009() {
    use tokio::io::AsyncWriteExt;
    let mut scene = Scene::start().await;
    let (session, _conn) = join_and_connect(&scene.client, "Framer").await;
    let masked_empty = |first: u8| vec![first, 0x80, 1, 2, 3, 4];
    let cases: Vec<(&str, Vec<u8>, u16)> = vec![
        ("an unmasked text frame", vec![0x81, 0x02, b'{', b'}'], close::PROTOCOL_ERROR),
        ("reserved bits set", masked_empty(0xc1), close::PROTOCOL_ERROR),
        ("a continuation of nothing", masked_empty(0x80), close::PROTOCOL_ERROR),
        ("a fragmented ping", masked_empty(0x09), close::PROTOCOL_ERROR),
        ("a reserved opcode", masked_empty(0x83), close::PROTOCOL_ERROR),
        // A header announcing 2^62 bytes: refused from the header, nothing waited for.
        (
            "a frame claiming exabytes",
            vec![0x81, 0xff, 0x40, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4],
            close::TOO_BIG,
        ),
    ];
    for (what, bytes, expected) in cases {
        let mut tcp = raw_socket(&scene, &session).await;
        tcp.write_all(&bytes).await.unwrap();
        assert_eq!(close_code(&mut tcp).await, Some(expected), "{what}");
    }
    scene.bystander_unaffected("after the broken frames").await;
}
