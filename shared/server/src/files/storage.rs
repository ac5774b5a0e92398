//! Where file bytes live and how they get there: under the data directory's `files/`, each file
//! named by its SHA-256 (`blobs/`, with `thumbs/` beside it), for disk channels and, in
//! `ephemeral/`, for ephemeral rooms (emptied at every start, like the in-memory database). An
//! upload streams into `tmp/` while it is hashed, is synced, and only then renamed into place: a
//! partial file is never under a name anything serves.

use std::io;
use std::path::{Path, PathBuf};

use axum::body::Bytes;
use futures_util::{Stream, StreamExt};
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use super::kinds::HEAD_BYTES;

/// The directories of one kind of channel's files.
#[derive(Debug, Clone)]
pub struct Area {
    pub blobs: PathBuf,
    pub thumbs: PathBuf,
}

impl Area {
    fn new(root: &Path) -> Area {
        Area { blobs: root.join("blobs"), thumbs: root.join("thumbs") }
    }

    pub fn blob(&self, sha256: &str) -> PathBuf {
        self.blobs.join(sha256)
    }

    pub fn thumb(&self, sha256: &str) -> PathBuf {
        self.thumbs.join(format!("{sha256}.jpg"))
    }

    /// Removes a file's bytes and thumbnail (either may already be gone).
    pub async fn remove(&self, sha256: &str) {
        for path in [self.blob(sha256), self.thumb(sha256)] {
            if let Err(e) = tokio::fs::remove_file(&path).await
                && e.kind() != io::ErrorKind::NotFound
            {
                tracing::warn!(error = %e, path = %path.display(), "could not remove a file no message refers to");
            }
        }
    }
}

/// The `files/` tree of a data directory.
#[derive(Debug, Clone)]
pub struct Layout {
    pub root: PathBuf,
    pub tmp: PathBuf,
    pub disk: Area,
    pub ephemeral: Area,
}

impl Layout {
    pub fn new(data_dir: &Path) -> Layout {
        let root = data_dir.join("files");
        Layout {
            tmp: root.join("tmp"),
            disk: Area::new(&root),
            ephemeral: Area::new(&root.join("ephemeral")),
            root,
        }
    }

    /// Makes the directories, dropping what an earlier run left in `tmp/` (unfinished uploads)
    /// and `ephemeral/` (its rooms ended with it).
    pub fn prepare(&self) -> io::Result<()> {
        for stale in [&self.tmp, &self.root.join("ephemeral")] {
            match std::fs::remove_dir_all(stale) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
                _ => {}
            }
        }
        for dir in
            [&self.tmp, &self.disk.blobs, &self.disk.thumbs, &self.ephemeral.blobs, &self.ephemeral.thumbs]
        {
            std::fs::create_dir_all(dir)?;
        }
        Ok(())
    }

    /// Bytes free for unprivileged users on the disk that holds the files.
    pub fn free_bytes(&self) -> io::Result<u64> {
        let stat = rustix::fs::statvfs(&self.root)?;
        Ok(stat.f_bavail.saturating_mul(stat.f_frsize))
    }
}

/// A file in `tmp/` that is removed when dropped, unless it was renamed into place.
#[derive(Debug)]
pub struct TempFile {
    path: Option<PathBuf>,
}

impl TempFile {
    pub fn new(tmp: &Path) -> TempFile {
        let name: String = rand::random::<[u8; 12]>().iter().map(|b| format!("{b:02x}")).collect();
        TempFile { path: Some(tmp.join(format!("{name}.part"))) }
    }

    pub fn path(&self) -> &Path {
        self.path.as_deref().unwrap_or(Path::new(""))
    }

    /// Moves the file to `to` (unless a file is already there: the same bytes, by their name) and
    /// syncs the directory, so the name survives a crash.
    pub async fn persist(mut self, to: &Path) -> io::Result<()> {
        let Some(from) = self.path.take() else { return Ok(()) };
        if tokio::fs::try_exists(to).await? {
            let _ = tokio::fs::remove_file(&from).await;
            return Ok(());
        }
        tokio::fs::rename(&from, to).await?;
        let dir = to.parent().map(Path::to_owned).unwrap_or_default();
        tokio::task::spawn_blocking(move || std::fs::File::open(dir)?.sync_all())
            .await
            .map_err(io::Error::other)?
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if let Some(path) = self.path.take() {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// An upload that sends nothing for this long is given up (so a stalled client does not hold one
/// of the few upload slots for ever); the client starts it again.
pub const BODY_IDLE: std::time::Duration = std::time::Duration::from_secs(60);

/// What came in: its length, its SHA-256 (hex) and its first bytes, for sniffing.
#[derive(Debug)]
pub struct Received {
    pub size: u64,
    pub sha256: String,
    pub head: Vec<u8>,
}

/// Why a body did not arrive whole.
#[derive(Debug)]
pub enum ReceiveError {
    /// More than `max` bytes.
    TooLarge,
    /// The client went away or broke off the body.
    Interrupted(String),
    /// Writing to disk failed.
    Io(io::Error),
}

/// Streams `body` into `file`, hashing it, refusing more than `max` bytes and a body silent for
/// [`BODY_IDLE`]; then syncs it. Holds one chunk in memory at a time.
pub async fn receive<S, E>(mut body: S, file: &TempFile, max: u64) -> Result<Received, ReceiveError>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let mut out = tokio::fs::File::create(file.path()).await.map_err(ReceiveError::Io)?;
    let mut hasher = Sha256::new();
    let mut size: u64 = 0;
    let mut head = Vec::new();
    loop {
        let next = tokio::time::timeout(BODY_IDLE, body.next()).await.map_err(|_| {
            ReceiveError::Interrupted(format!("nothing received for {} s", BODY_IDLE.as_secs()))
        })?;
        let Some(chunk) = next else { break };
        let chunk = chunk.map_err(|e| ReceiveError::Interrupted(e.to_string()))?;
        size += chunk.len() as u64;
        if size > max {
            return Err(ReceiveError::TooLarge);
        }
        if head.len() < HEAD_BYTES {
            let take = (HEAD_BYTES - head.len()).min(chunk.len());
            head.extend_from_slice(&chunk[..take]);
        }
        hasher.update(&chunk);
        out.write_all(&chunk).await.map_err(ReceiveError::Io)?;
    }
    out.flush().await.map_err(ReceiveError::Io)?;
    out.sync_all().await.map_err(ReceiveError::Io)?;
    let sha256 = hasher.finalize().iter().map(|b| format!("{b:02x}")).collect();
    Ok(Received { size, sha256, head })
}
