//! LAN discovery over mDNS: a hub advertises itself as `_hubbub._tcp.local.` and lists the other hubs it
//! finds, each confirmed over HTTP before it is shown.
//!
//! - [`start`] runs both for a hub (the `hubbub` binary and the desktop app call it) and
//!   [`Discovery::stop`] says goodbye; `GET /api/hubs` reads the result from `Hub::discovery`.
//! - [`discover`] looks for hubs for a while, without being one (`hubbub discover`).
//!
//! Only LAN interfaces are used ([`is_lan_interface`]): never loopback, containers, VM bridges or VPN
//! tunnels. A hub whose multicast cannot work runs on; [`MdnsState::error`] says why.

mod advertise;
mod browse;
mod list;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

pub use advertise::{Txt, host_name};
use browse::PROBE_TIMEOUT;
pub use browse::{BrowseError, Browser};
use hubbub_protocol::{DiscoveredHub, HubInfo, HubsResponse, MdnsState};
use list::HubList;
pub use list::REPROBE;
use mdns_sd::{DaemonEvent, IfKind, IfPredicate, ServiceDaemon};

use crate::lan::is_lan_interface;

/// The mDNS service type of a hub.
pub const SERVICE_TYPE: &str = "_hubbub._tcp.local.";

/// How long [`Discovery::stop`] waits for the daemon to confirm the goodbye was sent.
const GOODBYE_WAIT: Duration = Duration::from_secs(1);

/// The discovery state a hub shares with its REST handlers: what mDNS is doing and the hubs found.
/// Clones share it.
#[derive(Clone)]
pub struct Shared {
    inner: Arc<Mutex<State>>,
}

struct State {
    advertising: bool,
    browsing: bool,
    error: Option<String>,
    list: HubList,
}

impl Default for Shared {
    /// Neither advertising nor browsing, because nothing started them (yet).
    fn default() -> Shared {
        Shared {
            inner: Arc::new(Mutex::new(State {
                advertising: false,
                browsing: false,
                error: Some("discovery has not been started".into()),
                list: HubList::default(),
            })),
        }
    }
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = self.lock();
        f.debug_struct("Shared")
            .field("advertising", &s.advertising)
            .field("browsing", &s.browsing)
            .field("error", &s.error)
            .finish_non_exhaustive()
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn set(&self, advertising: bool, browsing: bool, error: Option<String>) {
        let mut s = self.lock();
        s.advertising = advertising;
        s.browsing = browsing;
        s.error = error;
    }

    pub(crate) fn with_list<R>(&self, f: impl FnOnce(&mut HubList) -> R) -> R {
        f(&mut self.lock().list)
    }

    /// Starts an empty list that ignores the hub `own_id`.
    pub(crate) fn reset_list(&self, own_id: Option<String>) {
        self.lock().list = HubList::new(own_id);
    }

    /// The other hubs found and confirmed, by name.
    pub fn hubs(&self) -> Vec<DiscoveredHub> {
        self.lock().list.hubs()
    }

    /// Whether the hub advertises and browses, over which interfaces, and why not if it cannot.
    pub fn mdns(&self) -> MdnsState {
        let interfaces = lan_interfaces();
        let s = self.lock();
        let error = s.error.clone().or_else(|| {
            ((s.advertising || s.browsing) && interfaces.is_empty()).then(|| {
                "no LAN network interface is up (loopback, container, VM-bridge and VPN interfaces are \
                 not used): connect to a network"
                    .to_owned()
            })
        });
        MdnsState { advertising: s.advertising, browsing: s.browsing, interfaces, error }
    }

    /// The body of `GET /api/hubs`.
    pub fn response(&self) -> HubsResponse {
        HubsResponse { hubs: self.hubs(), mdns: self.mdns() }
    }

    /// Probes under way.
    pub fn probing(&self) -> usize {
        self.lock().list.probing()
    }
}

/// The names of the interfaces mDNS uses now: up, not loopback or point-to-point, and LAN ones.
pub fn lan_interfaces() -> Vec<String> {
    let mut names: Vec<String> = if_addrs::get_if_addrs()
        .unwrap_or_default()
        .into_iter()
        .filter(|i| i.is_oper_up() && !i.is_loopback() && !i.is_p2p() && is_lan_interface(&i.name))
        .map(|i| i.name)
        .collect();
    names.sort();
    names.dedup();
    names
}

/// An mDNS daemon (its own thread and sockets on UDP 5353) restricted to LAN interfaces, including
/// ones that come up later.
pub fn new_daemon() -> Result<ServiceDaemon, mdns_sd::Error> {
    let daemon = ServiceDaemon::new()?;
    let not_lan = IfPredicate::new(|i: &if_addrs::Interface| !is_lan_interface(&i.name));
    let events = match daemon.disable_interface(IfKind::Predicate(not_lan)).and_then(|()| daemon.monitor()) {
        Ok(events) => events,
        Err(e) => {
            let _ = daemon.shutdown();
            return Err(e);
        }
    };
    let _ = std::thread::Builder::new().name("mdns-monitor".into()).spawn(move || {
        while let Ok(event) = events.recv() {
            match event {
                DaemonEvent::Error(e) => tracing::warn!(error = %e, "mDNS"),
                DaemonEvent::NameChange(c) => {
                    tracing::info!(from = %c.original, to = %c.new_name, "mDNS name taken on the network; renamed");
                }
                _ => {}
            }
        }
    });
    Ok(daemon)
}

/// A hub's discovery: its advertisement and its browser. [`Discovery::stop`] (or dropping it) sends the
/// goodbye and stops the daemon.
pub struct Discovery {
    shared: Shared,
    daemon: Option<ServiceDaemon>,
    advertised: Option<String>,
    browser: Option<Browser>,
}

impl std::fmt::Debug for Discovery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Discovery")
            .field("advertised", &self.advertised)
            .field("shared", &self.shared)
            .finish()
    }
}

/// Starts discovery for the hub described by `info`, which listens on `bound`: advertises it (on
/// `bound`'s address when it is bound to one, else on every LAN address) and browses for other hubs,
/// into `shared`. When `enabled` is off it only records that. Never fails: what does not work is
/// logged and shown in [`MdnsState::error`]. Must be called from within a Tokio runtime.
pub fn start(shared: &Shared, info: &HubInfo, enabled: bool, bound: SocketAddr) -> Discovery {
    let shared = shared.clone();
    let off = |error: String| {
        shared.set(false, false, Some(error));
        Discovery { shared: shared.clone(), daemon: None, advertised: None, browser: None }
    };
    if !enabled {
        return off("discovery is turned off (--no-discovery or `discovery = false`)".into());
    }
    let daemon = match new_daemon() {
        Ok(d) => d,
        Err(e) => {
            tracing::warn!(error = %e, "mDNS cannot start; guests can still join by URL");
            return off(format!("mDNS cannot start: {e}"));
        }
    };
    let mut errors = Vec::new();
    let advertised = if bound.ip().is_loopback() {
        errors.push(format!("not advertised: the hub listens on {} only", bound.ip()));
        None
    } else {
        let ip = (!bound.ip().is_unspecified()).then_some(bound.ip());
        match advertise::register(&daemon, info, ip, bound.port()) {
            Ok(fullname) => {
                tracing::info!(service = %fullname, host = %host_name(&info.hub_id), "advertising over mDNS");
                Some(fullname)
            }
            Err(e) => {
                tracing::warn!(error = %e, "mDNS advertising failed; guests can still join by URL");
                errors.push(format!("cannot advertise: {e}"));
                None
            }
        }
    };
    let browser = match Browser::start(&daemon, Some(info.hub_id.clone()), shared.clone()) {
        Ok(b) => Some(b),
        Err(e) => {
            tracing::warn!(error = %e, "mDNS browsing failed");
            errors.push(e.to_string());
            None
        }
    };
    let error = (!errors.is_empty()).then(|| errors.join("; "));
    shared.set(advertised.is_some(), browser.is_some(), error);
    Discovery { shared, daemon: Some(daemon), advertised, browser }
}

impl Discovery {
    /// What the REST route reads: the same as `Hub::discovery`.
    pub fn shared(&self) -> &Shared {
        &self.shared
    }

    /// Withdraws the advertisement (goodbye packets, so other hubs drop this one at once), stops
    /// browsing and the daemon. Blocks for up to a second; from async code, call it in
    /// `spawn_blocking`.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        if let Some(browser) = self.browser.take() {
            browser.stop();
        }
        let Some(daemon) = self.daemon.take() else { return };
        if let Some(fullname) = self.advertised.take() {
            match daemon.unregister(&fullname) {
                Ok(rx) => {
                    if rx.recv_timeout(GOODBYE_WAIT).is_err() {
                        tracing::debug!("mDNS goodbye not confirmed in time");
                    }
                }
                Err(e) => tracing::debug!(error = %e, "mDNS unregister failed"),
            }
        }
        let _ = daemon.shutdown();
        self.shared.set(false, false, Some("discovery has stopped".into()));
    }
}

impl Drop for Discovery {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Why [`discover`] could not look.
#[derive(Debug, thiserror::Error)]
pub enum DiscoveryError {
    #[error("mDNS cannot start: {0}")]
    Daemon(#[from] mdns_sd::Error),
    #[error(transparent)]
    Browse(#[from] BrowseError),
}

/// Looks for hubs on the LAN for `wait`, then for the probes still under way, and returns the hubs
/// confirmed (every hub, this machine's included) with the state of mDNS. Must be called from within a
/// Tokio runtime.
pub async fn discover(wait: Duration) -> Result<HubsResponse, DiscoveryError> {
    let daemon = new_daemon()?;
    let shared = Shared::default();
    let browser = Browser::start(&daemon, None, shared.clone())?;
    shared.set(false, true, None);
    tokio::time::sleep(wait).await;
    let deadline = Instant::now() + PROBE_TIMEOUT * 2;
    while shared.probing() > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let response = shared.response();
    browser.stop();
    let _ = daemon.shutdown();
    Ok(response)
}
