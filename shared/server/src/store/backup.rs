//! Copies of the database for the operator: a consistent backup taken while the hub runs
//! (`VACUUM INTO` in one read transaction, which never blocks the hub's writer), a restore that
//! puts a backup in place while no hub runs, and a read-only view of the rooms and their
//! messages for an export.

use std::path::{Path, PathBuf};

use hubbub_protocol::ChatMessage;
use rusqlite::{Connection, OpenFlags};
use serde::Serialize;

use super::{StoreError, StoreResult, db_path, lock::DirLock, page};

/// What a backup or a restore holds, checked by opening it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Contents {
    pub users: i64,
    pub rooms: i64,
    pub messages: i64,
}

fn invalid(path: &Path, why: impl std::fmt::Display) -> StoreError {
    StoreError::DataDir {
        path: path.to_owned(),
        source: std::io::Error::new(std::io::ErrorKind::InvalidInput, why.to_string()),
    }
}

/// Opens the database of `data_dir` for reading, beside a hub that may be running on it (the
/// directory's lock is not taken). The file must exist.
fn open_existing(data_dir: &Path) -> StoreResult<Connection> {
    let path = db_path(data_dir);
    if !path.is_file() {
        return Err(invalid(&path, "no hub database here (is --data-dir right?)"));
    }
    // Read-write without create: a reader of a WAL database may need to set up its shared memory.
    let conn = Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_WRITE)?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    Ok(conn)
}

/// Checks that `conn` is a whole hub database and counts what it holds.
fn check(conn: &Connection, path: &Path) -> StoreResult<Contents> {
    let verdict: String = conn.query_row("PRAGMA quick_check", [], |r| r.get(0))?;
    if verdict != "ok" {
        return Err(invalid(path, format!("the database is damaged: {verdict}")));
    }
    let count = |table: &str| -> StoreResult<i64> {
        conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
            .map_err(|_| invalid(path, "not a hub database"))
    };
    Ok(Contents { users: count("users")?, rooms: count("rooms")?, messages: count("messages")? })
}

/// Writes a consistent copy of `data_dir`'s database to `dest` (which must not exist), while a hub
/// may be running and writing: the copy holds everything committed, and so everything
/// acknowledged, before it began. Ephemeral rooms, which live in memory only, are not in it.
pub fn backup(data_dir: &Path, dest: &Path) -> StoreResult<Contents> {
    if dest.exists() {
        return Err(invalid(dest, "already exists; give a new file name"));
    }
    let conn = open_existing(data_dir)?;
    let target = dest.to_str().ok_or_else(|| invalid(dest, "the path is not UTF-8"))?;
    conn.execute("VACUUM INTO ?1", [target])?;
    drop(conn);
    let copy = Connection::open_with_flags(dest, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    check(&copy, dest)
}

/// Puts the backup `from` in place as `data_dir`'s database. Refused while a hub runs there (the
/// directory's lock). The database it replaces is kept beside it as `hubbub.db.before-restore`
/// (replacing an older one of that name); its write-ahead files are removed so SQLite cannot apply
/// them to the restored file.
pub fn restore(data_dir: &Path, from: &Path) -> StoreResult<(Contents, Option<PathBuf>)> {
    let contents = {
        let conn = Connection::open_with_flags(from, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        check(&conn, from)?
    };
    std::fs::create_dir_all(data_dir)
        .map_err(|source| StoreError::DataDir { path: data_dir.to_owned(), source })?;
    let _lock = DirLock::acquire(data_dir)?;
    let db = db_path(data_dir);
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| StoreError::DataDir { path, source }
    };
    let kept = if db.exists() {
        // Open and close it once: a database left with a write-ahead log gets it folded in first.
        drop(Connection::open(&db)?);
        let kept = data_dir.join("hubbub.db.before-restore");
        std::fs::rename(&db, &kept).map_err(io(&db))?;
        Some(kept)
    } else {
        None
    };
    for suffix in ["-wal", "-shm"] {
        let side = data_dir.join(format!("hubbub.db{suffix}"));
        if side.exists() {
            std::fs::remove_file(&side).map_err(io(&side))?;
        }
    }
    let partial = data_dir.join("hubbub.db.restoring");
    std::fs::copy(from, &partial).map_err(io(&partial))?;
    same_owner_as_dir(data_dir, &partial);
    std::fs::rename(&partial, &db).map_err(io(&db))?;
    Ok((contents, kept))
}

/// Gives `file` the owner of `dir`, so a hub running as the directory's user (a service's own user)
/// can write the database root restored. Only root can, and only root needs to.
#[cfg(unix)]
fn same_owner_as_dir(dir: &Path, file: &Path) {
    use std::os::unix::fs::MetadataExt;
    if let Ok(meta) = std::fs::metadata(dir)
        && let Err(e) = std::os::unix::fs::chown(file, Some(meta.uid()), Some(meta.gid()))
    {
        tracing::debug!(error = %e, "restored database keeps its owner");
    }
}

#[cfg(not(unix))]
fn same_owner_as_dir(_dir: &Path, _file: &Path) {}

/// A room as an export writes it.
#[derive(Debug, Clone, Serialize)]
pub struct ExportedRoom {
    pub slug: String,
    pub name: String,
    pub topic: String,
    /// `open` or `invite`.
    pub kind: String,
    pub created_by: Option<i64>,
    /// Unix ms.
    pub created_at: i64,
    pub messages: i64,
}

/// The database of a data directory, opened read-only for an export (beside a running hub).
#[derive(Debug)]
pub struct ExportSource {
    conn: Connection,
}

impl ExportSource {
    pub fn open(data_dir: &Path) -> StoreResult<ExportSource> {
        let conn = open_existing(data_dir)?;
        conn.pragma_update(None, "query_only", "ON")?;
        // Everything read below comes from one snapshot of the database.
        conn.execute_batch("BEGIN")?;
        Ok(ExportSource { conn })
    }

    /// Every persisted room (ephemeral ones live in memory only), the Lobby first.
    pub fn rooms(&self) -> StoreResult<Vec<ExportedRoom>> {
        let mut stmt = self.conn.prepare(
            "SELECT r.slug, r.name, r.topic, r.kind, r.created_by, r.created_at,
                    (SELECT count(*) FROM messages m WHERE m.channel = 'room:' || r.slug)
             FROM rooms r ORDER BY r.slug != 'lobby', r.slug",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(ExportedRoom {
                slug: r.get(0)?,
                name: r.get(1)?,
                topic: r.get(2)?,
                kind: r.get(3)?,
                created_by: r.get(4)?,
                created_at: r.get(5)?,
                messages: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// A channel's messages in offset order, a page at a time: `each` gets every page.
    pub fn messages(&self, channel: &str, mut each: impl FnMut(Vec<ChatMessage>)) -> StoreResult<()> {
        let mut after = 0;
        loop {
            let (list, _) = page(&self.conn, channel, None, Some(after), super::PAGE_LIMIT)?;
            let Some(last) = list.last() else { return Ok(()) };
            after = last.offset;
            each(list);
        }
    }

    /// The connection, for the other kinds of export (party results) to read from the same snapshot.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Store, StoreOptions};

    #[tokio::test]
    async fn a_backup_restores_and_refuses_to_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let store = Store::open(&data, &StoreOptions::default()).unwrap();
        let add_user = |db: &crate::store::Db<'_>| {
            Ok(db.execute_batch("INSERT INTO users (id, display_name, created_at) VALUES (1, 'Ann', 0)")?)
        };
        store.write_wait(add_user).await.unwrap();
        let copy = dir.path().join("copy.db");
        let contents = backup(&data, &copy).unwrap();
        assert_eq!((contents.users, contents.rooms), (1, 1));
        assert!(backup(&data, &copy).is_err(), "an existing file is never overwritten");
        assert!(restore(&data, &copy).is_err(), "refused while the store holds the directory");
        drop(store);
        // As root (a service's restore), the directory belongs to the service's user: so does the
        // restored file. Elsewhere the chown fails and nothing is checked.
        #[cfg(unix)]
        let owner = std::os::unix::fs::chown(&data, Some(4242), Some(4242)).ok().map(|()| 4242);
        // The writer thread lets the directory go once it has closed the database.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        let (restored, kept) = loop {
            match restore(&data, &copy) {
                Err(StoreError::InUse { .. }) if std::time::Instant::now() < deadline => {
                    std::thread::sleep(std::time::Duration::from_millis(5));
                }
                other => break other.unwrap(),
            }
        };
        assert_eq!(restored, contents);
        #[cfg(unix)]
        if let Some(uid) = owner {
            use std::os::unix::fs::MetadataExt;
            assert_eq!(std::fs::metadata(crate::store::db_path(&data)).unwrap().uid(), uid);
        }
        assert!(kept.unwrap().is_file());
        assert!(backup(&dir.path().join("nowhere"), &dir.path().join("x.db")).is_err());
    }
}
