//! A Rust client for a Hubbub hub: REST (join, tokens, info) and one WebSocket with typed frames.
//! Used by the black-box tests, and meant for the benchmark and command-line tools.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use hubbub_protocol::{
    ApiError, ClientFrame, HubInfo, JoinRequest, JoinResponse, OnlineUsersResponse, ServerFrame,
    StatusResponse, UserInfo, WsTokenResponse,
};
use reqwest::header::AUTHORIZATION;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub use tokio_tungstenite::tungstenite;

/// The socket type under a [`Connection`].
pub type WebSocket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Opens a socket with a hand-built request (custom headers such as `Authorization` or `Cookie`).
pub async fn connect_request(
    req: tungstenite::handshake::client::Request,
) -> Result<(WebSocket, tungstenite::handshake::client::Response)> {
    Ok(tokio_tungstenite::connect_async(req).await?)
}

/// What can go wrong talking to a hub.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("http: {0}")]
    Http(#[from] reqwest::Error),
    #[error("hub answered {status}: {} ({})", .body.message, .body.code)]
    Api { status: u16, body: ApiError },
    #[error("websocket: {0}")]
    Ws(#[from] tungstenite::Error),
    #[error("undecodable frame {text:?}: {source}")]
    Decode { text: String, source: serde_json::Error },
    #[error("connection closed (code {code:?}, reason {reason:?})")]
    Closed { code: Option<u16>, reason: String },
    #[error("timed out after {0:?}")]
    Timeout(Duration),
}

pub type Result<T> = std::result::Result<T, ClientError>;

/// A hub reachable at a base URL such as `http://127.0.0.1:7470`.
#[derive(Debug, Clone)]
pub struct HubClient {
    base: String,
    http: reqwest::Client,
}

/// A joined user: who they are and their session secret.
#[derive(Debug, Clone)]
pub struct Session {
    pub user: UserInfo,
    pub secret: String,
}

async fn json_or_error<T: serde::de::DeserializeOwned>(resp: reqwest::Response) -> Result<T> {
    let status = resp.status();
    if status.is_success() {
        return Ok(resp.json().await?);
    }
    let body = resp.json::<ApiError>().await?;
    Err(ClientError::Api { status: status.as_u16(), body })
}

impl HubClient {
    pub fn new(base: impl Into<String>) -> HubClient {
        HubClient { base: base.into().trim_end_matches('/').to_owned(), http: reqwest::Client::new() }
    }

    /// The base URL, without a trailing slash.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// `ws://` URL of the main socket for a token.
    pub fn ws_url(&self, token: &str) -> String {
        self.ws_path_url("/ws", token)
    }

    /// `ws://` URL of the socket at `path` (e.g. `/notifications/ws`) for a token.
    pub fn ws_path_url(&self, path: &str, token: &str) -> String {
        format!("{}?token={token}", self.ws_address(path))
    }

    /// `ws://` URL of the socket at `path`, with no credentials in it.
    pub fn ws_address(&self, path: &str) -> String {
        format!("{}{path}", self.base.replacen("http", "ws", 1))
    }

    /// Fetches a token and opens the socket at `path`.
    pub async fn connect_path(&self, session: &Session, path: &str) -> Result<Connection> {
        let token = self.ws_token(session).await?;
        Connection::open(&self.ws_path_url(path, &token)).await
    }

    /// `POST {path}` with the session and a JSON body; the JSON answer or the hub's error.
    pub async fn post_json<B: serde::Serialize, T: serde::de::DeserializeOwned>(
        &self,
        session: &Session,
        path: &str,
        body: &B,
    ) -> Result<T> {
        let resp = self
            .http
            .post(format!("{}{path}", self.base))
            .header(AUTHORIZATION, format!("Bearer {}", session.secret))
            .json(body)
            .send()
            .await?;
        json_or_error(resp).await
    }

    /// `POST {path}` with the session and a JSON body, for routes that answer `204 No Content`.
    pub async fn post_no_content<B: serde::Serialize>(
        &self,
        session: &Session,
        path: &str,
        body: &B,
    ) -> Result<u16> {
        let resp = self
            .http
            .post(format!("{}{path}", self.base))
            .header(AUTHORIZATION, format!("Bearer {}", session.secret))
            .json(body)
            .send()
            .await?;
        let status = resp.status();
        if status.is_success() {
            return Ok(status.as_u16());
        }
        Err(ClientError::Api { status: status.as_u16(), body: resp.json::<ApiError>().await? })
    }

    /// `GET {path}` with the session; the JSON answer or the hub's error.
    pub async fn get_json<T: serde::de::DeserializeOwned>(&self, session: &Session, path: &str) -> Result<T> {
        let resp = self
            .http
            .get(format!("{}{path}", self.base))
            .header(AUTHORIZATION, format!("Bearer {}", session.secret))
            .send()
            .await?;
        json_or_error(resp).await
    }

    pub async fn info(&self) -> Result<HubInfo> {
        json_or_error(self.http.get(format!("{}/api/info", self.base)).send().await?).await
    }

    pub async fn status(&self) -> Result<StatusResponse> {
        json_or_error(self.http.get(format!("{}/api/status", self.base)).send().await?).await
    }

    /// `POST /api/join`.
    pub async fn join(&self, display_name: &str, pin: Option<&str>) -> Result<Session> {
        let req = JoinRequest {
            display_name: display_name.to_owned(),
            pin: pin.map(str::to_owned),
            host_token: None,
        };
        let resp = self.http.post(format!("{}/api/join", self.base)).json(&req).send().await?;
        let body: JoinResponse = json_or_error(resp).await?;
        Ok(Session { user: body.user, secret: body.session })
    }

    pub async fn online_users(&self, session: &Session) -> Result<OnlineUsersResponse> {
        let resp = self
            .http
            .get(format!("{}/api/users/online", self.base))
            .header(AUTHORIZATION, format!("Bearer {}", session.secret))
            .send()
            .await?;
        json_or_error(resp).await
    }

    /// `GET /api/auth/ws-token` for a session.
    pub async fn ws_token(&self, session: &Session) -> Result<String> {
        let resp = self
            .http
            .get(format!("{}/api/auth/ws-token", self.base))
            .header(AUTHORIZATION, format!("Bearer {}", session.secret))
            .send()
            .await?;
        Ok(json_or_error::<WsTokenResponse>(resp).await?.token)
    }

    /// Fetches a token and opens the socket with it.
    pub async fn connect(&self, session: &Session) -> Result<Connection> {
        let token = self.ws_token(session).await?;
        Connection::open(&self.ws_url(&token)).await
    }
}

/// One open socket to a hub.
#[derive(Debug)]
pub struct Connection {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

/// What a socket delivered next. Returned by value once per frame and matched at once, so the
/// size of the largest frame variant costs nothing worth a box.
#[derive(Debug, Clone, PartialEq)]
#[allow(clippy::large_enum_variant)]
pub enum Event {
    Frame(ServerFrame),
    Closed { code: Option<u16>, reason: String },
}

impl Connection {
    /// Opens a socket at a full `ws://` URL.
    pub async fn open(url: &str) -> Result<Connection> {
        let (ws, _) = tokio_tungstenite::connect_async(url).await?;
        Ok(Connection { ws })
    }

    /// Opens a socket from a chosen local address (to spread many connections over several loopback
    /// addresses) with small buffers (the library's default read buffer is 128 KiB per socket).
    pub async fn open_lean(url: &str, local: Option<std::net::IpAddr>) -> Result<Connection> {
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        Connection::open_lean_request(url.into_client_request()?, local).await
    }

    /// [`Connection::open_lean`] with a hand-built request (e.g. `Authorization: Bearer <session>`).
    pub async fn open_lean_request(
        req: tungstenite::handshake::client::Request,
        local: Option<std::net::IpAddr>,
    ) -> Result<Connection> {
        use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
        let uri = req.uri().clone();
        let host = uri.host().unwrap_or("127.0.0.1");
        let port = uri.port_u16().unwrap_or(80);
        let remote = tokio::net::lookup_host((host, port))
            .await
            .map_err(|e| ClientError::Ws(tungstenite::Error::Io(e)))?
            .next()
            .ok_or_else(|| {
                ClientError::Ws(tungstenite::Error::Url(tungstenite::error::UrlError::NoHostName))
            })?;
        let socket =
            if remote.is_ipv4() { tokio::net::TcpSocket::new_v4() } else { tokio::net::TcpSocket::new_v6() }
                .map_err(|e| ClientError::Ws(tungstenite::Error::Io(e)))?;
        if let Some(ip) = local {
            socket.bind((ip, 0).into()).map_err(|e| ClientError::Ws(tungstenite::Error::Io(e)))?;
        }
        let stream = socket.connect(remote).await.map_err(|e| ClientError::Ws(tungstenite::Error::Io(e)))?;
        let config = WebSocketConfig::default().read_buffer_size(4096).write_buffer_size(0);
        let (ws, _) =
            tokio_tungstenite::client_async_with_config(req, MaybeTlsStream::Plain(stream), Some(config))
                .await?;
        Ok(Connection { ws })
    }

    /// The socket under this connection (to speak another protocol over it).
    pub fn into_inner(self) -> WebSocketStream<MaybeTlsStream<TcpStream>> {
        self.ws
    }

    /// Wraps an already-open socket (e.g. one opened with custom headers).
    pub fn from_stream(ws: WebSocketStream<MaybeTlsStream<TcpStream>>) -> Connection {
        Connection { ws }
    }

    pub async fn send(&mut self, frame: &ClientFrame) -> Result<()> {
        let text = serde_json::to_string(frame).expect("client frames serialize");
        self.send_text(text).await
    }

    /// Sends raw text, valid or not.
    pub async fn send_text(&mut self, text: impl Into<String>) -> Result<()> {
        Ok(self.ws.send(Message::Text(text.into().into())).await?)
    }

    /// Sends a raw message (binary, oversized...).
    pub async fn send_raw(&mut self, msg: Message) -> Result<()> {
        Ok(self.ws.send(msg).await?)
    }

    /// The next frame or the close, waiting at most `wait`.
    pub async fn next_event(&mut self, wait: Duration) -> Result<Event> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let msg = tokio::time::timeout_at(deadline, self.ws.next())
                .await
                .map_err(|_| ClientError::Timeout(wait))?;
            match msg {
                None => {
                    return Ok(Event::Closed { code: None, reason: String::new() });
                }
                Some(Err(tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed)) => {
                    return Ok(Event::Closed { code: None, reason: String::new() });
                }
                Some(Err(e)) => return Err(e.into()),
                Some(Ok(Message::Text(t))) => {
                    let frame = serde_json::from_str(t.as_str())
                        .map_err(|source| ClientError::Decode { text: t.as_str().to_owned(), source })?;
                    return Ok(Event::Frame(frame));
                }
                Some(Ok(Message::Close(frame))) => {
                    let (code, reason) = match frame {
                        Some(CloseFrame { code, reason }) => {
                            (Some(u16::from(code)), reason.as_str().to_owned())
                        }
                        None => (None, String::new()),
                    };
                    return Ok(Event::Closed { code, reason });
                }
                Some(Ok(_)) => {}
            }
        }
    }

    /// The next frame; a close is an error.
    pub async fn next_frame(&mut self, wait: Duration) -> Result<ServerFrame> {
        match self.next_event(wait).await? {
            Event::Frame(f) => Ok(f),
            Event::Closed { code, reason } => Err(ClientError::Closed { code, reason }),
        }
    }

    /// Skips frames until one matches `pred`, within `wait` in all.
    pub async fn recv_until(
        &mut self,
        wait: Duration,
        mut pred: impl FnMut(&ServerFrame) -> bool,
    ) -> Result<ServerFrame> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let frame = self.next_frame(left).await?;
            if pred(&frame) {
                return Ok(frame);
            }
        }
    }

    /// Skips frames until the hub closes the socket; returns the close code and reason.
    pub async fn expect_close(&mut self, wait: Duration) -> Result<(Option<u16>, String)> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            if let Event::Closed { code, reason } = self.next_event(left).await? {
                return Ok((code, reason));
            }
        }
    }

    /// Closes the socket normally.
    pub async fn close(mut self) -> Result<()> {
        Ok(self.ws.close(None).await?)
    }

    /// Splits the socket so one task can send while another reads.
    pub fn into_split(self) -> (ConnSender, ConnReceiver) {
        let (sink, stream) = self.ws.split();
        (ConnSender { sink }, ConnReceiver { stream })
    }
}

/// The sending half of a split [`Connection`].
#[derive(Debug)]
pub struct ConnSender {
    sink: futures_util::stream::SplitSink<WebSocket, Message>,
}

impl ConnSender {
    pub async fn send(&mut self, frame: &ClientFrame) -> Result<()> {
        let text = serde_json::to_string(frame).expect("client frames serialize");
        Ok(self.sink.send(Message::Text(text.into())).await?)
    }
}

/// The receiving half of a split [`Connection`].
#[derive(Debug)]
pub struct ConnReceiver {
    stream: futures_util::stream::SplitStream<WebSocket>,
}

impl ConnReceiver {
    /// The next frame, `None` once the socket is closed or fails.
    pub async fn next_frame(&mut self) -> Option<ServerFrame> {
        loop {
            match self.stream.next().await? {
                Ok(Message::Text(t)) => return serde_json::from_str(t.as_str()).ok(),
                Ok(Message::Close(_)) | Err(_) => return None,
                Ok(_) => {}
            }
        }
    }
}
