//! The status service: a user's chosen status and status line, and whether each of their tabs is
//! idle, within the status budget. Presence shows both (its diffs are coalesced per window); the
//! store keeps the chosen status for the next time the user comes online.

use std::sync::Arc;
use std::time::Instant;

use hubbub_protocol::{ErrorCode, PresenceStatus};

use crate::config::STATUS_WINDOW;
use crate::conn::ConnHandle;
use crate::core::Core;
use crate::error::{Outcome, Refusal};
use crate::ratelimit::Budget;
use crate::store::save_status;

/// Longest custom status line, in characters.
pub const MAX_STATUS_TEXT: usize = 80;

/// Handle to the status service. Clones share everything.
#[derive(Clone)]
pub struct Statuses {
    inner: Arc<Inner>,
}

struct Inner {
    core: Core,
    /// Status changes (`set_status` and `set_activity`) per user.
    changes: Budget,
}

impl Statuses {
    pub fn new(core: Core) -> Statuses {
        let changes = Budget::per_user(core.config().status_rate, STATUS_WINDOW);
        Statuses { inner: Arc::new(Inner { core, changes }) }
    }

    fn spend(&self, user: i64) -> Outcome<()> {
        self.inner
            .changes
            .check(user, None, Instant::now())
            .map_err(|wait| Refusal::rate_limited("too many status changes; wait a little", wait))
    }

    /// Sets `user`'s chosen status and line: shown at once, and stored for next time.
    pub async fn set_status(&self, user: i64, status: PresenceStatus, text: Option<String>) -> Outcome<()> {
        let text = text.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty());
        if text
            .as_ref()
            .is_some_and(|t| t.chars().count() > MAX_STATUS_TEXT || t.chars().any(char::is_control))
        {
            return Err(Refusal::new(
                ErrorCode::InvalidStatus,
                format!("a status line is at most {MAX_STATUS_TEXT} characters, with no control characters"),
            ));
        }
        self.spend(user)?;
        let core = &self.inner.core;
        core.presence().set_status(user, status, text.clone());
        // Kept for the next time the user comes online; presence already shows it.
        let chosen = status_name(status);
        let saved = core
            .store()
            .write(
                move |db| save_status(db, user, chosen, text.as_deref()),
                |outcome| {
                    if let Err(e) = outcome {
                        tracing::warn!(error = %e, "could not store a chosen status");
                    }
                },
            )
            .await;
        if let Err(e) = saved {
            tracing::warn!(error = %e, "could not store a chosen status");
        }
        Ok(())
    }

    /// A connection's tab went idle (or came back).
    pub fn set_activity(&self, conn: &ConnHandle, idle: bool) -> Outcome<()> {
        self.spend(conn.user.id)?;
        self.inner.core.presence().set_activity(conn, idle);
        Ok(())
    }

    /// Forgets stale budget entries.
    pub fn sweep(&self, now: Instant) {
        self.inner.changes.prune(now);
    }
}

/// How a chosen status is stored: `None` for `online` (no choice: automatic).
fn status_name(status: PresenceStatus) -> Option<&'static str> {
    match status {
        PresenceStatus::Online => None,
        PresenceStatus::Away => Some("away"),
        PresenceStatus::Busy => Some("busy"),
    }
}

/// Reads a stored status back.
pub fn parse_status(name: Option<&str>) -> PresenceStatus {
    match name {
        Some("away") => PresenceStatus::Away,
        Some("busy") => PresenceStatus::Busy,
        _ => PresenceStatus::Online,
    }
}
