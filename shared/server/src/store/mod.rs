//! The SQLite store: one writer thread with group commit, a small pool of reader threads.
//!
//! **Architecture invariant:** SQLite is touched only here, and never on a tokio worker thread.
//! Writes are closures queued to the writer thread, which runs a batch of them in one transaction
//! (when one fails, the batch runs again with each job in its own savepoint, so one failing job does
//! not undo its neighbours; a job is therefore database work only, and may run twice), commits, and
//! hands the batch to the completions thread, which runs each job's completion in commit order while
//! the writer goes on. Completions are where acks are sent and events are fanned out, so a channel's
//! events leave the hub in offset order and never before they are durable.

mod backup;
mod dms;
mod files;
mod lock;
mod memory;
mod messages;
mod moderation;
mod notifications;
mod parties;
mod places;
mod reader;
mod replies;
pub mod retention;
mod rooms;
mod schema;
mod session_cache;
mod shared_snapshot;
mod users;
mod writer;

pub use backup::{Contents, ExportSource, ExportedRoom, backup, restore};
pub use dms::{DmAction, DmRefusal, DmRow, act_on_dm, dm, dm_view, dms_for, readable_dms, start_dm};
pub use files::{
    FileRow, NewFile, all_files, attach_files, attachable, attachments_of, delete_file, expire_unattached,
    forget_ended_rooms, get_file, insert_file, is_unreferenced, orphans, release_orphan, stored_bytes,
};
pub use lock::running_hub_address;
pub use memory::{Db, EPHEMERAL_PREFIX, is_ephemeral, is_ephemeral_slug};
pub use messages::{
    EventOutcome, EventRefusal, HISTORY_LIMIT, InsertOutcome, PAGE_LIMIT, Snapshot, channel_state,
    delete_message, edit_message, ensure_channel, get_message, index_new_messages, insert_message, is_resend,
    messages_by, page, read_mark, read_marks, search, set_read_mark, snapshot, toggle_reaction, unread,
};
pub use moderation::{
    NewAudit, NewBan, UserRow, announcement_audience, audit, audit_log, bans, clear_announcement,
    current_announcements, delete_mute, end_guest_sessions, end_session, end_sessions_of,
    insert_announcement, insert_ban, is_banned, last_address, lift_ban, list_users, mutes, save_mute,
    set_role, staff, use_host_link, user_info,
};
pub use notifications::{
    INBOX_PAGE, NewNotification, insert_notification, list_notifications, mark_read, mark_read_about,
    unread_count, users_named,
};
pub use parties::{
    CodeReuse, StoredPack, StoredResults, claim_party_code, get_pack, insert_pack, list_packs,
    list_party_results, load_parties, party_code_taken, save_party, save_party_results,
};
pub use places::{
    PlaceRefusal, PlaceRow, check_in, create_place, delete_check_in_before, delete_place, expired_check_ins,
    latest_check_in, list_places, place, recent_check_ins, rename_place,
};
pub use replies::reply_quote;
pub use rooms::{
    LOBBY, RoomRefusal, add_member, all_rooms, create_room, create_room_as, created_room_count, delete_room,
    invite, is_member, join_room, leave_room, member_rooms, room_kind, room_members, room_rules, room_view,
    rooms_for, set_room_rules,
};
pub use shared_snapshot::{Opening, SharedSnapshots};
pub use users::{
    NameTaken, SessionRecord, create_user_with_session, find_session, find_session_by_id, hash_secret,
    meta_get_or_init, rename_user, save_status, stored_status, user_exists,
};

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use hubbub_protocol::Channel;
use rusqlite::Connection;
use thiserror::Error;

use crate::error::Refusal;

use reader::ReaderPool;
use writer::Writer;

/// Why a store operation failed.
#[derive(Debug, Error)]
pub enum StoreError {
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("the store is closed")]
    Closed,
    #[error("the batch this write was in failed: {0}")]
    BatchFailed(String),
    #[error("no such channel: {0}")]
    NoSuchChannel(String),
    #[error("cannot create data directory {path}: {source}")]
    DataDir { path: PathBuf, source: std::io::Error },
    #[error(
        "another hub is already running on the data directory {} ({owner}); stop it first, or give \
         this hub another data directory",
        data_dir.display()
    )]
    InUse { data_dir: PathBuf, owner: String },
    #[error("cannot lock the data directory ({}): {source}", path.display())]
    LockFile { path: PathBuf, source: std::io::Error },
}

pub type StoreResult<T> = Result<T, StoreError>;

impl From<StoreError> for Refusal {
    /// A closed store means the hub is shutting down; anything else is internal (logged, with an id).
    fn from(e: StoreError) -> Refusal {
        match e {
            StoreError::Closed => Refusal::shutting_down(),
            StoreError::NoSuchChannel(c) => {
                Refusal::new(hubbub_protocol::ErrorCode::NoSuchChannel, format!("no such channel: {c}"))
            }
            other => Refusal::internal("store error", &other),
        }
    }
}

/// A cheap-to-clone handle to the store. Dropping every handle stops the threads.
///
/// The store decides where a channel lives: ephemeral rooms (slugs starting with `_`) in the
/// writer's in-memory database, everything else on disk. Callers say which channel they mean
/// ([`Store::read_channel`]) or that they want every database ([`Store::read_all`]).
#[derive(Clone)]
pub struct Store {
    writer: Writer,
    readers: ReaderPool,
    /// What the writer raises: that the in-memory database holds anything (reads that span both
    /// databases skip the writer round trip until an ephemeral room exists), and whether its last
    /// batch committed.
    signals: Arc<writer::Signals>,
    /// The data directory's lock: this hub is the only one on it while any handle (or the writer
    /// thread) lives.
    lock: Arc<lock::DirLock>,
}

/// How a write job ended, as seen by its completion: the job's own result, or the commit's error.
pub type Committed<T> = StoreResult<T>;

/// Tuning of the store's threads and queues.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// Most jobs the writer folds into one transaction.
    pub max_batch: usize,
    /// Capacity of the writer's queue; senders wait when it is full.
    pub writer_queue: usize,
    /// Reader threads, each with its own connection.
    pub readers: usize,
    /// `PRAGMA synchronous`: `FULL` makes every acknowledged write survive power loss.
    pub synchronous_full: bool,
    /// Where the writer records each batch (its size, its commit time, a failure).
    pub metrics: Option<crate::metrics::StoreMetrics>,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self { max_batch: 512, writer_queue: 4096, readers: 2, synchronous_full: true, metrics: None }
    }
}

/// Log size after which a commit copies the log back into the database file (about 40 MB).
const WAL_CHECKPOINT_BYTES: i64 = 40 << 20;

/// The page size of a new database. A commit writes every page it changed to the log, whole, and
/// a chat message changes a leaf of each of the two unique indexes on `messages` (by channel and
/// offset, and by sender and client id), which for messages in different rooms are different
/// leaves: 95 % of the log's pages under a chat load. With 4 KiB pages that was about 10.5 KB
/// written per message, so a disk that takes 80 MB/s held a hub to about 7,400 messages/s; with
/// 1 KiB pages it is 4.5 to 5 KB, and the same disk takes 17,500 (docs/benchmarks.md). A database
/// made with another size keeps it (in WAL mode SQLite cannot change it without a full rewrite).
pub const PAGE_SIZE: i64 = 1024;

/// The database file inside a data directory.
pub fn db_path(data_dir: &Path) -> PathBuf {
    data_dir.join("hubbub.db")
}

/// The database's metadata key of the host links' signing key.
pub const HOST_KEY: &str = "host_key";

/// The hub's host-link key from a database file, made if it has none yet: for `hubbub host-link`,
/// which may run beside a hub on the same directory (the write waits for the hub's writer).
pub fn host_key_from_file(path: &Path) -> StoreResult<Vec<u8>> {
    let conn = Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE)?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    meta_get_or_init(&conn, HOST_KEY, || rand::Rng::random::<[u8; 32]>(&mut rand::rng()).to_vec())
}

fn open_connection(path: &Path, opts: &StoreOptions) -> StoreResult<Connection> {
    let conn = Connection::open(path)?;
    // Takes effect only on a file with no pages yet (a new database).
    conn.pragma_update(None, "page_size", PAGE_SIZE)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", if opts.synchronous_full { "FULL" } else { "NORMAL" })?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    // Plans stay as prepared whatever values are bound. Without this, the bundled SQLite (built
    // with STAT4) marks statements whose parameters could sway the planner for a re-prepare on
    // every new binding: 14 % of the writer thread went to parsing the same SELECT again.
    conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

impl Store {
    /// Opens (creating if needed) the database in `data_dir`, runs migrations, starts the threads.
    pub fn open(data_dir: &Path, opts: &StoreOptions) -> StoreResult<Store> {
        std::fs::create_dir_all(data_dir)
            .map_err(|source| StoreError::DataDir { path: data_dir.to_owned(), source })?;
        // Before SQLite opens anything: a second hub must not even run the migrations.
        let lock = Arc::new(lock::DirLock::acquire(data_dir)?);
        let path = db_path(data_dir);
        let mut conn = open_connection(&path, opts)?;
        schema::migrate(&mut conn)?;
        users::sync_name_keys(&mut conn)?;
        // Checkpoint every 40 MB of log rather than SQLite's 1,000 pages: a page rewritten by many
        // commits is copied back once per checkpoint, so fewer checkpoints copy less (10 % of the
        // writer thread went to checkpoints at the default under a chat load).
        let page_size: i64 = conn.pragma_query_value(None, "page_size", |r| r.get(0))?;
        conn.pragma_update(None, "wal_autocheckpoint", WAL_CHECKPOINT_BYTES / page_size.max(512))?;
        let signals = Arc::new(writer::Signals::default());
        let (readers_alive, readers_gone) = std::sync::mpsc::channel();
        // Search indexing runs once per batch, before the commit: new messages enter the index
        // together (FTS5 flushed at every job cost 13 % of the writer thread).
        let hooks: Vec<writer::BatchHook> = vec![Box::new(|db: &Connection| index_new_messages(db))];
        // Every session the writer deletes and every user it renames, for the session cache, and
        // every write that may change a message as a snapshot shows it, for the shared snapshots.
        conn.execute_batch(session_cache::RENAMES)?;
        let noted = Arc::clone(&signals.changed);
        let snapshots = Arc::clone(&signals.snapshots);
        conn.update_hook(Some(move |action, _: &str, table: &str, rowid| {
            if let Some(change) = session_cache::changed(action, table, rowid) {
                noted.lock().unwrap_or_else(|p| p.into_inner()).push(change);
            }
            if SharedSnapshots::shows(action, table) {
                snapshots.outdate();
            }
        }))?;
        let mut memory = memory::open_memory(&path)?;
        let snapshots = Arc::clone(&signals.snapshots);
        memory.update_hook(Some(move |action, _: &str, table: &str, _| {
            if SharedSnapshots::shows(action, table) {
                snapshots.outdate();
            }
        }))?;
        let writer =
            Writer::start(conn, memory, opts, hooks, Arc::clone(&signals), Arc::clone(&lock), readers_gone)?;
        let mut reader_conns = Vec::with_capacity(opts.readers.max(1));
        for _ in 0..opts.readers.max(1) {
            let c = open_connection(&path, opts)?;
            c.pragma_update(None, "query_only", "ON")?;
            reader_conns.push(c);
        }
        let readers = ReaderPool::start(reader_conns, &readers_alive)?;
        Ok(Store { writer, readers, signals, lock })
    }

    /// Whether the writer's last batch committed: false from a failed commit (a full disk, a
    /// database another process holds locked) until the next batch commits.
    pub fn writable(&self) -> bool {
        self.signals.last_commit_ok.load(Ordering::Relaxed)
    }

    /// A small write that shows whether the database takes writes now: the hub runs it
    /// periodically, so [`Store::writable`] turns true again (or false) without waiting for a
    /// guest to write.
    pub async fn probe(&self) -> StoreResult<()> {
        self.write_wait(|db| {
            db.execute(
                "INSERT INTO meta (key, value) VALUES ('write_probe', ?1)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                [crate::time::now_ms().to_le_bytes().to_vec()],
            )?;
            Ok(())
        })
        .await
    }

    /// Records the address the hub listens on beside the data directory's lock, so a second hub
    /// refused on the same directory can name this one.
    pub fn note_address(&self, addr: std::net::SocketAddr) {
        self.lock.set_address(addr);
    }

    /// Runs `job` on the writer thread inside the next group-committed transaction, then runs
    /// `done` on the writer thread with the outcome, in queue order, after the commit.
    ///
    /// Waits only for room in the writer's queue, not for the commit: `done` delivers the result.
    pub async fn write<T, J, D>(&self, job: J, done: D) -> StoreResult<()>
    where
        T: Send + 'static,
        J: FnMut(&Db<'_>) -> StoreResult<T> + Send + 'static,
        D: FnOnce(Committed<T>) + Send + 'static,
    {
        self.writer.submit(job, done).await
    }

    /// Like [`Store::write`], but waits for the committed result.
    pub async fn write_wait<T, J>(&self, job: J) -> StoreResult<T>
    where
        T: Send + 'static,
        J: FnMut(&Db<'_>) -> StoreResult<T> + Send + 'static,
    {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.writer
            .submit(job, move |r| {
                let _ = tx.send(r);
            })
            .await?;
        rx.await.map_err(|_| StoreError::Closed)?
    }

    /// Like [`Store::write_wait`], and `after` runs with the value as the job's completion (after
    /// the commit, in commit order with every other completion): where events that must keep
    /// commit order are published (an inbox entry's absolute unread count, say).
    pub async fn write_and<T, J, A>(&self, job: J, after: A) -> StoreResult<T>
    where
        T: Send + 'static,
        J: FnMut(&Db<'_>) -> StoreResult<T> + Send + 'static,
        A: FnOnce(&T) + Send + 'static,
    {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.writer
            .submit(job, move |r: Committed<T>| {
                if let Ok(value) = &r {
                    after(value);
                }
                let _ = tx.send(r);
            })
            .await?;
        rx.await.map_err(|_| StoreError::Closed)?
    }

    /// Runs a read-only `job` against the database that holds `channel`: a reader thread for disk
    /// channels, the writer (between two commits) for an ephemeral room.
    pub async fn read_channel<T, J>(&self, channel: &Channel, job: J) -> StoreResult<T>
    where
        T: Send + 'static,
        J: Fn(&Connection) -> StoreResult<T> + Send + 'static,
    {
        if is_ephemeral(channel) {
            // A writer job may run twice (its batch rerun); a read is the same both times.
            self.write_wait(move |dbs| job(dbs.memory)).await
        } else {
            self.read(job).await
        }
    }

    /// Runs a read-only `job` against every database (disk, then memory while an ephemeral room
    /// exists) and returns the results in that order.
    pub async fn read_all<T, J>(&self, job: J) -> StoreResult<Vec<T>>
    where
        T: Send + 'static,
        J: Fn(&Connection) -> StoreResult<T> + Send + Sync + 'static,
    {
        let job = Arc::new(job);
        let disk = Arc::clone(&job);
        let mut out = vec![self.read(move |db| disk(db)).await?];
        if self.signals.memory_in_use.load(Ordering::Acquire) {
            out.push(self.write_wait(move |dbs| job(dbs.memory)).await?);
        }
        Ok(out)
    }

    /// The persisted channels' snapshots, shared by their new subscribers (read in writer jobs).
    pub fn shared_snapshots(&self) -> Arc<SharedSnapshots> {
        Arc::clone(&self.signals.snapshots)
    }

    /// Runs a read-only `job` on the in-memory database (on the writer, between two commits), or
    /// answers `None` without a round trip while no ephemeral room has ever existed.
    pub async fn read_memory<T, J>(&self, job: J) -> StoreResult<Option<T>>
    where
        T: Send + 'static,
        J: Fn(&Connection) -> StoreResult<T> + Send + 'static,
    {
        if !self.signals.memory_in_use.load(Ordering::Acquire) {
            return Ok(None);
        }
        self.write_wait(move |dbs| job(dbs.memory)).await.map(Some)
    }

    /// The session whose secret hashes to `hash`: remembered, or read on a reader thread (and
    /// remembered). A session the writer ended is never answered after its commit.
    pub async fn session_by_hash(&self, hash: Vec<u8>) -> StoreResult<Option<SessionRecord>> {
        let cache = &self.signals.sessions;
        let key = session_cache::SecretHash::try_from(hash.as_slice()).ok();
        if let Some(record) = key.as_ref().and_then(|k| cache.by_hash(k)) {
            return Ok(Some(record));
        }
        let epoch = cache.epoch();
        let found = self.read(move |conn| find_session(conn, &hash)).await?;
        if let (Some(record), Some(key)) = (&found, key) {
            cache.remember(epoch, record, Some(key));
        }
        Ok(found)
    }

    /// Where creating a session starts: read before its write job and pass to
    /// [`Store::remember_new_session`].
    pub fn session_epoch(&self) -> u64 {
        self.signals.sessions.epoch()
    }

    /// Remembers a session just created (after its commit), so its first socket reads no database;
    /// unless the writer forgot anything since `epoch` (it may have ended this very session).
    pub fn remember_new_session(&self, epoch: u64, record: &SessionRecord, hash: &[u8]) {
        if let Ok(hash) = session_cache::SecretHash::try_from(hash) {
            self.signals.sessions.remember(epoch, record, Some(hash));
        }
    }

    /// The session `id` (a token names it), remembered or read like [`Store::session_by_hash`].
    pub async fn session_by_id(&self, id: i64) -> StoreResult<Option<SessionRecord>> {
        let cache = &self.signals.sessions;
        if let Some(record) = cache.by_id(id) {
            return Ok(Some(record));
        }
        let epoch = cache.epoch();
        let found = self.read(move |conn| find_session_by_id(conn, id)).await?;
        if let Some(record) = &found {
            cache.remember(epoch, record, None);
        }
        Ok(found)
    }

    /// Runs a read-only `job` on a reader thread (it sees everything committed before it starts).
    pub async fn read<T, J>(&self, job: J) -> StoreResult<T>
    where
        T: Send + 'static,
        J: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        self.readers.run(job).await
    }
}
