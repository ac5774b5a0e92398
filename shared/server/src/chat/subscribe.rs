//! Subscribing to persisted channels (a snapshot or the exact catch-up, then live events): one
//! channel for a `subscribe` command, or every channel of a new socket in one writer job.

use std::sync::Arc;

use hubbub_protocol::{Channel, ReadMark, ServerFrame, StreamPosition};

use super::Chat;
use super::access::can_read;
use crate::conn::{ConnHandle, encode, encode_subscribed};
use crate::core::Core;
use crate::error::Outcome;
use crate::reply::{Reply, command};
use crate::store::{self, Db, SharedSnapshots, StoreResult, read_mark, read_marks, unread};

/// What a subscriber is told first, read in the same writer job that registers it.
struct Opening {
    snapshot: store::Opening,
    last_read: i64,
    unread: u32,
    read_marks: Option<Vec<ReadMark>>,
}

/// Reads what `user` is told on subscribing to `channel` (inside a writer job), or why not.
fn read_opening(
    dbs: &Db<'_>,
    shared: &SharedSnapshots,
    channel: &Channel,
    user: i64,
    since: Option<&StreamPosition>,
) -> StoreResult<Outcome<Opening>> {
    let db = dbs.chat(channel);
    if let Err(refusal) = can_read(db, channel, user)? {
        return Ok(Err(refusal));
    }
    let name = channel.to_string();
    let marks = if matches!(channel, Channel::Dm(_)) {
        let marks = read_marks(db, &name)?;
        Some(marks.into_iter().map(|(user_id, offset)| ReadMark { user_id, offset }).collect())
    } else {
        None
    };
    Ok(Ok(Opening {
        snapshot: shared.opening(db, &name, since)?,
        last_read: read_mark(db, &name, user)?,
        unread: unread(db, &name, user)?,
        read_marks: marks,
    }))
}

/// Enters the channel's presence, sends the opening and subscribes, in one step (in the job's
/// completion, so in commit order with the channel's events).
fn send_opening(core: &Core, channel: &Channel, o: Opening, mut reply: Reply) {
    let s = o.snapshot;
    let recovered = s.recovered == Some(true);
    let r#ref = reply.take_ref();
    core.presence().enter_room(channel, reply.conn(), core.registry(), |users, total| {
        let frame = ServerFrame::Subscribed {
            r#ref,
            channel: channel.to_string(),
            epoch: Some(s.epoch),
            last_offset: Some(s.last_offset),
            recovered: s.recovered,
            messages: None,
            events: recovered.then_some(s.replay),
            users: Some(users),
            total: Some(total),
            unread_notifications: None,
            last_read: Some(o.last_read),
            unread: Some(o.unread),
            read_marks: o.read_marks,
        };
        // The newest messages are the channel's shared bytes, not encoded again.
        match s.messages.filter(|_| !recovered) {
            Some(messages) => encode_subscribed(&frame, &messages),
            None => encode(&frame),
        }
    });
}

impl Chat {
    /// Subscribes the replying connection to a persisted channel: a `subscribed` frame with the
    /// snapshot, or with `recovered: true` followed by every event after `since`; then live events.
    pub async fn subscribe(&self, reply: Reply, channel: Channel, since: Option<StreamPosition>) {
        let user = reply.conn().user.id;
        let read_channel = channel.clone();
        let core = self.core().clone();
        let shared = self.core().store().shared_snapshots();
        let job = move |dbs: &Db<'_>| read_opening(dbs, &shared, &read_channel, user, since.as_ref());
        command(self.core().store(), reply, job, move |o: Opening, reply| {
            send_opening(&core, &channel, o, reply);
        })
        .await;
    }

    /// Subscribes a new socket to every persisted channel of `channels` in one writer job (a
    /// connect is one trip through the writer, not one per channel), with `first` read in the same
    /// job and `first_done` run first in its completion (the personal channel's unread count and
    /// its subscription). Each channel is answered as [`Chat::subscribe`] answers it: its opening,
    /// or an `error` frame.
    pub async fn subscribe_all<T, F, D>(
        &self,
        conn: &Arc<ConnHandle>,
        channels: Vec<(Channel, Option<StreamPosition>)>,
        mut first: F,
        first_done: D,
    ) where
        T: Send + 'static,
        F: FnMut(&Db<'_>) -> StoreResult<T> + Send + 'static,
        D: FnOnce(T, &Arc<ConnHandle>) + Send + 'static,
    {
        let user = conn.user.id;
        let core = self.core().clone();
        let shared = self.core().store().shared_snapshots();
        let read: Vec<(Channel, Option<StreamPosition>)> = channels.clone();
        let job = move |dbs: &Db<'_>| {
            let value = first(dbs)?;
            let mut openings = Vec::with_capacity(read.len());
            for (channel, since) in &read {
                // A store failure on one channel is that channel's error frame, as it would be alone.
                openings.push(
                    read_opening(dbs, &shared, channel, user, since.as_ref())
                        .unwrap_or_else(|e| Err(e.into())),
                );
            }
            Ok(Ok((value, openings)))
        };
        let done = move |(value, openings): (T, Vec<Outcome<Opening>>), reply: Reply| {
            first_done(value, reply.conn());
            for ((channel, _), opening) in channels.into_iter().zip(openings) {
                let reply = reply.clone();
                match opening {
                    Ok(o) => send_opening(&core, &channel, o, reply),
                    Err(refusal) => reply.refuse(refusal),
                }
            }
        };
        command(self.core().store(), Reply::new(conn, None), job, done).await;
    }
}
