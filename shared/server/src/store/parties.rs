//! Party sessions (a party's `StoredParty` JSON, one row per party) and imported quiz packs.

use rusqlite::{Connection, OptionalExtension, params};

use super::StoreResult;

/// Stores a party's state, replacing the previous one.
pub fn save_party(db: &Connection, code: &str, state: &str, finished: bool, now: i64) -> StoreResult<()> {
    db.execute(
        "INSERT INTO parties (code, state, finished, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?4)
         ON CONFLICT(code) DO UPDATE SET state = excluded.state, finished = excluded.finished,
                                         updated_at = excluded.updated_at",
        params![code, state, finished, now],
    )?;
    Ok(())
}

/// Whether a code was ever used (codes are not reused while their party is stored).
pub fn party_code_taken(db: &Connection, code: &str) -> StoreResult<bool> {
    Ok(db.query_row("SELECT 1 FROM parties WHERE code = ?1", [code], |_| Ok(())).optional()?.is_some())
}

/// The stored states of parties changed since `since` (Unix ms), oldest first.
pub fn load_parties(db: &Connection, since: i64) -> StoreResult<Vec<(String, String)>> {
    let mut stmt =
        db.prepare("SELECT code, state FROM parties WHERE updated_at >= ?1 ORDER BY created_at, code")?;
    let rows = stmt.query_map([since], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// An imported pack: its id, title and the pack JSON as given.
#[derive(Debug, Clone)]
pub struct StoredPack {
    pub id: i64,
    pub title: String,
    pub body: String,
}

/// Stores an imported (already checked) pack; returns its id.
pub fn insert_pack(db: &Connection, title: &str, body: &str, user: i64, now: i64) -> StoreResult<i64> {
    db.execute(
        "INSERT INTO quiz_packs (title, body, created_by, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![title, body, user, now],
    )?;
    Ok(db.last_insert_rowid())
}

/// Every imported pack, oldest first.
pub fn list_packs(db: &Connection) -> StoreResult<Vec<StoredPack>> {
    let mut stmt = db.prepare("SELECT id, title, body FROM quiz_packs ORDER BY id")?;
    let rows = stmt.query_map([], |r| Ok(StoredPack { id: r.get(0)?, title: r.get(1)?, body: r.get(2)? }))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// One imported pack.
pub fn get_pack(db: &Connection, id: i64) -> StoreResult<Option<StoredPack>> {
    Ok(db
        .query_row("SELECT id, title, body FROM quiz_packs WHERE id = ?1", [id], |r| {
            Ok(StoredPack { id: r.get(0)?, title: r.get(1)?, body: r.get(2)? })
        })
        .optional()?)
}
