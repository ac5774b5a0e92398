//! Versioned migrations, applied in order and recorded in `PRAGMA user_version`.

use rusqlite::Connection;

use super::StoreResult;

/// Each entry moves the schema from version `i` to `i + 1`. Append only; never edit a shipped step.
const MIGRATIONS: &[&str] = &[
    // 1: users, sessions, hub metadata, channels with offsets and epochs, chat messages.
    r#"
    CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value BLOB NOT NULL
    ) STRICT;
    CREATE TABLE users (
        id           INTEGER PRIMARY KEY,
        display_name TEXT NOT NULL,
        created_at   INTEGER NOT NULL
    ) STRICT;
    CREATE TABLE sessions (
        id           INTEGER PRIMARY KEY,
        user_id      INTEGER NOT NULL REFERENCES users(id),
        secret_hash  BLOB NOT NULL UNIQUE,
        created_at   INTEGER NOT NULL,
        last_seen_at INTEGER NOT NULL
    ) STRICT;
    CREATE TABLE channels (
        name        TEXT PRIMARY KEY,
        epoch       TEXT NOT NULL,
        last_offset INTEGER NOT NULL DEFAULT 0,
        created_at  INTEGER NOT NULL
    ) STRICT;
    CREATE TABLE messages (
        id                INTEGER PRIMARY KEY,
        channel           TEXT NOT NULL REFERENCES channels(name),
        "offset"          INTEGER NOT NULL,
        sender_id         INTEGER NOT NULL REFERENCES users(id),
        client_message_id TEXT NOT NULL,
        body              TEXT NOT NULL,
        created_at        INTEGER NOT NULL,
        UNIQUE (channel, "offset"),
        UNIQUE (channel, sender_id, client_message_id)
    ) STRICT;
    "#,
    // 2: the notification inbox.
    r#"
    CREATE TABLE notifications (
        id           INTEGER PRIMARY KEY,
        user_id      INTEGER NOT NULL REFERENCES users(id),
        kind         TEXT NOT NULL,
        from_user_id INTEGER REFERENCES users(id),
        text         TEXT NOT NULL,
        channel      TEXT,
        join_url     TEXT,
        created_at   INTEGER NOT NULL,
        read_at      INTEGER
    ) STRICT;
    CREATE INDEX notifications_by_user ON notifications (user_id, id);
    CREATE INDEX notifications_unread ON notifications (user_id) WHERE read_at IS NULL;
    "#,
];

/// Brings the database up to the newest schema. A database from a newer hub is refused.
pub(super) fn migrate(conn: &mut Connection) -> StoreResult<()> {
    let current: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    let current = usize::try_from(current).unwrap_or(0);
    if current > MIGRATIONS.len() {
        return Err(rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_MISMATCH),
            Some(format!(
                "database schema version {current} is newer than this hub knows ({}); upgrade hubbub",
                MIGRATIONS.len()
            )),
        )
        .into());
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(current) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(
            None,
            "user_version",
            i64::try_from(i + 1).unwrap_or(i64::MAX),
        )?;
        tx.commit()?;
        tracing::info!(version = i + 1, "database migrated");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_apply_once_and_are_idempotent() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn).unwrap();
        migrate(&mut conn).unwrap();
        let v: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(v as usize, MIGRATIONS.len());
    }

    #[test]
    fn refuses_a_newer_schema() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "user_version", MIGRATIONS.len() as i64 + 1)
            .unwrap();
        let err = migrate(&mut conn).unwrap_err().to_string();
        assert!(err.contains("newer"), "{err}");
    }
}
