//! The chat service: rooms and direct conversations, who may read and write them, sending
//! (idempotent, acked after commit), subscribing with a snapshot or an exact catch-up, edits,
//! reactions, read marks, typing, and putting a user's open sockets into a channel.
//!
//! **Architecture invariant:** a persisted channel is sequenced by the store's writer thread. Its
//! offsets are assigned there, its events are fanned out from the job completions (after the commit,
//! in commit order, on the store's completions thread), and subscriptions to it are registered in a
//! completion too, after the snapshot was read in the job. So a subscriber's snapshot (or catch-up)
//! and the live events that follow it meet with no gap and no duplicate.

mod access;
mod dms;
pub mod events;
mod history;
mod membership;
mod messages;
mod rooms;
mod subscribe;
mod typing;

pub use access::{MAX_BODY_CHARS, MAX_CLIENT_MESSAGE_ID, can_read, can_write, chat_channel, check_body};
pub use events::Change;
pub use history::{MAX_SEARCH_CHARS, PageRequest};
pub use rooms::{MAX_ROOM_NAME, MAX_ROOM_TOPIC};
pub use typing::{TYPING_SWEEP, TYPING_TTL};

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::config::{CREATE_WINDOW, QUICK_WINDOW};
use crate::core::Core;
use crate::notify::Notify;
use crate::ratelimit::{Budget, RateLimiter};

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
    /// Rooms created, per user and per address.
    rooms: Budget,
    /// Room invitations sent, per user and per address.
    invites: Budget,
    /// Conversation requests, per user and per address.
    dm_requests: Budget,
    /// Reactions toggled, per user.
    reactions: Budget,
    /// Searches, per user.
    searches: Budget,
}

impl Chat {
    pub fn new(core: Core, notify: Notify) -> Chat {
        let rate = core.config().message_rate;
        let message_limit = (rate > 0).then(|| RateLimiter::new(rate, Duration::from_secs(10)));
        let c = core.config();
        let rooms = Budget::per_user(c.room_rate, CREATE_WINDOW)
            .and_per_address(c.room_rate_per_address, CREATE_WINDOW);
        let invites = Budget::per_user(c.invite_rate, CREATE_WINDOW)
            .and_per_address(c.invite_rate_per_address, CREATE_WINDOW);
        let dm_requests = Budget::per_user(c.dm_request_rate, CREATE_WINDOW)
            .and_per_address(c.dm_request_rate_per_address, CREATE_WINDOW);
        let reactions = Budget::per_user(c.reaction_rate, QUICK_WINDOW);
        let searches = Budget::per_user(c.search_rate, QUICK_WINDOW);
        let typing = typing::Typing::new(c.typing_window);
        Chat {
            inner: Arc::new(Inner {
                core,
                notify,
                typing,
                message_limit,
                rooms,
                invites,
                dm_requests,
                reactions,
                searches,
            }),
        }
    }

    fn core(&self) -> &Core {
        &self.inner.core
    }

    fn notify(&self) -> &Notify {
        &self.inner.notify
    }

    /// Relays the typing changes whose window ended (every tick).
    pub fn flush(&self, now: Instant) {
        self.inner.typing.flush(self.core().registry(), now);
    }

    /// Ends typing states not refreshed in time and forgets stale rate-limit entries.
    pub fn sweep(&self, now: Instant) {
        self.inner.typing.sweep(self.core().registry(), now);
        if let Some(limit) = &self.inner.message_limit {
            limit.prune(now);
        }
        let i = &self.inner;
        for budget in [&i.rooms, &i.invites, &i.dm_requests, &i.reactions, &i.searches] {
            budget.prune(now);
        }
    }
}
