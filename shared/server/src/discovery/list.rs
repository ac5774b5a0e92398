//! The hubs a browser knows: mDNS services by instance name, each shown once an HTTP probe confirmed it.
//!
//! Pure state: every call that depends on time takes it, so the tests run on a made-up clock.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use hubbub_protocol::DiscoveredHub;

/// How often a confirmed hub is probed again (its guest count, and whether it still answers).
pub const REPROBE: Duration = Duration::from_secs(10);
/// How soon a failed probe is retried.
pub const RETRY: Duration = Duration::from_secs(2);
/// Failed probes in a row after which a confirmed hub is no longer shown.
pub const MAX_MISSES: u32 = 2;

/// One advertised service instance.
#[derive(Debug)]
struct Service {
    /// The hub id its TXT record claims; a probe must confirm it.
    hub_id: String,
    /// Where to probe, best first.
    addrs: Vec<SocketAddr>,
    /// What the last successful probe found; `None` until one succeeds, and after [`MAX_MISSES`].
    hub: Option<DiscoveredHub>,
    misses: u32,
    /// The probe under way, if any.
    probe: Option<u64>,
    /// The addresses or the id changed while a probe was under way: probe again as soon as it ends.
    stale: bool,
    next_probe: Instant,
}

/// A probe to run: the service's instance name, the id to expect and the addresses to try.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    /// Tells this probe from an older one of a service that went and came back.
    pub seq: u64,
    pub fullname: String,
    pub hub_id: String,
    pub addrs: Vec<SocketAddr>,
}

/// Every service of `_hubbub._tcp` seen, except the hub's own.
#[derive(Debug, Default)]
pub struct HubList {
    own_id: Option<String>,
    services: HashMap<String, Service>,
    next_seq: u64,
}

impl HubList {
    /// A list that ignores services claiming `own_id` (the hub's own advertisement).
    pub fn new(own_id: Option<String>) -> HubList {
        HubList { own_id, services: HashMap::new(), next_seq: 0 }
    }

    /// mDNS resolved (or re-resolved) a service. Returns the probe to start now, if any: for a new
    /// service, or one whose addresses or claimed id changed.
    pub fn resolved(
        &mut self,
        fullname: &str,
        hub_id: &str,
        addrs: Vec<SocketAddr>,
        now: Instant,
    ) -> Option<Probe> {
        if self.own_id.as_deref() == Some(hub_id) || addrs.is_empty() {
            return None;
        }
        let service = match self.services.get_mut(fullname) {
            Some(s) if s.hub_id == hub_id && s.addrs == addrs => return None,
            Some(s) => {
                if s.hub_id != hub_id {
                    s.hub = None;
                    s.misses = 0;
                }
                s.hub_id = hub_id.to_owned();
                s.addrs = addrs;
                s
            }
            None => self.services.entry(fullname.to_owned()).or_insert(Service {
                hub_id: hub_id.to_owned(),
                addrs,
                hub: None,
                misses: 0,
                probe: None,
                stale: false,
                next_probe: now,
            }),
        };
        if service.probe.is_some() {
            service.stale = true;
            return None;
        }
        service.next_probe = now + REPROBE;
        self.next_seq += 1;
        Some(start(self.next_seq, fullname, service))
    }

    /// The service said goodbye (or its records expired): it is gone at once.
    pub fn removed(&mut self, fullname: &str) {
        self.services.remove(fullname);
    }

    /// The probes due at `now`; each is marked under way until [`HubList::probed`].
    pub fn due(&mut self, now: Instant) -> Vec<Probe> {
        let mut due = Vec::new();
        for (fullname, s) in &mut self.services {
            if s.probe.is_none() && s.next_probe <= now {
                self.next_seq += 1;
                due.push(start(self.next_seq, fullname, s));
            }
        }
        due
    }

    /// A probe ended: `Some` with what the hub said about itself, `None` when it did not answer or
    /// answered with another id. Results for services removed or changed meanwhile are dropped.
    pub fn probed(&mut self, probe: &Probe, result: Option<DiscoveredHub>, now: Instant) {
        let Some(s) = self.services.get_mut(&probe.fullname) else { return };
        if s.probe != Some(probe.seq) {
            return;
        }
        s.probe = None;
        match result {
            _ if s.hub_id != probe.hub_id => {}
            Some(hub) => {
                s.hub = Some(hub);
                s.misses = 0;
                s.next_probe = now + REPROBE;
            }
            None => {
                s.misses += 1;
                if s.misses >= MAX_MISSES || s.hub.is_none() {
                    s.hub = None;
                }
                s.next_probe = now + RETRY;
            }
        }
        if std::mem::take(&mut s.stale) {
            s.next_probe = now;
        }
    }

    /// Probes under way.
    pub fn probing(&self) -> usize {
        self.services.values().filter(|s| s.probe.is_some()).count()
    }

    /// The confirmed hubs, by name then URL; a hub seen under two instance names is listed once.
    pub fn hubs(&self) -> Vec<DiscoveredHub> {
        let mut by_id: HashMap<&str, &DiscoveredHub> = HashMap::new();
        for hub in self.services.values().filter_map(|s| s.hub.as_ref()) {
            if self.own_id.as_deref() == Some(hub.hub_id.as_str()) {
                continue;
            }
            let seen = by_id.entry(&hub.hub_id).or_insert(hub);
            if hub.last_seen > seen.last_seen {
                *seen = hub;
            }
        }
        let mut hubs: Vec<DiscoveredHub> = by_id.into_values().cloned().collect();
        hubs.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.url.cmp(&b.url)));
        hubs
    }
}

fn start(seq: u64, fullname: &str, s: &mut Service) -> Probe {
    s.probe = Some(seq);
    Probe { seq, fullname: fullname.to_owned(), hub_id: s.hub_id.clone(), addrs: s.addrs.clone() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hub(id: &str, name: &str, last_seen: i64) -> DiscoveredHub {
        DiscoveredHub {
            hub_id: id.into(),
            name: name.into(),
            url: format!("http://10.0.0.{}:7470/", id.len()),
            protocol_version: 1,
            version: "0.1.0".into(),
            guests_online: 3,
            last_seen,
        }
    }

    fn addr(last: u8) -> Vec<SocketAddr> {
        vec![SocketAddr::from(([10, 0, 0, last], 7470))]
    }

    #[test]
    fn own_advertisement_and_empty_addresses_are_ignored() {
        let t = Instant::now();
        let mut list = HubList::new(Some("me".into()));
        assert_eq!(list.resolved("Me._hubbub._tcp.local.", "me", addr(1), t), None);
        assert_eq!(list.resolved("X._hubbub._tcp.local.", "x", vec![], t), None);
        assert!(list.due(t + REPROBE).is_empty());
        assert!(list.hubs().is_empty());
    }

    #[test]
    fn a_hub_is_shown_only_after_its_probe_confirms_it() {
        let t = Instant::now();
        let mut list = HubList::new(Some("me".into()));
        let probe = list.resolved("A._hubbub._tcp.local.", "a", addr(2), t).unwrap();
        assert_eq!(probe.hub_id, "a");
        assert!(list.hubs().is_empty());
        assert_eq!(list.probing(), 1);
        // The same resolution again starts nothing; neither does a tick while the probe runs.
        assert_eq!(list.resolved("A._hubbub._tcp.local.", "a", addr(2), t), None);
        assert!(list.due(t + REPROBE).is_empty());
        list.probed(&probe, Some(hub("a", "Attic", 1)), t);
        assert_eq!(list.probing(), 0);
        assert_eq!(list.hubs(), vec![hub("a", "Attic", 1)]);
        // Probed again once REPROBE has passed.
        assert!(list.due(t + REPROBE / 2).is_empty());
        let again = list.due(t + REPROBE);
        assert_eq!((again.len(), &again[0].addrs), (1, &probe.addrs));
    }

    #[test]
    fn a_failed_first_probe_is_retried_soon_and_a_silent_hub_disappears() {
        let t = Instant::now();
        let mut list = HubList::default();
        let probe = list.resolved("A._hubbub._tcp.local.", "a", addr(2), t).unwrap();
        list.probed(&probe, None, t);
        assert!(list.hubs().is_empty());
        let retry = list.due(t + RETRY);
        assert_eq!(retry.len(), 1);
        list.probed(&retry[0], Some(hub("a", "Attic", 1)), t + RETRY);
        assert_eq!(list.hubs().len(), 1);
        // One miss is forgiven, the second in a row hides it.
        let t2 = t + RETRY + REPROBE;
        let p = list.due(t2).pop().unwrap();
        list.probed(&p, None, t2);
        assert_eq!(list.hubs().len(), 1);
        let p = list.due(t2 + RETRY).pop().unwrap();
        list.probed(&p, None, t2 + RETRY);
        assert!(list.hubs().is_empty());
        // It answers again: shown again.
        let p = list.due(t2 + RETRY * 2).pop().unwrap();
        list.probed(&p, Some(hub("a", "Attic", 2)), t2 + RETRY * 2);
        assert_eq!(list.hubs().len(), 1);
    }

    #[test]
    fn goodbye_removes_at_once_and_late_results_are_dropped() {
        let t = Instant::now();
        let mut list = HubList::default();
        let probe = list.resolved("A._hubbub._tcp.local.", "a", addr(2), t).unwrap();
        list.probed(&probe, Some(hub("a", "Attic", 1)), t);
        let again = list.due(t + REPROBE).pop().unwrap();
        list.removed("A._hubbub._tcp.local.");
        assert!(list.hubs().is_empty());
        list.probed(&again, Some(hub("a", "Attic", 2)), t + REPROBE);
        assert!(list.hubs().is_empty());
        assert_eq!(list.probing(), 0);
    }

    #[test]
    fn new_addresses_during_a_probe_are_probed_right_after_it() {
        let t = Instant::now();
        let mut list = HubList::default();
        let first = list.resolved("A._hubbub._tcp.local.", "a", addr(2), t).unwrap();
        assert_eq!(list.resolved("A._hubbub._tcp.local.", "a", addr(3), t), None);
        list.probed(&first, None, t);
        let next = list.due(t).pop().unwrap();
        assert_eq!(next.addrs, addr(3));
    }

    #[test]
    fn another_id_under_the_same_name_drops_what_was_confirmed() {
        let t = Instant::now();
        let mut list = HubList::default();
        let probe = list.resolved("A._hubbub._tcp.local.", "a", addr(2), t).unwrap();
        list.probed(&probe, Some(hub("a", "Attic", 1)), t);
        let other = list.resolved("A._hubbub._tcp.local.", "b", addr(2), t).unwrap();
        assert!(list.hubs().is_empty());
        // The old probe's result no longer counts.
        list.probed(&probe, Some(hub("a", "Attic", 2)), t);
        assert!(list.hubs().is_empty());
        list.probed(&other, Some(hub("b", "Attic", 3)), t);
        assert_eq!(list.hubs()[0].hub_id, "b");
    }

    #[test]
    fn hubs_are_sorted_by_name_and_listed_once_per_id() {
        let t = Instant::now();
        let mut list = HubList::default();
        for (name, id, last, seen) in [("Z", "z", 1, 1), ("B", "b", 2, 1), ("B (2)", "b", 3, 5)] {
            let p = list.resolved(&format!("{name}._hubbub._tcp.local."), id, addr(last), t).unwrap();
            list.probed(&p, Some(hub(id, name, seen)), t);
        }
        let names: Vec<_> = list.hubs().into_iter().map(|h| h.name).collect();
        assert_eq!(names, ["B (2)", "Z"]);
    }
}
