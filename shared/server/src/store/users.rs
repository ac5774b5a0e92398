//! Users, sessions and hub metadata (hub id, token signing key).

use hubbub_protocol::UserInfo;
use rusqlite::{Connection, OptionalExtension, params};
use sha2::{Digest, Sha256};

use super::StoreResult;
use crate::names::{name_key_version, name_keys};

/// A session found by its secret.
#[derive(Debug, Clone)]
pub struct SessionRecord {
    pub session_id: i64,
    pub user: UserInfo,
}

/// The stored form of a session secret: its SHA-256. The secret itself is never stored.
pub fn hash_secret(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

/// Reads a metadata value, or stores `init()` under `key` if there is none yet.
pub fn meta_get_or_init(
    conn: &Connection,
    key: &str,
    init: impl FnOnce() -> Vec<u8>,
) -> StoreResult<Vec<u8>> {
    if let Some(v) = conn
        .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get::<_, Vec<u8>>(0))
        .optional()?
    {
        return Ok(v);
    }
    let v = init();
    conn.execute("INSERT INTO meta (key, value) VALUES (?1, ?2)", params![key, v])?;
    Ok(v)
}

/// The display name is another user's (their name keys meet).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NameTaken;

/// Whether any of `keys` belongs to a user other than `user` (`None`: to anyone).
fn keys_taken(conn: &Connection, keys: &[String], user: Option<i64>) -> StoreResult<bool> {
    let mut stmt = conn.prepare_cached("SELECT user_id FROM name_keys WHERE key = ?1")?;
    for key in keys {
        let owner: Option<i64> = stmt.query_row([key], |r| r.get(0)).optional()?;
        if owner.is_some_and(|o| Some(o) != user) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Gives `keys` to `user`; a key already held (by anyone) is left as it is.
fn claim_keys(conn: &Connection, user: i64, keys: &[String]) -> StoreResult<()> {
    let mut stmt = conn.prepare_cached("INSERT OR IGNORE INTO name_keys (key, user_id) VALUES (?1, ?2)")?;
    for key in keys {
        stmt.execute(params![key, user])?;
    }
    Ok(())
}

/// Creates a user and a session for them; returns the user and the session id. Refused when the
/// name is another user's: the check and the insert are one writer job, so two guests joining as
/// "Ann" and "ann" at once cannot both get it.
pub fn create_user_with_session(
    conn: &Connection,
    display_name: &str,
    secret_hash: &[u8],
    device_hash: Option<&[u8]>,
    address: Option<&str>,
    now: i64,
) -> StoreResult<Result<SessionRecord, NameTaken>> {
    let keys = name_keys(display_name);
    if keys_taken(conn, &keys, None)? {
        return Ok(Err(NameTaken));
    }
    conn.prepare_cached("INSERT INTO users (display_name, created_at) VALUES (?1, ?2)")?
        .execute(params![display_name, now])?;
    let user_id = conn.last_insert_rowid();
    claim_keys(conn, user_id, &keys)?;
    // Everyone is a member of the Lobby.
    conn.prepare_cached("INSERT INTO room_members (room, user_id, joined_at) VALUES ('lobby', ?1, ?2)")?
        .execute(params![user_id, now])?;
    conn.prepare_cached(
        "INSERT INTO sessions (user_id, secret_hash, created_at, last_seen_at, device_hash, address)
         VALUES (?1, ?2, ?3, ?3, ?4, ?5)",
    )?
    .execute(params![user_id, secret_hash, now, device_hash, address])?;
    Ok(Ok(SessionRecord {
        session_id: conn.last_insert_rowid(),
        user: UserInfo { id: user_id, display_name: display_name.to_owned() },
    }))
}

/// Renames a user, unless the new name is another user's; the user's old keys are let go.
pub fn rename_user(
    conn: &Connection,
    user_id: i64,
    display_name: &str,
) -> StoreResult<Result<(), NameTaken>> {
    let keys = name_keys(display_name);
    if keys_taken(conn, &keys, Some(user_id))? {
        return Ok(Err(NameTaken));
    }
    conn.prepare_cached("DELETE FROM name_keys WHERE user_id = ?1")?.execute([user_id])?;
    claim_keys(conn, user_id, &keys)?;
    conn.prepare_cached("UPDATE users SET display_name = ?1 WHERE id = ?2")?
        .execute(params![display_name, user_id])?;
    Ok(Ok(()))
}

/// Brings `name_keys` up to date with the users when the keys were made by another version of
/// [`name_keys`] (or never): recomputes every user's keys, oldest user first. Names that collide
/// (stored before names were checked, or newly the same under new Unicode tables) are kept; the
/// oldest holder keeps the key and the later ones hold none until they rename. Returns how many
/// users were left without a key of their own.
pub fn sync_name_keys(conn: &mut Connection) -> StoreResult<usize> {
    let version = name_key_version();
    let stored: Option<Vec<u8>> = conn
        .query_row("SELECT value FROM meta WHERE key = 'name_key_version'", [], |r| r.get(0))
        .optional()?;
    if stored.as_deref() == Some(version.as_bytes()) {
        return Ok(0);
    }
    let tx = conn.transaction()?;
    tx.execute("DELETE FROM name_keys", [])?;
    let users: Vec<(i64, String)> = tx
        .prepare("SELECT id, display_name FROM users ORDER BY id")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let mut shadowed = 0;
    for (id, name) in &users {
        let keys = name_keys(name);
        if keys_taken(&tx, &keys, Some(*id))? {
            shadowed += 1;
        }
        claim_keys(&tx, *id, &keys)?;
    }
    tx.execute(
        "INSERT INTO meta (key, value) VALUES ('name_key_version', ?1)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [version.as_bytes()],
    )?;
    tx.commit()?;
    if shadowed > 0 {
        tracing::warn!(
            users = shadowed,
            "display names already the same as an older user's; kept as they are"
        );
    }
    tracing::info!(users = users.len(), version = %version, "display name keys computed");
    Ok(shadowed)
}

const SELECT_SESSION: &str =
    "SELECT s.id, u.id, u.display_name FROM sessions s JOIN users u ON u.id = s.user_id";

fn row_to_session(r: &rusqlite::Row<'_>) -> rusqlite::Result<SessionRecord> {
    Ok(SessionRecord { session_id: r.get(0)?, user: UserInfo { id: r.get(1)?, display_name: r.get(2)? } })
}

/// Finds the session whose secret hashes to `secret_hash`.
pub fn find_session(conn: &Connection, secret_hash: &[u8]) -> StoreResult<Option<SessionRecord>> {
    Ok(conn
        .prepare_cached(&format!("{SELECT_SESSION} WHERE s.secret_hash = ?1"))?
        .query_row([secret_hash], row_to_session)
        .optional()?)
}

/// Finds a session by id (tokens carry the session id).
pub fn find_session_by_id(conn: &Connection, session_id: i64) -> StoreResult<Option<SessionRecord>> {
    Ok(conn
        .prepare_cached(&format!("{SELECT_SESSION} WHERE s.id = ?1"))?
        .query_row([session_id], row_to_session)
        .optional()?)
}

/// Whether a user with this id exists.
pub fn user_exists(conn: &Connection, id: i64) -> StoreResult<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM users WHERE id = ?1")?
        .query_row([id], |_| Ok(()))
        .optional()?
        .is_some())
}

/// Stores the status a user chose (`None` for none: automatic) and their status line.
pub fn save_status(
    conn: &Connection,
    user_id: i64,
    status: Option<&str>,
    text: Option<&str>,
) -> StoreResult<()> {
    conn.prepare_cached("UPDATE users SET status = ?2, status_text = ?3 WHERE id = ?1")?
        .execute(params![user_id, status, text])?;
    Ok(())
}

/// The status a user chose last time and their status line.
pub fn stored_status(conn: &Connection, user_id: i64) -> StoreResult<(Option<String>, Option<String>)> {
    Ok(conn
        .prepare_cached("SELECT status, status_text FROM users WHERE id = ?1")?
        .query_row([user_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?
        .unwrap_or((None, None)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db() -> Connection {
        let mut conn = Connection::open_in_memory().unwrap();
        super::super::schema::migrate(&mut conn).unwrap();
        sync_name_keys(&mut conn).unwrap();
        conn
    }

    #[test]
    fn a_name_is_one_users_own_by_case_and_by_look() {
        let conn = db();
        let ann = create_user_with_session(&conn, "Ann", b"a", None, None, 0).unwrap().unwrap().user;
        for taken in ["ann", "ANN", "\u{410}nn", "Ａｎｎ"] {
            assert_eq!(
                create_user_with_session(&conn, taken, b"x", None, None, 0).unwrap().unwrap_err(),
                NameTaken
            );
        }
        let bo = create_user_with_session(&conn, "Bo", b"b", None, None, 0).unwrap().unwrap().user;
        assert_eq!(rename_user(&conn, bo.id, "aNN").unwrap(), Err(NameTaken));
        // Ann may change her own name's case; then "Ann" is still hers, and "Bo" is free again
        // once Bo renames.
        rename_user(&conn, ann.id, "ANN").unwrap().unwrap();
        rename_user(&conn, bo.id, "Bob").unwrap().unwrap();
        assert!(create_user_with_session(&conn, "bo", b"c", None, None, 0).unwrap().is_ok());
        assert_eq!(
            create_user_with_session(&conn, "ann", b"d", None, None, 0).unwrap().unwrap_err(),
            NameTaken
        );
        let count: i64 = conn.query_row("SELECT count(*) FROM users", [], |r| r.get(0)).unwrap();
        assert_eq!(count, 3, "refused joins create nothing");
    }

    #[test]
    fn names_that_already_collide_survive_the_upgrade() {
        let mut conn = Connection::open_in_memory().unwrap();
        super::super::schema::migrate_to(&mut conn, 7).unwrap();
        for name in ["Ann", "ann", "Bo", "ANN"] {
            conn.execute("INSERT INTO users (display_name, created_at) VALUES (?1, 0)", [name]).unwrap();
        }
        super::super::schema::migrate(&mut conn).unwrap();
        assert_eq!(sync_name_keys(&mut conn).unwrap(), 2, "the later two Anns hold no key");
        assert_eq!(sync_name_keys(&mut conn).unwrap(), 0, "computed once per key version");
        let owner: i64 = conn
            .query_row("SELECT DISTINCT user_id FROM name_keys WHERE user_id IN (1, 2, 4)", [], |r| r.get(0))
            .unwrap();
        assert_eq!(owner, 1, "the oldest keeps the name");
        // A later Ann can take another name; nobody new can take Ann's.
        rename_user(&conn, 2, "Annika").unwrap().unwrap();
        assert_eq!(
            create_user_with_session(&conn, "aNn", b"x", None, None, 0).unwrap().unwrap_err(),
            NameTaken
        );
        assert_eq!(
            create_user_with_session(&conn, "annika", b"y", None, None, 0).unwrap().unwrap_err(),
            NameTaken
        );
    }
}
