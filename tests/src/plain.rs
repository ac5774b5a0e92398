//! A plain WebSocket client of JSON frames, for the dialect suites: it knows nothing of Hubbub's
//! frames, only what a seed document describes; plus the join step that creates a user.

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async};

use crate::WAIT;

/// A user made by `POST /api/join`: its id, its session token, and a short-lived socket token.
pub struct Joined {
    pub id: i64,
    pub session: String,
}

/// Joins `base` (`http://...`) as `name`.
pub async fn join(base: &str, name: &str) -> Joined {
    let resp = reqwest::Client::new()
        .post(format!("{base}/api/join"))
        .json(&json!({"display_name": name}))
        .send()
        .await
        .expect("join");
    assert_eq!(resp.status().as_u16(), 201, "join as {name}");
    let body: Value = resp.json().await.expect("join answer");
    Joined {
        id: body["user"]["id"].as_i64().expect("user id"),
        session: body["session"].as_str().unwrap().into(),
    }
}

/// A short-lived token for `?token=` (`GET /api/auth/ws-token`).
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

/// One socket of JSON frames.
pub struct Plain {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl Plain {
    /// Opens `url` (`ws://...`); the upgrade must succeed.
    pub async fn open(url: &str) -> Plain {
        let (ws, _) = connect_async(url).await.unwrap_or_else(|e| panic!("open {url}: {e}"));
        Plain { ws }
    }

    pub async fn send(&mut self, frame: Value) {
        self.send_text(&frame.to_string()).await;
    }

    pub async fn send_text(&mut self, text: &str) {
        self.ws.send(Message::Text(text.into())).await.expect("send");
    }

    /// The next JSON frame (pings are answered by the library); panics on a close or a timeout.
    pub async fn next(&mut self) -> Value {
        loop {
            let msg = tokio::time::timeout(WAIT, self.ws.next())
                .await
                .expect("a frame in time")
                .expect("the socket is open")
                .expect("a readable frame");
            match msg {
                Message::Text(text) => return serde_json::from_str(&text).expect("a JSON frame"),
                Message::Close(c) => panic!("closed: {c:?}"),
                _ => {}
            }
        }
    }

    /// Reads until a frame of `type` (skipping others); returns it.
    pub async fn until(&mut self, r#type: &str) -> Value {
        loop {
            let frame = self.next().await;
            if frame["type"] == r#type {
                return frame;
            }
        }
    }

    /// Reads until the hub closes the socket; the close code (skipping frames before it).
    pub async fn close_code(&mut self) -> Option<u16> {
        loop {
            match tokio::time::timeout(WAIT, self.ws.next()).await.expect("a close in time") {
                Some(Ok(Message::Close(c))) => return c.map(|c| u16::from(c.code)),
                Some(Ok(_)) => {}
                Some(Err(_)) | None => return None,
            }
        }
    }

    /// Closes with 1000 (a normal close).
    pub async fn close(mut self) {
        let _ = self.ws.close(None).await;
    }
}
