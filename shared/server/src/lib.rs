//! The Hubbub hub: one WebSocket per client carrying many channels, a SQLite store, presence, and the
//! embedded web client. The `hubbub` binary and the desktop app both run it through [`serve`].
//!
//! # Layout, in layers that only call down
//! - Core: [`config`], [`store`] (SQLite, a group-committing writer thread and reader threads),
//!   [`conn`], [`outbox`], [`channels`] (fan-out), [`presence`], [`error`] (the one refusal type),
//!   [`reply`] (answering a socket command), [`ratelimit`], [`lan`], [`time`], and [`core`], the
//!   handle that bundles the shared parts.
//! - Services over the core: [`notify`] (the inbox, pings, mentions), [`chat`] (rooms,
//!   conversations, messages, typing), [`party`] (party sessions), [`auth`] (sessions, tokens,
//!   Origin), [`discovery`] (mDNS).
//! - [`hub`]: the services together, as the front doors see them.
//! - Front doors: [`api`] (REST under `/api/`), [`ws`] (the sockets), [`web`] (the embedded web
//!   client), and this file's router and [`serve`]; [`cli`] for the binary.

pub mod api;
pub mod auth;
pub mod channels;
pub mod chat;
pub mod cli;
pub mod config;
pub mod conn;
pub mod core;
pub mod discovery;
pub mod error;
pub mod hub;
pub mod lan;
pub mod notify;
pub mod outbox;
pub mod party;
pub mod presence;
pub mod ratelimit;
pub mod reply;
pub mod status;
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
    let mut tick = tokio::time::interval(hub.config().presence_window);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_sweep = std::time::Instant::now();
    loop {
        tick.tick().await;
        let now = std::time::Instant::now();
        let sweep = now.duration_since(last_sweep) >= chat::TYPING_SWEEP;
        if sweep {
            last_sweep = now;
        }
        hub.tick(now, sweep);
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
        hub.core().set_bound(addr);
    }
    hub.parties().restore().await;
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
            signal_hub.core().shutdown().cancel();
        })
        .await;
    let core = hub.core();
    core.shutdown().cancel();
    ticker.abort();
    core.tasks().close();
    if tokio::time::timeout(SHUTDOWN_GRACE, core.tasks().wait()).await.is_err() {
        tracing::warn!(open = core.tasks().len(), "connections still open after the shutdown grace period");
    }
    // A no-op write waits for every write queued before it to commit.
    if let Err(e) = core.store().write_wait(|_| Ok(())).await {
        tracing::warn!(error = %e, "store did not flush cleanly");
    }
    result
}
