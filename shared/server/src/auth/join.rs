//! Joining the hub: the display name rules, the PIN (per address and hub-wide, with a growing
//! lockout) and the budget on new users, around the store's users. The REST door only translates.
//!
//! Order of the checks for `POST /api/join`: the name's characters (`invalid_display_name`); a
//! valid session makes a returning guest, renamed if the name changed (`name_taken`), with no PIN
//! and no budget; otherwise the PIN (`pin_required`, `rate_limited`, `wrong_pin`), then the budget
//! on new users (`rate_limited`), then the name's owner (`name_taken`) and the insert, in one
//! writer job.

use std::collections::VecDeque;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use hubbub_protocol::ErrorCode;

use super::{lookup, new_secret};
use crate::core::Core;
use crate::error::{Outcome, Refusal};
use crate::names::check_display_name;
use crate::ratelimit::{RateLimiter, address_key};
use crate::store::{NameTaken, SessionRecord, create_user_with_session, hash_secret, is_banned, rename_user};
use crate::time::now_ms;

/// The window of every join limit, and the first hub-wide PIN lockout.
pub const JOIN_WINDOW: Duration = Duration::from_secs(60);
/// The hub-wide lockout doubles at most this many times (then it stays at the cap).
const MAX_LOCKOUT_DOUBLINGS: u32 = 16;

/// Someone who joined: their session record, the session secret to hand them, and whether the user
/// is new (`false`: a returning guest, maybe renamed).
#[derive(Debug)]
pub struct Joined {
    pub record: SessionRecord,
    pub secret: String,
    pub created: bool,
    /// A new device id to set as the browser's device cookie (it had none).
    pub new_device: Option<String>,
}

/// What a join asks for.
#[derive(Debug, Clone, Copy)]
pub struct JoinAttempt<'a> {
    /// The client's address.
    pub from: IpAddr,
    /// The session secret the request carried, if any.
    pub session: Option<&'a str>,
    pub display_name: &'a str,
    /// The PIN the guest gave.
    pub pin_given: Option<&'a str>,
    /// The PIN the hub asks for now, if any.
    pub pin: Option<&'a str>,
    /// The browser's device id (its device cookie), if it has one.
    pub device: Option<&'a str>,
}

/// Wrong PINs hub-wide: at most `max` a minute, then every PIN is refused for a lockout that starts
/// at a minute and doubles each time it triggers (up to `cap`). Once `cap` has passed since the last
/// lockout ended with no new one, the next starts at a minute again.
#[derive(Debug)]
struct HubPinGuard {
    max: usize,
    cap: Duration,
    recent: VecDeque<Instant>,
    locked_until: Option<Instant>,
    doublings: u32,
}

impl HubPinGuard {
    /// How long every PIN is still refused.
    fn locked_for(&self, now: Instant) -> Option<Duration> {
        self.locked_until.map(|until| until.saturating_duration_since(now)).filter(|d| !d.is_zero())
    }

    /// Counts a wrong PIN; returns the lockout it started, if it did.
    fn failed(&mut self, now: Instant) -> Option<Duration> {
        while self.recent.front().is_some_and(|t| now.saturating_duration_since(*t) >= JOIN_WINDOW) {
            self.recent.pop_front();
        }
        self.recent.push_back(now);
        if self.recent.len() < self.max {
            return None;
        }
        self.recent.clear();
        if self.locked_until.is_some_and(|end| now.saturating_duration_since(end) >= self.cap) {
            self.doublings = 0;
        }
        let lockout = JOIN_WINDOW.saturating_mul(1 << self.doublings).min(self.cap);
        self.doublings = (self.doublings + 1).min(MAX_LOCKOUT_DOUBLINGS);
        self.locked_until = Some(now + lockout);
        Some(lockout)
    }
}

/// The join service: a cheap handle is not needed, the hub owns one.
#[derive(Debug)]
pub struct Joins {
    core: Core,
    pin_per_address: RateLimiter,
    pin_hub: Mutex<HubPinGuard>,
    /// `None`: no limit.
    new_per_address: Option<RateLimiter>,
    new_hub: Option<RateLimiter>,
    renames: Option<RateLimiter>,
}

/// Compares two secrets (a PIN, the admin token) in time that does not depend on where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn name_taken(name: &str) -> Refusal {
    Refusal::new(
        ErrorCode::NameTaken,
        format!(
            "\u{201c}{name}\u{201d} is taken: someone on this hub already has that name or one that \
             looks the same (names are compared ignoring case and look-alike letters); pick another"
        ),
    )
}

impl Joins {
    /// The join service with the limits from the settings.
    pub fn new(core: Core) -> Joins {
        let c = core.config();
        let limiter = |max: usize| (max > 0).then(|| RateLimiter::new(max, JOIN_WINDOW));
        Joins {
            pin_per_address: RateLimiter::new(c.pin_fail_rate, JOIN_WINDOW),
            pin_hub: Mutex::new(HubPinGuard {
                max: c.pin_fail_rate_hub.max(1),
                cap: c.pin_lockout_max.max(JOIN_WINDOW),
                recent: VecDeque::new(),
                locked_until: None,
                doublings: 0,
            }),
            new_per_address: limiter(c.join_rate),
            new_hub: limiter(c.join_rate_hub),
            renames: limiter(c.rename_rate),
            core,
        }
    }

    /// A new user and session, or the same user for a valid session (renamed if the name changed).
    pub async fn join(&self, attempt: JoinAttempt<'_>) -> Outcome<Joined> {
        let name = check_display_name(attempt.display_name)
            .map_err(|p| Refusal::new(ErrorCode::InvalidDisplayName, p.to_string()))?;
        let store = self.core.store();
        if let Some(secret) = attempt.session
            && let Some(mut record) = lookup(store, secret).await?
        {
            if record.user.display_name != name {
                let (id, new) = (record.user.id, name.clone());
                // Every rename reaches every online list, so a guest gets a few a minute.
                if let Some(limit) = &self.renames {
                    limit.check(id, Instant::now()).map_err(|left| {
                        Refusal::rate_limited("too many renames in the last minute; try again shortly", left)
                    })?;
                }
                store
                    .write_wait(move |db| rename_user(db, id, &new))
                    .await?
                    .map_err(|NameTaken| name_taken(&name))?;
                self.core.presence().rename(id, &name);
                tracing::info!(user_id = id, name = %name, "guest renamed");
                record.user.display_name = name;
            }
            return Ok(Joined { record, secret: secret.to_owned(), created: false, new_device: None });
        }
        self.check_ban(&attempt).await?;
        let now = Instant::now();
        self.check_pin(attempt.from, attempt.pin_given, attempt.pin, now)?;
        self.spend_budget(attempt.from, now)?;
        let secret = new_secret();
        let hash = hash_secret(&secret);
        let new_device = attempt.device.is_none().then(new_secret);
        let device_hash = attempt.device.or(new_device.as_deref()).map(hash_secret);
        let (new, address, stored_hash) = (name.clone(), attempt.from.to_string(), hash.clone());
        let epoch = store.session_epoch();
        let record = store
            .write_wait(move |db| {
                create_user_with_session(db, &new, &hash, device_hash.as_deref(), Some(&address), now_ms())
            })
            .await?
            .map_err(|NameTaken| name_taken(&name))?;
        // The newcomer's socket follows at once: its session check needs no database read.
        store.remember_new_session(epoch, &record, &stored_hash);
        tracing::info!(user_id = record.user.id, name = %record.user.display_name, "guest joined");
        Ok(Joined { record, secret, created: true, new_device })
    }

    /// Refuses a banned browser (its device cookie, or the session cookie of a banned user's
    /// ended session) or an address banned for a while, with `banned`.
    async fn check_ban(&self, attempt: &JoinAttempt<'_>) -> Outcome<()> {
        let hashes: Vec<Vec<u8>> =
            attempt.device.iter().chain(attempt.session.iter()).map(|s| hash_secret(s)).collect();
        let address = attempt.from.to_string();
        let banned = self.core.store().read(move |db| is_banned(db, &hashes, &address, now_ms())).await?;
        if banned {
            return Err(Refusal::new(ErrorCode::Banned, "you are banned from this hub"));
        }
        Ok(())
    }

    /// Checks the PIN, if the hub has one. Refused with `rate_limited` while the hub-wide lockout
    /// lasts or the address has given `pin_fail_rate` wrong PINs in the last minute; one evaluation at
    /// a time, so no burst slips past either limit.
    fn check_pin(&self, from: IpAddr, given: Option<&str>, pin: Option<&str>, now: Instant) -> Outcome<()> {
        let Some(pin) = pin else { return Ok(()) };
        let Some(given) = given.map(str::trim).filter(|g| !g.is_empty()) else {
            return Err(Refusal::new(ErrorCode::PinRequired, "this hub needs a PIN to join"));
        };
        let mut hub = self.pin_hub.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(left) = hub.locked_for(now) {
            return Err(Refusal::rate_limited(
                "too many wrong PINs on this hub: joining with a PIN is paused for everyone; try again later",
                left,
            ));
        }
        let key = address_key(from);
        if let Some(left) = self.pin_per_address.retry_after(key, now) {
            return Err(Refusal::rate_limited("too many wrong PINs from your address; wait a minute", left));
        }
        if same_secret(given, pin) {
            return Ok(());
        }
        self.pin_per_address.allow(key, now);
        if let Some(lockout) = hub.failed(now) {
            tracing::warn!(
                lockout_secs = lockout.as_secs(),
                "too many wrong PINs hub-wide: joining with a PIN is paused"
            );
        }
        Err(Refusal::new(ErrorCode::WrongPin, "wrong PIN"))
    }

    /// Counts a new user against the address's budget, then the hub's. An address over its budget
    /// does not spend the hub's, so a flood from one address leaves room for everyone else.
    fn spend_budget(&self, from: IpAddr, now: Instant) -> Outcome<()> {
        if let Some(limit) = &self.new_per_address {
            limit.check(address_key(from), now).map_err(|left| {
                Refusal::rate_limited(
                    "too many new guests from your network in the last minute; try again shortly",
                    left,
                )
            })?;
        }
        if let Some(limit) = &self.new_hub {
            limit.check(0, now).map_err(|left| {
                Refusal::rate_limited(
                    "too many new guests on this hub in the last minute; try again shortly",
                    left,
                )
            })?;
        }
        Ok(())
    }

    /// Forgets stale limiter entries (from the hub's periodic sweep).
    pub fn sweep(&self, now: Instant) {
        self.pin_per_address.prune(now);
        for limit in [&self.new_per_address, &self.new_hub, &self.renames].into_iter().flatten() {
            limit.prune(now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hub_wide_pin_lockout_doubles_up_to_its_cap_and_then_forgets() {
        let cap = Duration::from_secs(300);
        let mut g = HubPinGuard { max: 3, cap, recent: VecDeque::new(), locked_until: None, doublings: 0 };
        let t = Instant::now();
        let s = Duration::from_secs;
        assert_eq!(g.failed(t), None);
        assert_eq!(g.failed(t), None);
        assert_eq!(g.failed(t), Some(s(60)), "the third wrong PIN in a minute");
        assert_eq!(g.locked_for(t + s(10)), Some(s(50)));
        assert_eq!(g.locked_for(t + s(60)), None);
        let mut at = t + s(60);
        for expected in [120, 240, 300, 300] {
            for _ in 0..2 {
                assert_eq!(g.failed(at), None);
            }
            assert_eq!(g.failed(at), Some(s(expected)));
            at += s(expected);
        }
        // Wrong PINs spread out (fewer than `max` in any minute) never lock.
        let mut spread = at;
        for _ in 0..10 {
            spread += s(31);
            assert_eq!(g.failed(spread), None);
        }
        // Quiet for the cap after the last lockout: back to a minute.
        let later = at + cap + s(400);
        for _ in 0..2 {
            g.failed(later);
        }
        assert_eq!(g.failed(later), Some(s(60)));
        assert!(same_secret("1234", "1234") && !same_secret("1234", "1235") && !same_secret("123", "1234"));
    }
}
