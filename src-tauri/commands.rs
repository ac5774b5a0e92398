//! The dashboard's commands: what the window shows (join links with QR codes, guests, parties,
//! diagnostics) and opening hub pages in their own windows, which get no access to these commands.

// Tauri hands commands their arguments by value.
#![allow(clippy::needless_pass_by_value)]

use std::sync::atomic::{AtomicU32, Ordering};

use hubbub_protocol::{DiscoveredHub, MdnsState, PartySummary, Permissions};
use hubbub_server::lan;
use hubbub_server::moderation::Actor;
use serde::Serialize;
use tauri::{AppHandle, State, WebviewUrl, WebviewWindowBuilder};

use crate::embedded::Embedded;
use crate::settings::{self, Saved};

/// One address guests can open, with its QR code as SVG markup.
#[derive(Debug, Serialize)]
pub struct JoinLink {
    pub interface: String,
    pub url: String,
    pub qr_svg: String,
}

/// Everything the dashboard shows.
#[derive(Debug, Serialize)]
pub struct Dashboard {
    pub name: String,
    /// The join PIN, shown to the host so they can tell guests.
    pub pin: Option<String>,
    pub links: Vec<JoinLink>,
    /// The address the hub is bound to, e.g. `0.0.0.0:7470`.
    pub bound: String,
    pub port: u16,
    /// Why the configured port could not be used, if it could not.
    pub bind_error: Option<String>,
    /// Guests online now, by name (the first 200).
    pub guests: Vec<String>,
    /// How many guests are online in all.
    pub guests_online: usize,
    pub connections: u64,
    pub parties: Vec<PartySummary>,
    /// Other hubs found on the network, and whether mDNS works.
    pub hubs: Vec<DiscoveredHub>,
    pub mdns: MdnsState,
    /// Advice when something may keep guests out.
    pub hints: Vec<String>,
    /// What guests may do (create rooms, host parties, import packs).
    pub permissions: Permissions,
}

fn qr_svg(url: &str) -> String {
    qrcode::QrCode::new(url.as_bytes())
        .map(|qr| {
            qr.render::<qrcode::render::svg::Color<'_>>().min_dimensions(280, 280).quiet_zone(true).build()
        })
        .unwrap_or_default()
}

/// The join links: one per LAN address when the hub listens on every interface.
fn links(e: &Embedded) -> Vec<JoinLink> {
    let port = e.bound.port();
    let mut out: Vec<JoinLink> = if e.bound.ip().is_unspecified() {
        lan::lan_ipv4()
            .into_iter()
            .map(|(interface, ip)| {
                let url = format!("http://{ip}:{port}/");
                JoinLink { interface, qr_svg: qr_svg(&url), url }
            })
            .collect()
    } else {
        Vec::new()
    };
    if out.is_empty() {
        let url =
            lan::join_urls(e.bound).into_iter().next().unwrap_or_else(|| format!("http://{}/", e.bound));
        out.push(JoinLink { interface: "this computer".into(), qr_svg: qr_svg(&url), url });
    }
    out
}

fn hints(e: &Embedded, links: &[JoinLink]) -> Vec<String> {
    let port = e.bound.port();
    let mut out = Vec::new();
    if links.iter().all(|l| l.url.contains("127.0.0.1")) {
        out.push(
            "Only this computer can reach the hub: it has no Wi-Fi or Ethernet address, or it listens on \
             127.0.0.1. Connect to the network your guests use."
                .to_owned(),
        );
    }
    let mdns = e.hub.discovery().mdns();
    if let Some(error) = mdns.error.filter(|_| !mdns.advertising) {
        out.push(format!(
            "Other Hubbub apps cannot find this hub by themselves ({error}); guests can still join with the link."
        ));
    }
    out.push(format!(
        "If a guest's browser cannot open the link: allow incoming TCP port {port} in this computer's \
         firewall (and UDP port 5353 so other Hubbub apps find this hub)."
    ));
    out.push(
        "Guest and hotel Wi-Fi often isolate devices from each other (client or AP isolation): if the \
         firewall is open and the link still fails, use a network without it, or this computer's hotspot."
            .to_owned(),
    );
    out.push(
        "A VPN on this computer or on a phone can hide the local network: pause it while you host."
            .to_owned(),
    );
    out
}

/// The most guest names the dashboard lists (by name); the count covers everyone.
const GUESTS_LISTED: usize = 200;

/// What the dashboard shows now.
#[tauri::command]
pub fn dashboard(hub: State<'_, Embedded>) -> Dashboard {
    let e = hub.inner();
    let links = links(e);
    let hints = hints(e, &links);
    let (page, _, guests_online) = e.hub.presence().page("", 0, GUESTS_LISTED);
    let guests = page.into_iter().map(|u| u.display_name).collect();
    Dashboard {
        name: e.hub.info().name,
        pin: e.hub.pin(),
        hubs: e.hub.discovery().hubs(),
        mdns: e.hub.discovery().mdns(),
        bound: e.bound.to_string(),
        port: e.bound.port(),
        bind_error: e.bind_error.clone(),
        links,
        guests,
        guests_online,
        connections: e.hub.connection_count(),
        parties: e.hub.parties().list(),
        hints,
        permissions: e.hub.moderation().permissions(),
    }
}

/// Changes what guests may do, at once for everyone; the app acts as the hub's host.
#[tauri::command]
pub async fn set_permissions(hub: State<'_, Embedded>, permissions: Permissions) -> Result<(), String> {
    hub.hub.moderation().set_permissions(&Actor::Token, permissions).await.map(|_| ()).map_err(|r| r.message)
}

/// Opens the host console in a window, signed in as a host: the window's browser joins (or is
/// already in) with a fresh one-time host link, so the app's user needs no second login.
#[tauri::command]
pub fn open_console(app: AppHandle, hub: State<'_, Embedded>) -> Result<(), String> {
    let token = hub.hub.moderation().mint_host_token();
    let port = hub.bound.port();
    open_window(&app, &format!("http://127.0.0.1:{port}/console?host={token}"), "Hubbub host console")
}

fn save(e: &Embedded) -> Result<(), String> {
    let saved = Saved { name: Some(e.hub.info().name), pin: e.hub.pin() };
    settings::save(&e.hub.config().data_dir, &saved)
}

/// Renames the hub: guests see the new name on their next page load, other hubs at once.
#[tauri::command]
pub fn set_name(hub: State<'_, Embedded>, name: String) -> Result<(), String> {
    hub.hub.set_name(&name).map_err(|e| e.to_string())?;
    hub.readvertise();
    save(&hub)
}

/// Sets the join PIN, or (empty or absent) removes it. Guests already in stay in, unless
/// `end_guest_sessions` is set: then every guest must join again (with the new PIN).
#[tauri::command]
pub async fn set_pin(
    hub: State<'_, Embedded>,
    pin: Option<String>,
    end_guest_sessions: Option<bool>,
) -> Result<(), String> {
    hub.hub.set_pin(pin.as_deref()).map_err(|e| e.to_string())?;
    save(&hub)?;
    let moderation = hub.hub.moderation();
    moderation.audit_pin(&Actor::Token, hub.hub.pin().is_some()).await.map_err(|r| r.message)?;
    if end_guest_sessions == Some(true) {
        moderation.end_guest_sessions(&Actor::Token, "the PIN changed").await.map_err(|r| r.message)?;
    }
    Ok(())
}

static WINDOWS: AtomicU32 = AtomicU32::new(1);

fn open_window(app: &AppHandle, url: &str, title: &str) -> Result<(), String> {
    let parsed: tauri::Url = url.parse().map_err(|e| format!("not a valid address: {e}"))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err("the address must start with http:// or https:// and name a host".into());
    }
    let label = format!("hub-{}", WINDOWS.fetch_add(1, Ordering::Relaxed));
    WebviewWindowBuilder::new(app, label, WebviewUrl::External(parsed))
        .title(title)
        .inner_size(1100.0, 800.0)
        .build()
        .map(|_| ())
        .map_err(|e| format!("cannot open a window: {e}"))
}

/// Opens another hub (or a typed address) in a window of its own.
#[tauri::command]
pub fn open_hub(app: AppHandle, url: String) -> Result<(), String> {
    let url = url.trim();
    let url = if url.contains("://") { url.to_owned() } else { format!("http://{url}") };
    open_window(&app, &url, "Hubbub")
}

/// Opens this hub's own web page (`path`, e.g. `/` to host a party) in a window.
#[tauri::command]
pub fn open_local(app: AppHandle, hub: State<'_, Embedded>, path: String) -> Result<(), String> {
    if !path.starts_with('/') || path.contains("://") {
        return Err("a path on this hub, such as /".into());
    }
    let port = hub.bound.port();
    open_window(&app, &format!("http://127.0.0.1:{port}{path}"), "Hubbub host")
}
