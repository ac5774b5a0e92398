//! A sliding-window rate limiter keyed by user or address: at most `max` events per `window`.

use std::collections::{HashMap, VecDeque};
use std::hash::{Hash, Hasher};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Bounded by construction: each key keeps at most `max` timestamps, and [`RateLimiter::prune`]
/// drops keys with nothing recent.
#[derive(Debug)]
pub struct RateLimiter {
    max: usize,
    window: Duration,
    hits: Mutex<HashMap<i64, VecDeque<Instant>>>,
}

impl RateLimiter {
    pub fn new(max: usize, window: Duration) -> RateLimiter {
        RateLimiter { max: max.max(1), window, hits: Mutex::new(HashMap::new()) }
    }

    /// Records an event for `key` at `now` if it is within the limit; returns whether it was.
    pub fn allow(&self, key: i64, now: Instant) -> bool {
        let mut hits = self.hits.lock().unwrap_or_else(|p| p.into_inner());
        let q = hits.entry(key).or_default();
        while q.front().is_some_and(|t| now.duration_since(*t) >= self.window) {
            q.pop_front();
        }
        if q.len() >= self.max {
            return false;
        }
        q.push_back(now);
        true
    }

    /// Records an event for `key` at `now` if it is within the limit; otherwise says how long
    /// until the oldest event in the window leaves it (when the next one would be allowed).
    pub fn check(&self, key: i64, now: Instant) -> Result<(), Duration> {
        let mut hits = self.hits.lock().unwrap_or_else(|p| p.into_inner());
        let q = hits.entry(key).or_default();
        while q.front().is_some_and(|t| now.duration_since(*t) >= self.window) {
            q.pop_front();
        }
        if q.len() >= self.max {
            let oldest = q.front().copied().unwrap_or(now);
            return Err(self.window.saturating_sub(now.duration_since(oldest)));
        }
        q.push_back(now);
        Ok(())
    }

    /// Whether an event for `key` at `now` would be within the limit, without recording it; if not,
    /// how long until it would be.
    pub fn peek(&self, key: i64, now: Instant) -> Result<(), Duration> {
        let mut hits = self.hits.lock().unwrap_or_else(|p| p.into_inner());
        let Some(q) = hits.get_mut(&key) else { return Ok(()) };
        while q.front().is_some_and(|t| now.duration_since(*t) >= self.window) {
            q.pop_front();
        }
        if q.len() >= self.max {
            let oldest = q.front().copied().unwrap_or(now);
            return Err(self.window.saturating_sub(now.duration_since(oldest)));
        }
        Ok(())
    }

    /// Whether `key` is at its limit now (without recording anything).
    pub fn is_limited(&self, key: i64, now: Instant) -> bool {
        let mut hits = self.hits.lock().unwrap_or_else(|p| p.into_inner());
        let Some(q) = hits.get_mut(&key) else { return false };
        while q.front().is_some_and(|t| now.duration_since(*t) >= self.window) {
            q.pop_front();
        }
        q.len() >= self.max
    }

    /// How long until `key` may have another event, if it is at its limit now (records nothing).
    pub fn retry_after(&self, key: i64, now: Instant) -> Option<Duration> {
        let mut hits = self.hits.lock().unwrap_or_else(|p| p.into_inner());
        let q = hits.get_mut(&key)?;
        while q.front().is_some_and(|t| now.duration_since(*t) >= self.window) {
            q.pop_front();
        }
        let oldest = q.front().copied()?;
        (q.len() >= self.max).then(|| self.window.saturating_sub(now.duration_since(oldest)))
    }

    /// Forgets keys whose events are all older than the window.
    pub fn prune(&self, now: Instant) {
        let mut hits = self.hits.lock().unwrap_or_else(|p| p.into_inner());
        hits.retain(|_, q| q.back().is_some_and(|t| now.duration_since(*t) < self.window));
    }
}

/// One action's budget: per user, per client address (where one guest could make many users) and
/// hub-wide (where addresses can be made up on a LAN). Each part is optional (a setting of 0).
/// An action is recorded against every part only when all of them allow it, so a refusal costs
/// nothing.
#[derive(Debug, Default)]
pub struct Budget {
    user: Option<RateLimiter>,
    address: Option<RateLimiter>,
    hub: Option<RateLimiter>,
}

/// The key of the hub-wide part of a [`Budget`].
const HUB_KEY: i64 = 0;

impl Budget {
    /// At most `per_user` actions per user in `window` (0: no limit).
    pub fn per_user(per_user: usize, window: Duration) -> Budget {
        Budget { user: limiter(per_user, window), ..Budget::default() }
    }

    /// Also at most `max` per client address in `window` (0: no limit).
    #[must_use]
    pub fn and_per_address(mut self, max: usize, window: Duration) -> Budget {
        self.address = limiter(max, window);
        self
    }

    /// Also at most `max` on the whole hub in `window` (0: no limit).
    #[must_use]
    pub fn and_hub_wide(mut self, max: usize, window: Duration) -> Budget {
        self.hub = limiter(max, window);
        self
    }

    /// Records an action by `user` from `address` at `now` if every part allows it; otherwise how
    /// long until all of them would.
    pub fn check(&self, user: i64, address: Option<IpAddr>, now: Instant) -> Result<(), Duration> {
        let parts = [
            self.user.as_ref().map(|l| (l, user)),
            self.address.as_ref().zip(address).map(|(l, ip)| (l, address_key(ip))),
            self.hub.as_ref().map(|l| (l, HUB_KEY)),
        ];
        let parts: Vec<(&RateLimiter, i64)> = parts.into_iter().flatten().collect();
        let wait = parts.iter().filter_map(|(l, key)| l.peek(*key, now).err()).max();
        if let Some(wait) = wait {
            return Err(wait);
        }
        for (l, key) in &parts {
            // A concurrent action may have taken the last place since the peek.
            l.check(*key, now)?;
        }
        Ok(())
    }

    /// Forgets keys with nothing recent.
    pub fn prune(&self, now: Instant) {
        for l in [&self.user, &self.address, &self.hub].into_iter().flatten() {
            l.prune(now);
        }
    }
}

fn limiter(max: usize, window: Duration) -> Option<RateLimiter> {
    (max > 0).then(|| RateLimiter::new(max, window))
}

/// A rate-limit key for a client address: IPv4-mapped IPv6 counts as the IPv4 address.
pub fn address_key(ip: IpAddr) -> i64 {
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 @ IpAddr::V4(_) => v4,
    };
    let mut h = std::collections::hash_map::DefaultHasher::new();
    ip.hash(&mut h);
    // The hash's bits, reinterpreted: any i64 is a fine key.
    i64::from_ne_bytes(h.finish().to_ne_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allows_max_per_window_per_key() {
        let rl = RateLimiter::new(2, Duration::from_secs(10));
        let t = Instant::now();
        assert!(rl.allow(1, t));
        assert!(rl.allow(1, t));
        assert!(!rl.allow(1, t + Duration::from_secs(1)));
        assert!(rl.allow(2, t), "keys are independent");
        assert!(rl.is_limited(1, t + Duration::from_secs(1)));
        assert!(!rl.is_limited(3, t));
        assert_eq!(rl.retry_after(1, t + Duration::from_secs(1)), Some(Duration::from_secs(9)));
        assert_eq!(rl.retry_after(2, t), None);
        assert!(rl.allow(1, t + Duration::from_secs(10)), "the window slid");
        assert!(!rl.is_limited(1, t + Duration::from_secs(10)));
        assert_eq!(rl.check(1, t + Duration::from_secs(10)), Ok(()));
        assert_eq!(
            rl.check(1, t + Duration::from_secs(12)),
            Err(Duration::from_secs(8)),
            "until the first leaves"
        );
        let v4: IpAddr = "10.0.0.7".parse().unwrap();
        let mapped: IpAddr = "::ffff:10.0.0.7".parse().unwrap();
        assert_eq!(address_key(v4), address_key(mapped));
        rl.prune(t + Duration::from_secs(30));
        assert!(rl.hits.lock().unwrap().is_empty());
    }

    #[test]
    fn a_budget_records_only_what_every_part_allows() {
        let w = Duration::from_secs(60);
        let b = Budget::per_user(2, w).and_per_address(3, w).and_hub_wide(5, w);
        let (t, a, c): (Instant, IpAddr, IpAddr) =
            (Instant::now(), "10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        assert!(b.check(1, Some(a), t).is_ok());
        assert!(b.check(1, Some(a), t).is_ok());
        assert!(b.check(1, Some(a), t).is_err(), "per user");
        assert!(b.check(2, Some(a), t).is_ok());
        assert!(b.check(3, Some(a), t).is_err(), "per address");
        assert!(b.check(3, Some(c), t).is_ok(), "the refusals above cost user 3 nothing");
        assert!(b.check(4, Some(c), t).is_ok());
        assert_eq!(b.check(5, None, t + Duration::from_secs(1)), Err(Duration::from_secs(59)), "hub-wide");
        assert!(Budget::per_user(0, w).check(1, None, t).is_ok(), "0 is no limit");
        b.prune(t + w);
        assert!(b.check(1, Some(a), t + w).is_ok());
    }
}
