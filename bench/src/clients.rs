//! Many clients at once: join users and open lean sockets, spread over loopback addresses.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::atomic::{AtomicBool, Ordering};

use futures_util::{StreamExt, stream};
use hubbub_client::{Connection, HubClient, Session};
use hubbub_protocol::ServerFrame;

/// How a client opens its socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Auth {
    /// `POST /api/auth/ws-token`, then `/ws?token=` (what the web client does).
    Token,
    /// `/ws` with `Authorization: Bearer <session>` (a client arriving with its session).
    Bearer,
}

static BEARER: AtomicBool = AtomicBool::new(false);

/// Chooses how every client of this run opens its socket.
pub fn set_auth(auth: Auth) {
    BEARER.store(auth == Auth::Bearer, Ordering::Relaxed);
}

/// How every client of this run opens its socket.
pub fn auth() -> Auth {
    if BEARER.load(Ordering::Relaxed) { Auth::Bearer } else { Auth::Token }
}

/// How many joins or connects run at once.
const PARALLEL: usize = 64;

/// Joins `n` users named `{prefix} {i}`.
pub async fn join_many(client: &HubClient, prefix: &str, n: usize) -> anyhow::Result<Vec<Session>> {
    let names: Vec<String> = (0..n).map(|i| format!("{prefix} {i}")).collect();
    let joined: Vec<_> =
        stream::iter(names.iter().map(|name| client.join(name, None))).buffered(PARALLEL).collect().await;
    Ok(joined.into_iter().collect::<Result<_, _>>()?)
}

/// A loopback source address for the `i`th connection: 127.0.0.1 to 127.0.0.100, so more than the
/// ~28,000 ephemeral ports of one address are available.
pub fn source(i: usize) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(127, 0, 0, 1 + (i % 100) as u8))
}

/// Opens one socket for `session`, with `since` appended when given, and reads until its Lobby
/// subscription arrived; returns the socket and that `subscribed` frame.
pub async fn connect(
    client: &HubClient,
    session: &Session,
    i: usize,
    since: Option<&str>,
) -> anyhow::Result<(Connection, ServerFrame)> {
    let mut conn = match auth() {
        Auth::Token => {
            let token = client.ws_token(session).await?;
            let mut url = client.ws_url(&token);
            if let Some(since) = since {
                url.push_str("&since=");
                url.push_str(since);
            }
            Connection::open_lean(&url, Some(source(i))).await?
        }
        Auth::Bearer => {
            use hubbub_client::tungstenite::client::IntoClientRequest;
            let base = client.ws_address("/ws");
            let url = match since {
                Some(since) => format!("{base}?since={since}"),
                None => base,
            };
            let mut req = url.into_client_request()?;
            req.headers_mut().insert("authorization", format!("Bearer {}", session.secret).parse()?);
            Connection::open_lean_request(req, Some(source(i))).await?
        }
    };
    let lobby = conn
        .recv_until(
            std::time::Duration::from_secs(60),
            |f| matches!(f, ServerFrame::Subscribed { channel, .. } if channel == "room:lobby"),
        )
        .await?;
    Ok((conn, lobby))
}

/// Opens one socket per session.
pub async fn connect_many(client: &HubClient, sessions: &[Session]) -> anyhow::Result<Vec<Connection>> {
    let opened: Vec<_> = stream::iter(sessions.iter().enumerate().map(|(i, s)| connect(client, s, i, None)))
        .buffered(PARALLEL)
        .collect()
        .await;
    opened.into_iter().map(|r| r.map(|(c, _)| c)).collect()
}
