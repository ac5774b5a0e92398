//! The hub: the services over one core, as the front doors (REST, sockets, the desktop app) see
//! them. A cheap-to-clone handle; the services below it never see it.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use hubbub_protocol::{HubInfo, PROTOCOL_VERSION};
use rand::Rng;

use crate::auth::{Joins, TokenKeys};
use crate::chat::Chat;
use crate::config::{Config, ConfigError};
use crate::core::Core;
use crate::discovery::{self, Discovery};
use crate::files::Files;
use crate::moderation::Moderation;
use crate::notify::Notify;
use crate::party::Parties;
use crate::places::Places;
use crate::presence::Presence;
use crate::retention::Retention;
use crate::simulate::Simulations;
use crate::status::Statuses;
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
    inner: Arc<Inner>,
}

/// What a hub is made of.
struct Inner {
    /// Store, registry, presence, settings and shutdown: what every service shares.
    core: Core,
    /// Chat in rooms and conversations.
    chat: Chat,
    /// The inbox, pings and mentions.
    notify: Notify,
    /// Party sessions, each run by its own task.
    parties: Parties,
    /// Places of the venue, check-ins and their chats.
    places: Places,
    /// Simulated operations that stream their progress.
    simulations: Simulations,
    /// Chosen statuses and tab activity.
    statuses: Statuses,
    /// Roles, moderation, announcements and the admin API's lists.
    moderation: Moderation,
    /// Deletes what the operator chose not to keep.
    retention: Retention,
    /// Files and photos in chat.
    files: Files,
    /// What the hub says about itself (its id is kept in the database) and the PIN: the host may
    /// change the name and the PIN while the hub runs.
    live: std::sync::RwLock<Live>,
    /// Joining: display names, the PIN's limits and the budget on new users.
    joins: Joins,
    /// LAN discovery: whether mDNS runs, and the other hubs found (filled by [`Hub::start_discovery`]).
    discovery: discovery::Shared,
    /// Signs and checks WebSocket tokens, with the hub's own secret from the database.
    tokens: TokenKeys,
    /// When the hub started, for `/api/status`.
    started: Instant,
    /// Open WebSocket connections.
    connections: AtomicU64,
    next_connection_id: AtomicU64,
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
        let metrics = Arc::new(crate::metrics::Metrics::new());
        let store = Store::open(
            &config.data_dir,
            &StoreOptions {
                synchronous_full: config.sync_full,
                metrics: Some(metrics.store()),
                ..StoreOptions::default()
            },
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
        let live = std::sync::RwLock::new(Live { info, pin: config.pin.clone() });
        let core = Core::new(config, store, metrics);
        let notify = Notify::new(core.clone());
        let chat = Chat::new(core.clone(), notify.clone());
        let parties = Parties::new(core.clone(), chat.clone(), notify.clone());
        let joins = Joins::new(core.clone());
        let places = Places::new(core.clone(), chat.clone());
        let statuses = Statuses::new(core.clone());
        let moderation = Moderation::open(core.clone(), chat.clone(), notify.clone()).await?;
        let retention = Retention::new(core.clone());
        let files = Files::open(core.clone())
            .map_err(|source| StoreError::DataDir { path: core.config().data_dir.join("files"), source })?;
        Ok(Hub {
            inner: Arc::new(Inner {
                core,
                chat,
                notify,
                parties,
                places,
                simulations: Simulations::new(),
                statuses,
                moderation,
                retention,
                files,
                live,
                joins,
                discovery: discovery::Shared::default(),
                tokens,
                started: Instant::now(),
                connections: AtomicU64::new(0),
                next_connection_id: AtomicU64::new(1),
            }),
        })
    }

    pub fn core(&self) -> &Core {
        &self.inner.core
    }

    pub fn chat(&self) -> &Chat {
        &self.inner.chat
    }

    pub fn notify(&self) -> &Notify {
        &self.inner.notify
    }

    pub fn parties(&self) -> &Parties {
        &self.inner.parties
    }

    pub fn places(&self) -> &Places {
        &self.inner.places
    }

    pub fn simulations(&self) -> &Simulations {
        &self.inner.simulations
    }

    pub fn statuses(&self) -> &Statuses {
        &self.inner.statuses
    }

    pub fn moderation(&self) -> &Moderation {
        &self.inner.moderation
    }

    pub fn files(&self) -> &Files {
        &self.inner.files
    }

    pub fn retention(&self) -> &Retention {
        &self.inner.retention
    }

    pub fn config(&self) -> &Config {
        self.inner.core.config()
    }

    pub fn store(&self) -> &Store {
        self.inner.core.store()
    }

    pub fn presence(&self) -> &Presence {
        self.inner.core.presence()
    }

    pub fn tokens(&self) -> &TokenKeys {
        &self.inner.tokens
    }

    /// Joining the hub: names, the PIN and the budget on new users.
    pub fn joins(&self) -> &Joins {
        &self.inner.joins
    }

    /// LAN discovery's state and the other hubs found.
    pub fn discovery(&self) -> &discovery::Shared {
        &self.inner.discovery
    }

    /// Starts advertising this hub (listening on `bound`) and browsing for others over mDNS.
    pub fn start_discovery(&self, bound: SocketAddr) -> Discovery {
        discovery::start(&self.inner.discovery, &self.info(), self.config().discovery, bound)
    }

    fn live(&self) -> std::sync::RwLockReadGuard<'_, Live> {
        self.inner.live.read().unwrap_or_else(|p| p.into_inner())
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
        self.inner.live.write().unwrap_or_else(|p| p.into_inner()).info.name = name.to_owned();
        Ok(())
    }

    /// Sets or clears the join PIN (sessions already made stay valid).
    pub fn set_pin(&self, pin: Option<&str>) -> Result<(), ConfigError> {
        let pin = pin.map(str::trim).filter(|p| !p.is_empty());
        if let Some(p) = pin {
            crate::config::check_pin(p)?;
        }
        let mut live = self.inner.live.write().unwrap_or_else(|p| p.into_inner());
        live.pin = pin.map(str::to_owned);
        live.info.pin_required = pin.is_some();
        Ok(())
    }

    /// A fresh connection id.
    pub fn next_connection_id(&self) -> u64 {
        self.inner.next_connection_id.fetch_add(1, Ordering::Relaxed)
    }

    /// The hub's first LAN URL (`http://ADDR:PORT/`), where guests on the network reach it.
    pub fn base_url(&self) -> String {
        self.core().base_url()
    }

    /// How long the hub has been up.
    pub fn uptime(&self) -> Duration {
        self.inner.started.elapsed()
    }

    /// Whether the hub has begun to shut down.
    pub fn shutting_down(&self) -> bool {
        self.core().shutdown().is_cancelled()
    }

    /// A connection opened (`true`) or closed (`false`).
    pub fn count_connection(&self, opened: bool) {
        if opened {
            self.inner.connections.fetch_add(1, Ordering::Relaxed);
        } else {
            self.inner.connections.fetch_sub(1, Ordering::Relaxed);
        }
    }

    /// Open WebSocket connections now.
    pub fn connection_count(&self) -> u64 {
        self.inner.connections.load(Ordering::Relaxed)
    }

    /// The periodic work: flushes presence diffs and typing changes whose window ended; every
    /// `sweep` ends expired typing states, drops expired parties and forgets stale rate-limit
    /// entries.
    pub fn tick(&self, now: Instant, sweep: bool) {
        let frames = self.presence().flush(now, self.core().registry());
        self.core().metrics().presence_flushed(frames);
        self.chat().flush(now);
        if sweep {
            self.chat().sweep(now);
            self.notify().sweep(now);
            self.inner.joins.sweep(now);
            self.parties().sweep(now);
            self.statuses().sweep(now);
            self.simulations().sweep(now);
            self.core().policy().sweep(now_ms());
        }
    }
}
