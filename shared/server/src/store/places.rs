//! Places and check-ins: the rows behind the places service. A place's name is unique by its key
//! (the name folded to lower case); a user has at most one check-in row per place, the latest.

use rusqlite::{Connection, OptionalExtension, params};

use super::StoreResult;

/// A stored place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlaceRow {
    pub id: i64,
    pub name: String,
    /// The random key the place's QR code carries; a check-in must give it.
    pub key: String,
    pub created_at: i64,
}

/// Why a place write did not happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlaceRefusal {
    NoSuchPlace,
    /// Another place has the same name (ignoring case).
    NameTaken,
    /// The hub has its most places already.
    TooMany,
    /// The user checked in to this many other places within the window.
    TooManyCheckIns,
}

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<PlaceRow> {
    Ok(PlaceRow { id: r.get(0)?, name: r.get(1)?, key: r.get(2)?, created_at: r.get(3)? })
}

/// Every place, oldest first.
pub fn list_places(conn: &Connection) -> StoreResult<Vec<PlaceRow>> {
    let mut stmt = conn.prepare_cached("SELECT id, name, key, created_at FROM places ORDER BY id")?;
    let rows = stmt.query_map([], row)?.collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// One place.
pub fn place(conn: &Connection, id: i64) -> StoreResult<Option<PlaceRow>> {
    Ok(conn
        .prepare_cached("SELECT id, name, key, created_at FROM places WHERE id = ?1")?
        .query_row([id], row)
        .optional()?)
}

fn name_taken(conn: &Connection, key: &str, except: i64) -> StoreResult<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM places WHERE name_key = ?1 AND id != ?2")?
        .query_row(params![key, except], |_| Ok(()))
        .optional()?
        .is_some())
}

/// Adds a place, unless the name is taken or the hub has `max` places (0: no cap).
pub fn create_place(
    conn: &Connection,
    name: &str,
    name_key: &str,
    key: &str,
    by: Option<i64>,
    now: i64,
    max: usize,
) -> StoreResult<Result<PlaceRow, PlaceRefusal>> {
    let count: i64 = conn.prepare_cached("SELECT COUNT(*) FROM places")?.query_row([], |r| r.get(0))?;
    if max > 0 && usize::try_from(count).unwrap_or(usize::MAX) >= max {
        return Ok(Err(PlaceRefusal::TooMany));
    }
    if name_taken(conn, name_key, 0)? {
        return Ok(Err(PlaceRefusal::NameTaken));
    }
    conn.prepare_cached(
        "INSERT INTO places (name, name_key, key, created_by, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![name, name_key, key, by, now])?;
    let id = conn.last_insert_rowid();
    Ok(Ok(PlaceRow { id, name: name.to_owned(), key: key.to_owned(), created_at: now }))
}

/// Gives a place another name (its key stays, so printed QR codes keep working).
pub fn rename_place(
    conn: &Connection,
    id: i64,
    name: &str,
    name_key: &str,
) -> StoreResult<Result<PlaceRow, PlaceRefusal>> {
    if place(conn, id)?.is_none() {
        return Ok(Err(PlaceRefusal::NoSuchPlace));
    }
    if name_taken(conn, name_key, id)? {
        return Ok(Err(PlaceRefusal::NameTaken));
    }
    conn.prepare_cached("UPDATE places SET name = ?2, name_key = ?3 WHERE id = ?1")?
        .execute(params![id, name, name_key])?;
    Ok(place(conn, id)?.ok_or(PlaceRefusal::NoSuchPlace))
}

/// Deletes a place and its check-ins; false when there was none.
pub fn delete_place(conn: &Connection, id: i64) -> StoreResult<bool> {
    conn.prepare_cached("DELETE FROM check_ins WHERE place_id = ?1")?.execute([id])?;
    Ok(conn.prepare_cached("DELETE FROM places WHERE id = ?1")?.execute([id])? > 0)
}

/// Records `user`'s check-in at `place` (moving an earlier one to `now`), unless the user checked
/// in to `max` (0: no cap) other places since `since`.
pub fn check_in(
    conn: &Connection,
    place_id: i64,
    user: i64,
    now: i64,
    since: i64,
    max: usize,
) -> StoreResult<Result<(), PlaceRefusal>> {
    if place(conn, place_id)?.is_none() {
        return Ok(Err(PlaceRefusal::NoSuchPlace));
    }
    let others: i64 = conn
        .prepare_cached("SELECT COUNT(*) FROM check_ins WHERE user_id = ?1 AND at >= ?2 AND place_id != ?3")?
        .query_row(params![user, since, place_id], |r| r.get(0))?;
    if max > 0 && usize::try_from(others).unwrap_or(usize::MAX) >= max {
        return Ok(Err(PlaceRefusal::TooManyCheckIns));
    }
    conn.prepare_cached(
        "INSERT INTO check_ins (place_id, user_id, at) VALUES (?1, ?2, ?3)
         ON CONFLICT (place_id, user_id) DO UPDATE SET at = excluded.at",
    )?
    .execute(params![place_id, user, now])?;
    Ok(Ok(()))
}

/// `user`'s latest check-in at `place`, if any.
pub fn latest_check_in(conn: &Connection, place_id: i64, user: i64) -> StoreResult<Option<i64>> {
    Ok(conn
        .prepare_cached("SELECT at FROM check_ins WHERE place_id = ?1 AND user_id = ?2")?
        .query_row(params![place_id, user], |r| r.get(0))
        .optional()?)
}

/// The check-ins since `since`, as (place, place's name, user), oldest place first.
pub fn recent_check_ins(conn: &Connection, since: i64) -> StoreResult<Vec<(i64, String, i64)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT c.place_id, p.name, c.user_id FROM check_ins c JOIN places p ON p.id = c.place_id
         WHERE c.at >= ?1 ORDER BY c.place_id",
    )?;
    let rows = stmt.query_map([since], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// The check-ins older than `before`, as (place, user), at most `limit` of them.
pub fn expired_check_ins(conn: &Connection, before: i64, limit: usize) -> StoreResult<Vec<(i64, i64)>> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let mut stmt = conn.prepare_cached("SELECT place_id, user_id FROM check_ins WHERE at < ?1 LIMIT ?2")?;
    let rows = stmt.query_map(params![before, limit], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// Deletes one check-in if it is still older than `before` (a new scan since keeps it).
pub fn delete_check_in_before(conn: &Connection, place_id: i64, user: i64, before: i64) -> StoreResult<bool> {
    Ok(conn
        .prepare_cached("DELETE FROM check_ins WHERE place_id = ?1 AND user_id = ?2 AND at < ?3")?
        .execute(params![place_id, user, before])?
        > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db() -> Connection {
        let mut conn = Connection::open_in_memory().unwrap();
        super::super::schema::migrate(&mut conn).unwrap();
        conn
    }

    #[test]
    fn names_are_unique_ignoring_case_and_the_cap_holds() {
        let conn = db();
        let a = create_place(&conn, "Table 1", "table 1", "k1", None, 1, 2).unwrap().unwrap();
        assert_eq!(
            create_place(&conn, "TABLE 1", "table 1", "k2", None, 2, 2).unwrap(),
            Err(PlaceRefusal::NameTaken)
        );
        let b = create_place(&conn, "Bar", "bar", "k3", Some(1), 3, 2).unwrap().unwrap();
        assert_eq!(
            create_place(&conn, "Patio", "patio", "k4", None, 4, 2).unwrap(),
            Err(PlaceRefusal::TooMany)
        );
        assert_eq!(rename_place(&conn, b.id, "Table 1", "table 1").unwrap(), Err(PlaceRefusal::NameTaken));
        assert_eq!(rename_place(&conn, a.id, "table 1", "table 1").unwrap().unwrap().name, "table 1");
        assert_eq!(rename_place(&conn, 99, "x", "x").unwrap(), Err(PlaceRefusal::NoSuchPlace));
        assert!(delete_place(&conn, a.id).unwrap());
        assert!(!delete_place(&conn, a.id).unwrap());
        assert_eq!(list_places(&conn).unwrap(), vec![b]);
    }

    #[test]
    fn a_check_in_moves_and_other_places_count_against_the_cap() {
        let conn = db();
        let ids: Vec<i64> = (0..3)
            .map(|i| {
                create_place(&conn, &format!("P{i}"), &format!("p{i}"), "k", None, 0, 0).unwrap().unwrap().id
            })
            .collect();
        assert_eq!(check_in(&conn, ids[0], 7, 100, 0, 2).unwrap(), Ok(()));
        assert_eq!(check_in(&conn, ids[0], 7, 200, 0, 2).unwrap(), Ok(()));
        assert_eq!(latest_check_in(&conn, ids[0], 7).unwrap(), Some(200));
        assert_eq!(check_in(&conn, ids[1], 7, 300, 0, 2).unwrap(), Ok(()));
        assert_eq!(check_in(&conn, ids[2], 7, 400, 0, 2).unwrap(), Err(PlaceRefusal::TooManyCheckIns));
        // Outside the window the earlier ones no longer count.
        assert_eq!(check_in(&conn, ids[2], 7, 400, 250, 2).unwrap(), Ok(()));
        assert_eq!(check_in(&conn, 99, 7, 400, 0, 2).unwrap(), Err(PlaceRefusal::NoSuchPlace));
        assert_eq!(expired_check_ins(&conn, 250, 10).unwrap(), vec![(ids[0], 7)]);
        assert_eq!(
            recent_check_ins(&conn, 250).unwrap(),
            vec![(ids[1], "P1".to_owned(), 7), (ids[2], "P2".to_owned(), 7)]
        );
        assert!(delete_check_in_before(&conn, ids[0], 7, 250).unwrap());
        assert!(!delete_check_in_before(&conn, ids[1], 7, 250).unwrap());
        assert_eq!(latest_check_in(&conn, ids[0], 7).unwrap(), None);
    }
}
