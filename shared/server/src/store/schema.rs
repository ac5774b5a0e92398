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
    // 3: rooms and their members, direct conversations, the event log (edits, deletes, reactions),
    // read marks, and full-text search.
    r#"
    CREATE TABLE rooms (
        slug       TEXT PRIMARY KEY,
        name       TEXT NOT NULL,
        topic      TEXT NOT NULL DEFAULT '',
        kind       TEXT NOT NULL,
        created_by INTEGER REFERENCES users(id),
        created_at INTEGER NOT NULL
    ) STRICT;
    CREATE TABLE room_members (
        room      TEXT NOT NULL REFERENCES rooms(slug),
        user_id   INTEGER NOT NULL REFERENCES users(id),
        joined_at INTEGER NOT NULL,
        PRIMARY KEY (room, user_id)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX room_members_by_user ON room_members (user_id);
    CREATE TABLE room_invites (
        room       TEXT NOT NULL REFERENCES rooms(slug),
        user_id    INTEGER NOT NULL REFERENCES users(id),
        invited_by INTEGER NOT NULL REFERENCES users(id),
        created_at INTEGER NOT NULL,
        PRIMARY KEY (room, user_id)
    ) STRICT, WITHOUT ROWID;
    INSERT INTO rooms (slug, name, topic, kind, created_at) VALUES ('lobby', 'Lobby', 'Everyone on this hub', 'open', 0);
    INSERT INTO room_members (room, user_id, joined_at) SELECT 'lobby', id, created_at FROM users;
    CREATE TABLE dms (
        id           INTEGER PRIMARY KEY,
        user_a       INTEGER NOT NULL REFERENCES users(id),
        user_b       INTEGER NOT NULL REFERENCES users(id),
        initiated_by INTEGER NOT NULL REFERENCES users(id),
        state        TEXT NOT NULL,
        created_at   INTEGER NOT NULL,
        UNIQUE (user_a, user_b),
        CHECK (user_a < user_b)
    ) STRICT;
    ALTER TABLE messages ADD COLUMN edited_at INTEGER;
    ALTER TABLE messages ADD COLUMN deleted_at INTEGER;
    CREATE TABLE events (
        channel    TEXT NOT NULL,
        "offset"   INTEGER NOT NULL,
        kind       TEXT NOT NULL,
        message_id INTEGER NOT NULL,
        actor_id   INTEGER NOT NULL,
        emoji      TEXT,
        added      INTEGER,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (channel, "offset")
    ) STRICT, WITHOUT ROWID;
    INSERT INTO events (channel, "offset", kind, message_id, actor_id, created_at)
        SELECT channel, "offset", 'message', id, sender_id, created_at FROM messages;
    CREATE TABLE reactions (
        message_id INTEGER NOT NULL REFERENCES messages(id),
        emoji      TEXT NOT NULL,
        user_id    INTEGER NOT NULL REFERENCES users(id),
        created_at INTEGER NOT NULL,
        PRIMARY KEY (message_id, emoji, user_id)
    ) STRICT, WITHOUT ROWID;
    CREATE TABLE read_marks (
        channel  TEXT NOT NULL,
        user_id  INTEGER NOT NULL REFERENCES users(id),
        "offset" INTEGER NOT NULL,
        PRIMARY KEY (channel, user_id)
    ) STRICT, WITHOUT ROWID;
    CREATE VIRTUAL TABLE messages_fts USING fts5(
        body, content = 'messages', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 2'
    );
    INSERT INTO messages_fts (rowid, body) SELECT id, body FROM messages;
    CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
        INSERT INTO messages_fts (rowid, body) VALUES (new.id, new.body);
    END;
    CREATE TRIGGER messages_fts_update AFTER UPDATE OF body ON messages BEGIN
        INSERT INTO messages_fts (messages_fts, rowid, body) VALUES ('delete', old.id, old.body);
        INSERT INTO messages_fts (rowid, body) VALUES (new.id, new.body);
    END;
    "#,
    // 4: the status a user chose (away, busy) and their status line, kept across reconnects.
    r#"
    ALTER TABLE users ADD COLUMN status TEXT;
    ALTER TABLE users ADD COLUMN status_text TEXT;
    "#,
    // 5: party sessions (the engine's whole state as JSON, rewritten after every change) and quiz packs.
    r#"
    CREATE TABLE parties (
        code       TEXT PRIMARY KEY,
        state      TEXT NOT NULL,
        finished   INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
    ) STRICT;
    CREATE TABLE quiz_packs (
        id         INTEGER PRIMARY KEY,
        title      TEXT NOT NULL,
        body       TEXT NOT NULL,
        created_by INTEGER NOT NULL REFERENCES users(id),
        created_at INTEGER NOT NULL
    ) STRICT;
    "#,
    // 6: new messages enter the full-text index once per write batch (`index_new_messages`), not
    // one by one: FTS5 writes its pending terms to disk at every savepoint, and each write job has
    // one. `fts_position` is the newest message id in the index; an edit re-indexes only a message
    // already indexed (a newer one is indexed with its edited body at the end of the batch).
    r#"
    DROP TRIGGER messages_fts_insert;
    DROP TRIGGER messages_fts_update;
    CREATE TABLE fts_position (
        id      INTEGER PRIMARY KEY CHECK (id = 1),
        last_id INTEGER NOT NULL
    ) STRICT;
    INSERT INTO fts_position (id, last_id) VALUES (1, (SELECT coalesce(max(id), 0) FROM messages));
    CREATE TRIGGER messages_fts_update AFTER UPDATE OF body ON messages
    WHEN old.id <= (SELECT last_id FROM fts_position) BEGIN
        INSERT INTO messages_fts (messages_fts, rowid, body) VALUES ('delete', old.id, old.body);
        INSERT INTO messages_fts (rowid, body) VALUES (new.id, new.body);
    END;
    "#,
    // 7: a new message is its own event (its row in `messages` has the offset); the event log keeps
    // edits, deletes and reactions only, one B-tree fewer to write per message.
    r#"
    DELETE FROM events WHERE kind = 'message';
    "#,
    // 8: the keys that make a display name one user's own (`crate::names::name_keys`: case-folded
    // and confusable skeletons). A key belongs to at most one user; the table is filled from the
    // users by `users::sync_name_keys` when the hub opens the database, oldest user first, so names
    // that already collide keep working (the later ones hold no key until they are renamed).
    r#"
    CREATE TABLE name_keys (
        key     TEXT PRIMARY KEY,
        user_id INTEGER NOT NULL REFERENCES users(id)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX name_keys_by_user ON name_keys (user_id);
    "#,
    // 9: roles and moderation. A user's role; the device and address a session was made from (so a
    // ban can refuse the same browser under a new name); who deleted a message when it was not its
    // author; rooms' slow mode and lock; bans (and the device hashes they refuse), mutes,
    // announcements, the audit log, and the host links already used.
    r#"
    ALTER TABLE users ADD COLUMN role TEXT NOT NULL DEFAULT 'guest';
    ALTER TABLE users ADD COLUMN banned INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE sessions ADD COLUMN device_hash BLOB;
    ALTER TABLE sessions ADD COLUMN address TEXT;
    ALTER TABLE messages ADD COLUMN deleted_by INTEGER;
    ALTER TABLE rooms ADD COLUMN slow_mode_secs INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE rooms ADD COLUMN locked INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX users_by_role ON users (role) WHERE role != 'guest';
    CREATE TABLE bans (
        id            INTEGER PRIMARY KEY,
        user_id       INTEGER NOT NULL REFERENCES users(id),
        reason        TEXT,
        address       TEXT,
        address_until INTEGER,
        by_user       INTEGER,
        created_at    INTEGER NOT NULL
    ) STRICT;
    CREATE TABLE ban_devices (
        hash   BLOB PRIMARY KEY,
        ban_id INTEGER NOT NULL REFERENCES bans(id)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX ban_devices_by_ban ON ban_devices (ban_id);
    CREATE TABLE mutes (
        user_id INTEGER NOT NULL REFERENCES users(id),
        channel TEXT NOT NULL,
        until   INTEGER NOT NULL,
        PRIMARY KEY (user_id, channel)
    ) STRICT, WITHOUT ROWID;
    CREATE TABLE announcements (
        id         INTEGER PRIMARY KEY,
        channel    TEXT,
        text       TEXT NOT NULL,
        by_user    INTEGER,
        created_at INTEGER NOT NULL,
        cleared_at INTEGER
    ) STRICT;
    CREATE TABLE audit_log (
        id      INTEGER PRIMARY KEY,
        at      INTEGER NOT NULL,
        actor   INTEGER,
        action  TEXT NOT NULL,
        target  INTEGER,
        channel TEXT,
        detail  TEXT NOT NULL DEFAULT ''
    ) STRICT;
    CREATE TABLE host_links_used (
        nonce   BLOB PRIMARY KEY,
        used_at INTEGER NOT NULL
    ) STRICT, WITHOUT ROWID;
    "#,
    // 10: the results of every finished party game (the `PartyResults` JSON), kept after the party
    // expires and its code is used again, for `hubbub export`. One row per game: a party's code and
    // the time its game started.
    r#"
    CREATE TABLE party_results (
        id          INTEGER PRIMARY KEY,
        code        TEXT NOT NULL,
        started_at  INTEGER NOT NULL,
        finished_at INTEGER NOT NULL,
        host_id     INTEGER NOT NULL,
        body        TEXT NOT NULL,
        UNIQUE (code, started_at)
    ) STRICT;
    "#,
    // 11: places of a venue (tables, rooms), each with the random key its QR code carries, and who
    // checked in where: one row per place and user,
    // the latest check-in (a new scan moves it), deleted once older than the chat window.
    r#"
    CREATE TABLE places (
        id         INTEGER PRIMARY KEY,
        name       TEXT NOT NULL,
        name_key   TEXT NOT NULL UNIQUE,
        key        TEXT NOT NULL,
        created_by INTEGER,
        created_at INTEGER NOT NULL
    ) STRICT;
    CREATE TABLE check_ins (
        place_id INTEGER NOT NULL,
        user_id  INTEGER NOT NULL,
        at       INTEGER NOT NULL,
        PRIMARY KEY (place_id, user_id)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX check_ins_by_user ON check_ins (user_id, at);
    CREATE INDEX check_ins_by_time ON check_ins (at);
    "#,
    // 12: files and photos in chat (`store::files::FILES_SCHEMA`: the uploads, and the triggers that
    // drop a deleted message's files and note the bytes nothing refers to any more).
    super::files::FILES_SCHEMA,
    // 13: replies: the id of the message (in the same channel) a message answers.
    r#"
    ALTER TABLE messages ADD COLUMN reply_to INTEGER;
    "#,
];

/// Brings the database up to the newest schema. A database from a newer hub is refused.
pub(super) fn migrate(conn: &mut Connection) -> StoreResult<()> {
    migrate_to(conn, MIGRATIONS.len())
}

/// Applies the migrations up to `version` (tests use it to build an older database).
pub(super) fn migrate_to(conn: &mut Connection, version: usize) -> StoreResult<()> {
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
    for (i, sql) in MIGRATIONS.iter().enumerate().take(version).skip(current) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", i64::try_from(i + 1).unwrap_or(i64::MAX))?;
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
        let v: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0)).unwrap();
        assert_eq!(v as usize, MIGRATIONS.len());
    }

    #[test]
    fn refuses_a_newer_schema() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "user_version", MIGRATIONS.len() as i64 + 1).unwrap();
        let err = migrate(&mut conn).unwrap_err().to_string();
        assert!(err.contains("newer"), "{err}");
    }
}
