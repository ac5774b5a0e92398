//! Typing indicators: relayed to the channel's other members (never to any tab of the typist), never
//! stored, and expired after 10 seconds without a refresh by a sweep every 5 seconds.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use hubbub_protocol::{Channel, ServerFrame};

use crate::channels::Registry;
use crate::conn::{ConnHandle, encode};

/// A typing state lasts this long without a refresh.
pub const TYPING_TTL: Duration = Duration::from_secs(10);
/// How often expired typing states are swept.
pub const TYPING_SWEEP: Duration = Duration::from_secs(5);

/// One person typing in one channel.
#[derive(Debug, Clone)]
struct Typist {
    name: String,
    until: Instant,
}

type Active = HashMap<(Channel, i64), Typist>;

/// Who is typing where.
#[derive(Debug, Default)]
pub struct Typing {
    active: Mutex<Active>,
}

fn frame(channel: &Channel, user_id: i64, display_name: &str, typing: bool) -> ServerFrame {
    ServerFrame::Typing {
        channel: channel.to_string(),
        user_id,
        display_name: display_name.to_owned(),
        typing,
    }
}

impl Typing {
    fn lock(&self) -> std::sync::MutexGuard<'_, Active> {
        self.active.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// `conn`'s user started typing (or refreshed it). Relayed only when it starts.
    pub fn started(&self, registry: &Registry, channel: &Channel, conn: &ConnHandle, now: Instant) {
        let user = &conn.user;
        let fresh = self
            .lock()
            .insert(
                (channel.clone(), user.id),
                Typist { name: user.display_name.clone(), until: now + TYPING_TTL },
            )
            .is_none();
        if fresh {
            registry.publish_except_user(
                channel,
                &encode(&frame(channel, user.id, &user.display_name, true)),
                user.id,
            );
        }
    }

    /// `conn`'s user stopped typing (they said so, or sent their message).
    pub fn stopped(&self, registry: &Registry, channel: &Channel, conn: &ConnHandle) {
        let user = &conn.user;
        if self.lock().remove(&(channel.clone(), user.id)).is_some() {
            registry.publish_except_user(
                channel,
                &encode(&frame(channel, user.id, &user.display_name, false)),
                user.id,
            );
        }
    }

    /// Ends typing states not refreshed in time, telling their channels.
    pub fn sweep(&self, registry: &Registry, now: Instant) {
        let expired: Vec<_> = {
            let mut active = self.lock();
            let gone: Vec<_> =
                active.iter().filter(|(_, t)| t.until <= now).map(|(k, _)| k.clone()).collect();
            gone.into_iter().filter_map(|k| active.remove(&k).map(|v| (k, v))).collect()
        };
        for ((channel, user_id), t) in expired {
            registry.publish_except_user(
                &channel,
                &encode(&frame(&channel, user_id, &t.name, false)),
                user_id,
            );
        }
    }
}
