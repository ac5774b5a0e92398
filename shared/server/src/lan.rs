//! The machine's LAN addresses, the join URLs built from them, and QR codes for the terminal.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

/// Interface names that are never where guests are: containers, bridges for VMs, VPN tunnels.
const SKIPPED_PREFIXES: &[&str] = &[
    "docker",
    "veth",
    "br-",
    "virbr",
    "vmnet",
    "vboxnet",
    "tun",
    "tap",
    "wg",
    "tailscale",
    "zt",
    "utun",
    "lo",
];

/// Whether guests could plausibly reach the hub through this interface.
pub fn is_lan_interface(name: &str) -> bool {
    !SKIPPED_PREFIXES.iter().any(|p| name.starts_with(p))
}

/// IPv4 addresses of LAN interfaces, with their interface names.
pub fn lan_ipv4() -> Vec<(String, Ipv4Addr)> {
    let mut out: Vec<_> = if_addrs::get_if_addrs()
        .unwrap_or_default()
        .into_iter()
        .filter(|i| !i.is_loopback() && is_lan_interface(&i.name))
        .filter_map(|i| match i.ip() {
            IpAddr::V4(ip) if !ip.is_link_local() => Some((i.name, ip)),
            _ => None,
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The URLs guests can open: one per LAN address when the hub listens on all interfaces, otherwise
/// the one address it is bound to.
pub fn join_urls(bound: SocketAddr) -> Vec<String> {
    let port = bound.port();
    if bound.ip().is_unspecified() {
        let urls: Vec<_> = lan_ipv4().into_iter().map(|(_, ip)| format!("http://{ip}:{port}/")).collect();
        if urls.is_empty() { vec![format!("http://127.0.0.1:{port}/")] } else { urls }
    } else {
        vec![format!("http://{bound}/")]
    }
}

/// A QR code of `text` drawn with Unicode half blocks, for a terminal.
pub fn qr_for_terminal(text: &str) -> Option<String> {
    let code = qrcode::QrCode::new(text.as_bytes()).ok()?;
    Some(
        code.render::<qrcode::render::unicode::Dense1x2>()
            .dark_color(qrcode::render::unicode::Dense1x2::Light)
            .light_color(qrcode::render::unicode::Dense1x2::Dark)
            .build(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_qr() {
        assert_eq!(join_urls("127.0.0.1:9000".parse().unwrap()), vec!["http://127.0.0.1:9000/"]);
        assert!(join_urls("0.0.0.0:9000".parse().unwrap()).iter().all(|u| u.ends_with(":9000/")));
        assert!(!is_lan_interface("docker0"));
        assert!(is_lan_interface("wlan0"));
        let qr = qr_for_terminal("http://192.168.1.2:7470/").unwrap();
        assert!(qr.lines().count() > 10);
    }
}
