//! Uploads in flight: at most so many per user, per client address and on the whole hub. A slot
//! is held for as long as its upload runs and given back when dropped, however the upload ends.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use crate::ratelimit::address_key;

/// The counts of uploads in flight. Keys at zero are removed, so the maps hold only what runs.
#[derive(Debug)]
pub struct Slots {
    per_user: usize,
    per_address: usize,
    hub: usize,
    counts: Mutex<Counts>,
}

#[derive(Debug, Default)]
struct Counts {
    users: HashMap<i64, usize>,
    addresses: HashMap<i64, usize>,
    total: usize,
}

/// One upload's place; given back when dropped.
#[derive(Debug)]
pub struct Slot {
    slots: Arc<Slots>,
    user: i64,
    address: Option<i64>,
}

impl Slots {
    pub fn new(per_user: usize, per_address: usize, hub: usize) -> Slots {
        Slots { per_user, per_address, hub, counts: Mutex::new(Counts::default()) }
    }

    /// A place for one more upload by `user` from `address`, or `None` when any count is full.
    pub fn take(slots: &Arc<Slots>, user: i64, address: Option<IpAddr>) -> Option<Slot> {
        let address = address.map(address_key);
        let mut c = slots.counts.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let by_user = c.users.get(&user).copied().unwrap_or(0);
        let by_address = address.and_then(|a| c.addresses.get(&a).copied()).unwrap_or(0);
        if c.total >= slots.hub || by_user >= slots.per_user || by_address >= slots.per_address {
            return None;
        }
        c.total += 1;
        *c.users.entry(user).or_default() += 1;
        if let Some(a) = address {
            *c.addresses.entry(a).or_default() += 1;
        }
        Some(Slot { slots: Arc::clone(slots), user, address })
    }
}

fn release<K: std::hash::Hash + Eq>(map: &mut HashMap<K, usize>, key: &K) {
    if let Some(n) = map.get_mut(key) {
        *n -= 1;
        if *n == 0 {
            map.remove(key);
        }
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut c = self.slots.counts.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        c.total -= 1;
        release(&mut c.users, &self.user);
        if let Some(a) = self.address {
            release(&mut c.addresses, &a);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_bounded_and_given_back() {
        let slots = Arc::new(Slots::new(2, 3, 4));
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        let a1 = Slots::take(&slots, 1, Some(ip)).unwrap();
        let _a2 = Slots::take(&slots, 1, Some(ip)).unwrap();
        assert!(Slots::take(&slots, 1, Some(ip)).is_none(), "two per user");
        let _b1 = Slots::take(&slots, 2, Some(ip)).unwrap();
        assert!(Slots::take(&slots, 3, Some(ip)).is_none(), "three per address");
        let _c1 = Slots::take(&slots, 3, None).unwrap();
        assert!(Slots::take(&slots, 4, None).is_none(), "four on the hub");
        drop(a1);
        assert!(Slots::take(&slots, 1, Some(ip)).is_some(), "a finished upload gives its place back");
        let c = slots.counts.lock().unwrap();
        assert_eq!(c.total, 3, "the last take was dropped at once");
    }
}
