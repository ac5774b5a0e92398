//! What the retention sweep reads and deletes. Candidates are found on a reader thread (where a
//! scan costs the writer nothing) and deleted by id in small writer jobs that check the condition
//! again, so the writer is never held for more than a few hundred row deletions at a time.

use rusqlite::{Connection, params};

use super::StoreResult;

/// The oldest messages (by id, which follows time), up to `limit`, created before `before`.
pub fn old_message_ids(conn: &Connection, before: i64, limit: usize) -> StoreResult<Vec<i64>> {
    // The oldest rows first, stopping at the first one too new: no scan of the whole table.
    let mut stmt = conn.prepare_cached("SELECT id, created_at FROM messages ORDER BY id LIMIT ?1")?;
    let rows = stmt.query_map([limit as i64], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))?;
    let mut ids = Vec::new();
    for row in rows {
        let (id, at) = row?;
        if at >= before {
            break;
        }
        ids.push(id);
    }
    Ok(ids)
}

/// Deletes these messages (still older than `before`), with their reactions, their edit, delete
/// and reaction events, and their search entries. Returns how many went.
pub fn delete_messages(db: &Connection, ids: &[i64], before: i64) -> StoreResult<usize> {
    let indexed: i64 = db.query_row("SELECT last_id FROM fts_position", [], |r| r.get(0))?;
    let mut gone = 0;
    for &id in ids {
        let row = db
            .prepare_cached(
                "SELECT channel, \"offset\", body FROM messages WHERE id = ?1 AND created_at < ?2",
            )?
            .query_row(params![id, before], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?, r.get::<_, String>(2)?))
            });
        let (channel, offset, body) = match row {
            Ok(row) => row,
            Err(rusqlite::Error::QueryReturnedNoRows) => continue,
            Err(e) => return Err(e.into()),
        };
        if id <= indexed {
            db.prepare_cached(
                "INSERT INTO messages_fts (messages_fts, rowid, body) VALUES ('delete', ?1, ?2)",
            )?
            .execute(params![id, body])?;
        }
        db.prepare_cached("DELETE FROM reactions WHERE message_id = ?1")?.execute([id])?;
        // Events up to this offset concern this message or older ones of the channel, all gone.
        db.prepare_cached("DELETE FROM events WHERE channel = ?1 AND \"offset\" <= ?2")?
            .execute(params![channel, offset])?;
        gone += db.prepare_cached("DELETE FROM messages WHERE id = ?1")?.execute([id])?;
    }
    Ok(gone)
}

/// Marks these sessions as used at `now`.
pub fn touch_sessions(db: &Connection, ids: &[i64], now: i64) -> StoreResult<()> {
    let mut stmt =
        db.prepare_cached("UPDATE sessions SET last_seen_at = max(last_seen_at, ?2) WHERE id = ?1")?;
    for id in ids {
        stmt.execute(params![id, now])?;
    }
    Ok(())
}

/// The keys the query `sql` (with `?1` the cutoff and `?2` the limit) finds.
fn keys<T: rusqlite::types::FromSql>(
    conn: &Connection,
    sql: &str,
    before: i64,
    limit: usize,
) -> StoreResult<Vec<T>> {
    let mut stmt = conn.prepare_cached(sql)?;
    Ok(stmt.query_map(params![before, limit as i64], |r| r.get(0))?.collect::<Result<_, _>>()?)
}

/// Runs the deletion `sql` (with `?1` the key and `?2` the cutoff, which it checks again) for each
/// key; returns how many rows went.
fn delete_each<T: rusqlite::ToSql>(
    db: &Connection,
    sql: &str,
    keys: &[T],
    before: i64,
) -> StoreResult<usize> {
    let mut stmt = db.prepare_cached(sql)?;
    let mut gone = 0;
    for key in keys {
        gone += stmt.execute(params![key, before])?;
    }
    Ok(gone)
}

/// Sessions last used before `before`, up to `limit`.
pub fn idle_session_ids(conn: &Connection, before: i64, limit: usize) -> StoreResult<Vec<i64>> {
    keys(conn, "SELECT id FROM sessions WHERE last_seen_at < ?1 LIMIT ?2", before, limit)
}

/// Deletes these sessions if they are still unused since before `before`.
pub fn delete_sessions(db: &Connection, ids: &[i64], before: i64) -> StoreResult<usize> {
    delete_each(db, "DELETE FROM sessions WHERE id = ?1 AND last_seen_at < ?2", ids, before)
}

/// Inbox entries read before `before`, up to `limit`.
pub fn read_notification_ids(conn: &Connection, before: i64, limit: usize) -> StoreResult<Vec<i64>> {
    keys(conn, "SELECT id FROM notifications WHERE read_at < ?1 LIMIT ?2", before, limit)
}

/// Deletes these inbox entries if they were read before `before`.
pub fn delete_notifications(db: &Connection, ids: &[i64], before: i64) -> StoreResult<usize> {
    delete_each(db, "DELETE FROM notifications WHERE id = ?1 AND read_at < ?2", ids, before)
}

/// Parties that ended (finished) and last changed before `before`, up to `limit`.
pub fn ended_party_codes(conn: &Connection, before: i64, limit: usize) -> StoreResult<Vec<String>> {
    keys(conn, "SELECT code FROM parties WHERE finished = 1 AND updated_at < ?1 LIMIT ?2", before, limit)
}

/// Deletes these parties if they are still ended and unchanged since before `before`.
pub fn delete_parties(db: &Connection, codes: &[String], before: i64) -> StoreResult<usize> {
    delete_each(db, "DELETE FROM parties WHERE code = ?1 AND finished = 1 AND updated_at < ?2", codes, before)
}
