//! The writer thread: batches queued jobs into one transaction (group commit).

use std::thread;

use rusqlite::{Connection, TransactionBehavior};
use tokio::sync::mpsc;

use super::memory::Db;
use super::{Committed, StoreError, StoreOptions, StoreResult};

/// A queued write: `run` executes its SQL inside the open transaction, `complete` follows the commit.
trait WriteJob: Send {
    /// Runs the job; returns whether it succeeded (a failed job's savepoint is rolled back).
    fn run(&mut self, db: &Db<'_>) -> bool;
    /// Reports the outcome: the job's own result if the batch committed, the batch's error otherwise.
    fn complete(self: Box<Self>, commit: Result<(), &StoreError>);
}

struct Pending<T, J, D> {
    job: Option<J>,
    result: Option<StoreResult<T>>,
    done: D,
}

impl<T, J, D> WriteJob for Pending<T, J, D>
where
    T: Send,
    J: FnOnce(&Db<'_>) -> StoreResult<T> + Send,
    D: FnOnce(Committed<T>) + Send,
{
    fn run(&mut self, db: &Db<'_>) -> bool {
        let result = self.job.take().map(|job| job(db));
        let ok = matches!(result, Some(Ok(_)));
        self.result = result;
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

#[derive(Clone)]
pub(super) struct Writer {
    tx: mpsc::Sender<Box<dyn WriteJob>>,
}

impl Writer {
    pub(super) fn start(conn: Connection, memory: Connection, opts: &StoreOptions) -> StoreResult<Writer> {
        let (tx, rx) = mpsc::channel(opts.writer_queue.max(1));
        let max_batch = opts.max_batch.max(1);
        thread::Builder::new()
            .name("hubbub-store-writer".into())
            .spawn(move || run(conn, memory, rx, max_batch))
            .map_err(|e| StoreError::DataDir { path: "writer thread".into(), source: e })?;
        Ok(Writer { tx })
    }

    pub(super) async fn submit<T, J, D>(&self, job: J, done: D) -> StoreResult<()>
    where
        T: Send + 'static,
        J: FnOnce(&Db<'_>) -> StoreResult<T> + Send + 'static,
        D: FnOnce(Committed<T>) + Send + 'static,
    {
        let job = Box::new(Pending { job: Some(job), result: None, done });
        self.tx.send(job).await.map_err(|_| StoreError::Closed)
    }
}

// The thread owns both connections for its whole life; they close when it ends.
#[allow(clippy::needless_pass_by_value)]
fn run(
    mut conn: Connection,
    memory: Connection,
    mut rx: mpsc::Receiver<Box<dyn WriteJob>>,
    max_batch: usize,
) {
    let mut batch = Vec::with_capacity(max_batch);
    while let Some(first) = rx.blocking_recv() {
        batch.push(first);
        while batch.len() < max_batch {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let commit = run_batch(&mut conn, &memory, &mut batch);
        if let Err(e) = &commit {
            tracing::error!(error = %e, jobs = batch.len(), "store batch failed");
        }
        for job in batch.drain(..) {
            job.complete(commit.as_ref().map(|_| ()));
        }
    }
    tracing::debug!("store writer stopped");
}

/// Runs one statement on both databases, prepared once (parsing it for every job cost more than
/// the savepoint itself).
fn run_cached(disk: &Connection, memory: &Connection, sql: &str) -> rusqlite::Result<()> {
    disk.prepare_cached(sql)?.execute([])?;
    memory.prepare_cached(sql)?.execute([])?;
    Ok(())
}

/// Runs every job of `batch` in one transaction (one on each database), each job in its own
/// savepoint, indexes the new messages for search, and commits: disk first, then memory.
fn run_batch(
    conn: &mut Connection,
    memory: &Connection,
    batch: &mut [Box<dyn WriteJob>],
) -> Result<(), StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    memory.execute_batch("BEGIN")?;
    let outcome = (|| {
        for job in batch.iter_mut() {
            run_cached(&tx, memory, "SAVEPOINT job")?;
            let ok = job.run(&Db { disk: &tx, memory });
            if !ok {
                run_cached(&tx, memory, "ROLLBACK TO job")?;
            }
            run_cached(&tx, memory, "RELEASE job")?;
        }
        super::index_new_messages(&tx)?;
        Ok::<(), StoreError>(())
    })();
    match outcome.and_then(|()| tx.commit().map_err(StoreError::from)) {
        Ok(()) => {
            memory.execute_batch("COMMIT")?;
            Ok(())
        }
        Err(e) => {
            let _ = memory.execute_batch("ROLLBACK");
            Err(e)
        }
    }
}
