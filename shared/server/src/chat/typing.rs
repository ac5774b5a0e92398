//! Typing indicators: relayed to the channel's other members (never to any tab of the typist), never
//! stored, and expired after 10 seconds without a refresh by a sweep every 5 seconds.
//!
//! Relays are coalesced so that a flood costs only the flooder: per user and channel, at most one
//! change reaches the others per `typing_window`. A change inside the window is remembered and
//! relayed (as the latest state) when the window ends, or dropped if by then it is back to what the
//! others last saw.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use hubbub_protocol::{Channel, ServerFrame};

use crate::channels::Registry;
use crate::conn::{ConnHandle, encode};

/// A typing state lasts this long without a refresh.
pub const TYPING_TTL: Duration = Duration::from_secs(10);
/// How often expired typing states are swept.
pub const TYPING_SWEEP: Duration = Duration::from_secs(5);

/// One person's typing state in one channel.
#[derive(Debug, Clone)]
struct Typist {
    name: String,
    /// What the user says now; a `true` lasts until `until`.
    typing: bool,
    until: Instant,
    /// What the others were last told.
    shown: bool,
    /// When they were last told, if ever.
    told_at: Option<Instant>,
}

type Key = (Channel, i64);

#[derive(Debug, Default)]
struct State {
    active: HashMap<Key, Typist>,
    /// Keys whose state differs from what the others saw, waiting for their window to end.
    pending: HashSet<Key>,
}

/// A typing frame to send: channel, user, name, typing.
type Relay = (Channel, i64, String, bool);

/// Who is typing where, and what the others were told.
#[derive(Debug)]
pub struct Typing {
    window: Duration,
    state: Mutex<State>,
}

fn frame(channel: &Channel, user_id: i64, display_name: &str, typing: bool) -> ServerFrame {
    ServerFrame::Typing {
        channel: channel.to_string(),
        user_id,
        display_name: display_name.to_owned(),
        typing,
    }
}

impl State {
    /// Decides about `key` after its state changed: tell the others now if its window is over,
    /// else wait for the flush (or nothing, when it is back to what they saw).
    fn settle(&mut self, key: &Key, window: Duration, now: Instant) -> Option<Relay> {
        let t = self.active.get_mut(key)?;
        if t.typing == t.shown {
            self.pending.remove(key);
            // Never told, or its window is over: nothing to remember.
            if !t.typing && t.told_at.is_none_or(|at| now >= at + window) {
                self.active.remove(key);
            }
            return None;
        }
        if t.told_at.is_some_and(|at| now < at + window) {
            self.pending.insert(key.clone());
            return None;
        }
        self.pending.remove(key);
        t.shown = t.typing;
        t.told_at = Some(now);
        Some((key.0.clone(), key.1, t.name.clone(), t.typing))
    }
}

impl Typing {
    pub fn new(window: Duration) -> Typing {
        Typing { window, state: Mutex::default() }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn publish(registry: &Registry, relays: Vec<Relay>) {
        for (channel, user_id, name, typing) in relays {
            registry.publish_except_user(
                &channel,
                &encode(&frame(&channel, user_id, &name, typing)),
                user_id,
            );
        }
    }

    /// `conn`'s user says they are typing (or refreshes it), or stopped (they said so, or sent their
    /// message). Reaches the others at most once per window.
    pub fn set(&self, registry: &Registry, channel: &Channel, conn: &ConnHandle, typing: bool, now: Instant) {
        let user = &conn.user;
        let key = (channel.clone(), user.id);
        let relay = {
            let mut state = self.lock();
            if !typing && !state.active.contains_key(&key) {
                return;
            }
            let t = state.active.entry(key.clone()).or_insert_with(|| Typist {
                name: user.display_name.clone(),
                typing: false,
                until: now,
                shown: false,
                told_at: None,
            });
            t.name.clone_from(&user.display_name);
            t.typing = typing;
            if typing {
                t.until = now + TYPING_TTL;
            }
            state.settle(&key, self.window, now)
        };
        Self::publish(registry, relay.into_iter().collect());
    }

    /// Relays the changes whose window ended by `now`, as their latest state.
    pub fn flush(&self, registry: &Registry, now: Instant) {
        let relays: Vec<Relay> = {
            let mut state = self.lock();
            if state.pending.is_empty() {
                return;
            }
            let window = self.window;
            let due: Vec<Key> = state
                .pending
                .iter()
                .filter(|k| {
                    state.active.get(*k).is_none_or(|t| t.told_at.is_none_or(|at| now >= at + window))
                })
                .cloned()
                .collect();
            due.iter().filter_map(|k| state.settle(k, window, now)).collect()
        };
        Self::publish(registry, relays);
    }

    /// Ends typing states not refreshed in time, telling their channels, and forgets the rest.
    pub fn sweep(&self, registry: &Registry, now: Instant) {
        let relays: Vec<Relay> = {
            let mut state = self.lock();
            let window = self.window;
            let stale: Vec<Key> = state
                .active
                .iter()
                .filter(|(_, t)| (t.typing && t.until <= now) || t.typing == t.shown)
                .map(|(k, _)| k.clone())
                .collect();
            let mut relays = Vec::new();
            for key in stale {
                if let Some(t) = state.active.get_mut(&key)
                    && t.until <= now
                {
                    t.typing = false;
                }
                relays.extend(state.settle(&key, window, now));
            }
            let State { active, pending } = &mut *state;
            pending.retain(|k| active.contains_key(k));
            relays
        };
        Self::publish(registry, relays);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> Key {
        (Channel::lobby(), 7)
    }

    fn typist(state: &mut State, typing: bool, now: Instant) {
        let t = state.active.entry(key()).or_insert_with(|| Typist {
            name: "Ann".into(),
            typing: false,
            until: now,
            shown: false,
            told_at: None,
        });
        t.typing = typing;
        t.until = now + TYPING_TTL;
    }

    #[test]
    fn a_flood_reaches_the_others_once_per_window_as_its_latest_state() {
        let (w, t0) = (Duration::from_secs(1), Instant::now());
        let mut s = State::default();
        typist(&mut s, true, t0);
        assert!(s.settle(&key(), w, t0).is_some(), "the first change goes out at once");
        let mut relays = 1;
        // A thousand toggles inside the window: none goes out now.
        for i in 0..1000u32 {
            let at = t0 + Duration::from_micros(u64::from(i) * 500);
            typist(&mut s, i % 2 == 0, at);
            relays += usize::from(s.settle(&key(), w, at).is_some());
        }
        assert_eq!(relays, 1);
        // The last toggle (i = 999) said "stopped": pending, relayed when the window ends.
        assert!(s.pending.contains(&key()));
        let r = s.settle(&key(), w, t0 + w).expect("the latest state at the window's end");
        assert!(!r.3);
        // Back to what the others saw inside the window: dropped.
        typist(&mut s, true, t0 + w + Duration::from_millis(10));
        assert!(s.settle(&key(), w, t0 + w + Duration::from_millis(10)).is_none());
        typist(&mut s, false, t0 + w + Duration::from_millis(20));
        assert!(s.settle(&key(), w, t0 + w + Duration::from_millis(20)).is_none());
        assert!(!s.pending.contains(&key()), "nothing left to tell");
        // Once the window is over and nothing is shown, the entry is forgotten.
        assert!(s.settle(&key(), w, t0 + 3 * w).is_none());
        assert!(s.active.is_empty());
    }
}
