//! The retention sweep (`Retention`): deletes what the operator chose not to keep
//! ([`crate::config::Retention`]): messages older than so many days (kept for ever by default),
//! sessions unused for long, read inbox entries, ended parties' records. It runs every
//! [`SWEEP_EVERY`], and deletes a few hundred rows per writer job, so guests' writes queue behind
//! at most one small job.
//!
//! A session counts as used when a socket opens with it (noted in memory by
//! [`Retention::session_used`]) or one is open at the sweep; the sweep writes those marks first.

use std::collections::HashSet;
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::Connection;

use crate::core::Core;
use crate::store::{StoreResult, retention as q};

/// How often the sweep runs (and the first run, this long after start).
pub const SWEEP_EVERY: Duration = Duration::from_secs(10 * 60);
/// Rows one writer job deletes at most.
const BATCH: usize = 256;
/// Writer jobs one kind may take per sweep; what is left waits for the next sweep.
const MAX_ROUNDS: usize = 400;
/// Sessions noted as used between two sweeps, at most (more are noted at the next one, if open).
const MAX_NOTED: usize = 100_000;
const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// What one sweep deleted.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    pub messages: usize,
    pub sessions: usize,
    pub notifications: usize,
    pub parties: usize,
}

/// The retention service.
#[derive(Debug)]
pub struct Retention {
    core: Core,
    /// Sessions a socket was opened with since the last sweep.
    used: Mutex<HashSet<i64>>,
    batch: usize,
}

impl Retention {
    pub fn new(core: Core) -> Retention {
        Retention { core, used: Mutex::new(HashSet::new()), batch: BATCH }
    }

    /// The same, deleting at most `batch` rows per job (tests show the sweep goes in steps).
    #[must_use]
    pub fn with_batch(mut self, batch: usize) -> Retention {
        self.batch = batch.max(1);
        self
    }

    /// A socket was opened with `session_id`: it is not idle.
    pub fn session_used(&self, session_id: i64) {
        if self.core.config().retention.idle_sessions_days == 0 {
            return;
        }
        let mut used = self.used.lock().unwrap_or_else(|p| p.into_inner());
        if used.len() < MAX_NOTED {
            used.insert(session_id);
        }
    }

    /// One sweep as of `now` (Unix ms).
    pub async fn sweep(&self, now: i64) -> StoreResult<Swept> {
        let r = self.core.config().retention;
        let cutoff = |days: u32| (days > 0).then(|| now.saturating_sub(i64::from(days) * DAY_MS));
        if r.idle_sessions_days > 0 {
            self.note_sessions(now).await?;
        }
        let swept = Swept {
            messages: self.kind(cutoff(r.messages_days), q::old_message_ids, q::delete_messages).await?,
            sessions: self
                .kind(cutoff(r.idle_sessions_days), q::idle_session_ids, q::delete_sessions)
                .await?,
            notifications: self
                .kind(cutoff(r.read_notifications_days), q::read_notification_ids, q::delete_notifications)
                .await?,
            parties: self.kind(cutoff(r.ended_parties_days), q::ended_party_codes, q::delete_parties).await?,
        };
        if swept != Swept::default() {
            tracing::info!(?swept, "retention sweep deleted old data");
        }
        Ok(swept)
    }

    /// Writes the sessions used since the last sweep, and those open now, as used at `now`.
    async fn note_sessions(&self, now: i64) -> StoreResult<()> {
        let mut ids: Vec<i64> =
            std::mem::take(&mut *self.used.lock().unwrap_or_else(|p| p.into_inner())).into_iter().collect();
        ids.extend(self.core.registry().connections().iter().map(|c| c.meta.session_id));
        ids.sort_unstable();
        ids.dedup();
        for chunk in ids.chunks(self.batch) {
            let chunk = chunk.to_vec();
            self.core.store().write_wait(move |db| q::touch_sessions(db, &chunk, now)).await?;
        }
        Ok(())
    }

    /// Deletes one kind older than `before` (nothing for `None`): finds up to a batch of
    /// candidates on a reader, deletes them in one writer job, and again, until a round finds less
    /// than a batch (or [`MAX_ROUNDS`]); returns how many were deleted.
    async fn kind<T: Send + 'static>(
        &self,
        before: Option<i64>,
        find: fn(&Connection, i64, usize) -> StoreResult<Vec<T>>,
        delete: fn(&Connection, &[T], i64) -> StoreResult<usize>,
    ) -> StoreResult<usize> {
        let Some(before) = before else { return Ok(0) };
        let (store, batch) = (self.core.store(), self.batch);
        let mut total = 0;
        for _ in 0..MAX_ROUNDS {
            let found = store.read(move |c| find(c, before, batch)).await?;
            if found.is_empty() {
                break;
            }
            let full = found.len() >= batch;
            total += store.write_wait(move |db| delete(db, &found, before)).await?;
            if !full || self.core.shutdown().is_cancelled() {
                break;
            }
        }
        Ok(total)
    }
}

#[cfg(test)]
mod tests;
