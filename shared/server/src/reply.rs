//! Answering a socket command: the `ack` or `error` frame with the command's `ref`, sent to the
//! connection that asked. The one place a [`Refusal`] becomes an `error` frame.

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

    /// `ack` or `error`, as `outcome` says.
    pub fn finish(self, outcome: Outcome<()>) {
        match outcome {
            Ok(()) => self.ack(),
            Err(refusal) => self.refuse(refusal),
        }
    }
}

/// Runs a command's write job: on success `done` gets the job's value and the reply (on the writer
/// thread, after the commit); a refusal or a store failure is answered with an `error` frame.
///
/// Returns once the job has completed, so one connection's commands run one after another (their
/// replies are queued before the next command is read); commands of different connections still
/// share each group commit.
pub async fn command<T, J, D>(store: &Store, reply: Reply, job: J, done: D)
where
    T: Send + 'static,
    J: FnMut(&Db<'_>) -> StoreResult<Outcome<T>> + Send + 'static,
    D: FnOnce(T, Reply) + Send + 'static,
{
    let (finished, completed) = tokio::sync::oneshot::channel::<()>();
    let on_error = reply.clone();
    let queued = store
        .write(job, move |outcome| {
            match outcome {
                Ok(Ok(value)) => done(value, reply),
                Ok(Err(refusal)) => reply.refuse(refusal),
                Err(e) => reply.refuse(e.into()),
            }
            let _ = finished.send(());
        })
        .await;
    match queued {
        Ok(()) => {
            let _ = completed.await;
        }
        Err(e) => on_error.refuse(e.into()),
    }
}
