//! A sliding-window rate limiter keyed by user: at most `max` events per `window`.

use std::collections::{HashMap, VecDeque};
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

    /// Whether `key` is at its limit now (without recording anything).
    pub fn is_limited(&self, key: i64, now: Instant) -> bool {
        let mut hits = self.hits.lock().unwrap_or_else(|p| p.into_inner());
        let Some(q) = hits.get_mut(&key) else { return false };
        while q.front().is_some_and(|t| now.duration_since(*t) >= self.window) {
            q.pop_front();
        }
        q.len() >= self.max
    }

    /// Forgets keys whose events are all older than the window.
    pub fn prune(&self, now: Instant) {
        let mut hits = self.hits.lock().unwrap_or_else(|p| p.into_inner());
        hits.retain(|_, q| q.back().is_some_and(|t| now.duration_since(*t) < self.window));
    }
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
        assert!(rl.allow(1, t + Duration::from_secs(10)), "the window slid");
        assert!(!rl.is_limited(1, t + Duration::from_secs(10)));
        rl.prune(t + Duration::from_secs(30));
        assert!(rl.hits.lock().unwrap().is_empty());
    }
}
