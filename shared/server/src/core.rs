//! The bottom layer every service shares: the store, the channel registry, presence, the rules, the settings,
//! the metrics and the shutdown signal. A cheap-to-clone handle; it knows nothing of the services above it.

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::channels::Registry;
use crate::config::Config;
use crate::metrics::Metrics;
use crate::policy::Policy;
use crate::presence::Presence;
use crate::store::Store;

/// Handle to the shared core. Clones share everything.
#[derive(Clone)]
pub struct Core {
    inner: Arc<Inner>,
}

struct Inner {
    /// Settings, fixed for the hub's life.
    config: Config,
    /// The only way to the database.
    store: Store,
    /// Channel subscriptions of every open connection: fan-out goes through it.
    registry: Registry,
    /// Who is online, hub-wide and per room; owns the order of presence snapshots and diffs.
    presence: Presence,
    /// Roles, mutes, room rules and what guests may do: read by every service, changed by moderation.
    policy: Policy,
    /// The address the hub listens on, once bound (for the links it hands out).
    bound: OnceLock<SocketAddr>,
    /// Cancelled when the hub begins to shut down; every connection and party task watches it.
    shutdown: CancellationToken,
    /// Every connection and party task, so shutdown can wait for them.
    tasks: TaskTracker,
    /// The series `/metrics` shows (the store's writer holds its own handles to them).
    metrics: Arc<Metrics>,
}

impl std::fmt::Debug for Core {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Core").field("data_dir", &self.inner.config.data_dir).finish_non_exhaustive()
    }
}

impl Core {
    /// A core over an open store, with the metrics the store was opened with.
    pub fn new(config: Config, store: Store, metrics: Arc<Metrics>) -> Core {
        let presence = Presence::new(config.presence_grace, config.presence_list_max);
        Core {
            inner: Arc::new(Inner {
                config,
                store,
                registry: Registry::new(metrics.deliveries()),
                metrics,
                presence,
                policy: Policy::default(),
                bound: OnceLock::new(),
                shutdown: CancellationToken::new(),
                tasks: TaskTracker::new(),
            }),
        }
    }

    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    pub fn registry(&self) -> &Registry {
        &self.inner.registry
    }

    pub fn presence(&self) -> &Presence {
        &self.inner.presence
    }

    pub fn policy(&self) -> &Policy {
        &self.inner.policy
    }

    pub fn shutdown(&self) -> &CancellationToken {
        &self.inner.shutdown
    }

    /// Signals shutdown and asks every open socket to close with 1001 once its queued frames are
    /// written. (A socket opening after this sees the signal and closes the same way.)
    pub fn shut_down(&self) {
        self.inner.shutdown.cancel();
        for conn in self.inner.registry.connections() {
            conn.close(crate::conn::CloseReason::Send {
                code: hubbub_protocol::close::GOING_AWAY,
                reason: std::borrow::Cow::Borrowed("hub shutting down"),
                flush: true,
            });
        }
    }

    pub fn tasks(&self) -> &TaskTracker {
        &self.inner.tasks
    }

    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    /// Records the address the hub listens on (the first call wins), also beside the data
    /// directory's lock, so a second hub refused there can name this one.
    pub fn set_bound(&self, addr: SocketAddr) {
        if self.inner.bound.set(addr).is_ok() {
            self.inner.store.note_address(addr);
        }
    }

    /// The address the hub listens on, or the configured one before it is bound.
    pub fn bound(&self) -> SocketAddr {
        self.inner.bound.get().copied().unwrap_or(self.inner.config.bind)
    }

    /// The hub's first LAN URL (`http://ADDR:PORT/`), where guests on the network reach it.
    pub fn base_url(&self) -> String {
        let bound = self.bound();
        crate::lan::join_urls(bound).into_iter().next().unwrap_or_else(|| format!("http://{bound}/"))
    }
}
