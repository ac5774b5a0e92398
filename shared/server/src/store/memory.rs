//! The in-memory database of ephemeral rooms: the same tables as the chat part of the disk schema,
//! in a SQLite database that lives in the writer thread's memory and is never written to disk.
//! The disk database is attached read-only as `disk`, so queries that name `users` find the hub's
//! users there; the writer's own disk connection does every write to disk.

use std::ops::Deref;
use std::path::Path;

use hubbub_protocol::Channel;
use rusqlite::Connection;

use super::StoreResult;

/// Ephemeral rooms have slugs that start with this; ordinary slugs never do.
pub const EPHEMERAL_PREFIX: char = '_';

/// Whether a channel lives in memory only.
pub fn is_ephemeral(channel: &Channel) -> bool {
    matches!(channel, Channel::Room(slug) if slug.starts_with(EPHEMERAL_PREFIX))
}

/// Whether a room slug names an ephemeral room.
pub fn is_ephemeral_slug(slug: &str) -> bool {
    slug.starts_with(EPHEMERAL_PREFIX)
}

const SCHEMA: &str = r#"
    CREATE TABLE channels (
        name TEXT PRIMARY KEY, epoch TEXT NOT NULL, last_offset INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL
    );
    CREATE TABLE messages (
        id INTEGER PRIMARY KEY, channel TEXT NOT NULL, "offset" INTEGER NOT NULL, sender_id INTEGER NOT NULL,
        client_message_id TEXT NOT NULL, body TEXT NOT NULL, created_at INTEGER NOT NULL,
        edited_at INTEGER, deleted_at INTEGER, deleted_by INTEGER,
        reply_to INTEGER,
        UNIQUE (channel, "offset"), UNIQUE (channel, sender_id, client_message_id)
    );
    CREATE TABLE events (
        channel TEXT NOT NULL, "offset" INTEGER NOT NULL, kind TEXT NOT NULL, message_id INTEGER NOT NULL,
        actor_id INTEGER NOT NULL, emoji TEXT, added INTEGER, created_at INTEGER NOT NULL,
        PRIMARY KEY (channel, "offset")
    );
    CREATE TABLE reactions (
        message_id INTEGER NOT NULL, emoji TEXT NOT NULL, user_id INTEGER NOT NULL, created_at INTEGER NOT NULL,
        PRIMARY KEY (message_id, emoji, user_id)
    );
    CREATE TABLE read_marks (
        channel TEXT NOT NULL, user_id INTEGER NOT NULL, "offset" INTEGER NOT NULL,
        PRIMARY KEY (channel, user_id)
    );
    CREATE TABLE rooms (
        slug TEXT PRIMARY KEY, name TEXT NOT NULL, topic TEXT NOT NULL DEFAULT '', kind TEXT NOT NULL,
        created_by INTEGER, created_at INTEGER NOT NULL,
        slow_mode_secs INTEGER NOT NULL DEFAULT 0, locked INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE room_members (
        room TEXT NOT NULL, user_id INTEGER NOT NULL, joined_at INTEGER NOT NULL, PRIMARY KEY (room, user_id)
    );
    CREATE TABLE room_invites (
        room TEXT NOT NULL, user_id INTEGER NOT NULL, invited_by INTEGER NOT NULL, created_at INTEGER NOT NULL,
        PRIMARY KEY (room, user_id)
    );
"#;

/// Opens the in-memory database, with the disk database at `disk_path` attached read-only.
pub fn open_memory(disk_path: &Path) -> StoreResult<Connection> {
    let conn = Connection::open_in_memory()?;
    conn.execute_batch(SCHEMA)?;
    conn.execute_batch(super::files::FILES_SCHEMA)?;
    let uri = format!("file:{}?mode=ro", disk_path.display());
    conn.execute("ATTACH DATABASE ?1 AS disk", [uri])?;
    conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

/// What a write job works with: the disk connection (what it derefs to), and the in-memory one for
/// ephemeral rooms.
#[derive(Debug)]
pub struct Db<'a> {
    pub disk: &'a Connection,
    pub memory: &'a Connection,
}

impl Db<'_> {
    /// The connection that holds `channel`'s messages and membership.
    pub fn chat(&self, channel: &Channel) -> &Connection {
        if is_ephemeral(channel) { self.memory } else { self.disk }
    }

    /// The connection that holds the room `slug`.
    pub fn room(&self, slug: &str) -> &Connection {
        if is_ephemeral_slug(slug) { self.memory } else { self.disk }
    }
}

impl Deref for Db<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        self.disk
    }
}
