//! The chat service: rooms and direct conversations, who may read and write them, sending
//! (idempotent, acked after commit), subscribing with a snapshot or an exact catch-up, edits,
//! reactions, read marks, typing, and putting a user's open sockets into a channel.
//!
//! **Architecture invariant:** a persisted channel is sequenced by the store's writer thread. Its
//! offsets are assigned there, its events are fanned out from the job completions there (after the
//! commit, in order), and subscriptions to it are registered there too. So a subscriber's snapshot
//! (or catch-up) and the live events that follow it meet with no gap and no duplicate.

mod access;
mod dms;
pub mod events;
mod history;
mod membership;
mod messages;
mod rooms;
mod typing;

pub use access::{MAX_BODY_CHARS, MAX_CLIENT_MESSAGE_ID, can_read, can_write, chat_channel, check_body};
pub use events::Change;
pub use history::{MAX_SEARCH_CHARS, PageRequest};
pub use rooms::{MAX_ROOM_NAME, MAX_ROOM_TOPIC};
pub use typing::{TYPING_SWEEP, TYPING_TTL};

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::core::Core;
use crate::notify::Notify;
use crate::ratelimit::RateLimiter;

/// Handle to the chat service. Clones share everything.
#[derive(Clone)]
pub struct Chat {
    inner: Arc<Inner>,
}

struct Inner {
    core: Core,
    /// Mentions, invitations and conversation requests land in inboxes.
    notify: Notify,
    /// Who is typing where, until when.
    typing: typing::Typing,
    /// Chat messages per sender in 10 seconds (`None`: no limit).
    message_limit: Option<RateLimiter>,
}

impl Chat {
    pub fn new(core: Core, notify: Notify) -> Chat {
        let rate = core.config().message_rate;
        let message_limit = (rate > 0).then(|| RateLimiter::new(rate, Duration::from_secs(10)));
        Chat { inner: Arc::new(Inner { core, notify, typing: typing::Typing::default(), message_limit }) }
    }

    fn core(&self) -> &Core {
        &self.inner.core
    }

    fn notify(&self) -> &Notify {
        &self.inner.notify
    }

    /// Ends typing states not refreshed in time and forgets stale rate-limit entries.
    pub fn sweep(&self, now: Instant) {
        self.inner.typing.sweep(self.core().registry(), now);
        if let Some(limit) = &self.inner.message_limit {
            limit.prune(now);
        }
    }
}
