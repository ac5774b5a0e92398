//! mDNS: advertises the hub as `_hubbub._tcp.local.` so other Hubbub apps find it by themselves.

use hubbub_protocol::HubInfo;
use mdns_sd::{IfKind, ServiceDaemon, ServiceInfo};

use crate::lan::is_lan_interface;

/// The mDNS service type of a hub.
pub const SERVICE_TYPE: &str = "_hubbub._tcp.local.";

/// A running advertisement; [`Advertiser::stop`] sends the goodbye.
pub struct Advertiser {
    daemon: ServiceDaemon,
    fullname: String,
}

impl std::fmt::Debug for Advertiser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Advertiser").field("fullname", &self.fullname).finish()
    }
}

/// Starts advertising the hub on LAN interfaces (never container, VM-bridge or VPN ones).
pub fn advertise(info: &HubInfo, port: u16) -> Result<Advertiser, mdns_sd::Error> {
    let daemon = ServiceDaemon::new()?;
    for iface in if_addrs::get_if_addrs().unwrap_or_default() {
        if !is_lan_interface(&iface.name) {
            let _ = daemon.disable_interface(IfKind::Name(iface.name.clone()));
        }
    }
    let short_id = info.hub_id.get(..8).unwrap_or(&info.hub_id);
    let host = format!("hubbub-{short_id}.local.");
    let proto = info.protocol_version.to_string();
    let props = [("id", info.hub_id.as_str()), ("proto", proto.as_str()), ("name", info.name.as_str())];
    let service = ServiceInfo::new(SERVICE_TYPE, &info.name, &host, "", port, &props[..])?.enable_addr_auto();
    let fullname = service.get_fullname().to_owned();
    daemon.register(service)?;
    Ok(Advertiser { daemon, fullname })
}

impl Advertiser {
    /// Withdraws the advertisement (goodbye packets) and stops the daemon.
    pub fn stop(self) {
        if let Ok(rx) = self.daemon.unregister(&self.fullname) {
            let _ = rx.recv_timeout(std::time::Duration::from_secs(1));
        }
        let _ = self.daemon.shutdown();
    }
}
