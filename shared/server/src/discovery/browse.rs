//! Looking for other hubs: browses `_hubbub._tcp`, and shows a service only once the hub behind it
//! answers `GET /api/info` with the id it advertised (and says how many guests it has).

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use hubbub_protocol::{DiscoveredHub, HubInfo, StatusResponse};
use mdns_sd::{ResolvedService, ServiceDaemon, ServiceEvent};
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::advertise::Txt;
use super::list::Probe;
use super::{SERVICE_TYPE, Shared};
use crate::time::now_ms;

/// How long one probe request may take, connecting included.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(3);
/// How often the browser looks for probes that are due.
const TICK: Duration = Duration::from_secs(1);

/// A running browse; [`Browser::stop`] ends it (dropping it does too).
pub struct Browser {
    daemon: ServiceDaemon,
    cancel: CancellationToken,
}

impl Browser {
    /// Browses with `daemon` and keeps the confirmed hubs in `shared`, ignoring the hub `own_id`. Must
    /// be called from within a Tokio runtime: probes are tasks on it.
    pub fn start(
        daemon: &ServiceDaemon,
        own_id: Option<String>,
        shared: Shared,
    ) -> Result<Browser, BrowseError> {
        let client = reqwest::Client::builder()
            .no_proxy()
            .connect_timeout(PROBE_TIMEOUT)
            .timeout(PROBE_TIMEOUT)
            .build()
            .map_err(|e| BrowseError(format!("cannot make an HTTP client: {e}")))?;
        let events = daemon.browse(SERVICE_TYPE).map_err(|e| BrowseError(format!("cannot browse: {e}")))?;
        shared.reset_list(own_id);
        // mdns-sd hands events over a blocking channel: a thread passes them on to the task. It ends
        // when the daemon closes the channel (stop_browse or shutdown) or the task is gone.
        let (tx, rx) = mpsc::channel(64);
        std::thread::Builder::new()
            .name("mdns-browse".into())
            .spawn(move || {
                while let Ok(event) = events.recv() {
                    if tx.blocking_send(event).is_err() {
                        break;
                    }
                }
            })
            .map_err(|e| BrowseError(format!("cannot start a thread: {e}")))?;
        let cancel = CancellationToken::new();
        tokio::spawn(run(rx, client, shared, cancel.clone()));
        Ok(Browser { daemon: daemon.clone(), cancel })
    }

    /// Stops browsing; probes under way are abandoned.
    pub fn stop(self) {
        drop(self);
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        self.cancel.cancel();
        let _ = self.daemon.stop_browse(SERVICE_TYPE);
    }
}

/// Why browsing could not start.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct BrowseError(String);

async fn run(
    mut events: mpsc::Receiver<ServiceEvent>,
    client: reqwest::Client,
    shared: Shared,
    cancel: CancellationToken,
) {
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // Dropped with this task, which aborts the probes still running.
    let mut probes = JoinSet::new();
    let spawn = |probes: &mut JoinSet<()>, probe: Probe| {
        let (client, shared) = (client.clone(), shared.clone());
        probes.spawn(async move {
            let result = probe_hub(&client, &probe.addrs, &probe.hub_id).await;
            shared.with_list(|list| list.probed(&probe, result, Instant::now()));
        });
    };
    loop {
        tokio::select! {
            () = cancel.cancelled() => break,
            event = events.recv() => {
                let Some(event) = event else { break };
                if let Some(probe) = handle(&shared, event) {
                    spawn(&mut probes, probe);
                }
            }
            _ = tick.tick() => {
                for probe in shared.with_list(|list| list.due(Instant::now())) {
                    spawn(&mut probes, probe);
                }
            }
            Some(_) = probes.join_next(), if !probes.is_empty() => {}
        }
    }
}

/// Applies one mDNS event to the list; returns the probe to start, if any.
fn handle(shared: &Shared, event: ServiceEvent) -> Option<Probe> {
    match event {
        ServiceEvent::ServiceResolved(service) => {
            let Some(txt) = Txt::parse(service.get_properties()) else {
                tracing::debug!(service = %service.fullname, "mDNS service without a hub id; ignored");
                return None;
            };
            let addrs = candidate_addrs(&service);
            tracing::debug!(service = %service.fullname, ?addrs, "mDNS service resolved");
            shared.with_list(|list| list.resolved(&service.fullname, &txt.hub_id, addrs, Instant::now()))
        }
        ServiceEvent::ServiceRemoved(_, fullname) => {
            tracing::debug!(service = %fullname, "mDNS service removed");
            shared.with_list(|list| list.removed(&fullname));
            None
        }
        _ => None,
    }
}

/// Where to reach a resolved service: IPv4 addresses first, then IPv6 ones that need no scope (a
/// link-local address cannot go in a URL a browser opens); never loopback.
fn candidate_addrs(service: &ResolvedService) -> Vec<SocketAddr> {
    let mut ips: Vec<IpAddr> = service
        .get_addresses()
        .iter()
        .map(mdns_sd::ScopedIp::to_ip_addr)
        .filter(|ip| match ip {
            IpAddr::V4(v4) => !v4.is_loopback() && !v4.is_unspecified(),
            IpAddr::V6(v6) => !v6.is_loopback() && !v6.is_unspecified() && !v6.is_unicast_link_local(),
        })
        .collect();
    ips.sort_by_key(|ip| (ip.is_ipv6(), *ip));
    ips.into_iter().map(|ip| SocketAddr::new(ip, service.get_port())).collect()
}

/// The URL guests open for a hub at `addr`.
pub fn hub_url(addr: SocketAddr) -> String {
    format!("http://{addr}/")
}

/// Tries `addrs` in turn until one answers as hub `hub_id`.
async fn probe_hub(client: &reqwest::Client, addrs: &[SocketAddr], hub_id: &str) -> Option<DiscoveredHub> {
    for &addr in addrs {
        match probe_addr(client, addr, hub_id).await {
            Ok(hub) => return Some(hub),
            Err(e) => tracing::debug!(%addr, error = %e, "hub probe failed"),
        }
    }
    None
}

async fn probe_addr(
    client: &reqwest::Client,
    addr: SocketAddr,
    hub_id: &str,
) -> anyhow::Result<DiscoveredHub> {
    let url = hub_url(addr);
    let get_info =
        async { client.get(format!("{url}api/info")).send().await?.error_for_status()?.json().await };
    let get_status =
        async { client.get(format!("{url}api/status")).send().await?.error_for_status()?.json().await };
    let (info, status): (reqwest::Result<HubInfo>, reqwest::Result<StatusResponse>) =
        tokio::join!(get_info, get_status);
    let (info, status) = (info?, status?);
    if info.hub_id != hub_id {
        anyhow::bail!("it answers as hub {}, not {hub_id}", info.hub_id);
    }
    Ok(DiscoveredHub {
        hub_id: info.hub_id,
        name: info.name,
        url,
        protocol_version: info.protocol_version,
        version: info.version,
        guests_online: status.connections,
        last_seen: now_ms(),
    })
}
