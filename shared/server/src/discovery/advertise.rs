//! Announcing a hub: the `_hubbub._tcp` service with the hub's name, a host name of its own and TXT facts.

use std::net::IpAddr;

use hubbub_protocol::HubInfo;
use mdns_sd::{ServiceDaemon, ServiceInfo, TxtProperties};

use super::SERVICE_TYPE;

/// The most bytes of a DNS label: the instance name is cut to fit.
const MAX_LABEL: usize = 63;
/// TXT strings are at most 255 bytes, key and `=` included; the name is cut to leave room.
const MAX_TXT_NAME: usize = 200;

/// The host name a hub announces: made from its id, never the machine's name (which may say whose it
/// is), and unique per hub even when several run on one machine.
pub fn host_name(hub_id: &str) -> String {
    let short = hub_id.get(..8).unwrap_or(hub_id);
    format!("hubbub-{short}.local.")
}

/// What a hub's TXT record says about it. Browsers trust none of it until `GET /api/info` agrees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Txt {
    /// `id`: the hub id.
    pub hub_id: String,
    /// `proto`: the wire protocol version (0 when absent or not a number).
    pub protocol_version: u32,
    /// `name`: the hub's name (possibly cut short).
    pub name: String,
    /// `version`: the hub's software version.
    pub version: String,
}

impl Txt {
    /// Reads a TXT record; `None` without a non-empty `id`.
    pub fn parse(props: &TxtProperties) -> Option<Txt> {
        let get = |key| props.get_property_val_str(key).unwrap_or_default().trim().to_owned();
        let hub_id = get("id");
        if hub_id.is_empty() {
            return None;
        }
        Some(Txt {
            hub_id,
            protocol_version: get("proto").parse().unwrap_or(0),
            name: get("name"),
            version: get("version"),
        })
    }
}

/// `s` cut to at most `max` bytes, at a character boundary.
fn cut(s: &str, max: usize) -> &str {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// The service record of a hub listening on `port`: on `ip` only, or (`None`) on every address of the
/// daemon's interfaces, kept up to date as they change.
pub fn service_info(info: &HubInfo, ip: Option<IpAddr>, port: u16) -> Result<ServiceInfo, mdns_sd::Error> {
    let proto = info.protocol_version.to_string();
    let props = [
        ("id", info.hub_id.as_str()),
        ("proto", proto.as_str()),
        ("name", cut(&info.name, MAX_TXT_NAME)),
        ("version", info.version.as_str()),
    ];
    let instance = cut(&info.name, MAX_LABEL);
    let host = host_name(&info.hub_id);
    Ok(match ip {
        Some(ip) => ServiceInfo::new(SERVICE_TYPE, instance, &host, ip, port, &props[..])?,
        None => ServiceInfo::new(SERVICE_TYPE, instance, &host, (), port, &props[..])?.enable_addr_auto(),
    })
}

/// Registers the hub's service with `daemon`; returns its full name, for the goodbye.
pub fn register(
    daemon: &ServiceDaemon,
    info: &HubInfo,
    ip: Option<IpAddr>,
    port: u16,
) -> Result<String, mdns_sd::Error> {
    let service = service_info(info, ip, port)?;
    let fullname = service.get_fullname().to_owned();
    daemon.register(service)?;
    Ok(fullname)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(name: &str) -> HubInfo {
        HubInfo {
            hub_id: "0123456789abcdef0123456789abcdef".into(),
            name: name.into(),
            protocol_version: 3,
            version: "0.1.0".into(),
            pin_required: false,
        }
    }

    #[test]
    fn the_txt_record_round_trips_and_the_host_comes_from_the_id() {
        let s = service_info(&info("Attic"), None, 7470).unwrap();
        assert_eq!(s.get_fullname(), "Attic._hubbub._tcp.local.");
        assert_eq!(s.get_hostname(), "hubbub-01234567.local.");
        assert_eq!(s.get_port(), 7470);
        assert_eq!(
            Txt::parse(s.get_properties()),
            Some(Txt {
                hub_id: "0123456789abcdef0123456789abcdef".into(),
                protocol_version: 3,
                name: "Attic".into(),
                version: "0.1.0".into(),
            })
        );
        let fixed = service_info(&info("Attic"), Some([10, 0, 0, 2].into()), 7470).unwrap();
        assert_eq!(fixed.get_addresses_v4().len(), 1);
    }

    #[test]
    fn long_names_are_cut_at_a_character_boundary() {
        let name = "é".repeat(64);
        let s = service_info(&info(&name), None, 7470).unwrap();
        let txt = Txt::parse(s.get_properties()).unwrap();
        assert_eq!(txt.name, "é".repeat(64));
        assert_eq!(s.get_fullname(), format!("{}._hubbub._tcp.local.", "é".repeat(31)));
        let long = "😀".repeat(64);
        let s = service_info(&info(&long), None, 7470).unwrap();
        assert_eq!(Txt::parse(s.get_properties()).unwrap().name, "😀".repeat(50));
    }

    #[test]
    fn a_record_without_an_id_is_not_a_hub() {
        let s = ServiceInfo::new(SERVICE_TYPE, "x", "h.local.", (), 1, &[("proto", "x")][..]).unwrap();
        assert_eq!(Txt::parse(s.get_properties()), None);
        let s = ServiceInfo::new(SERVICE_TYPE, "x", "h.local.", (), 1, &[("id", "a1")][..]).unwrap();
        assert_eq!(Txt::parse(s.get_properties()).unwrap().protocol_version, 0);
    }
}
