//! Reader threads: each owns a read-only connection and takes jobs from one bounded queue.

use std::sync::mpsc as std_mpsc;
use std::sync::{Arc, Mutex};
use std::thread;

use rusqlite::Connection;
use tokio::sync::{mpsc, oneshot};

use super::{StoreError, StoreResult};

type ReadJob = Box<dyn FnOnce(&Connection) + Send>;

#[derive(Clone)]
pub(super) struct ReaderPool {
    tx: mpsc::Sender<ReadJob>,
}

impl ReaderPool {
    /// Starts one thread per connection. Each holds a clone of `alive` until its connection is
    /// closed, so the writer can see when the last reader is gone.
    pub(super) fn start(conns: Vec<Connection>, alive: &std_mpsc::Sender<()>) -> StoreResult<ReaderPool> {
        let (tx, rx) = mpsc::channel::<ReadJob>(1024);
        let rx = Arc::new(Mutex::new(rx));
        for (i, conn) in conns.into_iter().enumerate() {
            let rx = Arc::clone(&rx);
            let alive = alive.clone();
            thread::Builder::new()
                .name(format!("hubbub-store-reader-{i}"))
                .spawn(move || {
                    // Locals drop in reverse: the connection closes before `alive` says so.
                    let _alive = alive;
                    let conn = conn;
                    loop {
                        // Only the idle reader waiting for the next job holds the lock.
                        let job = match rx.lock() {
                            Ok(mut rx) => rx.blocking_recv(),
                            Err(_) => None,
                        };
                        match job {
                            Some(job) => job(&conn),
                            None => break,
                        }
                    }
                })
                .map_err(|e| StoreError::DataDir { path: "reader thread".into(), source: e })?;
        }
        Ok(ReaderPool { tx })
    }

    pub(super) async fn run<T, J>(&self, job: J) -> StoreResult<T>
    where
        T: Send + 'static,
        J: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        let job: ReadJob = Box::new(move |conn| {
            let _ = tx.send(job(conn));
        });
        self.tx.send(job).await.map_err(|_| StoreError::Closed)?;
        rx.await.map_err(|_| StoreError::Closed)?
    }
}
