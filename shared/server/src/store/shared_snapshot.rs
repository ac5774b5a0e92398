//! A channel's newest messages, encoded once and shared by every subscriber until the channel
//! changes: a connect storm into a Lobby with history read and encoded the same 50 messages (and
//! their reactions) for every socket, on the writer thread.
//!
//! An entry holds the messages' JSON array and says what it was read at: the channel's epoch and
//! last offset, and the store's content generation. Every event takes an offset, so the offset
//! covers edits, deletes and reactions; the generation covers what changes a message as shown
//! without an event: a renamed sender (the name is read with every message), a message deleted by
//! the retention sweep, an attachment dropped. SQLite's update hook raises it on every write to
//! those tables, on the writer thread, where entries are also read and filled (inside writer
//! jobs), so an entry can only be used when nothing it shows was written since. A batch that fails
//! raises it too: what a job read inside it may never have been committed.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use hubbub_protocol::{ServerFrame, StreamPosition};
use rusqlite::Connection;

use super::StoreResult;
use super::messages::{HISTORY_LIMIT, snapshot};

/// Most channels whose snapshot is kept; reaching it empties the cache.
pub const SHARED_SNAPSHOTS_MAX: usize = 256;

/// What a new subscriber of a persisted channel is sent: its position, and either the newest
/// messages (the same encoded bytes for every subscriber until the channel changes) or the exact
/// events after `since`.
#[derive(Debug, Clone)]
pub struct Opening {
    pub epoch: String,
    pub last_offset: i64,
    /// `Some` when the subscriber gave a position: whether `replay` holds exactly what followed it.
    pub recovered: Option<bool>,
    /// The newest messages as a JSON array (a fresh snapshot), shared.
    pub messages: Option<Arc<str>>,
    /// The events after `since` (a catch-up).
    pub replay: Vec<ServerFrame>,
}

#[derive(Debug)]
struct Entry {
    epoch: String,
    last_offset: i64,
    generation: u64,
    messages: Arc<str>,
}

/// The shared snapshots, and the generation that outdates them.
#[derive(Debug, Default)]
pub struct SharedSnapshots {
    entries: Mutex<HashMap<String, Entry>>,
    generation: AtomicU64,
}

impl SharedSnapshots {
    /// Something a snapshot may show was written (or a batch failed): no entry read before it is
    /// used again.
    pub fn outdate(&self) {
        self.generation.fetch_add(1, Ordering::Relaxed);
    }

    /// Whether a write to `table` may change a message as a snapshot shows it: any write to the
    /// messages, their reactions and files; a renamed user (see the session cache's `RENAMES`),
    /// not a new one or a status (a guest joining during a connect storm outdates nothing).
    pub fn shows(action: rusqlite::hooks::Action, table: &str) -> bool {
        use rusqlite::hooks::Action;
        match table {
            "messages" | "reactions" | "files" => true,
            "renamed_users" => action == Action::SQLITE_INSERT,
            "users" => action == Action::SQLITE_DELETE,
            _ => false,
        }
    }

    /// What a new subscriber of `channel` is sent, read on `db` (inside a writer job): the shared
    /// newest messages when nothing changed since they were read, else read and encoded now.
    pub fn opening(
        &self,
        db: &Connection,
        channel: &str,
        since: Option<&StreamPosition>,
    ) -> StoreResult<Opening> {
        let generation = self.generation.load(Ordering::Relaxed);
        let (epoch, last_offset) = super::messages::channel_state(db, channel)?
            .ok_or_else(|| super::StoreError::NoSuchChannel(channel.to_owned()))?;
        let fresh = since.is_none_or(|s| !super::messages::replayable(s, &epoch, last_offset));
        if fresh {
            let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(e) = entries
                .get(channel)
                .filter(|e| e.generation == generation && e.last_offset == last_offset && e.epoch == epoch)
            {
                return Ok(Opening {
                    epoch,
                    last_offset,
                    recovered: since.map(|_| false),
                    messages: Some(Arc::clone(&e.messages)),
                    replay: Vec::new(),
                });
            }
        }
        let s = snapshot(db, channel, since)?;
        if s.recovered == Some(true) {
            return Ok(Opening {
                epoch: s.epoch,
                last_offset: s.last_offset,
                recovered: s.recovered,
                messages: None,
                replay: s.replay,
            });
        }
        debug_assert!(s.messages.len() as i64 <= HISTORY_LIMIT);
        let messages: Arc<str> = serde_json::to_string(&s.messages)
            .unwrap_or_else(|e| {
                tracing::error!(error = %e, channel, "a snapshot's messages failed to serialize");
                "[]".into()
            })
            .into();
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= SHARED_SNAPSHOTS_MAX && !entries.contains_key(channel) {
            entries.clear();
        }
        let entry = Entry {
            epoch: s.epoch.clone(),
            last_offset: s.last_offset,
            generation,
            messages: Arc::clone(&messages),
        };
        entries.insert(channel.to_owned(), entry);
        Ok(Opening {
            epoch: s.epoch,
            last_offset: s.last_offset,
            recovered: s.recovered,
            messages: Some(messages),
            replay: Vec::new(),
        })
    }
}
