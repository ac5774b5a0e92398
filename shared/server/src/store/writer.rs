//! The writer thread: batches queued jobs into one transaction (group commit), and the completions
//! thread that runs each committed batch's completions (acks, fan-out) in commit order.
//!
//! The writer hands a committed batch over and goes straight on to the next one, so the fan-out of
//! one batch overlaps the next batch's jobs and its wait on the disk, instead of adding to them. The
//! completions of every batch run in commit order on one thread, so a channel's events still leave in
//! offset order, and a subscription (registered in its completion) still falls between the events in
//! its snapshot and the ones after it. At most [`COMPLETIONS_QUEUE`] batches wait for their
//! completions; the writer waits for room beyond that.
//!
//! A batch first runs every job straight in the transaction. Only when a job fails is the whole
//! transaction rolled back and the batch run again with each job in a savepoint of its own, so the
//! failed job's writes are undone and the others commit. A savepoint per job in every batch cost a
//! fifth of the thread (SQLite copies each page a savepoint first touches into a sub-journal);
//! jobs are therefore plain database work that can run twice: whatever else they do happens in
//! their completion, after the commit.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc as std_mpsc;
use std::thread;
use std::time::{Duration, Instant};

use rusqlite::{Connection, TransactionBehavior};
use tokio::sync::mpsc;

use super::memory::Db;
use super::session_cache::{Changed, SessionCache};
use super::shared_snapshot::SharedSnapshots;
use super::{Committed, StoreError, StoreOptions, StoreResult};

/// A queued write: `run` executes its SQL inside the open transaction (again, if its batch is
/// rerun), `complete` follows the commit.
trait WriteJob: Send {
    /// Runs the job; returns whether it succeeded. A later run replaces the earlier result.
    fn run(&mut self, db: &Db<'_>) -> bool;
    /// Reports the outcome: the job's own result if the batch committed, the batch's error otherwise.
    fn complete(self: Box<Self>, commit: Result<(), &StoreError>);
}

struct Pending<T, J, D> {
    job: J,
    result: Option<StoreResult<T>>,
    done: D,
}

impl<T, J, D> WriteJob for Pending<T, J, D>
where
    T: Send,
    J: FnMut(&Db<'_>) -> StoreResult<T> + Send,
    D: FnOnce(Committed<T>) + Send,
{
    fn run(&mut self, db: &Db<'_>) -> bool {
        let result = (self.job)(db);
        let ok = result.is_ok();
        self.result = Some(result);
        ok
    }

    fn complete(self: Box<Self>, commit: Result<(), &StoreError>) {
        let outcome = match (self.result, commit) {
            (Some(Err(e)), _) => Err(e),
            (Some(Ok(v)), Ok(())) => Ok(v),
            (_, Err(e)) => Err(StoreError::BatchFailed(e.to_string())),
            (None, Ok(())) => Err(StoreError::BatchFailed("job did not run".into())),
        };
        (self.done)(outcome);
    }
}

/// Work the store asks for once per batch, inside the transaction after every job has run and
/// before the commit (on the disk database). The loop itself knows nothing of what it is for.
pub(super) type BatchHook = Box<dyn FnMut(&Connection) -> StoreResult<()> + Send>;

/// What the writer thread tells the store's handles.
#[derive(Debug)]
pub(super) struct Signals {
    /// Raised once the in-memory database has been written to.
    pub memory_in_use: AtomicBool,
    /// Whether the last batch committed (read by `/api/status`).
    pub last_commit_ok: AtomicBool,
    /// Sessions looked up recently; the writer forgets those its batches end or change.
    pub sessions: SessionCache,
    /// The rows the current batch changed that the session cache depends on (noted by the update
    /// hook, taken by the writer after the batch).
    pub changed: ChangedRows,
    /// Channels' snapshots shared by new subscribers; outdated by the update hooks and by every
    /// batch that is rolled back.
    pub snapshots: Arc<SharedSnapshots>,
}

impl Default for Signals {
    fn default() -> Self {
        Signals {
            memory_in_use: AtomicBool::new(false),
            last_commit_ok: AtomicBool::new(true),
            sessions: SessionCache::default(),
            snapshots: Arc::default(),
            changed: ChangedRows::default(),
        }
    }
}

/// The rows a batch changed that the session cache depends on, noted by SQLite's update hook.
pub(super) type ChangedRows = Arc<std::sync::Mutex<Vec<Changed>>>;

/// What the writer thread owns.
struct Thread {
    conn: Connection,
    memory: Connection,
    hooks: Vec<BatchHook>,
    signals: Arc<Signals>,
    /// The data directory's lock, released only after this thread has closed the database.
    _lock: Arc<super::lock::DirLock>,
    /// Disconnected once every reader thread has closed its connection.
    readers_gone: std_mpsc::Receiver<()>,
    /// Where each batch's size, time and outcome are recorded.
    metrics: Option<crate::metrics::StoreMetrics>,
}

/// Committed batches waiting for their completions, at most.
const COMPLETIONS_QUEUE: usize = 4;

/// A committed (or failed) batch, on its way to the completions thread.
type Done = (Vec<Box<dyn WriteJob>>, Result<(), StoreError>);

#[derive(Clone)]
pub(super) struct Writer {
    tx: mpsc::Sender<Box<dyn WriteJob>>,
}

impl Writer {
    pub(super) fn start(
        conn: Connection,
        memory: Connection,
        opts: &StoreOptions,
        hooks: Vec<BatchHook>,
        signals: Arc<Signals>,
        lock: Arc<super::lock::DirLock>,
        readers_gone: std_mpsc::Receiver<()>,
    ) -> StoreResult<Writer> {
        let (tx, rx) = mpsc::channel(opts.writer_queue.max(1));
        let max_batch = opts.max_batch.max(1);
        let metrics = opts.metrics.clone();
        let owned = Thread { conn, memory, hooks, signals, _lock: lock, readers_gone, metrics };
        let (done_tx, done_rx) = std_mpsc::sync_channel::<Done>(COMPLETIONS_QUEUE);
        // Emptied batches go back to the writer, so a batch's vector is allocated once.
        let (spare_tx, spare_rx) = std_mpsc::channel();
        let completions = thread::Builder::new()
            .name("hubbub-store-completions".into())
            .spawn(move || complete(done_rx, &spare_tx))
            .map_err(|e| StoreError::DataDir { path: "completions thread".into(), source: e })?;
        let batches = Batches { done: done_tx, spare: spare_rx, completions, max_batch };
        thread::Builder::new()
            .name("hubbub-store-writer".into())
            .spawn(move || run(owned, rx, batches))
            .map_err(|e| StoreError::DataDir { path: "writer thread".into(), source: e })?;
        Ok(Writer { tx })
    }

    pub(super) async fn submit<T, J, D>(&self, job: J, done: D) -> StoreResult<()>
    where
        T: Send + 'static,
        J: FnMut(&Db<'_>) -> StoreResult<T> + Send + 'static,
        D: FnOnce(Committed<T>) + Send + 'static,
    {
        let job = Box::new(Pending { job, result: None, done });
        self.tx.send(job).await.map_err(|_| StoreError::Closed)
    }
}

/// The writer's side of the completions thread.
struct Batches {
    done: std_mpsc::SyncSender<Done>,
    spare: std_mpsc::Receiver<Vec<Box<dyn WriteJob>>>,
    completions: thread::JoinHandle<()>,
    max_batch: usize,
}

/// The completions thread: each batch's completions in commit order, the batch's own order within.
fn complete(done: std_mpsc::Receiver<Done>, spare: &std_mpsc::Sender<Vec<Box<dyn WriteJob>>>) {
    for (mut batch, commit) in done {
        for job in batch.drain(..) {
            job.complete(commit.as_ref().map(|_| ()));
        }
        let _ = spare.send(batch);
    }
}

// The thread owns both connections for its whole life; they close when it ends.
fn run(mut owned: Thread, mut rx: mpsc::Receiver<Box<dyn WriteJob>>, batches: Batches) {
    let Batches { done, spare, completions, max_batch } = batches;
    while let Some(first) = rx.blocking_recv() {
        let mut batch = spare.try_recv().unwrap_or_else(|_| Vec::with_capacity(max_batch));
        batch.push(first);
        while batch.len() < max_batch {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let started = Instant::now();
        let commit = run_batch(&mut owned, &mut batch);
        if let Some(metrics) = &owned.metrics {
            metrics.batch(batch.len(), started.elapsed(), commit.is_ok());
        }
        owned.signals.last_commit_ok.store(commit.is_ok(), Ordering::Relaxed);
        // After the commit and before any completion: a session this batch ended is refused by
        // the next lookup. (Forgotten whether or not the batch committed: forgetting is harmless.)
        let changed = std::mem::take(&mut *owned.signals.changed.lock().unwrap_or_else(|p| p.into_inner()));
        owned.signals.sessions.forget(&changed);
        if !owned.signals.memory_in_use.load(Ordering::Relaxed) && owned.memory.total_changes() > 0 {
            owned.signals.memory_in_use.store(true, Ordering::Release);
        }
        if let Err(e) = &commit {
            tracing::error!(error = %e, jobs = batch.len(), "store batch failed");
        }
        if let Err(std_mpsc::SendError((batch, commit))) = done.send((batch, commit)) {
            // The completions thread is gone (a completion panicked): complete here, in order still.
            tracing::error!("the store's completions thread stopped; completing on the writer");
            for job in batch {
                job.complete(commit.as_ref().map(|_| ()));
            }
        }
    }
    // Every completion runs before the databases close.
    drop(done);
    let _ = completions.join();
    // SQLite checkpoints the log and removes it when the last connection to the file closes, and
    // only a connection that may write can. So the read-only ones close first: the in-memory
    // database (which attaches the disk read-only) and the readers, which stop when the store is
    // dropped, as this loop does (waited for within a bound, should one be stuck in a job). A
    // stopped hub then leaves its database file and no log.
    let Thread { conn, memory, readers_gone, .. } = owned;
    drop(memory);
    let _ = readers_gone.recv_timeout(READERS_CLOSE_WAIT);
    drop(conn);
    tracing::debug!("store writer stopped");
}

/// How long the stopping writer waits for the readers to close their connections.
const READERS_CLOSE_WAIT: Duration = Duration::from_secs(2);

/// Runs one statement on both databases, prepared once (parsing it for every job cost more than
/// the savepoint itself).
fn run_cached(disk: &Connection, memory: &Connection, sql: &str) -> rusqlite::Result<()> {
    disk.prepare_cached(sql)?.execute([])?;
    memory.prepare_cached(sql)?.execute([])?;
    Ok(())
}

/// Runs every job of `batch` in one transaction (one on each database), then the batch hooks, and
/// commits: disk first, then memory. When a job fails, the transaction is rolled back and the
/// batch runs again with each job in its own savepoint.
fn run_batch(owned: &mut Thread, batch: &mut [Box<dyn WriteJob>]) -> Result<(), StoreError> {
    let Thread { conn, memory, hooks, signals, .. } = owned;
    // A rolled-back attempt may have let a job read (and share) what was never committed.
    let outcome = match attempt(conn, memory, hooks, batch, false) {
        Ok(true) => return Ok(()),
        Ok(false) => {
            signals.snapshots.outdate();
            attempt(conn, memory, hooks, batch, true).map(|_| ())
        }
        Err(e) => Err(e),
    };
    if outcome.is_err() {
        signals.snapshots.outdate();
    }
    outcome
}

/// One try at a batch. Without savepoints, returns `Ok(false)` (everything rolled back) as soon
/// as a job fails; with them, a failed job is undone alone and the rest commit.
fn attempt(
    conn: &mut Connection,
    memory: &Connection,
    hooks: &mut [BatchHook],
    batch: &mut [Box<dyn WriteJob>],
    savepoints: bool,
) -> Result<bool, StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    memory.execute_batch("BEGIN")?;
    let outcome = (|| {
        for job in batch.iter_mut() {
            if !savepoints {
                if !job.run(&Db { disk: &tx, memory }) {
                    return Ok(false);
                }
                continue;
            }
            run_cached(&tx, memory, "SAVEPOINT job")?;
            if !job.run(&Db { disk: &tx, memory }) {
                run_cached(&tx, memory, "ROLLBACK TO job")?;
            }
            run_cached(&tx, memory, "RELEASE job")?;
        }
        for hook in hooks.iter_mut() {
            hook(&tx)?;
        }
        Ok::<bool, StoreError>(true)
    })();
    let committed = match outcome {
        Ok(true) => tx.commit().map_err(StoreError::from),
        Ok(false) => {
            drop(tx); // rolls back
            let _ = memory.execute_batch("ROLLBACK");
            return Ok(false);
        }
        Err(e) => Err(e),
    };
    match committed {
        Ok(()) => {
            memory.execute_batch("COMMIT")?;
            Ok(true)
        }
        Err(e) => {
            let _ = memory.execute_batch("ROLLBACK");
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use crate::store::{Store, StoreOptions};

    /// A dropped store closes its connections in an order that lets SQLite fold the write-ahead
    /// log back into the database and remove it, even after reads and an ephemeral-room write.
    #[tokio::test]
    async fn a_dropped_store_leaves_no_write_ahead_log() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), &StoreOptions::default()).unwrap();
        store.write_wait(|db| Ok(db.execute_batch("CREATE TABLE t (n INTEGER)")?)).await.unwrap();
        store.write_wait(|db| Ok(db.execute("INSERT INTO t VALUES (1)", [])?)).await.unwrap();
        let n: i64 =
            store.read(|c| Ok(c.query_row("SELECT count(*) FROM t", [], |r| r.get(0))?)).await.unwrap();
        assert_eq!(n, 1);
        let wal = dir.path().join("hubbub.db-wal");
        assert!(wal.exists(), "a write in WAL mode leaves a log while the store is open");
        drop(store);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while wal.exists() && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        assert!(!wal.exists(), "the log is still there after the store was dropped");
        let db = rusqlite::Connection::open(dir.path().join("hubbub.db")).unwrap();
        let n: i64 = db.query_row("SELECT count(*) FROM t", [], |r| r.get(0)).unwrap();
        assert_eq!(n, 1, "the row was folded into the database file");
    }

    /// A new database takes the store's page size; one made with another size keeps its own, and
    /// either checkpoints after the same amount of log.
    #[tokio::test]
    async fn a_new_database_takes_the_small_page_size_and_an_old_one_keeps_its_own() {
        let page = |store: &Store| {
            let store = store.clone();
            async move {
                store
                    .read(|c| {
                        let size: i64 = c.pragma_query_value(None, "page_size", |r| r.get(0))?;
                        Ok(size)
                    })
                    .await
                    .unwrap()
            }
        };
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), &StoreOptions::default()).unwrap();
        assert_eq!(page(&store).await, crate::store::PAGE_SIZE);
        drop(store);

        let old = tempfile::tempdir().unwrap();
        let db = rusqlite::Connection::open(old.path().join("hubbub.db")).unwrap();
        db.execute_batch("PRAGMA page_size = 4096; PRAGMA journal_mode = WAL; CREATE TABLE t (n INTEGER);")
            .unwrap();
        drop(db);
        let store = Store::open(old.path(), &StoreOptions::default()).unwrap();
        assert_eq!(page(&store).await, 4096);
    }

    /// A failing job in a batch: its own write is undone, its neighbours' commit once (though they
    /// ran twice), and each completion gets its own job's result.
    #[tokio::test]
    async fn a_failing_job_is_undone_alone_and_its_neighbours_commit_once() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), &StoreOptions::default()).unwrap();
        store.write_wait(|db| Ok(db.execute_batch("CREATE TABLE t (n INTEGER PRIMARY KEY)")?)).await.unwrap();
        // Hold the writer busy so the next three jobs land in one batch (or in the holder's own,
        // which then runs twice: it waits only the first time).
        let (hold, release) = std::sync::mpsc::channel::<()>();
        let mut release = Some(release);
        store
            .write(
                move |_| {
                    if let Some(r) = release.take() {
                        let _ = r.recv();
                    }
                    Ok(())
                },
                |_| {},
            )
            .await
            .unwrap();
        let results = Arc::new(Mutex::new(Vec::new()));
        for n in [1, 2, 3] {
            let results = Arc::clone(&results);
            store
                .write(
                    move |db| {
                        db.execute("INSERT INTO t (n) VALUES (?1)", [n * 10])?;
                        if n == 2 {
                            // Fails after writing: a duplicate key.
                            db.execute("INSERT INTO t (n) VALUES (?1)", [n * 10])?;
                        }
                        Ok(n)
                    },
                    move |outcome| results.lock().unwrap().push((n, outcome.is_ok())),
                )
                .await
                .unwrap();
        }
        hold.send(()).unwrap();
        let rows: Vec<i64> = store
            .write_wait(|db| {
                let mut stmt = db.prepare("SELECT n FROM t ORDER BY n")?;
                let rows = stmt.query_map([], |r| r.get(0))?.collect::<Result<Vec<i64>, _>>()?;
                Ok(rows)
            })
            .await
            .unwrap();
        assert_eq!(rows, vec![10, 30], "the failed job's first insert is undone, the others committed once");
        assert_eq!(*results.lock().unwrap(), vec![(1, true), (2, false), (3, true)]);
    }
}
