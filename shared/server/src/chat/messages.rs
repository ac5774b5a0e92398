//! Sending a message (stored once per `client_message_id`, acked after the commit, then fanned out)
//! and subscribing to a persisted channel (snapshot or exact catch-up, then live events).

use std::time::Instant;

use hubbub_protocol::{Channel, ErrorCode, ReadMark, ServerFrame, StreamPosition};

use super::Chat;
use super::access::{can_read, can_write, chat_channel, check_message};
use crate::conn::{encode, encode_subscribed};
use crate::error::Refusal;
use crate::notify::{self, Stored};
use crate::reply::{Reply, command};
use crate::store::{
    self, InsertOutcome, attach_files, attachable, attachments_of, insert_message, is_resend, read_mark,
    read_marks, reply_quote, unread,
};
use crate::time::now_ms;

/// What a subscriber is told first, read in the same writer job that registers it.
struct Opening {
    snapshot: store::Opening,
    last_read: i64,
    unread: u32,
    read_marks: Option<Vec<ReadMark>>,
}

impl Chat {
    /// Subscribes the replying connection to a persisted channel: a `subscribed` frame with the
    /// snapshot, or with `recovered: true` followed by every event after `since`; then live events.
    pub async fn subscribe(&self, reply: Reply, channel: Channel, since: Option<StreamPosition>) {
        let name = channel.to_string();
        let user = reply.conn().user.id;
        let is_dm = matches!(channel, Channel::Dm(_));
        let read_channel = channel.clone();
        let core = self.core().clone();
        let shared = self.core().store().shared_snapshots();
        let job = move |dbs: &crate::store::Db<'_>| {
            let db = dbs.chat(&read_channel);
            if let Err(refusal) = can_read(db, &read_channel, user)? {
                return Ok(Err(refusal));
            }
            let marks = if is_dm {
                let marks = read_marks(db, &name)?;
                Some(marks.into_iter().map(|(user_id, offset)| ReadMark { user_id, offset }).collect())
            } else {
                None
            };
            Ok(Ok(Opening {
                snapshot: shared.opening(db, &name, since.as_ref())?,
                last_read: read_mark(db, &name, user)?,
                unread: unread(db, &name, user)?,
                read_marks: marks,
            }))
        };
        command(self.core().store(), reply, job, move |o: Opening, mut reply| {
            let s = o.snapshot;
            let recovered = s.recovered == Some(true);
            let r#ref = reply.take_ref();
            // Enters the channel's presence, sends the opening and subscribes, in one step.
            core.presence().enter_room(&channel, reply.conn(), core.registry(), |users, total| {
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
        })
        .await;
    }

    /// Stores a message (once per `client_message_id`) with a `mention` entry for each user it
    /// names, acks the sender after the commit, fans the message out, and notifies the mentioned.
    /// `attachments` are the sender's own unattached uploads to this channel.
    /// A reply (`reply_to`) must answer a live message of the same channel.
    pub async fn send(
        &self,
        reply: Reply,
        channel: &str,
        client_message_id: String,
        body: String,
        attachments: Vec<i64>,
        reply_to: Option<i64>,
    ) {
        let checked = chat_channel(channel)
            .and_then(|c| check_message(&client_message_id, &body, &attachments).map(|()| c));
        let channel = match checked {
            Ok(c) => c,
            Err(refusal) => return reply.refuse(refusal),
        };
        let sender = reply.conn().user.id;
        if let Err(refusal) = self.core().policy().may_write(sender, &channel.to_string(), now_ms()) {
            return reply.refuse(refusal);
        }
        if let Some(Err(wait)) = self.inner.message_limit.as_ref().map(|l| l.check(sender, Instant::now())) {
            return reply.refuse(Refusal::rate_limited("too many messages; slow down a little", wait));
        }
        let name = channel.to_string();
        let write_channel = channel.clone();
        let (chat, presence_core) = (self.clone(), self.core().clone());
        let policy_core = self.core().clone();
        let job = move |dbs: &crate::store::Db<'_>| {
            let db = dbs.chat(&write_channel);
            if let Err(refusal) = can_write(db, &write_channel, sender)? {
                return Ok(Err(refusal));
            }
            // Slow mode counts in the job, after the access check: a refused send does not count.
            if let Err(refusal) = policy_core.policy().slow_mode(sender, &name, &client_message_id, now_ms())
            {
                return Ok(Err(refusal));
            }
            let resend = is_resend(db, &name, sender, &client_message_id)?;
            if !resend && !attachable(db, &name, sender, &attachments)? {
                return Ok(Err(no_such_file()));
            }
            let quote = match reply_to.map(|id| reply_quote(db, &name, id)).transpose()? {
                Some(Err(refusal)) => return Ok(Err(refusal)),
                Some(Ok(quote)) => Some(quote),
                None => None,
            };
            let mut stored = insert_message(db, &name, sender, &client_message_id, &body, quote, now_ms())?;
            if !stored.duplicate && !attachments.is_empty() {
                attach_files(db, stored.message.id, &attachments)?;
                stored.message.attachments = attachments_of(db, stored.message.id)?;
            }
            // Notifications live on disk, whatever the channel.
            let mut mentions =
                if stored.duplicate { Vec::new() } else { notify::store_mentions(dbs, &stored.message)? };
            if let (Channel::Dm(id), false) = (&write_channel, stored.duplicate) {
                // Not online means not looking at it; a mention already told them.
                let mentioned: Vec<i64> = mentions.iter().map(|m| m.0).collect();
                let away = |user| !mentioned.contains(&user) && !presence_core.presence().is_online(user);
                mentions.extend(notify::store_dm_message(dbs, *id, &stored.message, away)?);
            }
            Ok(Ok((stored, mentions)))
        };
        command(
            self.core().store(),
            reply,
            job,
            move |(stored, mentions): (InsertOutcome, Vec<Stored>), reply| {
                let conn = std::sync::Arc::clone(reply.conn());
                let m = &stored.message;
                reply.ack_with(Some(m.channel.clone()), Some(m.id), Some(m.offset), stored.duplicate);
                if !stored.duplicate {
                    chat.inner.typing.set(chat.core().registry(), &channel, &conn, false, Instant::now());
                    let frame = encode(&ServerFrame::Message(stored.message));
                    chat.core().registry().publish(&channel, &frame, None);
                }
                for stored in mentions {
                    chat.notify().publish(stored);
                }
            },
        )
        .await;
    }
}

/// Attachments that are not the sender's own unattached uploads to the channel.
fn no_such_file() -> Refusal {
    Refusal::new(
        ErrorCode::NoSuchFile,
        "an attachment is not one of your uploads to this channel waiting to be sent (it may have expired)",
    )
}
