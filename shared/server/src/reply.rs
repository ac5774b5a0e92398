//! Answering a socket command: the `ack` or `error` frame with the command's `ref`, sent to the
//! connection that asked, in the order of its commands. The one place a [`Refusal`] becomes an
//! `error` frame.

use std::sync::Arc;

use hubbub_protocol::ServerFrame;

use crate::conn::ConnHandle;
use crate::error::{Outcome, Refusal};
use crate::store::{Db, Store, StoreResult};

/// The `error` frame for a refusal.
pub fn error_frame(r#ref: Option<String>, refusal: Refusal) -> ServerFrame {
    let retry_after_ms = refusal.retry_after_ms();
    ServerFrame::Error { r#ref, code: refusal.code, message: refusal.message, retry_after_ms }
}

/// Where a command's answer goes: the connection that sent it, and the command's `ref`.
#[derive(Debug, Clone)]
pub struct Reply {
    conn: Arc<ConnHandle>,
    r#ref: Option<String>,
}

impl Reply {
    pub fn new(conn: &Arc<ConnHandle>, r#ref: Option<String>) -> Reply {
        Reply { conn: Arc::clone(conn), r#ref }
    }

    /// The connection that asked.
    pub fn conn(&self) -> &Arc<ConnHandle> {
        &self.conn
    }

    /// The command's `ref`, taken (for a frame that carries it, such as `subscribed`).
    pub fn take_ref(&mut self) -> Option<String> {
        self.r#ref.take()
    }

    /// Sends any frame to the connection that asked.
    pub fn send(&self, frame: &ServerFrame) {
        self.conn.send_frame(frame);
    }

    /// A plain `ack`, when the command had a `ref`.
    pub fn ack(self) {
        self.ack_with(None, None, None, false);
    }

    /// An `ack` naming what the command changed, when the command had a `ref`.
    pub fn ack_with(
        self,
        channel: Option<String>,
        message_id: Option<i64>,
        offset: Option<i64>,
        duplicate: bool,
    ) {
        if let Some(r#ref) = self.r#ref {
            self.conn.send_frame(&ServerFrame::Ack { r#ref, channel, message_id, offset, duplicate });
        }
    }

    /// The `error` frame for `refusal`.
    pub fn refuse(self, refusal: Refusal) {
        self.conn.send_frame(&error_frame(self.r#ref, refusal));
    }

    /// The `error` frame for `refusal`, after the answers to the connection's writes in flight: a
    /// pipelined command refused before it reaches the store keeps its place among the answers.
    pub async fn refuse_in_turn(self, refusal: Refusal) {
        self.conn.writes_settled().await;
        self.refuse(refusal);
    }

    /// `ack` or `error`, as `outcome` says.
    pub fn finish(self, outcome: Outcome<()>) {
        match outcome {
            Ok(()) => self.ack(),
            Err(refusal) => self.refuse(refusal),
        }
    }
}

/// Runs a command's write job and waits until it has completed: on success `done` gets the job's
/// value and the reply (after the commit, in commit order); a refusal or a store failure is answered
/// with an `error` frame. For a command that must finish before the connection's next one starts
/// (a subscription, which the connection's end must not overtake).
pub async fn command<T, J, D>(store: &Store, reply: Reply, job: J, done: D)
where
    T: Send + 'static,
    J: FnMut(&Db<'_>) -> StoreResult<Outcome<T>> + Send + 'static,
    D: FnOnce(T, Reply) + Send + 'static,
{
    let conn = Arc::clone(reply.conn());
    pipelined(store, reply, job, done).await;
    // Jobs complete in queue order: once none is left, this one has.
    conn.writes_settled().await;
}

/// Runs a command's write job like [`command`], but returns once the job is queued, while fewer
/// than the connection's [`ConnHandle::write_limit`] writes are in flight (waiting for the oldest
/// otherwise). The store runs jobs and their completions in queue order, so the answers to one
/// connection's pipelined writes keep the order of its commands, and their effects happen in that
/// order; several of them share a group commit. A command answered any other way waits first for
/// [`ConnHandle::writes_settled`] (see [`Reply::refuse_in_turn`]).
pub async fn pipelined<T, J, D>(store: &Store, reply: Reply, job: J, done: D)
where
    T: Send + 'static,
    J: FnMut(&Db<'_>) -> StoreResult<Outcome<T>> + Send + 'static,
    D: FnOnce(T, Reply) + Send + 'static,
{
    let conn = Arc::clone(reply.conn());
    let in_flight = conn.write_started();
    let on_error = reply.clone();
    let queued = store
        .write(job, move |outcome| {
            match outcome {
                Ok(Ok(value)) => done(value, reply),
                Ok(Err(refusal)) => reply.refuse(refusal),
                Err(e) => reply.refuse(e.into()),
            }
            // Counted done only now that its answer is queued.
            drop(in_flight);
        })
        .await;
    match queued {
        // A job that was not queued was dropped, and its count with it.
        Err(e) => on_error.refuse_in_turn(e.into()).await,
        Ok(()) => conn.writes_below(conn.write_limit()).await,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use futures_util::FutureExt;
    use hubbub_protocol::{ServerFrame, UserInfo};

    use super::{Reply, pipelined};
    use crate::conn::ConnHandle;
    use crate::error::Refusal;
    use crate::outbox::Receiver;
    use crate::store::{Db, Store, StoreOptions, StoreResult};

    /// A store with a table, and a connection with a send queue of `capacity`.
    async fn setup(capacity: usize) -> (tempfile::TempDir, Store, Arc<ConnHandle>, Receiver) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), &StoreOptions::default()).unwrap();
        store.write_wait(|db| Ok(db.execute_batch("CREATE TABLE t (n INTEGER PRIMARY KEY)")?)).await.unwrap();
        let user = UserInfo { id: 1, display_name: "Ann".into() };
        let (conn, rx) = ConnHandle::new(1, user, None, capacity);
        (dir, store, Arc::new(conn), rx)
    }

    /// A job inserting `n`; the first run of the first one waits for `hold` (the writer is busy).
    fn insert(
        n: i64,
        hold: Option<std::sync::mpsc::Receiver<()>>,
    ) -> impl FnMut(&Db<'_>) -> StoreResult<crate::error::Outcome<i64>> + Send + 'static {
        let hold = Mutex::new(hold);
        move |db| {
            if let Some(hold) = hold.lock().unwrap().take() {
                let _ = hold.recv();
            }
            db.execute("INSERT INTO t VALUES (?1)", [n])?;
            Ok(Ok(n))
        }
    }

    /// The `ref`s of the frames answered so far, in order.
    fn answered(rx: &mut Receiver) -> Vec<String> {
        let mut refs = Vec::new();
        while let Some(text) = rx.try_recv() {
            match serde_json::from_str::<ServerFrame>(&text).unwrap() {
                ServerFrame::Ack { r#ref, .. } | ServerFrame::Error { r#ref: Some(r#ref), .. } => {
                    refs.push(r#ref);
                }
                other => panic!("not an answer: {other:?}"),
            }
        }
        refs
    }

    /// Writes return once queued while the writer is still busy with the first, are answered in
    /// the order they were queued, and a refusal waits its turn behind them.
    #[tokio::test]
    async fn pipelined_writes_return_before_their_commit_and_answer_in_order() {
        let (_dir, store, conn, mut rx) = setup(1024).await;
        let (hold, held) = std::sync::mpsc::channel();
        let ack = |_: i64, reply: Reply| reply.ack();
        pipelined(&store, Reply::new(&conn, Some("w0".into())), insert(0, Some(held)), ack).await;
        for n in 1..5 {
            pipelined(&store, Reply::new(&conn, Some(format!("w{n}"))), insert(n, None), ack).await;
        }
        assert!(answered(&mut rx).is_empty(), "nothing is answered while the writer is held");
        assert!(conn.writes_settled().now_or_never().is_none(), "five writes are in flight");
        // A command refused before the store waits for them.
        let refusal = Reply::new(&conn, Some("no".into()))
            .refuse_in_turn(Refusal::new(hubbub_protocol::ErrorCode::Forbidden, "no"));
        tokio::pin!(refusal);
        assert!(refusal.as_mut().now_or_never().is_none(), "the refusal waits for the writes");
        hold.send(()).unwrap();
        refusal.await;
        assert_eq!(answered(&mut rx), ["w0", "w1", "w2", "w3", "w4", "no"]);
        let rows: i64 =
            store.read(|c| Ok(c.query_row("SELECT count(*) FROM t", [], |r| r.get(0))?)).await.unwrap();
        assert_eq!(rows, 5, "every acknowledged write is committed");
    }

    /// A small send queue allows fewer writes in flight: with 32 frames, two; the third waits.
    #[tokio::test]
    async fn the_reader_waits_for_the_oldest_write_when_the_limit_is_reached() {
        let (_dir, store, conn, mut rx) = setup(32).await;
        assert_eq!(conn.write_limit(), 2);
        let (hold, held) = std::sync::mpsc::channel();
        let ack = |_: i64, reply: Reply| reply.ack();
        pipelined(&store, Reply::new(&conn, Some("w0".into())), insert(0, Some(held)), ack).await;
        let second = pipelined(&store, Reply::new(&conn, Some("w1".into())), insert(1, None), ack);
        tokio::pin!(second);
        assert!(second.as_mut().now_or_never().is_none(), "two writes in flight hold the reader");
        hold.send(()).unwrap();
        second.await;
        conn.writes_settled().await;
        assert_eq!(answered(&mut rx), ["w0", "w1"]);
    }
}
