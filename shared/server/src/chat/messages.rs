//! Sending a message (stored once per `client_message_id`, acked after the commit, then fanned
//! out).

use std::time::Instant;

use hubbub_protocol::{Channel, ErrorCode, ServerFrame};

use super::Chat;
use super::access::{can_write, chat_channel, check_message};
use crate::conn::encode;
use crate::error::Refusal;
use crate::notify::{self, Stored};
use crate::reply::{Reply, pipelined};
use crate::store::{
    InsertOutcome, attach_files, attachable, attachments_of, insert_message, is_resend, reply_quote,
};
use crate::time::now_ms;

impl Chat {
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
            Err(refusal) => return reply.refuse_in_turn(refusal).await,
        };
        let sender = reply.conn().user.id;
        if let Err(refusal) = self.core().policy().may_write(sender, &channel.to_string(), now_ms()) {
            return reply.refuse_in_turn(refusal).await;
        }
        if let Some(Err(wait)) = self.inner.message_limit.as_ref().map(|l| l.check(sender, Instant::now())) {
            return reply
                .refuse_in_turn(Refusal::rate_limited("too many messages; slow down a little", wait))
                .await;
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
        pipelined(
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
