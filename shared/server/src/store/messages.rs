//! Channels (offsets and epochs) and chat messages: idempotent insert, snapshots and catch-up.

use hubbub_protocol::{ChatMessage, StreamPosition};
use rand::Rng;
use rusqlite::{Connection, OptionalExtension, params};

use super::{StoreError, StoreResult};

/// How many of the newest messages a fresh snapshot carries.
pub const HISTORY_LIMIT: i64 = 50;
/// The longest gap a `since` catch-up replays; beyond it the client gets a fresh snapshot.
pub const MAX_REPLAY: i64 = 1000;

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
    /// `None` without `since`; `Some(true)` when `messages` is exactly what followed it.
    pub recovered: Option<bool>,
    pub messages: Vec<ChatMessage>,
}

fn new_epoch() -> String {
    format!("{:016x}", rand::rng().random::<u64>())
}

/// Creates a channel if it does not exist yet.
pub fn ensure_channel(conn: &Connection, name: &str, now: i64) -> StoreResult<()> {
    conn.execute(
        "INSERT INTO channels (name, epoch, last_offset, created_at) VALUES (?1, ?2, 0, ?3)
         ON CONFLICT (name) DO NOTHING",
        params![name, new_epoch(), now],
    )?;
    Ok(())
}

/// A channel's epoch and newest offset, or `None` if it does not exist.
pub fn channel_state(conn: &Connection, name: &str) -> StoreResult<Option<(String, i64)>> {
    Ok(conn
        .query_row(
            "SELECT epoch, last_offset FROM channels WHERE name = ?1",
            [name],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?)
}

const SELECT_MESSAGE: &str = "SELECT m.id, m.channel, m.\"offset\", m.sender_id, u.display_name,
        m.client_message_id, m.body, m.created_at
    FROM messages m JOIN users u ON u.id = m.sender_id";

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
    })
}

/// Stores a message with the channel's next offset, unless the same sender already stored one with
/// this `client_message_id`, in which case that one is returned unchanged.
pub fn insert_message(
    conn: &Connection,
    channel: &str,
    sender_id: i64,
    client_message_id: &str,
    body: &str,
    now: i64,
) -> StoreResult<InsertOutcome> {
    let existing = conn
        .prepare_cached(&format!(
            "{SELECT_MESSAGE} WHERE m.channel = ?1 AND m.sender_id = ?2 AND m.client_message_id = ?3"
        ))?
        .query_row(params![channel, sender_id, client_message_id], row_to_message)
        .optional()?;
    if let Some(message) = existing {
        return Ok(InsertOutcome {
            message,
            duplicate: true,
        });
    }
    let offset: i64 = conn
        .prepare_cached(
            "UPDATE channels SET last_offset = last_offset + 1 WHERE name = ?1 RETURNING last_offset",
        )?
        .query_row([channel], |r| r.get(0))
        .optional()?
        .ok_or_else(|| StoreError::NoSuchChannel(channel.to_owned()))?;
    let id: i64 = conn
        .prepare_cached(
            "INSERT INTO messages (channel, \"offset\", sender_id, client_message_id, body, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING id",
        )?
        .query_row(params![channel, offset, sender_id, client_message_id, body, now], |r| r.get(0))?;
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
        },
        duplicate: false,
    })
}

/// What a new subscriber gets: the events after `since` when they can be replayed exactly,
/// otherwise the newest [`HISTORY_LIMIT`] messages.
pub fn snapshot(
    conn: &Connection,
    channel: &str,
    since: Option<&StreamPosition>,
) -> StoreResult<Snapshot> {
    let (epoch, last_offset) = channel_state(conn, channel)?
        .ok_or_else(|| StoreError::NoSuchChannel(channel.to_owned()))?;
    let replayable = since.filter(|s| {
        s.epoch == epoch
            && s.offset >= 0
            && s.offset <= last_offset
            && last_offset - s.offset <= MAX_REPLAY
    });
    let messages = match replayable {
        Some(s) => conn
            .prepare_cached(&format!(
                "{SELECT_MESSAGE} WHERE m.channel = ?1 AND m.\"offset\" > ?2 ORDER BY m.\"offset\""
            ))?
            .query_map(params![channel, s.offset], row_to_message)?
            .collect::<Result<Vec<_>, _>>()?,
        None => {
            let mut newest = conn
                .prepare_cached(&format!(
                    "{SELECT_MESSAGE} WHERE m.channel = ?1 ORDER BY m.\"offset\" DESC LIMIT ?2"
                ))?
                .query_map(params![channel, HISTORY_LIMIT], row_to_message)?
                .collect::<Result<Vec<_>, _>>()?;
            newest.reverse();
            newest
        }
    };
    Ok(Snapshot {
        epoch,
        last_offset,
        recovered: since.map(|_| replayable.is_some()),
        messages,
    })
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
        let u = create_user_with_session(&conn, "Ann", b"h", 0)
            .unwrap()
            .user;
        let a = insert_message(&conn, "room:lobby", u.id, "c1", "one", 1).unwrap();
        let b = insert_message(&conn, "room:lobby", u.id, "c2", "two", 2).unwrap();
        let again = insert_message(&conn, "room:lobby", u.id, "c1", "changed", 3).unwrap();
        assert_eq!((a.message.offset, b.message.offset), (1, 2));
        assert!(again.duplicate);
        assert_eq!(again.message, a.message);
        let n: i64 = conn
            .query_row("SELECT count(*) FROM messages", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 2);
    }

    #[test]
    fn unknown_channel_is_an_error() {
        let conn = db();
        let u = create_user_with_session(&conn, "Ann", b"h", 0)
            .unwrap()
            .user;
        let err = insert_message(&conn, "room:nope", u.id, "c1", "x", 0).unwrap_err();
        assert!(matches!(err, StoreError::NoSuchChannel(_)));
    }

    #[test]
    fn snapshot_replays_after_since_or_falls_back() {
        let conn = db();
        let u = create_user_with_session(&conn, "Ann", b"h", 0)
            .unwrap()
            .user;
        for i in 0..60 {
            insert_message(&conn, "room:lobby", u.id, &format!("c{i}"), "m", i).unwrap();
        }
        let fresh = snapshot(&conn, "room:lobby", None).unwrap();
        assert_eq!(fresh.recovered, None);
        assert_eq!(fresh.messages.len() as i64, HISTORY_LIMIT);
        assert_eq!(fresh.messages.first().unwrap().offset, 11);
        assert_eq!(fresh.messages.last().unwrap().offset, 60);
        let since = StreamPosition {
            offset: 55,
            epoch: fresh.epoch.clone(),
        };
        let caught = snapshot(&conn, "room:lobby", Some(&since)).unwrap();
        assert_eq!(caught.recovered, Some(true));
        assert_eq!(
            caught.messages.iter().map(|m| m.offset).collect::<Vec<_>>(),
            vec![56, 57, 58, 59, 60]
        );
        let other = StreamPosition {
            offset: 55,
            epoch: "other".into(),
        };
        let lost = snapshot(&conn, "room:lobby", Some(&other)).unwrap();
        assert_eq!(lost.recovered, Some(false));
        assert_eq!(lost.messages.len() as i64, HISTORY_LIMIT);
    }
}
