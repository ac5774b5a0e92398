//! One presence scope (the hub, or one room): who is in it, through which connections, and what
//! changed since the last flush. Pure state with explicit time, so its rules are tested directly.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::time::{Duration, Instant};

use hubbub_protocol::{DevicePresence, PresenceStatus};

/// A user in a scope: their live connections, or the last ones seen while a grace period runs.
#[derive(Debug, Clone)]
struct Member {
    /// By connection id; a user has one or two, so a small vector beats a map (a B-tree node
    /// costs about 800 bytes per member per scope).
    conns: Vec<DevicePresence>,
    /// Unix milliseconds when the user entered the scope.
    since: i64,
    /// Set when the last connection left: until the deadline the user still counts as present,
    /// shown with the devices they had, so a quick reconnect changes nothing others can see.
    grace: Option<(Instant, Vec<DevicePresence>)>,
    /// What the user sorts by (their name, lowercased).
    key: String,
    /// The scope's [`PresenceSet::version`] when this member's entry last changed.
    changed_at: u64,
}

/// Who is in one scope, plus the users whose visible entry changed since [`PresenceSet::take_changes`].
#[derive(Debug, Default)]
pub struct PresenceSet {
    members: HashMap<i64, Member>,
    /// Members by sort key, so the first names of a large scope are read without sorting it.
    order: BTreeSet<(String, i64)>,
    changed: BTreeSet<i64>,
    left: BTreeSet<i64>,
    /// What subscribers were last told (see `presence::list`): the users the last diff listed,
    /// the users whose listing differs for someone who subscribed since, and the total.
    pub(super) shown: HashSet<i64>,
    pub(super) dirty: HashSet<i64>,
    pub(super) total_sent: usize,
    pub(super) total_dirty: bool,
    pub(super) total_at: Option<Instant>,
    /// Raised by every change to an entry, so a list built at one version is known to be current
    /// while none of its members changed since ([`PresenceSet::unchanged_since`]).
    version: u64,
}

impl PresenceSet {
    /// A connection of `user_id` enters the scope; `key` is what the user sorts by.
    pub fn join(&mut self, user_id: i64, device: DevicePresence, key: &str) {
        let member = self.members.entry(user_id).or_insert_with(|| {
            self.order.insert((key.to_owned(), user_id));
            Member { conns: Vec::new(), since: device.since, grace: None, key: key.to_owned(), changed_at: 0 }
        });
        if member.key != key {
            self.order.remove(&(std::mem::replace(&mut member.key, key.to_owned()), user_id));
            self.order.insert((key.to_owned(), user_id));
        }
        member.grace = None;
        match member.conns.iter_mut().find(|d| d.connection_id == device.connection_id) {
            Some(slot) => *slot = device,
            None => {
                let at = member.conns.partition_point(|d| d.connection_id < device.connection_id);
                // Most users have one connection: room for exactly it, not the four a first
                // insert would make.
                member.conns.reserve_exact(1);
                member.conns.insert(at, device);
            }
        }
        self.left.remove(&user_id);
        self.mark(user_id);
    }

    /// Notes that `user_id`'s entry changed: for the next diff, and for lists built before.
    fn mark(&mut self, user_id: i64) {
        self.version += 1;
        if let Some(member) = self.members.get_mut(&user_id) {
            member.changed_at = self.version;
        }
        self.changed.insert(user_id);
    }

    /// The scope's version: raised by every change to an entry.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// Whether every one of `ids` is present and unchanged since `version`.
    pub fn unchanged_since(&self, ids: &[i64], version: u64) -> bool {
        ids.iter().all(|id| self.members.get(id).is_some_and(|m| m.changed_at <= version))
    }

    /// A connection leaves. When it was the user's last, they stay present until `now + grace`.
    pub fn leave(&mut self, user_id: i64, connection_id: u64, now: Instant, grace: Duration) {
        let Some(member) = self.members.get_mut(&user_id) else {
            return;
        };
        let Some(at) = member.conns.iter().position(|d| d.connection_id == connection_id) else {
            return;
        };
        let before = member.conns.clone();
        member.conns.remove(at);
        if member.conns.is_empty() {
            member.grace = Some((now + grace, before));
        } else {
            self.mark(user_id);
        }
    }

    /// A connection's own status (its tab went idle or came back). Returns whether it changed.
    pub fn set_device_status(&mut self, user_id: i64, connection_id: u64, status: PresenceStatus) -> bool {
        let Some(device) = self
            .members
            .get_mut(&user_id)
            .and_then(|m| m.conns.iter_mut().find(|d| d.connection_id == connection_id))
        else {
            return false;
        };
        if device.status == status {
            return false;
        }
        device.status = status;
        self.mark(user_id);
        true
    }

    /// A member's sort key changed (they were renamed): re-sorts them and marks them changed.
    pub fn rekey(&mut self, user_id: i64, key: &str) {
        let Some(member) = self.members.get_mut(&user_id) else { return };
        if member.key != key {
            self.order.remove(&(std::mem::replace(&mut member.key, key.to_owned()), user_id));
            self.order.insert((key.to_owned(), user_id));
        }
        self.mark(user_id);
    }

    /// Marks a user's entry as changed (their name or chosen status changed).
    pub fn touch(&mut self, user_id: i64) {
        if self.members.contains_key(&user_id) {
            self.mark(user_id);
        }
    }

    /// Removes members whose grace period ended by `now`.
    pub fn expire(&mut self, now: Instant) {
        let expired: Vec<i64> = self
            .members
            .iter()
            .filter(|(_, m)| m.grace.as_ref().is_some_and(|(deadline, _)| *deadline <= now))
            .map(|(id, _)| *id)
            .collect();
        for id in expired {
            if let Some(member) = self.members.remove(&id) {
                self.order.remove(&(member.key, id));
            }
            self.changed.remove(&id);
            self.left.insert(id);
        }
    }

    /// Users whose entry changed and users who left, since the last call; both sorted.
    pub fn take_changes(&mut self) -> (Vec<i64>, Vec<i64>) {
        let changed =
            std::mem::take(&mut self.changed).into_iter().filter(|id| self.members.contains_key(id));
        (changed.collect(), std::mem::take(&mut self.left).into_iter().collect())
    }

    /// Whether the user is present (connected, or within their grace period).
    pub fn contains(&self, user_id: i64) -> bool {
        self.members.contains_key(&user_id)
    }

    /// Whether one of the user's live connections is `connection_id`.
    pub fn has_connection(&self, user_id: i64, connection_id: u64) -> bool {
        self.members.get(&user_id).is_some_and(|m| m.conns.iter().any(|d| d.connection_id == connection_id))
    }

    /// Everyone present, by name.
    pub fn user_ids(&self) -> impl Iterator<Item = i64> + '_ {
        self.order.iter().map(|(_, id)| *id)
    }

    /// The devices others see for a user (the last known ones during a grace period) and since when.
    pub fn devices(&self, user_id: i64) -> Option<(Vec<DevicePresence>, i64)> {
        let m = self.members.get(&user_id)?;
        let devices = match &m.grace {
            Some((_, last)) if m.conns.is_empty() => last.clone(),
            _ => m.conns.clone(),
        };
        Some((devices, m.since))
    }

    /// How many users are present.
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// Whether nobody is present.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// Nobody present and nothing left to report.
    pub fn is_idle(&self) -> bool {
        self.is_empty()
            && self.changed.is_empty()
            && self.left.is_empty()
            && self.shown.is_empty()
            && self.dirty.is_empty()
            && self.total_sent == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device(connection_id: u64) -> DevicePresence {
        DevicePresence { connection_id, device: "test".into(), status: PresenceStatus::Online, since: 5 }
    }

    const GRACE: Duration = Duration::from_secs(10);

    #[test]
    fn two_tabs_are_one_member_and_closing_one_keeps_them() {
        let mut set = PresenceSet::default();
        let t0 = Instant::now();
        set.join(1, device(10), "a");
        set.join(1, device(11), "a");
        assert_eq!(set.take_changes(), (vec![1], vec![]));
        set.leave(1, 10, t0, GRACE);
        assert_eq!(set.take_changes(), (vec![1], vec![]));
        assert_eq!(set.devices(1).unwrap().0.len(), 1);
        set.expire(t0 + GRACE * 2);
        assert!(set.contains(1));
    }

    #[test]
    fn a_reconnect_within_the_grace_period_shows_no_leave() {
        let mut set = PresenceSet::default();
        let t0 = Instant::now();
        set.join(1, device(10), "a");
        set.take_changes();
        set.leave(1, 10, t0, GRACE);
        // Nothing visible changed: the entry keeps its last devices during the grace period.
        assert_eq!(set.take_changes(), (vec![], vec![]));
        assert_eq!(set.devices(1).unwrap().0[0].connection_id, 10);
        set.expire(t0 + GRACE / 2);
        set.join(1, device(12), "a");
        set.expire(t0 + GRACE * 2);
        assert_eq!(set.take_changes(), (vec![1], vec![]));
        assert!(set.contains(1));
    }

    #[test]
    fn the_last_connection_leaving_ends_presence_after_the_grace_period() {
        let mut set = PresenceSet::default();
        let t0 = Instant::now();
        set.join(1, device(10), "a");
        set.leave(1, 10, t0, GRACE);
        set.expire(t0 + GRACE - Duration::from_millis(1));
        assert!(set.contains(1));
        set.expire(t0 + GRACE);
        assert!(!set.contains(1));
        // The join that was never flushed is dropped; only the leave is reported.
        assert_eq!(set.take_changes(), (vec![], vec![1]));
        assert!(set.is_idle());
    }

    #[test]
    fn device_status_changes_are_reported_once() {
        let mut set = PresenceSet::default();
        set.join(1, device(10), "a");
        set.take_changes();
        assert!(set.set_device_status(1, 10, PresenceStatus::Away));
        assert!(!set.set_device_status(1, 10, PresenceStatus::Away));
        assert!(!set.set_device_status(1, 99, PresenceStatus::Away));
        assert_eq!(set.take_changes(), (vec![1], vec![]));
    }
}
