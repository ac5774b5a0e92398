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

/// When a stored party's code may be used again (Unix ms). A code is taken by its stored row
/// unless the party is over (`finished`) and last changed at or before `ended_before`, or last
/// changed before `forgotten_before` (such a party is not restored after a restart). The caller also checks
/// that no party in memory has the code.
#[derive(Debug, Clone, Copy)]
pub struct CodeReuse {
    pub ended_before: i64,
    pub forgotten_before: i64,
}

/// Whether `code` is taken by a stored party (see [`CodeReuse`]).
pub fn party_code_taken(db: &Connection, code: &str, reuse: CodeReuse) -> StoreResult<bool> {
    Ok(db
        .prepare_cached(
            "SELECT 1 FROM parties WHERE code = ?1 AND updated_at >= ?3 AND (finished = 0 OR updated_at > ?2)",
        )?
        .query_row(params![code, reuse.ended_before, reuse.forgotten_before], |_| Ok(()))
        .optional()?
        .is_some())
}

/// Stores a new party under `code` unless the code is taken (see [`CodeReuse`]); an expired
/// party's row is replaced. Returns whether the code was free.
pub fn claim_party_code(
    db: &Connection,
    code: &str,
    state: &str,
    reuse: CodeReuse,
    now: i64,
) -> StoreResult<bool> {
    if party_code_taken(db, code, reuse)? {
        return Ok(false);
    }
    db.prepare_cached(
        "INSERT INTO parties (code, state, finished, created_at, updated_at) VALUES (?1, ?2, 0, ?3, ?3)
         ON CONFLICT(code) DO UPDATE SET state = excluded.state, finished = 0,
                                         created_at = excluded.created_at, updated_at = excluded.updated_at",
    )?
    .execute(params![code, state, now])?;
    Ok(true)
}

/// The stored states of parties changed since `since` (Unix ms), oldest first.
pub fn load_parties(db: &Connection, since: i64) -> StoreResult<Vec<(String, String)>> {
    let mut stmt =
        db.prepare("SELECT code, state FROM parties WHERE updated_at >= ?1 ORDER BY created_at, code")?;
    let rows = stmt.query_map([since], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// A finished game's results as stored: the party's code, when the game started and ended, who
/// hosted it, and the `PartyResults` JSON.
#[derive(Debug, Clone)]
pub struct StoredResults {
    pub code: String,
    pub started_at: i64,
    pub finished_at: i64,
    pub host_id: i64,
    pub body: String,
}

/// Stores (or replaces) the results of the game of party `code` that started at `started_at`.
pub fn save_party_results(db: &Connection, r: &StoredResults) -> StoreResult<()> {
    db.prepare_cached(
        "INSERT INTO party_results (code, started_at, finished_at, host_id, body) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT(code, started_at) DO UPDATE SET finished_at = excluded.finished_at,
                                                     host_id = excluded.host_id, body = excluded.body",
    )?
    .execute(params![r.code, r.started_at, r.finished_at, r.host_id, r.body])?;
    Ok(())
}

/// Every stored game's results, oldest first; only party `code`'s when given.
pub fn list_party_results(db: &Connection, code: Option<&str>) -> StoreResult<Vec<StoredResults>> {
    let mut stmt = db.prepare(
        "SELECT code, started_at, finished_at, host_id, body FROM party_results
         WHERE ?1 IS NULL OR code = ?1 ORDER BY finished_at, id",
    )?;
    let rows = stmt.query_map([code], |r| {
        Ok(StoredResults {
            code: r.get(0)?,
            started_at: r.get(1)?,
            finished_at: r.get(2)?,
            host_id: r.get(3)?,
            body: r.get(4)?,
        })
    })?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ended_party_frees_its_code_after_expiry() {
        let mut db = Connection::open_in_memory().unwrap();
        crate::store::schema::migrate(&mut db).unwrap();
        let reuse = |now: i64| CodeReuse { ended_before: now - 100, forgotten_before: now - 1000 };
        assert!(claim_party_code(&db, "ABCD", "{}", reuse(0), 0).unwrap());
        assert!(!claim_party_code(&db, "ABCD", "{}", reuse(10), 10).unwrap(), "a live party keeps it");
        save_party(&db, "ABCD", "{}", true, 50).unwrap();
        assert!(party_code_taken(&db, "ABCD", reuse(149)).unwrap(), "ended, not yet expired");
        assert!(!party_code_taken(&db, "ABCD", reuse(150)).unwrap(), "ended and expired");
        save_party(&db, "WXYZ", "{}", false, 50).unwrap();
        assert!(party_code_taken(&db, "WXYZ", reuse(1050)).unwrap(), "unfinished and recent");
        assert!(!party_code_taken(&db, "WXYZ", reuse(1051)).unwrap(), "not restored after a restart");
        assert!(claim_party_code(&db, "ABCD", "{\"new\":1}", reuse(150), 150).unwrap());
        let (state, finished, created): (String, bool, i64) = db
            .query_row("SELECT state, finished, created_at FROM parties WHERE code = 'ABCD'", [], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .unwrap();
        assert_eq!((state.as_str(), finished, created), ("{\"new\":1}", false, 150));
    }
}
