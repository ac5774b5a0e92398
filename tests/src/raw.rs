//! A plain WebSocket client for the dialect suites: it knows nothing of Hubbub's frames, only URLs,
//! headers, JSON text and close codes, as a client written from a seed document would.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio_tungstenite::tungstenite::Error;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::Message;

/// Longest a suite waits for one frame.
pub const WAIT: Duration = Duration::from_secs(10);

type Stream = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// One open socket.
pub struct Raw {
    ws: Stream,
}

/// How a connection attempt ended: open, or refused with an HTTP status before the upgrade.
pub enum Opened {
    Open(Box<Raw>),
    Refused(u16),
}

impl Opened {
    pub fn open(self) -> Raw {
        match self {
            Opened::Open(raw) => *raw,
            Opened::Refused(status) => panic!("refused with HTTP {status}"),
        }
    }

    pub fn refused(self) -> u16 {
        match self {
            Opened::Open(_) => panic!("opened where a refusal was expected"),
            Opened::Refused(status) => status,
        }
    }
}

/// `ws://` for the hub at `base` (`http://127.0.0.1:port`) and `path` (with any query).
pub fn ws_url(base: &str, path: &str) -> String {
    format!("{}{path}", base.replacen("http", "ws", 1))
}

/// Opens `path` on the hub at `base` with extra request headers (`Authorization`, `Cookie`...).
pub async fn connect(base: &str, path: &str, headers: &[(&str, &str)]) -> Opened {
    let mut request = ws_url(base, path).into_client_request().expect("a request");
    for (name, value) in headers {
        let name: tokio_tungstenite::tungstenite::http::HeaderName = name.parse().expect("a header name");
        request.headers_mut().insert(name, HeaderValue::from_str(value).expect("a header value"));
    }
    match tokio_tungstenite::connect_async(request).await {
        Ok((ws, _)) => Opened::Open(Box::new(Raw { ws })),
        Err(Error::Http(response)) => Opened::Refused(response.status().as_u16()),
        Err(e) => panic!("connecting to {path}: {e}"),
    }
}

impl Raw {
    pub async fn send(&mut self, frame: Value) {
        self.ws.send(Message::Text(frame.to_string().into())).await.expect("send");
    }

    pub async fn send_text(&mut self, text: &str) {
        self.ws.send(Message::Text(text.into())).await.expect("send");
    }

    /// The next JSON frame (pings skipped); panics on a close or after [`WAIT`].
    pub async fn next(&mut self) -> Value {
        loop {
            let message = tokio::time::timeout(WAIT, self.ws.next())
                .await
                .expect("a frame within the wait")
                .expect("the socket is open")
                .expect("a frame");
            match message {
                Message::Text(text) => return serde_json::from_str(&text).expect("a JSON frame"),
                Message::Close(frame) => panic!("closed: {frame:?}"),
                _ => {}
            }
        }
    }

    /// The next frame that `wanted` accepts, skipping others.
    pub async fn next_where(&mut self, what: &str, wanted: impl Fn(&Value) -> bool) -> Value {
        loop {
            let frame = tokio::time::timeout(WAIT, self.next())
                .await
                .unwrap_or_else(|_| panic!("no {what} within the wait"));
            if wanted(&frame) {
                return frame;
            }
        }
    }

    /// The next frame whose `type` is `kind`, skipping others.
    pub async fn next_of(&mut self, kind: &str) -> Value {
        self.next_where(kind, |f| f["type"] == kind).await
    }

    /// Every frame that arrives within `quiet` (the socket then being silent that long).
    pub async fn drain(&mut self, quiet: Duration) -> Vec<Value> {
        let mut frames = Vec::new();
        while let Ok(Some(Ok(message))) = tokio::time::timeout(quiet, self.ws.next()).await {
            if let Message::Text(text) = message {
                frames.push(serde_json::from_str(&text).expect("a JSON frame"));
            }
        }
        frames
    }

    /// Waits for the hub to close the socket; its close code (frames before it are skipped).
    pub async fn close_code(&mut self) -> Option<u16> {
        loop {
            match tokio::time::timeout(WAIT, self.ws.next()).await.expect("a close within the wait") {
                Some(Ok(Message::Close(frame))) => {
                    // Reading on sends the answer to the close, so the hub sees a clean close.
                    let _ = tokio::time::timeout(WAIT, self.ws.next()).await;
                    return frame.map(|f| u16::from(f.code));
                }
                Some(Ok(_)) => {}
                Some(Err(_)) | None => return None,
            }
        }
    }

    pub async fn close(mut self) {
        let _ = self.ws.close(None).await;
    }
}

/// Whether `s` is an RFC 3339 time in UTC (`2023-12-07T10:30:00Z`, maybe with a fraction).
pub fn is_rfc3339_utc(s: &Value) -> bool {
    let Some(s) = s.as_str() else { return false };
    let b = s.as_bytes();
    b.len() >= 20
        && s.ends_with('Z')
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':'
        && s[..4].chars().all(|c| c.is_ascii_digit())
}

/// `POST /api/join`: the one Hubbub step every dialect's client takes (a user and a session).
pub async fn join(base: &str, name: &str) -> (i64, String) {
    let resp = reqwest::Client::new()
        .post(format!("{base}/api/join"))
        .json(&serde_json::json!({"display_name": name}))
        .send()
        .await
        .expect("join");
    assert_eq!(resp.status().as_u16(), 201, "join {name}");
    let body: Value = resp.json().await.expect("join answer");
    (body["user"]["id"].as_i64().expect("a user id"), body["session"].as_str().expect("a session").to_owned())
}

/// `GET /api/auth/ws-token`: Hubbub's short-lived token for `?token=`.
pub async fn ws_token(base: &str, session: &str) -> String {
    let resp = reqwest::Client::new()
        .get(format!("{base}/api/auth/ws-token"))
        .bearer_auth(session)
        .send()
        .await
        .expect("ws-token");
    let body: Value = resp.json().await.expect("token answer");
    body["token"].as_str().expect("a token").to_owned()
}
