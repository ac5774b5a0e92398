//! The Hubbub hub: one WebSocket per client carrying many channels, a SQLite store, presence, and the
//! embedded web client. The `hubbub` binary and the desktop app both run it through [`serve`].
//!
//! # Layout
//! - [`config`]: settings from defaults, a TOML file, the environment and flags ([`cli`]).
//! - [`hub`]: the shared state handle every handler gets.
//! - [`store`]: SQLite, with a group-committing writer thread and reader threads.
//! - [`auth`]: sessions, WebSocket tokens, Origin checks.
//! - [`api`]: the REST routes under `/api/`.
//! - [`ws`]: `GET /ws`: upgrade, connection tasks, client commands.
//! - [`conn`], [`channels`], [`presence`], [`chat`]: connections, channel fan-out, who is online, chat.
//! - [`party`]: party sessions (engine, quiz, one task per party).
//! - [`notify`], [`ratelimit`]: the notification inbox, pings and mentions; per-user rate limits.
//! - [`web`]: the embedded web client. [`lan`], [`discovery`]: join URLs, QR codes, mDNS.

pub mod api;
pub mod auth;
pub mod channels;
pub mod chat;
pub mod cli;
pub mod config;
pub mod conn;
pub mod discovery;
pub mod hub;
pub mod lan;
pub mod notify;
pub mod outbox;
pub mod party;
pub mod presence;
pub mod ratelimit;
pub mod store;
pub mod time;
pub mod web;
pub mod ws;

use std::future::Future;
use std::time::Duration;

use axum::Router;
use axum::serve::ListenerExt;
use tokio::net::TcpListener;
use tower_http::compression::CompressionLayer;

pub use config::Config;
pub use hub::Hub;

/// Every route of the hub. `/ws` sits outside the compression layer.
pub fn router(hub: Hub) -> Router {
    let http = Router::new().nest("/api", api::routes()).fallback(web::serve).layer(CompressionLayer::new());
    ws::routes().merge(http).with_state(hub)
}

/// Flushes presence diffs once per window; sweeps expired typing states and stale rate-limit entries.
async fn presence_ticker(hub: Hub) {
    let mut tick = tokio::time::interval(hub.config.presence_window);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_sweep = std::time::Instant::now();
    loop {
        tick.tick().await;
        let now = std::time::Instant::now();
        hub.presence.flush(now, &hub.registry);
        if now.duration_since(last_sweep) >= chat::TYPING_SWEEP {
            last_sweep = now;
            hub.typing.sweep(&hub, now);
            hub.ping_limit.prune(now);
            hub.pin_failures.prune(now);
            if let Some(limit) = &hub.message_limit {
                limit.prune(now);
            }
        }
    }
}

/// How long shutdown waits for connections to flush and close before giving up on them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Serves `hub` on an already bound `listener` until `shutdown` completes. Then it stops accepting,
/// closes every socket with 1001 after flushing what was queued for it, and waits for the store to
/// commit everything already acknowledged or queued.
pub async fn serve(
    listener: TcpListener,
    hub: Hub,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    if let Ok(addr) = listener.local_addr() {
        let _ = hub.bound.set(addr);
    }
    hub.parties.restore(&hub).await;
    let ticker = tokio::spawn(presence_ticker(hub.clone()));
    let signal_hub = hub.clone();
    let app = router(hub.clone()).into_make_service_with_connect_info::<std::net::SocketAddr>();
    // Frames go to the socket as the writer feeds them (see `ws`), so small ones must not wait for
    // the peer's delayed ACK: an ack followed by its event would otherwise sit 40 ms in Nagle's buffer.
    let listener = listener.tap_io(|tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "could not set TCP_NODELAY");
        }
    });
    let result = axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            shutdown.await;
            tracing::info!("shutting down");
            signal_hub.shutdown.cancel();
        })
        .await;
    hub.shutdown.cancel();
    ticker.abort();
    hub.tasks.close();
    if tokio::time::timeout(SHUTDOWN_GRACE, hub.tasks.wait()).await.is_err() {
        tracing::warn!(open = hub.tasks.len(), "connections still open after the shutdown grace period");
    }
    // A no-op write waits for every write queued before it to commit.
    if let Err(e) = hub.store.write_wait(|_| Ok(())).await {
        tracing::warn!(error = %e, "store did not flush cleanly");
    }
    result
}
