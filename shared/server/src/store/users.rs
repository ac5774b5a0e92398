//! Users, sessions and hub metadata (hub id, token signing key).

use hubbub_protocol::UserInfo;
use rusqlite::{Connection, OptionalExtension, params};
use sha2::{Digest, Sha256};

use super::StoreResult;

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

/// Creates a user and a session for them; returns the user and the session id.
pub fn create_user_with_session(
    conn: &Connection,
    display_name: &str,
    secret_hash: &[u8],
    now: i64,
) -> StoreResult<SessionRecord> {
    conn.execute("INSERT INTO users (display_name, created_at) VALUES (?1, ?2)", params![display_name, now])?;
    let user_id = conn.last_insert_rowid();
    // Everyone is a member of the Lobby.
    conn.execute(
        "INSERT INTO room_members (room, user_id, joined_at) VALUES ('lobby', ?1, ?2)",
        params![user_id, now],
    )?;
    conn.execute(
        "INSERT INTO sessions (user_id, secret_hash, created_at, last_seen_at) VALUES (?1, ?2, ?3, ?3)",
        params![user_id, secret_hash, now],
    )?;
    Ok(SessionRecord {
        session_id: conn.last_insert_rowid(),
        user: UserInfo { id: user_id, display_name: display_name.to_owned() },
    })
}

/// Renames a user.
pub fn rename_user(conn: &Connection, user_id: i64, display_name: &str) -> StoreResult<()> {
    conn.execute("UPDATE users SET display_name = ?1 WHERE id = ?2", params![display_name, user_id])?;
    Ok(())
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
