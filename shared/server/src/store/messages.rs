//! Persisted channels: offsets and epochs, and the event log of their messages (sent, edited,
//! deleted, reacted to), with idempotent sends, snapshots, exact catch-up and history pages.
//!
//! Every event takes the channel's next offset and has a row in `events`; `messages` holds each
//! message's current state. A replay renders the events after an offset in order; a message event
//! carries the message as it is now, so applying the later events again changes nothing.

use hubbub_protocol::{ChatMessage, ErrorCode, ReactionSummary, ReplyQuote, ServerFrame, StreamPosition};

use super::replies::quote;
use rand::Rng;
use rusqlite::{Connection, OptionalExtension, params};

use super::{StoreError, StoreResult};
use crate::error::Refusal;

/// How many of the newest messages a fresh snapshot carries.
pub const HISTORY_LIMIT: i64 = 50;
/// The longest gap a `since` catch-up replays; beyond it the client gets a fresh snapshot.
pub const MAX_REPLAY: i64 = 1000;
/// Most messages one history page returns.
pub const PAGE_LIMIT: i64 = 100;

/// A stored message, and whether it was already there (a resend of the same `client_message_id`).
#[derive(Debug, Clone)]
pub struct InsertOutcome {
    pub message: ChatMessage,
    pub duplicate: bool,
}

/// What a subscriber of a persisted channel receives first.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub epoch: String,
    pub last_offset: i64,
    /// `None` without `since`; `Some(true)` when `replay` is exactly what followed it.
    pub recovered: Option<bool>,
    /// A fresh snapshot: the newest messages as they are now (empty when recovered).
    pub messages: Vec<ChatMessage>,
    /// A catch-up: every event after `since`, in offset order.
    pub replay: Vec<ServerFrame>,
}

fn new_epoch() -> String {
    format!("{:016x}", rand::rng().random::<u64>())
}

/// Creates a channel if it does not exist yet.
pub fn ensure_channel(conn: &Connection, name: &str, now: i64) -> StoreResult<()> {
    conn.prepare_cached(
        "INSERT INTO channels (name, epoch, last_offset, created_at) VALUES (?1, ?2, 0, ?3)
         ON CONFLICT (name) DO NOTHING",
    )?
    .execute(params![name, new_epoch(), now])?;
    Ok(())
}

/// A channel's epoch and newest offset, or `None` if it does not exist.
pub fn channel_state(conn: &Connection, name: &str) -> StoreResult<Option<(String, i64)>> {
    Ok(conn
        .prepare_cached("SELECT epoch, last_offset FROM channels WHERE name = ?1")?
        .query_row([name], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?)
}

/// Takes the channel's next offset.
fn next_offset(conn: &Connection, channel: &str) -> StoreResult<i64> {
    conn.prepare_cached(
        "UPDATE channels SET last_offset = last_offset + 1 WHERE name = ?1 RETURNING last_offset",
    )?
    .query_row([channel], |r| r.get(0))
    .optional()?
    .ok_or_else(|| StoreError::NoSuchChannel(channel.to_owned()))
}

/// One row of the event log.
struct Event<'a> {
    kind: &'a str,
    message_id: i64,
    actor: i64,
    emoji: Option<&'a str>,
    added: Option<bool>,
}

impl<'a> Event<'a> {
    fn of(kind: &'a str, message_id: i64, actor: i64) -> Self {
        Event { kind, message_id, actor, emoji: None, added: None }
    }
}

fn record_event(conn: &Connection, channel: &str, offset: i64, e: &Event<'_>, now: i64) -> StoreResult<()> {
    conn.prepare_cached(
        "INSERT INTO events (channel, \"offset\", kind, message_id, actor_id, emoji, added, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![channel, offset, e.kind, e.message_id, e.actor, e.emoji, e.added, now])?;
    Ok(())
}

const SELECT_MESSAGE: &str = "SELECT m.id, m.channel, m.\"offset\", m.sender_id, u.display_name,
        m.client_message_id, m.body, m.created_at, m.edited_at, m.deleted_at, m.deleted_by,
        m.reply_to, r.sender_id, ru.display_name, substr(r.body, 1, 101), r.deleted_at
    FROM messages m JOIN users u ON u.id = m.sender_id
    LEFT JOIN messages r ON r.id = m.reply_to LEFT JOIN users ru ON ru.id = r.sender_id";

fn row_to_message(r: &rusqlite::Row<'_>) -> rusqlite::Result<ChatMessage> {
    Ok(ChatMessage {
        id: r.get(0)?,
        channel: r.get(1)?,
        offset: r.get(2)?,
        sender_id: r.get(3)?,
        sender_name: r.get(4)?,
        client_message_id: r.get(5)?,
        body: r.get(6)?,
        created_at: r.get(7)?,
        edited_at: r.get(8)?,
        deleted_at: r.get(9)?,
        deleted_by: r.get(10)?,
        reactions: None,
        attachments: None,
        reply_to: match r.get::<_, Option<i64>>(11)? {
            None => None,
            Some(id) => {
                let sender = r.get::<_, Option<i64>>(12)?.zip(r.get::<_, Option<String>>(13)?);
                Some(quote(id, sender, r.get(14)?, r.get(15)?))
            }
        },
    })
}

/// Fills in a message's reactions.
fn with_reactions(conn: &Connection, mut m: ChatMessage) -> StoreResult<ChatMessage> {
    let mut stmt = conn.prepare_cached(
        "SELECT emoji, user_id FROM reactions WHERE message_id = ?1 ORDER BY created_at, user_id",
    )?;
    let mut list: Vec<ReactionSummary> = Vec::new();
    for row in stmt.query_map([m.id], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))? {
        let (emoji, user) = row?;
        match list.iter_mut().find(|s| s.emoji == emoji) {
            Some(s) => s.user_ids.push(user),
            None => list.push(ReactionSummary { emoji, user_ids: vec![user] }),
        }
    }
    m.reactions = (!list.is_empty()).then_some(list);
    m.attachments = super::files::attachments_of(conn, m.id)?;
    Ok(m)
}

/// One message of a channel as it is now, or `None`.
pub fn get_message(conn: &Connection, channel: &str, id: i64) -> StoreResult<Option<ChatMessage>> {
    let m = conn
        .prepare_cached(&format!("{SELECT_MESSAGE} WHERE m.channel = ?1 AND m.id = ?2"))?
        .query_row(params![channel, id], row_to_message)
        .optional()?;
    m.map(|m| with_reactions(conn, m)).transpose()
}

/// Whether `sender` already stored a message with this `client_message_id` in `channel`.
pub fn is_resend(
    conn: &Connection,
    channel: &str,
    sender_id: i64,
    client_message_id: &str,
) -> StoreResult<bool> {
    Ok(conn
        .prepare_cached(
            "SELECT 1 FROM messages WHERE channel = ?1 AND sender_id = ?2 AND client_message_id = ?3",
        )?
        .exists(params![channel, sender_id, client_message_id])?)
}

/// Stores a message with the channel's next offset, unless the same sender already stored one with
/// this `client_message_id`, in which case that one is returned as it is now. `reply_to` is the
/// quote of the message it answers, checked by the caller with [`reply_quote`].
pub fn insert_message(
    conn: &Connection,
    channel: &str,
    sender_id: i64,
    client_message_id: &str,
    body: &str,
    reply_to: Option<ReplyQuote>,
    now: i64,
) -> StoreResult<InsertOutcome> {
    // The unique index answers this alone; the whole message is read only for a resend.
    let existing: Option<i64> = conn
        .prepare_cached(
            "SELECT id FROM messages WHERE channel = ?1 AND sender_id = ?2 AND client_message_id = ?3",
        )?
        .query_row(params![channel, sender_id, client_message_id], |r| r.get(0))
        .optional()?;
    if let Some(message) = existing.map(|id| get_message(conn, channel, id)).transpose()?.flatten() {
        return Ok(InsertOutcome { message, duplicate: true });
    }
    let offset = next_offset(conn, channel)?;
    let id: i64 = conn
        .prepare_cached(
            "INSERT INTO messages (channel, \"offset\", sender_id, client_message_id, body, created_at, reply_to)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id",
        )?
        .query_row(
            params![channel, offset, sender_id, client_message_id, body, now, reply_to.as_ref().map(|q| q.message_id)],
            |r| r.get(0),
        )?;
    // The message row is its own event: replay reads it from `messages` (see `replay`).
    let sender_name: String = conn
        .prepare_cached("SELECT display_name FROM users WHERE id = ?1")?
        .query_row([sender_id], |r| r.get(0))?;
    Ok(InsertOutcome {
        message: ChatMessage {
            id,
            channel: channel.to_owned(),
            offset,
            sender_id,
            sender_name,
            client_message_id: client_message_id.to_owned(),
            body: body.to_owned(),
            created_at: now,
            edited_at: None,
            deleted_at: None,
            deleted_by: None,
            reactions: None,
            attachments: None,
            reply_to,
        },
        duplicate: false,
    })
}

/// Adds the messages written since the last call to the full-text index. The writer runs it once
/// per batch, after the jobs and before the commit, so search sees a message as soon as it is
/// committed.
pub fn index_new_messages(conn: &Connection) -> StoreResult<()> {
    conn.prepare_cached(
        "INSERT INTO messages_fts (rowid, body)
         SELECT id, body FROM messages WHERE id > (SELECT last_id FROM fts_position)",
    )?
    .execute([])?;
    conn.prepare_cached(
        "UPDATE fts_position SET last_id = (SELECT coalesce(max(id), last_id) FROM messages)",
    )?
    .execute([])?;
    Ok(())
}

/// Why an edit, delete or reaction was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventRefusal {
    NoSuchMessage,
    NotAuthor,
    Deleted,
    /// A new distinct reaction on a message that already has this many.
    TooManyReactions(usize),
}

impl From<EventRefusal> for Refusal {
    fn from(r: EventRefusal) -> Refusal {
        match r {
            EventRefusal::NoSuchMessage => {
                Refusal::new(ErrorCode::NoSuchMessage, "no such message in this channel")
            }
            EventRefusal::NotAuthor => {
                Refusal::new(ErrorCode::Forbidden, "only its author can change a message")
            }
            EventRefusal::Deleted => Refusal::new(ErrorCode::NoSuchMessage, "that message was deleted"),
            EventRefusal::TooManyReactions(max) => Refusal::new(
                ErrorCode::LimitReached,
                format!("a message carries at most {max} different reactions; add yours to one of them"),
            ),
        }
    }
}

/// An edit, delete or reaction: its frame, or why it was refused.
pub type EventOutcome = Result<ServerFrame, EventRefusal>;

/// What a change needs to know about the message it changes: one indexed row, never its reactions.
struct Target {
    id: i64,
    sender_id: i64,
}

fn live_message(conn: &Connection, channel: &str, id: i64) -> StoreResult<Result<Target, EventRefusal>> {
    let row = conn
        .prepare_cached("SELECT id, sender_id, deleted_at FROM messages WHERE channel = ?1 AND id = ?2")?
        .query_row(params![channel, id], |r| {
            Ok((Target { id: r.get(0)?, sender_id: r.get(1)? }, r.get::<_, Option<i64>>(2)?))
        })
        .optional()?;
    Ok(match row {
        None => Err(EventRefusal::NoSuchMessage),
        Some((_, Some(_))) => Err(EventRefusal::Deleted),
        Some((m, None)) => Ok(m),
    })
}

/// Whether a message already carries at least `max` distinct reactions: at most `max` index
/// seeks (the next emoji after the last one seen), however many reactions it has.
fn has_distinct_reactions(conn: &Connection, message_id: i64, max: usize) -> StoreResult<bool> {
    let mut next = conn.prepare_cached(
        "SELECT emoji FROM reactions WHERE message_id = ?1 AND emoji > ?2 ORDER BY emoji LIMIT 1",
    )?;
    let mut last = String::new();
    for _ in 0..max {
        match next.query_row(params![message_id, last], |r| r.get::<_, String>(0)).optional()? {
            Some(emoji) => last = emoji,
            None => return Ok(false),
        }
    }
    Ok(true)
}

/// The author changes a message's text: an `edit` event with the next offset.
pub fn edit_message(
    conn: &Connection,
    channel: &str,
    id: i64,
    actor: i64,
    body: &str,
    now: i64,
) -> StoreResult<EventOutcome> {
    let m = match live_message(conn, channel, id)? {
        Ok(m) if m.sender_id != actor => return Ok(Err(EventRefusal::NotAuthor)),
        Ok(m) => m,
        Err(e) => return Ok(Err(e)),
    };
    let offset = next_offset(conn, channel)?;
    conn.prepare_cached("UPDATE messages SET body = ?2, edited_at = ?3 WHERE id = ?1")?
        .execute(params![m.id, body, now])?;
    record_event(conn, channel, offset, &Event::of("edit", m.id, actor), now)?;
    Ok(Ok(ServerFrame::MessageEdited {
        channel: channel.to_owned(),
        offset,
        message_id: m.id,
        body: body.to_owned(),
        edited_at: now,
    }))
}

/// The author deletes a message (or a host or moderator, when `anyones`): its text is erased and a
/// `delete` event takes the next offset. The event says who deleted it when that was not the author.
pub fn delete_message(
    conn: &Connection,
    channel: &str,
    id: i64,
    actor: i64,
    anyones: bool,
    now: i64,
) -> StoreResult<EventOutcome> {
    let m = match live_message(conn, channel, id)? {
        Ok(m) if m.sender_id != actor && !anyones => return Ok(Err(EventRefusal::NotAuthor)),
        Ok(m) => m,
        Err(e) => return Ok(Err(e)),
    };
    let deleted_by = (m.sender_id != actor).then_some(actor);
    let offset = next_offset(conn, channel)?;
    conn.prepare_cached("UPDATE messages SET body = '', deleted_at = ?2, deleted_by = ?3 WHERE id = ?1")?
        .execute(params![m.id, now, deleted_by])?;
    conn.prepare_cached("DELETE FROM reactions WHERE message_id = ?1")?.execute([m.id])?;
    record_event(conn, channel, offset, &Event::of("delete", m.id, actor), now)?;
    Ok(Ok(ServerFrame::MessageDeleted {
        channel: channel.to_owned(),
        offset,
        message_id: m.id,
        deleted_at: now,
        deleted_by,
    }))
}

/// The live messages `sender` wrote, across the channels of this database: `(channel, id)`, oldest
/// first, at most `limit`.
pub fn messages_by(conn: &Connection, sender: i64, limit: usize) -> StoreResult<Vec<(String, i64)>> {
    Ok(conn
        .prepare_cached(
            "SELECT channel, id FROM messages WHERE sender_id = ?1 AND deleted_at IS NULL ORDER BY id LIMIT ?2",
        )?
        .query_map(params![sender, i64::try_from(limit).unwrap_or(i64::MAX)], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?)
}

/// Toggles `actor`'s reaction `emoji` on a message: a `reaction` event with the next offset. A new
/// distinct emoji is refused when the message already has `max_distinct` (0: no cap).
///
/// The work is the same however many reactions the message has: a few indexed lookups, never a
/// scan of them (the frame says which emoji changed and by whom; clients count).
pub fn toggle_reaction(
    conn: &Connection,
    channel: &str,
    id: i64,
    actor: i64,
    emoji: &str,
    max_distinct: usize,
    now: i64,
) -> StoreResult<EventOutcome> {
    let m = match live_message(conn, channel, id)? {
        Ok(m) => m,
        Err(e) => return Ok(Err(e)),
    };
    let removed = conn
        .prepare_cached("DELETE FROM reactions WHERE message_id = ?1 AND emoji = ?2 AND user_id = ?3")?
        .execute(params![m.id, emoji, actor])?
        > 0;
    if !removed && max_distinct > 0 {
        let present = conn
            .prepare_cached("SELECT 1 FROM reactions WHERE message_id = ?1 AND emoji = ?2 LIMIT 1")?
            .query_row(params![m.id, emoji], |_| Ok(()))
            .optional()?
            .is_some();
        if !present && has_distinct_reactions(conn, m.id, max_distinct)? {
            return Ok(Err(EventRefusal::TooManyReactions(max_distinct)));
        }
    }
    if !removed {
        conn.prepare_cached(
            "INSERT INTO reactions (message_id, emoji, user_id, created_at) VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute(params![m.id, emoji, actor, now])?;
    }
    let offset = next_offset(conn, channel)?;
    record_event(
        conn,
        channel,
        offset,
        &Event { emoji: Some(emoji), added: Some(!removed), ..Event::of("reaction", m.id, actor) },
        now,
    )?;
    Ok(Ok(ServerFrame::Reaction {
        channel: channel.to_owned(),
        offset,
        message_id: m.id,
        emoji: emoji.to_owned(),
        user_id: actor,
        added: !removed,
    }))
}

/// The events after `after`, in offset order, as the frames a live subscriber got. A new message
/// is an event at its own offset in `messages`; edits, deletes and reactions are rows of `events`.
fn replay(conn: &Connection, channel: &str, after: i64) -> StoreResult<Vec<ServerFrame>> {
    let mut stmt = conn.prepare_cached(
        "SELECT \"offset\", 'message', id, sender_id, NULL, NULL, created_at FROM messages
         WHERE channel = ?1 AND \"offset\" > ?2
         UNION ALL
         SELECT \"offset\", kind, message_id, actor_id, emoji, added, created_at FROM events
         WHERE channel = ?1 AND \"offset\" > ?2
         ORDER BY 1",
    )?;
    let rows = stmt
        .query_map(params![channel, after], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, Option<String>>(4)?,
                r.get::<_, Option<bool>>(5)?,
                r.get::<_, i64>(6)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let mut frames = Vec::with_capacity(rows.len());
    for (offset, kind, message_id, actor, emoji, added, at) in rows {
        let channel = channel.to_owned();
        frames.push(match kind.as_str() {
            "message" => match get_message(conn, &channel, message_id)? {
                Some(m) => ServerFrame::Message(m),
                None => continue,
            },
            "edit" => {
                let body = get_message(conn, &channel, message_id)?.map(|m| m.body).unwrap_or_default();
                ServerFrame::MessageEdited { channel, offset, message_id, body, edited_at: at }
            }
            "delete" => {
                let deleted_by = get_message(conn, &channel, message_id)?.and_then(|m| m.deleted_by);
                ServerFrame::MessageDeleted { channel, offset, message_id, deleted_at: at, deleted_by }
            }
            _ => ServerFrame::Reaction {
                channel,
                offset,
                message_id,
                emoji: emoji.unwrap_or_default(),
                user_id: actor,
                added: added.unwrap_or(true),
            },
        });
    }
    Ok(frames)
}

/// Whether the events after `since` can be replayed exactly: the same epoch, and at most
/// [`MAX_REPLAY`] events behind `last_offset`.
pub fn replayable(since: &StreamPosition, epoch: &str, last_offset: i64) -> bool {
    since.epoch == epoch
        && since.offset >= 0
        && since.offset <= last_offset
        && last_offset - since.offset <= MAX_REPLAY
}

/// What a new subscriber gets: the events after `since` when they can be replayed exactly,
/// otherwise the newest [`HISTORY_LIMIT`] messages as they are now.
pub fn snapshot(conn: &Connection, channel: &str, since: Option<&StreamPosition>) -> StoreResult<Snapshot> {
    let (epoch, last_offset) =
        channel_state(conn, channel)?.ok_or_else(|| StoreError::NoSuchChannel(channel.to_owned()))?;
    let replayable = since.filter(|s| replayable(s, &epoch, last_offset));
    let (messages, replay) = match replayable {
        Some(s) => (Vec::new(), replay(conn, channel, s.offset)?),
        None => (page(conn, channel, None, None, HISTORY_LIMIT)?.0, Vec::new()),
    };
    Ok(Snapshot { epoch, last_offset, recovered: since.map(|_| replayable.is_some()), messages, replay })
}

/// A page of messages as they are now, in offset order: the newest before `before`, or the oldest
/// after `after`, at most `limit`. Also says whether more lie beyond the page.
pub fn page(
    conn: &Connection,
    channel: &str,
    before: Option<i64>,
    after: Option<i64>,
    limit: i64,
) -> StoreResult<(Vec<ChatMessage>, bool)> {
    let limit = limit.clamp(1, PAGE_LIMIT);
    let mut list = match after {
        Some(after) => conn
            .prepare_cached(&format!(
                "{SELECT_MESSAGE} WHERE m.channel = ?1 AND m.\"offset\" > ?2 ORDER BY m.\"offset\" LIMIT ?3"
            ))?
            .query_map(params![channel, after, limit + 1], row_to_message)?
            .collect::<Result<Vec<_>, _>>()?,
        None => {
            let mut newest = conn
                .prepare_cached(&format!(
                    "{SELECT_MESSAGE} WHERE m.channel = ?1 AND m.\"offset\" < ?2 ORDER BY m.\"offset\" DESC LIMIT ?3"
                ))?
                .query_map(params![channel, before.unwrap_or(i64::MAX), limit + 1], row_to_message)?
                .collect::<Result<Vec<_>, _>>()?;
            let more = newest.len() as i64 > limit;
            newest.truncate(limit as usize);
            newest.reverse();
            let list =
                newest.into_iter().map(|m| with_reactions(conn, m)).collect::<StoreResult<Vec<_>>>()?;
            return Ok((list, more));
        }
    };
    let more = list.len() as i64 > limit;
    list.truncate(limit as usize);
    let list = list.into_iter().map(|m| with_reactions(conn, m)).collect::<StoreResult<Vec<_>>>()?;
    Ok((list, more))
}

/// Full-text search over the messages of `channels`, newest first.
pub fn search(
    conn: &Connection,
    query: &str,
    channels: &[String],
    limit: i64,
) -> StoreResult<Vec<ChatMessage>> {
    // Each word is quoted, so the query language's operators in user input are plain text; control
    // characters (NUL ends SQLite's query text early) separate words like spaces.
    let fts: String = query
        .split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
        .map(|w| format!("\"{}\"", w.replace('"', "\"\"")))
        .collect::<Vec<_>>()
        .join(" ");
    if fts.is_empty() || channels.is_empty() {
        return Ok(Vec::new());
    }
    let list = serde_json::to_string(channels).unwrap_or_else(|_| "[]".into());
    let found = conn
        .prepare_cached(&format!(
            "{SELECT_MESSAGE} WHERE m.id IN (SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?1)
             AND m.channel IN (SELECT value FROM json_each(?2)) AND m.deleted_at IS NULL
             ORDER BY m.id DESC LIMIT ?3"
        ))?
        .query_map(params![fts, list, limit.clamp(1, PAGE_LIMIT)], row_to_message)?
        .collect::<Result<Vec<_>, _>>()?;
    found.into_iter().map(|m| with_reactions(conn, m)).collect()
}

/// Stores `user`'s read mark in `channel` (never moving it back); returns the mark now in force.
pub fn set_read_mark(conn: &Connection, channel: &str, user: i64, offset: i64) -> StoreResult<i64> {
    Ok(conn
        .prepare_cached(
            "INSERT INTO read_marks (channel, user_id, \"offset\") VALUES (?1, ?2, ?3)
             ON CONFLICT (channel, user_id) DO UPDATE SET \"offset\" = max(\"offset\", excluded.\"offset\")
             RETURNING \"offset\"",
        )?
        .query_row(params![channel, user, offset], |r| r.get(0))?)
}

/// `user`'s read mark in `channel` (0 when they have read nothing).
pub fn read_mark(conn: &Connection, channel: &str, user: i64) -> StoreResult<i64> {
    Ok(conn
        .prepare_cached("SELECT \"offset\" FROM read_marks WHERE channel = ?1 AND user_id = ?2")?
        .query_row(params![channel, user], |r| r.get(0))
        .optional()?
        .unwrap_or(0))
}

/// Every read mark in a channel.
pub fn read_marks(conn: &Connection, channel: &str) -> StoreResult<Vec<(i64, i64)>> {
    Ok(conn
        .prepare_cached("SELECT user_id, \"offset\" FROM read_marks WHERE channel = ?1 ORDER BY user_id")?
        .query_map([channel], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?)
}

/// The most [`unread`] counts: a client shows more as "999+" (the web client shows "99+" already).
pub const UNREAD_MAX: i64 = 1000;

/// Messages from others after `user`'s read mark (deleted ones do not count), at most
/// [`UNREAD_MAX`].
pub fn unread(conn: &Connection, channel: &str, user: i64) -> StoreResult<u32> {
    // A nested LIMIT stops the count at UNREAD_MAX: counting every message after an old mark made
    // a newcomer's connect cost a scan of the whole history (on the writer thread).
    let n: i64 = conn
        .prepare_cached(
            "SELECT count(*) FROM (SELECT 1 FROM messages WHERE channel = ?1 AND sender_id != ?2
             AND deleted_at IS NULL
             AND \"offset\" > coalesce((SELECT \"offset\" FROM read_marks WHERE channel = ?1 AND user_id = ?2), 0)
             ORDER BY \"offset\" LIMIT ?3)",
        )?
        .query_row(params![channel, user, UNREAD_MAX], |r| r.get(0))?;
    Ok(u32::try_from(n).unwrap_or(u32::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::users::create_user_with_session;

    fn db() -> Connection {
        let mut conn = Connection::open_in_memory().unwrap();
        crate::store::schema::migrate(&mut conn).unwrap();
        ensure_channel(&conn, "room:lobby", 0).unwrap();
        conn
    }

    #[test]
    fn offsets_increase_and_resends_are_stored_once() {
        let conn = db();
        let u = create_user_with_session(&conn, "Ann", b"h", None, None, 0).unwrap().unwrap().user;
        let a = insert_message(&conn, "room:lobby", u.id, "c1", "one", None, 1).unwrap();
        let b = insert_message(&conn, "room:lobby", u.id, "c2", "two", None, 2).unwrap();
        let again = insert_message(&conn, "room:lobby", u.id, "c1", "changed", None, 3).unwrap();
        assert_eq!((a.message.offset, b.message.offset), (1, 2));
        assert!(again.duplicate);
        assert_eq!(again.message, a.message);
        let n: i64 = conn.query_row("SELECT count(*) FROM messages", [], |r| r.get(0)).unwrap();
        assert_eq!(n, 2);
    }

    #[test]
    fn unknown_channel_is_an_error() {
        let conn = db();
        let u = create_user_with_session(&conn, "Ann", b"h", None, None, 0).unwrap().unwrap().user;
        let err = insert_message(&conn, "room:nope", u.id, "c1", "x", None, 0).unwrap_err();
        assert!(matches!(err, StoreError::NoSuchChannel(_)));
    }

    #[test]
    fn edits_deletes_and_reactions_are_events_that_replay_in_order() {
        let conn = db();
        let ann = create_user_with_session(&conn, "Ann", b"a", None, None, 0).unwrap().unwrap().user;
        let bo = create_user_with_session(&conn, "Bo", b"b", None, None, 0).unwrap().unwrap().user;
        let m1 = insert_message(&conn, "room:lobby", ann.id, "c1", "helo", None, 1).unwrap().message;
        let m2 = insert_message(&conn, "room:lobby", bo.id, "c2", "bye", None, 2).unwrap().message;
        assert_eq!(
            edit_message(&conn, "room:lobby", m1.id, bo.id, "x", 3).unwrap(),
            Err(EventRefusal::NotAuthor)
        );
        assert!(edit_message(&conn, "room:lobby", m1.id, ann.id, "hello", 3).unwrap().is_ok());
        assert!(toggle_reaction(&conn, "room:lobby", m1.id, bo.id, "👍", 20, 4).unwrap().is_ok());
        assert!(toggle_reaction(&conn, "room:lobby", m1.id, ann.id, "👍", 20, 5).unwrap().is_ok());
        assert!(delete_message(&conn, "room:lobby", m2.id, bo.id, false, 6).unwrap().is_ok());
        assert_eq!(
            delete_message(&conn, "room:lobby", m2.id, bo.id, false, 7).unwrap(),
            Err(EventRefusal::Deleted)
        );
        assert_eq!(
            toggle_reaction(&conn, "room:lobby", 999, bo.id, "👍", 20, 7).unwrap(),
            Err(EventRefusal::NoSuchMessage)
        );
        let r = toggle_reaction(&conn, "room:lobby", m1.id, bo.id, "👍", 20, 8).unwrap().unwrap();
        assert!(matches!(r, ServerFrame::Reaction { added: false, offset: 7, .. }), "{r:?}");

        let snap = snapshot(
            &conn,
            "room:lobby",
            Some(&StreamPosition {
                offset: 1,
                epoch: channel_state(&conn, "room:lobby").unwrap().unwrap().0,
            }),
        )
        .unwrap();
        assert_eq!(snap.recovered, Some(true));
        let kinds: Vec<&str> = snap
            .replay
            .iter()
            .map(|f| match f {
                ServerFrame::Message(_) => "message",
                ServerFrame::MessageEdited { .. } => "edit",
                ServerFrame::MessageDeleted { .. } => "delete",
                ServerFrame::Reaction { .. } => "reaction",
                _ => "other",
            })
            .collect();
        assert_eq!(kinds, vec!["message", "edit", "reaction", "reaction", "delete", "reaction"]);
        let fresh = snapshot(&conn, "room:lobby", None).unwrap();
        let first = &fresh.messages[0];
        assert_eq!((first.body.as_str(), first.edited_at), ("hello", Some(3)));
        assert_eq!(first.reactions.as_ref().unwrap()[0].user_ids, vec![ann.id]);
        assert_eq!((fresh.messages[1].body.as_str(), fresh.messages[1].deleted_at), ("", Some(6)));
    }

    /// SQLite virtual-machine instructions `f` runs on `conn`: the work it does, whatever the machine.
    fn vm_steps<T>(conn: &mut Connection, f: impl FnOnce(&Connection) -> T) -> (T, u64) {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicU64, Ordering};
        let steps = Arc::new(AtomicU64::new(0));
        let counter = Arc::clone(&steps);
        conn.progress_handler(
            1,
            Some(move || {
                counter.fetch_add(1, Ordering::Relaxed);
                false
            }),
        )
        .unwrap();
        let out = f(conn);
        conn.progress_handler(0, None::<fn() -> bool>).unwrap();
        (out, steps.load(Ordering::Relaxed))
    }

    #[test]
    fn a_reaction_costs_the_same_whatever_the_message_carries() {
        let mut conn = db();
        let ann = create_user_with_session(&conn, "Ann", b"a", None, None, 0).unwrap().unwrap().user;
        let few = insert_message(&conn, "room:lobby", ann.id, "c1", "few", None, 1).unwrap().message;
        let many = insert_message(&conn, "room:lobby", ann.id, "c2", "many", None, 2).unwrap().message;
        // 3,000 users' reactions over 20 emoji on one message, 3 on the other.
        conn.execute_batch(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000)
             INSERT INTO users (id, display_name, created_at) SELECT 1000 + i, 'u' || i, 0 FROM n;",
        )
        .unwrap();
        conn.execute(
            "INSERT INTO reactions (message_id, emoji, user_id, created_at)
             SELECT ?1, 'e' || (id % 20), id, 0 FROM users WHERE id > 1000",
            [many.id],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO reactions (message_id, emoji, user_id, created_at)
             SELECT ?1, 'e' || (id % 20), id, 0 FROM users WHERE id BETWEEN 1001 AND 1003",
            [few.id],
        )
        .unwrap();
        let toggle = |id: i64, emoji: &'static str| {
            move |c: &Connection| toggle_reaction(c, "room:lobby", id, ann.id, emoji, 20, 9).unwrap()
        };
        // Adding and removing an existing emoji, then trying a 21st: the same work on both messages.
        for (emoji, added) in [("e1", true), ("e1", false)] {
            let (r_few, few_steps) = vm_steps(&mut conn, toggle(few.id, emoji));
            let (r_many, many_steps) = vm_steps(&mut conn, toggle(many.id, emoji));
            assert!(matches!(r_few, Ok(ServerFrame::Reaction { added: a, .. }) if a == added), "{r_few:?}");
            assert!(matches!(r_many, Ok(ServerFrame::Reaction { added: a, .. }) if a == added), "{r_many:?}");
            assert!(many_steps <= few_steps + 20, "{emoji} added={added}: {many_steps} vs {few_steps} steps");
        }
        let (refused, steps) = vm_steps(&mut conn, toggle(many.id, "new"));
        assert_eq!(refused, Err(EventRefusal::TooManyReactions(20)));
        assert!(steps < 1000, "the cap is checked in {steps} steps, not by reading 3,000 reactions");
        let (r, _) = vm_steps(&mut conn, toggle(few.id, "new"));
        assert!(r.is_ok(), "3 distinct reactions leave room for more");
    }

    #[test]
    fn snapshot_replays_after_since_or_falls_back() {
        let conn = db();
        let u = create_user_with_session(&conn, "Ann", b"h", None, None, 0).unwrap().unwrap().user;
        for i in 0..60 {
            insert_message(&conn, "room:lobby", u.id, &format!("c{i}"), "m", None, i).unwrap();
        }
        let fresh = snapshot(&conn, "room:lobby", None).unwrap();
        assert_eq!(fresh.recovered, None);
        assert_eq!(fresh.messages.len() as i64, HISTORY_LIMIT);
        assert_eq!(fresh.messages.first().unwrap().offset, 11);
        assert_eq!(fresh.messages.last().unwrap().offset, 60);
        let since = StreamPosition { offset: 55, epoch: fresh.epoch.clone() };
        let caught = snapshot(&conn, "room:lobby", Some(&since)).unwrap();
        assert_eq!(caught.recovered, Some(true));
        let offsets: Vec<i64> = caught
            .replay
            .iter()
            .map(|f| match f {
                ServerFrame::Message(m) => m.offset,
                _ => -1,
            })
            .collect();
        assert_eq!(offsets, vec![56, 57, 58, 59, 60]);
        let other = StreamPosition { offset: 55, epoch: "other".into() };
        let lost = snapshot(&conn, "room:lobby", Some(&other)).unwrap();
        assert_eq!(lost.recovered, Some(false));
        assert_eq!(lost.messages.len() as i64, HISTORY_LIMIT);
        let (older, more) = page(&conn, "room:lobby", Some(11), None, 5).unwrap();
        assert_eq!((older.first().unwrap().offset, older.last().unwrap().offset, more), (6, 10, true));
        let (newer, more) = page(&conn, "room:lobby", None, Some(57), 5).unwrap();
        assert_eq!((newer.len(), more), (3, false));
    }

    #[test]
    fn search_finds_words_in_allowed_channels_only_and_read_marks_count_unread() {
        let conn = db();
        ensure_channel(&conn, "room:secret", 0).unwrap();
        let ann = create_user_with_session(&conn, "Ann", b"a", None, None, 0).unwrap().unwrap().user;
        let bo = create_user_with_session(&conn, "Bo", b"b", None, None, 0).unwrap().unwrap().user;
        insert_message(&conn, "room:lobby", ann.id, "1", "Pizza is here", None, 1).unwrap();
        insert_message(&conn, "room:secret", ann.id, "2", "secret pizza", None, 2).unwrap();
        let m = insert_message(&conn, "room:lobby", ann.id, "3", "more PIZZA \"quoted\" OR", None, 3)
            .unwrap()
            .message;
        assert!(search(&conn, "pizza", &["room:lobby".into()], 10).unwrap().is_empty(), "indexed per batch");
        index_new_messages(&conn).unwrap();
        let hits = search(&conn, "pizza", &["room:lobby".into()], 10).unwrap();
        assert_eq!(hits.len(), 2);
        assert!(hits.iter().all(|h| h.channel == "room:lobby"));
        assert_eq!(search(&conn, "\"quoted\" OR", &["room:lobby".into()], 10).unwrap().len(), 1);
        delete_message(&conn, "room:lobby", m.id, ann.id, false, 4).unwrap().unwrap();
        assert_eq!(search(&conn, "pizza", &["room:lobby".into()], 10).unwrap().len(), 1);
        assert_eq!(unread(&conn, "room:lobby", bo.id).unwrap(), 1, "the deleted one does not count");
        assert_eq!(set_read_mark(&conn, "room:lobby", bo.id, 1).unwrap(), 1);
        assert_eq!(set_read_mark(&conn, "room:lobby", bo.id, 0).unwrap(), 1, "never backwards");
        assert_eq!(unread(&conn, "room:lobby", bo.id).unwrap(), 0);
        assert_eq!(unread(&conn, "room:lobby", ann.id).unwrap(), 0, "your own messages are read");
        // A long history is counted up to UNREAD_MAX, however far back the mark is.
        for i in 0..=UNREAD_MAX {
            insert_message(&conn, "room:lobby", ann.id, &format!("many{i}"), "x", None, 10 + i).unwrap();
        }
        assert_eq!(i64::from(unread(&conn, "room:lobby", bo.id).unwrap()), UNREAD_MAX);
        assert_eq!(read_marks(&conn, "room:lobby").unwrap(), vec![(bo.id, 1)]);
    }

    #[test]
    fn search_takes_any_text_as_plain_words() {
        let conn = db();
        let ann = create_user_with_session(&conn, "Ann", b"a", None, None, 0).unwrap().unwrap().user;
        insert_message(&conn, "room:lobby", ann.id, "1", "a b NEAR(x y) c*d -e f:g \"h\"", None, 1).unwrap();
        index_new_messages(&conn).unwrap();
        let nasty = [
            "a\0b",
            "\0",
            "\"",
            "\"\"\"",
            "'",
            "NEAR(",
            "NEAR(a b",
            "NEAR(x y)",
            "*",
            "a*",
            "-",
            "-e",
            ":",
            "f:g",
            "f : g",
            "^a",
            "a + b",
            "(",
            ")",
            "()",
            "AND",
            "OR",
            "NOT",
            "a AND",
            "a OR NOT",
            "{f}: g",
            "c*d",
            "\u{1}\u{1f}\u{7f}",
            "a\u{85}b",
            "\u{feff}",
            "\u{202e}",
            "🙂",
            "\\",
            "%",
            "_",
            "a\tb\r\nc",
        ];
        for q in nasty {
            let found = search(&conn, q, &["room:lobby".into()], 10);
            assert!(found.is_ok(), "{q:?}: {found:?}");
        }
        let find = |q: &str| search(&conn, q, &["room:lobby".into()], 10).unwrap().len();
        assert_eq!(find("a\0b"), 1, "NUL separates words");
        assert_eq!(find("NEAR(x"), 1, "operators are words");
        assert_eq!(find("-e"), 1);
    }

    /// A hub upgraded from schema 6 (which logged every new message in `events` too) replays each
    /// message once, in offset order, with the edits around it.
    #[test]
    fn a_log_from_before_messages_were_their_own_events_replays_each_once() {
        let mut conn = Connection::open_in_memory().unwrap();
        crate::store::schema::migrate_to(&mut conn, 6).unwrap();
        ensure_channel(&conn, "room:lobby", 0).unwrap();
        // As schema 6 stored a user (no name keys yet).
        conn.execute("INSERT INTO users (display_name, created_at) VALUES ('Ann', 0)", []).unwrap();
        let ann = hubbub_protocol::UserInfo { id: conn.last_insert_rowid(), display_name: "Ann".into() };
        for n in 1..=3 {
            // A message row as schema 6 wrote it (no column added since), and the event beside it.
            let offset = next_offset(&conn, "room:lobby").unwrap();
            let id: i64 = conn
                .query_row(
                    "INSERT INTO messages (channel, \"offset\", sender_id, client_message_id, body, created_at)
                     VALUES ('room:lobby', ?1, ?2, ?3, 'hi', ?4) RETURNING id",
                    params![offset, ann.id, n.to_string(), n],
                    |r| r.get(0),
                )
                .unwrap();
            record_event(&conn, "room:lobby", offset, &Event::of("message", id, ann.id), n).unwrap();
        }
        edit_message(&conn, "room:lobby", 2, ann.id, "hello", 9).unwrap().unwrap();
        crate::store::schema::migrate(&mut conn).unwrap();
        let kinds: Vec<(i64, &str)> = replay(&conn, "room:lobby", 0)
            .unwrap()
            .iter()
            .map(|f| match f {
                ServerFrame::Message(m) => (m.offset, "message"),
                ServerFrame::MessageEdited { offset, .. } => (*offset, "edit"),
                _ => (-1, "other"),
            })
            .collect();
        assert_eq!(kinds, vec![(1, "message"), (2, "message"), (3, "message"), (4, "edit")]);
    }

    #[test]
    fn an_edit_before_or_after_indexing_leaves_the_index_with_the_current_body() {
        let conn = db();
        let ann = create_user_with_session(&conn, "Ann", b"a", None, None, 0).unwrap().unwrap().user;
        let find = |q: &str| search(&conn, q, &["room:lobby".into()], 10).unwrap().len();
        let m = insert_message(&conn, "room:lobby", ann.id, "1", "tacos tonight", None, 1).unwrap().message;
        edit_message(&conn, "room:lobby", m.id, ann.id, "burritos tonight", 2).unwrap().unwrap();
        index_new_messages(&conn).unwrap();
        assert_eq!((find("tacos"), find("burritos")), (0, 1), "edited in the same batch");
        edit_message(&conn, "room:lobby", m.id, ann.id, "nachos tonight", 3).unwrap().unwrap();
        index_new_messages(&conn).unwrap();
        assert_eq!((find("burritos"), find("nachos"), find("tonight")), (0, 1, 1), "edited once indexed");
        let integrity: rusqlite::Result<usize> =
            conn.execute("INSERT INTO messages_fts (messages_fts, rank) VALUES ('integrity-check', 1)", []);
        assert!(integrity.is_ok(), "the index matches its content: {integrity:?}");
    }
}
