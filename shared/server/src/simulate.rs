//! The simulation service (`Simulations`): a simulated operation of N steps with a delay between
//! them, reporting each step's timing, for inspectors and client developers who need a stream of
//! progress messages to build against. Bounded: at most [`MAX_STEPS`] steps, [`MAX_DELAY_MS`]
//! between them, [`MAX_RUNNING`] runs at once per user and [`START_RATE`] starts per user in 10 s.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hubbub_protocol::ErrorCode;

use crate::config::QUICK_WINDOW;
use crate::error::{Outcome, Refusal};
use crate::ratelimit::Budget;

/// Most steps one simulation may have.
pub const MAX_STEPS: u32 = 100;
/// Longest delay between two steps, in milliseconds.
pub const MAX_DELAY_MS: u64 = 2000;
/// Steps a request that names none gets.
pub const DEFAULT_STEPS: u32 = 5;
/// Delay a request that names none gets, in milliseconds.
pub const DEFAULT_DELAY_MS: u64 = 500;
/// Simulations one user may have running at once.
pub const MAX_RUNNING: usize = 2;
/// Simulations one user may start in 10 seconds.
pub const START_RATE: usize = 10;

/// What a client asks for: `steps` steps, `delay_ms` apart (each `None` takes the default).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Spec {
    pub steps: Option<u32>,
    pub delay_ms: Option<u64>,
}

/// One step done.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Step {
    /// 1 to `total`.
    pub step: u32,
    pub total: u32,
    /// Since the simulation started.
    pub elapsed_ms: u64,
    /// `step / total`, 0 to 1.
    pub progress: f64,
}

/// Handle to the simulation service. Clones share everything.
#[derive(Clone)]
pub struct Simulations {
    inner: Arc<Inner>,
}

struct Inner {
    starts: Budget,
    /// Runs going on, per user.
    running: Mutex<HashMap<i64, usize>>,
}

impl Default for Simulations {
    fn default() -> Self {
        Simulations::new()
    }
}

impl Simulations {
    pub fn new() -> Simulations {
        Simulations {
            inner: Arc::new(Inner {
                starts: Budget::per_user(START_RATE, QUICK_WINDOW),
                running: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// Starts a simulation for `user`, or says why not (bad numbers, too many running or started).
    pub fn start(&self, user: i64, spec: Spec) -> Outcome<Run> {
        let total = spec.steps.unwrap_or(DEFAULT_STEPS);
        let delay_ms = spec.delay_ms.unwrap_or(DEFAULT_DELAY_MS);
        if !(1..=MAX_STEPS).contains(&total) {
            return Err(Refusal::new(ErrorCode::InvalidFrame, format!("steps must be 1 to {MAX_STEPS}")));
        }
        if delay_ms > MAX_DELAY_MS {
            return Err(Refusal::new(
                ErrorCode::InvalidFrame,
                format!("delay_ms must be 0 to {MAX_DELAY_MS}"),
            ));
        }
        let mut running = self.inner.running.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let mine = running.entry(user).or_default();
        if *mine >= MAX_RUNNING {
            return Err(Refusal::new(
                ErrorCode::LimitReached,
                format!("{MAX_RUNNING} simulations are running already; wait for one to complete"),
            ));
        }
        self.inner
            .starts
            .check(user, None, Instant::now())
            .map_err(|wait| Refusal::rate_limited("too many simulations started; wait a little", wait))?;
        *mine += 1;
        Ok(Run {
            total,
            delay: Duration::from_millis(delay_ms),
            done: 0,
            started: tokio::time::Instant::now(),
            slot: Slot { user, service: self.clone() },
        })
    }

    /// Forgets stale rate-limit entries.
    pub fn sweep(&self, now: Instant) {
        self.inner.starts.prune(now);
    }

    fn finished(&self, user: i64) {
        let mut running = self.inner.running.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(n) = running.get_mut(&user) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                running.remove(&user);
            }
        }
    }
}

/// A user's place among the runs going on, given back when the run is dropped.
struct Slot {
    user: i64,
    service: Simulations,
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.service.finished(self.user);
    }
}

/// One simulation going on: each [`Run::next`] waits the delay and reports the next step.
pub struct Run {
    total: u32,
    delay: Duration,
    done: u32,
    /// The runtime's clock, so a paused test clock moves it too.
    started: tokio::time::Instant,
    #[allow(dead_code, reason = "held for its Drop, which frees the user's slot")]
    slot: Slot,
}

impl Run {
    pub fn total(&self) -> u32 {
        self.total
    }

    pub fn delay_ms(&self) -> u64 {
        u64::try_from(self.delay.as_millis()).unwrap_or(u64::MAX)
    }

    /// Since the run started.
    pub fn elapsed_ms(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// Waits the delay, then reports the next step; `None` once every step is done.
    pub async fn next(&mut self) -> Option<Step> {
        if self.done >= self.total {
            return None;
        }
        tokio::time::sleep(self.delay).await;
        self.done += 1;
        Some(Step {
            step: self.done,
            total: self.total,
            elapsed_ms: self.elapsed_ms(),
            progress: f64::from(self.done) / f64::from(self.total),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_run_reports_every_step_then_ends() {
        let sims = Simulations::new();
        let mut run = sims.start(1, Spec { steps: Some(3), delay_ms: Some(100) }).unwrap();
        let mut steps = Vec::new();
        while let Some(step) = run.next().await {
            steps.push(step);
        }
        assert_eq!(steps.iter().map(|s| s.step).collect::<Vec<_>>(), vec![1, 2, 3]);
        assert_eq!(steps[2].progress, 1.0);
        assert!(steps.windows(2).all(|w| w[0].elapsed_ms < w[1].elapsed_ms));
        assert_eq!(steps[0].total, 3);
    }

    #[test]
    fn bounds_and_the_running_cap_hold() {
        let sims = Simulations::new();
        for bad in [Spec { steps: Some(0), delay_ms: None }, Spec { steps: Some(101), delay_ms: None }] {
            assert_eq!(sims.start(1, bad).err().unwrap().code, ErrorCode::InvalidFrame);
        }
        let too_slow = Spec { steps: None, delay_ms: Some(MAX_DELAY_MS + 1) };
        assert_eq!(sims.start(1, too_slow).err().unwrap().code, ErrorCode::InvalidFrame);
        let a = sims.start(1, Spec::default()).unwrap();
        let _b = sims.start(1, Spec::default()).unwrap();
        assert_eq!(sims.start(1, Spec::default()).err().unwrap().code, ErrorCode::LimitReached);
        assert!(sims.start(2, Spec::default()).is_ok(), "another user has their own slots");
        drop(a);
        assert!(sims.start(1, Spec::default()).is_ok(), "a finished run frees its slot");
    }
}
