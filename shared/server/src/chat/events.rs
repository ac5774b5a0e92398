//! Edits, deletes and reactions (events with offsets), and read marks with their receipts.

use std::time::Instant;

use hubbub_protocol::{ErrorCode, ServerFrame};

use super::Chat;
use super::access::{can_read, can_write, chat_channel, check_body};
use crate::conn::encode;
use crate::error::{Outcome, Refusal};
use crate::reply::{Reply, pipelined};
use crate::store::{
    Db, NewAudit, StoreResult, audit, channel_state, delete_message, edit_message, get_message,
    set_read_mark, toggle_reaction,
};
use crate::time::now_ms;

/// Longest emoji (or short reaction text), in bytes.
pub const MAX_EMOJI_BYTES: usize = 16;

/// A change to an existing message.
#[derive(Debug, Clone)]
pub enum Change {
    Edit(String),
    Delete,
    React(String),
}

fn check(change: &Change) -> Outcome<()> {
    match change {
        Change::Edit(body) => check_body(body),
        Change::React(emoji) if emoji.trim().is_empty() || emoji.len() > MAX_EMOJI_BYTES => {
            Err(Refusal::new(ErrorCode::InvalidEmoji, format!("a reaction is 1 to {MAX_EMOJI_BYTES} bytes")))
        }
        Change::React(emoji) if emoji.chars().any(|c| c.is_control() || c.is_whitespace()) => {
            Err(Refusal::new(ErrorCode::InvalidEmoji, "a reaction has no spaces or control characters"))
        }
        _ => Ok(()),
    }
}

impl Chat {
    /// Edits, deletes or reacts to a message: an event with the channel's next offset, acked with
    /// that offset after the commit and fanned out to the channel.
    pub async fn modify(&self, reply: Reply, channel: &str, message_id: i64, change: Change) {
        let channel = match chat_channel(channel).and_then(|c| check(&change).map(|()| c)) {
            Ok(c) => c,
            Err(refusal) => return reply.refuse_in_turn(refusal).await,
        };
        let (name, actor, write_channel) = (channel.to_string(), reply.conn().user.id, channel.clone());
        let policy = self.core().policy();
        // A host or moderator may delete anyone's message; a muted guest, or one in a locked room,
        // may still delete their own.
        let anyones = matches!(change, Change::Delete) && policy.is_staff(actor);
        if !matches!(change, Change::Delete)
            && let Err(refusal) = policy.may_write(actor, &name, now_ms())
        {
            return reply.refuse_in_turn(refusal).await;
        }
        if matches!(change, Change::React(_))
            && let Err(wait) = self.inner.reactions.check(actor, None, Instant::now())
        {
            return reply
                .refuse_in_turn(Refusal::rate_limited("too many reactions; wait a moment", wait))
                .await;
        }
        let max_distinct = self.core().config().reaction_max_distinct;
        let job = move |dbs: &Db<'_>| {
            let db = dbs.chat(&write_channel);
            if let Err(r) = can_write(db, &write_channel, actor)? {
                return Ok(Err(r));
            }
            let now = now_ms();
            let outcome = match &change {
                Change::Edit(body) => edit_message(db, &name, message_id, actor, body, now)?,
                Change::Delete => {
                    let outcome = delete_message(db, &name, message_id, actor, anyones, now)?;
                    if let Ok(ServerFrame::MessageDeleted { deleted_by: Some(_), .. }) = &outcome {
                        let entry = removal_audit(db, &name, message_id, actor)?;
                        audit(dbs.disk, &entry, now)?;
                    }
                    outcome
                }
                Change::React(emoji) => {
                    toggle_reaction(db, &name, message_id, actor, emoji, max_distinct, now)?
                }
            };
            Ok(outcome.map_err(Refusal::from))
        };
        let core = self.core().clone();
        pipelined(self.core().store(), reply, job, move |frame: ServerFrame, reply| {
            let offset = match &frame {
                ServerFrame::MessageEdited { offset, .. }
                | ServerFrame::MessageDeleted { offset, .. }
                | ServerFrame::Reaction { offset, .. } => Some(*offset),
                _ => None,
            };
            reply.ack_with(Some(channel.to_string()), Some(message_id), offset, false);
            core.registry().publish(&channel, &encode(&frame), None);
        })
        .await;
    }

    /// A host or moderator (or the admin API, `actor` `None`) deletes any message: the same event
    /// as an author's delete, fanned out to the channel, and a line in the audit log.
    pub async fn remove_message(&self, actor: Option<i64>, channel: &str, message_id: i64) -> Outcome<()> {
        let channel = chat_channel(channel)?;
        let (name, write_channel) = (channel.to_string(), channel.clone());
        let by = actor.unwrap_or(0);
        let job = move |dbs: &Db<'_>| {
            let db = dbs.chat(&write_channel);
            let now = now_ms();
            let outcome = delete_message(db, &name, message_id, by, true, now)?;
            if outcome.is_ok() {
                let mut entry = removal_audit(db, &name, message_id, by)?;
                entry.actor = actor;
                audit(dbs.disk, &entry, now)?;
            }
            Ok(outcome.map_err(Refusal::from))
        };
        // Published in the completion, in commit order, like every event of a persisted channel.
        let core = self.core().clone();
        let publish = move |outcome: &Outcome<ServerFrame>| {
            if let Ok(frame) = outcome {
                core.registry().publish(&channel, &encode(frame), None);
            }
        };
        self.core().store().write_and(job, publish).await?.map(|_| ())
    }

    /// Stores the user's read mark (it never moves back) and sends `read_receipt` to the channel,
    /// which also tells the user's other tabs.
    pub async fn mark_read(&self, reply: Reply, channel: &str, offset: i64) {
        let channel = match chat_channel(channel) {
            Ok(c) => c,
            Err(refusal) => return reply.refuse_in_turn(refusal).await,
        };
        let (name, user, read_channel) = (channel.to_string(), reply.conn().user.id, channel.clone());
        let job = move |dbs: &Db<'_>| {
            let db = dbs.chat(&read_channel);
            if let Err(r) = can_read(db, &read_channel, user)? {
                return Ok(Err(r));
            }
            let last = channel_state(db, &name)?.map_or(0, |(_, o)| o);
            Ok(Ok(set_read_mark(db, &name, user, offset.clamp(0, last))?))
        };
        let core = self.core().clone();
        pipelined(self.core().store(), reply, job, move |mark: i64, reply| {
            reply.ack_with(Some(channel.to_string()), None, Some(mark), false);
            let receipt =
                ServerFrame::ReadReceipt { channel: channel.to_string(), user_id: user, offset: mark };
            core.registry().publish(&channel, &encode(&receipt), None);
        })
        .await;
    }
}

/// The audit line for a message someone other than its author deleted.
fn removal_audit(
    db: &rusqlite::Connection,
    channel: &str,
    message_id: i64,
    actor: i64,
) -> StoreResult<NewAudit> {
    let sender = get_message(db, channel, message_id)?.map(|m| m.sender_id);
    Ok(NewAudit {
        actor: Some(actor),
        action: "delete_message",
        target: sender,
        channel: Some(channel.to_owned()),
        detail: format!("message {message_id}"),
    })
}
