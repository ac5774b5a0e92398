//! The hub's shared state: a cheap-to-clone handle whose fields say who owns what.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use hubbub_protocol::{HubInfo, PROTOCOL_VERSION};
use rand::Rng;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::auth::TokenKeys;
use crate::channels::Registry;
use crate::config::{Config, ConfigError};
use crate::presence::Presence;
use crate::ratelimit::RateLimiter;
use crate::store::{Store, StoreError, StoreOptions};
use crate::time::now_ms;

/// The settings a host may change while the hub runs.
#[derive(Debug)]
struct Live {
    info: HubInfo,
    pin: Option<String>,
}

/// Handle to a running hub. Clones share everything.
#[derive(Clone)]
pub struct Hub {
    inner: Arc<HubInner>,
}

/// What a hub is made of.
pub struct HubInner {
    /// Settings, fixed for the hub's life.
    pub config: Config,
    /// What the hub says about itself (its id is kept in the database) and the PIN: the host may
    /// change the name and the PIN while the hub runs.
    live: std::sync::RwLock<Live>,
    /// The only way to the database.
    pub store: Store,
    /// Channel subscriptions of every open connection.
    pub registry: Registry,
    /// Who is online, hub-wide and per room; owns the order of presence snapshots and diffs.
    pub presence: Presence,
    /// Pings per sender: at most 5 in 10 seconds.
    pub ping_limit: RateLimiter,
    /// Wrong PINs per client address: at most 10 a minute, then `rate_limited`.
    pub pin_failures: RateLimiter,
    /// Chat messages per sender in 10 seconds (`None`: no limit).
    pub message_limit: Option<RateLimiter>,
    /// Who is typing where, until when.
    pub typing: crate::chat::Typing,
    /// Set once an ephemeral room exists, so connects skip looking for them until then (they live in
    /// the writer's memory, so the lookup costs a writer round trip).
    pub ephemeral_rooms: std::sync::atomic::AtomicBool,
    /// Party sessions, each run by its own task.
    pub parties: crate::party::Parties,
    /// The address the hub listens on, once bound (for the join URLs it hands out).
    pub bound: std::sync::OnceLock<std::net::SocketAddr>,
    /// LAN discovery: whether mDNS runs, and the other hubs found (filled by [`crate::discovery::start`]).
    pub discovery: crate::discovery::Shared,
    /// Signs and checks WebSocket tokens, with the hub's own secret from the database.
    pub tokens: TokenKeys,
    /// When the hub started, for `/api/status`.
    pub started: Instant,
    /// Open WebSocket connections.
    pub connections: AtomicU64,
    next_connection_id: AtomicU64,
    /// Cancelled when the hub begins to shut down; every connection watches it.
    pub shutdown: CancellationToken,
    /// Every connection task, so shutdown can wait for them to close their sockets.
    pub tasks: TaskTracker,
}

impl std::ops::Deref for Hub {
    type Target = HubInner;
    fn deref(&self) -> &HubInner {
        &self.inner
    }
}

impl std::fmt::Debug for Hub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hub").field("info", &self.info()).finish_non_exhaustive()
    }
}

fn random_bytes<const N: usize>() -> Vec<u8> {
    rand::rng().random::<[u8; N]>().to_vec()
}

impl Hub {
    /// Opens the store in the configured data directory and prepares the hub's state.
    pub async fn open(config: Config) -> Result<Hub, StoreError> {
        let store = Store::open(
            &config.data_dir,
            &StoreOptions { synchronous_full: config.sync_full, ..StoreOptions::default() },
        )?;
        let (hub_id, secret) = store
            .write_wait(|conn| {
                use crate::store::{ensure_channel, meta_get_or_init};
                let id = meta_get_or_init(conn, "hub_id", random_bytes::<16>)?;
                let secret = meta_get_or_init(conn, "token_secret", random_bytes::<32>)?;
                ensure_channel(conn, &hubbub_protocol::Channel::lobby().to_string(), now_ms())?;
                Ok((id, secret))
            })
            .await?;
        let hub_id: String = hub_id.iter().map(|b| format!("{b:02x}")).collect();
        let info = HubInfo {
            hub_id,
            name: config.name.trim().to_owned(),
            protocol_version: PROTOCOL_VERSION,
            version: env!("CARGO_PKG_VERSION").to_owned(),
            pin_required: config.pin.is_some(),
        };
        let tokens = TokenKeys::new(&secret, config.token_ttl);
        let presence = Presence::new(config.presence_grace, config.presence_list_max);
        let message_rate = config.message_rate;
        let live = std::sync::RwLock::new(Live { info, pin: config.pin.clone() });
        Ok(Hub {
            inner: Arc::new(HubInner {
                config,
                live,
                store,
                registry: Registry::default(),
                presence,
                ping_limit: RateLimiter::new(5, Duration::from_secs(10)),
                pin_failures: RateLimiter::new(10, Duration::from_secs(60)),
                message_limit: (message_rate > 0)
                    .then(|| RateLimiter::new(message_rate, Duration::from_secs(10))),
                typing: crate::chat::Typing::default(),
                ephemeral_rooms: std::sync::atomic::AtomicBool::new(false),
                parties: crate::party::Parties::default(),
                bound: std::sync::OnceLock::new(),
                discovery: crate::discovery::Shared::default(),
                tokens,
                started: Instant::now(),
                connections: AtomicU64::new(0),
                next_connection_id: AtomicU64::new(1),
                shutdown: CancellationToken::new(),
                tasks: TaskTracker::new(),
            }),
        })
    }

    fn live(&self) -> std::sync::RwLockReadGuard<'_, Live> {
        self.live.read().unwrap_or_else(|p| p.into_inner())
    }

    /// What the hub says about itself now.
    pub fn info(&self) -> HubInfo {
        self.live().info.clone()
    }

    /// The PIN guests must give now, if any.
    pub fn pin(&self) -> Option<String> {
        self.live().pin.clone()
    }

    /// Renames the hub (new connections and `/api/info` see the new name at once; the caller
    /// re-announces it over mDNS).
    pub fn set_name(&self, name: &str) -> Result<(), ConfigError> {
        let name = name.trim();
        crate::config::check_name(name)?;
        self.live.write().unwrap_or_else(|p| p.into_inner()).info.name = name.to_owned();
        Ok(())
    }

    /// Sets or clears the join PIN (sessions already made stay valid).
    pub fn set_pin(&self, pin: Option<&str>) -> Result<(), ConfigError> {
        let pin = pin.map(str::trim).filter(|p| !p.is_empty());
        if let Some(p) = pin {
            crate::config::check_pin(p)?;
        }
        let mut live = self.live.write().unwrap_or_else(|p| p.into_inner());
        live.pin = pin.map(str::to_owned);
        live.info.pin_required = pin.is_some();
        Ok(())
    }

    /// A fresh connection id.
    pub fn next_connection_id(&self) -> u64 {
        self.next_connection_id.fetch_add(1, Ordering::Relaxed)
    }

    /// The hub's first LAN URL (`http://ADDR:PORT/`), where guests on the network reach it.
    pub fn base_url(&self) -> String {
        let bound = self.bound.get().copied().unwrap_or(self.config.bind);
        crate::lan::join_urls(bound).into_iter().next().unwrap_or_else(|| format!("http://{bound}/"))
    }

    /// Open WebSocket connections now.
    pub fn connection_count(&self) -> u64 {
        self.connections.load(Ordering::Relaxed)
    }
}
