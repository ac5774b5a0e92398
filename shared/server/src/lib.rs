//! The Hubbub hub: one WebSocket per client carrying many channels, a SQLite store, presence, and the
//! embedded web client. The `hubbub` binary and the desktop app both run it through [`serve`].
//!
//! # Layout, in layers that only call down
//! - Core: [`config`], [`store`] (SQLite, a group-committing writer thread and reader threads),
//!   [`conn`], [`outbox`], [`channels`] (fan-out), [`presence`], [`error`] (the one refusal type),
//!   [`reply`] (answering a socket command), [`ratelimit`], [`names`] (which display names are valid,
//!   and when two are the same), [`lan`], [`time`], [`listener`] (accepting connections: deadlines,
//!   caps, open-file headroom), [`metrics`] (the series `/metrics` shows), and [`core`], the handle
//!   that bundles the shared parts.
//! - Services over the core: [`notify`] (the inbox, pings, mentions), [`chat`] (rooms,
//!   conversations, messages, typing), [`party`] (party sessions), [`auth`] (sessions, tokens,
//!   Origin), [`discovery`] (mDNS), [`retention`] (deleting old data), [`files`] (files and photos
//!   in chat).
//! - [`hub`]: the services together, as the front doors see them.
//! - Front doors: [`api`] (REST under `/api/`), [`ws`] (the sockets), [`dialects`] (the seed
//!   documents' APIs, translated), [`web`] (the embedded web client), and this file's router and [`serve`]; [`cli`] and [`export`] for the binary.

pub mod api;
pub mod auth;
pub mod channels;
pub mod chat;
pub mod cli;
pub mod config;
pub mod conn;
pub mod core;
pub mod dialects;
pub mod discovery;
pub mod error;
pub mod export;
pub mod files;
pub mod hub;
pub mod lan;
pub mod listener;
pub mod metrics;
pub mod moderation;
pub mod names;
pub mod notify;
pub mod outbox;
pub mod party;
pub mod places;
pub mod policy;
pub mod presence;
pub mod ratelimit;
pub mod reply;
pub mod retention;
pub mod simulate;
pub mod status;
pub mod store;
pub mod time;
pub mod web;
pub mod ws;

use std::future::Future;
use std::time::Duration;

use axum::Router;
use tokio::net::TcpListener;
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::{DefaultPredicate, Predicate};

pub use config::Config;
pub use hub::Hub;

/// Every route of the hub. `/ws` sits outside the compression layer. A method a route does not
/// take is a 405 JSON error, as is anything but GET or HEAD on the web client's paths.
pub fn router(hub: Hub) -> Router {
    let http = Router::new()
        .merge(api::routes(&hub, dialects::endpoints))
        .route("/metrics", axum::routing::get(api::metrics))
        .fallback(web::serve)
        .layer(CompressionLayer::new().compress_when(DefaultPredicate::new().and(NotMarked)));
    ws::routes(axum::routing::get(dialects::main_socket))
        .merge(dialects::routes())
        .method_not_allowed_fallback(api::method_not_allowed)
        .merge(http)
        .layer(axum::Extension(dialects::Shared::default()))
        .with_state(hub)
}

/// Compresses only answers not marked [`api::Uncompressed`] (file downloads).
#[derive(Debug, Clone, Copy)]
struct NotMarked;

impl Predicate for NotMarked {
    fn should_compress<B: axum::body::HttpBody>(&self, response: &axum::http::Response<B>) -> bool {
        response.extensions().get::<api::Uncompressed>().is_none()
    }
}

/// How often the hub writes a probe row, so `/api/status` notices a store that stopped taking
/// writes (or took them again) even while nobody writes.
const WRITE_PROBE_EVERY: Duration = Duration::from_secs(30);

/// Flushes presence diffs once per window; sweeps expired typing states and stale rate-limit
/// entries; probes the store.
async fn presence_ticker(hub: Hub) {
    let mut tick = tokio::time::interval(hub.config().presence_window);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_sweep = std::time::Instant::now();
    let mut last_probe = last_sweep;
    let mut probe: Option<tokio::task::JoinHandle<()>> = None;
    loop {
        tick.tick().await;
        let now = std::time::Instant::now();
        if now.duration_since(last_probe) >= WRITE_PROBE_EVERY
            && probe.as_ref().is_none_or(|p| p.is_finished())
        {
            last_probe = now;
            let store = hub.store().clone();
            probe = Some(tokio::spawn(async move {
                if let Err(e) = store.probe().await {
                    tracing::warn!(error = %e, "the store does not take writes");
                }
            }));
        }
        let sweep = now.duration_since(last_sweep) >= chat::TYPING_SWEEP;
        if sweep {
            last_sweep = now;
        }
        hub.tick(now, sweep);
    }
}

/// Runs the retention sweep every [`retention::SWEEP_EVERY`].
async fn retention_sweeper(hub: Hub) {
    let every = retention::SWEEP_EVERY;
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Err(e) = hub.retention().sweep(time::now_ms()).await {
            tracing::warn!(error = %e, "retention sweep failed; it runs again later");
        }
    }
}

/// Takes guests whose check-in expired out of the places' chats, every [`places::SWEEP_EVERY`].
async fn places_sweeper(hub: Hub) {
    let every = places::SWEEP_EVERY;
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Err(e) = hub.places().sweep().await {
            tracing::warn!(error = %e, "places sweep failed; it runs again later");
        }
    }
}

/// Runs the files sweep every [`FILES_SWEEP_EVERY`] (bytes no message refers to any more), and
/// its full form every [`FILES_FULL_SWEEP_EVERY`] (uploads never attached, ended ephemeral rooms).
async fn files_sweeper(hub: Hub) {
    if let Err(e) = hub.files().reconcile().await {
        tracing::warn!(error = %e, "could not check the stored files against the database");
    }
    let mut tick = tokio::time::interval(FILES_SWEEP_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_full = std::time::Instant::now();
    loop {
        tick.tick().await;
        let full = last_full.elapsed() >= FILES_FULL_SWEEP_EVERY;
        if full {
            last_full = std::time::Instant::now();
        }
        if let Err(e) = hub.files().sweep(full).await {
            tracing::warn!(error = %e, "files sweep failed; it runs again later");
        }
    }
}

/// How often unreferenced file bytes are unlinked.
const FILES_SWEEP_EVERY: Duration = Duration::from_secs(2);
/// How often unattached uploads expire and ended ephemeral rooms' uploads are forgotten.
const FILES_FULL_SWEEP_EVERY: Duration = Duration::from_secs(60);

/// How long shutdown waits for connections to flush and close before giving up on them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Serves `hub` on an already bound `listener` until `shutdown` completes. Then it stops accepting,
/// closes every socket with 1001 after flushing what was queued for it, and waits for the store to
/// commit everything already acknowledged or queued.
///
/// Connections go through [`listener`]: request heads have a deadline, each client address a cap,
/// and a reserve of open files stays for guests holding few connections (the soft open-file limit
/// is raised to the hard one first).
pub async fn serve(
    listener: TcpListener,
    hub: Hub,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    if let Ok(addr) = listener.local_addr() {
        hub.core().set_bound(addr);
    }
    hub.parties().restore().await;
    hub.places().restore().await;
    let ticker = tokio::spawn(presence_ticker(hub.clone()));
    let sweeper = tokio::spawn(retention_sweeper(hub.clone()));
    let places_sweeper = tokio::spawn(places_sweeper(hub.clone()));
    let files_sweep = tokio::spawn(files_sweeper(hub.clone()));
    let signal_hub = hub.clone();
    let config = hub.config();
    let gate = listener::Gate::new(config, listener::raise_open_file_limit());
    tracing::debug!(capacity = gate.capacity(), "accepting connections");
    listener::serve(listener, router(hub.clone()), gate, config.header_timeout, async move {
        shutdown.await;
        tracing::info!("shutting down");
        signal_hub.core().shut_down();
    })
    .await;
    let core = hub.core();
    core.shut_down();
    ticker.abort();
    sweeper.abort();
    places_sweeper.abort();
    files_sweep.abort();
    core.tasks().close();
    if tokio::time::timeout(SHUTDOWN_GRACE, core.tasks().wait()).await.is_err() {
        tracing::warn!(open = core.tasks().len(), "connections still open after the shutdown grace period");
    }
    // A no-op write waits for every write queued before it to commit.
    if let Err(e) = core.store().write_wait(|_| Ok(())).await {
        tracing::warn!(error = %e, "store did not flush cleanly");
    }
    Ok(())
}
