//! Files and photos in chat: one row per upload (`files`), attached to at most one message. The
//! bytes live outside SQLite, content-addressed by SHA-256 (see `crate::files`); a row's `sha256`
//! is its reference to them. Triggers delete the rows of a message that is deleted (or removed by
//! the retention sweep, or with its ephemeral room), and note each SHA-256 that no row refers to
//! any more in `file_orphans`, where the files service finds what to unlink.

use hubbub_protocol::Attachment;
use rusqlite::{Connection, OptionalExtension, params};

use super::StoreResult;

/// The tables and triggers, for the disk schema's migration and the in-memory database alike.
pub const FILES_SCHEMA: &str = r#"
    CREATE TABLE files (
        id           INTEGER PRIMARY KEY,
        channel      TEXT NOT NULL,
        uploader     INTEGER NOT NULL,
        name         TEXT NOT NULL,
        content_type TEXT NOT NULL,
        size         INTEGER NOT NULL,
        sha256       TEXT NOT NULL,
        inline       INTEGER NOT NULL,
        width        INTEGER,
        height       INTEGER,
        thumbnail    INTEGER NOT NULL,
        message_id   INTEGER,
        created_at   INTEGER NOT NULL
    );
    CREATE INDEX files_by_sha ON files (sha256);
    CREATE INDEX files_by_message ON files (message_id) WHERE message_id IS NOT NULL;
    CREATE INDEX files_pending ON files (created_at) WHERE message_id IS NULL;
    CREATE INDEX files_by_uploader ON files (uploader);
    CREATE TABLE file_orphans (sha256 TEXT PRIMARY KEY) WITHOUT ROWID;
    CREATE TRIGGER files_of_deleted_message AFTER UPDATE OF deleted_at ON messages
    WHEN new.deleted_at IS NOT NULL BEGIN
        DELETE FROM files WHERE message_id = new.id;
    END;
    CREATE TRIGGER files_of_removed_message AFTER DELETE ON messages BEGIN
        DELETE FROM files WHERE message_id = old.id;
    END;
    CREATE TRIGGER files_orphaned AFTER DELETE ON files
    WHEN NOT EXISTS (SELECT 1 FROM files WHERE sha256 = old.sha256) BEGIN
        INSERT OR IGNORE INTO file_orphans (sha256) VALUES (old.sha256);
    END;
"#;

/// An upload about to be recorded.
#[derive(Debug, Clone)]
pub struct NewFile {
    pub channel: String,
    pub uploader: i64,
    pub name: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub inline: bool,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub thumbnail: bool,
    pub created_at: i64,
}

/// A stored file: what a message shows of it, who uploaded it, its bytes' hash and its message.
#[derive(Debug, Clone)]
pub struct FileRow {
    pub attachment: Attachment,
    pub uploader: i64,
    pub sha256: String,
    pub message_id: Option<i64>,
}

const SELECT_FILE: &str = "SELECT id, channel, name, content_type, size, inline, width, height, thumbnail,
    uploader, sha256, message_id FROM files";

fn row_to_file(r: &rusqlite::Row<'_>) -> rusqlite::Result<FileRow> {
    Ok(FileRow {
        attachment: Attachment {
            id: r.get(0)?,
            channel: r.get(1)?,
            name: r.get(2)?,
            content_type: r.get(3)?,
            size: r.get(4)?,
            inline: r.get(5)?,
            width: r.get(6)?,
            height: r.get(7)?,
            thumbnail: r.get(8)?,
        },
        uploader: r.get(9)?,
        sha256: r.get(10)?,
        message_id: r.get(11)?,
    })
}

/// Records an upload (not yet attached to a message); returns its id.
pub fn insert_file(db: &Connection, f: &NewFile) -> StoreResult<i64> {
    Ok(db
        .prepare_cached(
            "INSERT INTO files (channel, uploader, name, content_type, size, sha256, inline, width, height,
             thumbnail, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) RETURNING id",
        )?
        .query_row(
            params![
                f.channel,
                f.uploader,
                f.name,
                f.content_type,
                f.size,
                f.sha256,
                f.inline,
                f.width,
                f.height,
                f.thumbnail,
                f.created_at
            ],
            |r| r.get(0),
        )?)
}

/// Removes one upload's row (an upload whose bytes could not be put in place).
pub fn delete_file(db: &Connection, id: i64) -> StoreResult<()> {
    db.prepare_cached("DELETE FROM files WHERE id = ?1")?.execute([id])?;
    Ok(())
}

/// One file of a channel.
pub fn get_file(db: &Connection, channel: &str, id: i64) -> StoreResult<Option<FileRow>> {
    Ok(db
        .prepare_cached(&format!("{SELECT_FILE} WHERE id = ?1 AND channel = ?2"))?
        .query_row(params![id, channel], row_to_file)
        .optional()?)
}

/// Whether every one of `ids` is `uploader`'s own upload to `channel`, not yet attached.
pub fn attachable(db: &Connection, channel: &str, uploader: i64, ids: &[i64]) -> StoreResult<bool> {
    let mut stmt = db.prepare_cached(
        "SELECT 1 FROM files WHERE id = ?1 AND channel = ?2 AND uploader = ?3 AND message_id IS NULL",
    )?;
    for &id in ids {
        if !stmt.exists(params![id, channel, uploader])? {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Attaches uploads to a message (check [`attachable`] first, in the same job).
pub fn attach_files(db: &Connection, message_id: i64, ids: &[i64]) -> StoreResult<()> {
    let mut stmt = db.prepare_cached("UPDATE files SET message_id = ?1 WHERE id = ?2")?;
    for &id in ids {
        stmt.execute(params![message_id, id])?;
    }
    Ok(())
}

/// A message's attachments in the order they were uploaded, or `None` when it has none.
pub fn attachments_of(db: &Connection, message_id: i64) -> StoreResult<Option<Vec<Attachment>>> {
    let list = db
        .prepare_cached(&format!("{SELECT_FILE} WHERE message_id = ?1 ORDER BY id"))?
        .query_map([message_id], row_to_file)?
        .map(|r| r.map(|f| f.attachment))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((!list.is_empty()).then_some(list))
}

/// Bytes of the files `uploader` has stored in this database (attached or waiting to be).
pub fn stored_bytes(db: &Connection, uploader: i64) -> StoreResult<i64> {
    Ok(db
        .prepare_cached("SELECT coalesce(sum(size), 0) FROM files WHERE uploader = ?1")?
        .query_row([uploader], |r| r.get(0))?)
}

/// Deletes uploads never attached to a message that were made before `before`; how many went.
pub fn expire_unattached(db: &Connection, before: i64) -> StoreResult<usize> {
    Ok(db
        .prepare_cached("DELETE FROM files WHERE message_id IS NULL AND created_at < ?1")?
        .execute([before])?)
}

/// Deletes the rows of ephemeral rooms that no longer exist (their unattached uploads; attached
/// ones went with their messages). For the in-memory database.
pub fn forget_ended_rooms(db: &Connection) -> StoreResult<usize> {
    Ok(db
        .prepare_cached(
            "DELETE FROM files WHERE substr(channel, 6) NOT IN (SELECT slug FROM rooms)
             AND channel LIKE 'room:%'",
        )?
        .execute([])?)
}

/// Hashes no row refers to any more, as the triggers noted them (at most `limit`).
pub fn orphans(db: &Connection, limit: usize) -> StoreResult<Vec<String>> {
    Ok(db
        .prepare_cached("SELECT sha256 FROM file_orphans LIMIT ?1")?
        .query_map([limit as i64], |r| r.get(0))?
        .collect::<Result<Vec<_>, _>>()?)
}

/// Takes `sha256` off the orphan list; true when still no row refers to it (its bytes may go).
pub fn release_orphan(db: &Connection, sha256: &str) -> StoreResult<bool> {
    db.prepare_cached("DELETE FROM file_orphans WHERE sha256 = ?1")?.execute([sha256])?;
    is_unreferenced(db, sha256)
}

/// Whether no row refers to these bytes.
pub fn is_unreferenced(db: &Connection, sha256: &str) -> StoreResult<bool> {
    Ok(!db.prepare_cached("SELECT 1 FROM files WHERE sha256 = ?1 LIMIT 1")?.exists([sha256])?)
}

/// Every stored file, oldest first, for `hubbub export`.
pub fn all_files(db: &Connection) -> StoreResult<Vec<FileRow>> {
    Ok(db
        .prepare_cached(&format!("{SELECT_FILE} ORDER BY id"))?
        .query_map([], row_to_file)?
        .collect::<Result<Vec<_>, _>>()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db() -> Connection {
        let db = Connection::open_in_memory().unwrap();
        db.execute_batch(
            "CREATE TABLE messages (id INTEGER PRIMARY KEY, deleted_at INTEGER);
             CREATE TABLE rooms (slug TEXT PRIMARY KEY);",
        )
        .unwrap();
        db.execute_batch(FILES_SCHEMA).unwrap();
        db
    }

    fn new_file(sha: &str, uploader: i64) -> NewFile {
        NewFile {
            channel: "room:lobby".into(),
            uploader,
            name: "a.txt".into(),
            content_type: "text/plain".into(),
            size: 10,
            sha256: sha.into(),
            inline: false,
            width: None,
            height: None,
            thumbnail: false,
            created_at: 100,
        }
    }

    #[test]
    fn bytes_are_orphaned_only_when_the_last_reference_goes() {
        let db = db();
        db.execute_batch("INSERT INTO messages (id) VALUES (1), (2)").unwrap();
        let a = insert_file(&db, &new_file("s1", 7)).unwrap();
        let b = insert_file(&db, &new_file("s1", 8)).unwrap();
        assert!(attachable(&db, "room:lobby", 7, &[a]).unwrap());
        assert!(!attachable(&db, "room:lobby", 7, &[b]).unwrap(), "another user's upload");
        assert!(!attachable(&db, "room:other", 7, &[a]).unwrap(), "another channel");
        attach_files(&db, 1, &[a]).unwrap();
        attach_files(&db, 2, &[b]).unwrap();
        assert!(!attachable(&db, "room:lobby", 7, &[a]).unwrap(), "already attached");
        assert_eq!(attachments_of(&db, 1).unwrap().unwrap()[0].id, a);
        assert_eq!(stored_bytes(&db, 7).unwrap(), 10);
        db.execute("UPDATE messages SET deleted_at = 5 WHERE id = 1", []).unwrap();
        assert!(attachments_of(&db, 1).unwrap().is_none());
        assert!(orphans(&db, 10).unwrap().is_empty(), "message 2 still holds the bytes");
        db.execute("DELETE FROM messages WHERE id = 2", []).unwrap();
        assert_eq!(orphans(&db, 10).unwrap(), vec!["s1".to_owned()]);
        assert!(release_orphan(&db, "s1").unwrap());
        assert!(orphans(&db, 10).unwrap().is_empty());
    }

    #[test]
    fn unattached_uploads_expire() {
        let db = db();
        insert_file(&db, &new_file("s2", 7)).unwrap();
        assert_eq!(expire_unattached(&db, 100).unwrap(), 0);
        assert_eq!(expire_unattached(&db, 101).unwrap(), 1);
        assert_eq!(orphans(&db, 10).unwrap(), vec!["s2".to_owned()]);
    }
}
