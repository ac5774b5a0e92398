//! The files service (`Files`): files and photos in rooms and conversations. An upload is checked
//! (the channel's write access, the uploader's budgets, the size cap, the quota, the disk's free
//! space), streamed to disk while hashed, given a thumbnail when it is a photo, and recorded as the
//! uploader's unattached file in its channel; a message then attaches it (`Chat::send`). Readers of
//! the channel may fetch it. The bytes are content-addressed (`storage.rs`): identical files are
//! stored once, and the sweep here unlinks bytes once no row refers to them (the store's triggers
//! note those), expires uploads never attached, and forgets the uploads of ended ephemeral rooms.

mod kinds;
mod slots;
mod storage;
mod thumbs;

#[cfg(test)]
mod tests;

pub use kinds::{MAX_NAME_BYTES, disposition};
pub use storage::Area;

use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use futures_util::Stream;
use hubbub_protocol::{Attachment, Channel, ErrorCode};

use crate::chat::{can_read, can_write, chat_channel};
use crate::config::CREATE_WINDOW;
use crate::core::Core;
use crate::error::Refusal;
use crate::ratelimit::Budget;
use crate::store::{
    FileRow, NewFile, StoreResult, delete_file, expire_unattached, forget_ended_rooms, get_file, insert_file,
    is_ephemeral, is_unreferenced, orphans, release_orphan, stored_bytes,
};
use crate::time::now_ms;
use storage::{Layout, ReceiveError, TempFile};

/// How long an upload may wait for a message to attach it before it is deleted.
pub const UNATTACHED_TTL: Duration = Duration::from_secs(60 * 60);
/// Uploads in flight on the whole hub.
const MAX_UPLOADS: usize = 64;
/// Orphaned hashes handled per sweep and database.
const SWEEP_BATCH: usize = 200;

const MIB: u64 = 1024 * 1024;

/// Handle to the files service. Clones share everything.
#[derive(Clone)]
pub struct Files {
    inner: Arc<Inner>,
}

struct Inner {
    core: Core,
    layout: Layout,
    /// Uploads started, per user and per address.
    uploads: Budget,
    /// Uploads in flight, per user, per address and hub-wide.
    slots: Arc<slots::Slots>,
    /// Held while bytes are put in place and their row recorded, and while unreferenced bytes are
    /// unlinked: an upload of the same bytes never loses them to the sweep.
    blobs: tokio::sync::Mutex<()>,
    /// One image decoded at a time.
    decoding: tokio::sync::Semaphore,
}

/// A file to serve: its row and where its bytes (or its thumbnail) are.
#[derive(Debug)]
pub struct Located {
    pub file: Attachment,
    pub path: PathBuf,
}

/// An upload as the front door hands it over.
#[derive(Debug)]
pub struct Upload<'a> {
    pub user: i64,
    pub address: Option<IpAddr>,
    pub channel: &'a str,
    pub name: &'a str,
    /// The `Content-Type` the client sent, a fallback when the bytes say nothing.
    pub claimed_type: Option<&'a str>,
    /// The `Content-Length`, when the client sent one.
    pub length: Option<u64>,
}

impl Files {
    /// The service over `core`, with its directories made and what an earlier run left half done
    /// removed.
    pub fn open(core: Core) -> std::io::Result<Files> {
        let layout = Layout::new(&core.config().data_dir);
        layout.prepare()?;
        let c = core.config();
        let uploads = Budget::per_user(c.upload_rate, CREATE_WINDOW)
            .and_per_address(c.upload_rate_per_address, CREATE_WINDOW);
        let slots =
            Arc::new(slots::Slots::new(c.upload_concurrent, c.upload_concurrent_per_address, MAX_UPLOADS));
        Ok(Files {
            inner: Arc::new(Inner {
                core,
                layout,
                uploads,
                slots,
                blobs: tokio::sync::Mutex::new(()),
                decoding: tokio::sync::Semaphore::new(1),
            }),
        })
    }

    fn core(&self) -> &Core {
        &self.inner.core
    }

    fn area(&self, channel: &Channel) -> &Area {
        if is_ephemeral(channel) { &self.inner.layout.ephemeral } else { &self.inner.layout.disk }
    }

    fn max_bytes(&self) -> u64 {
        self.core().config().file_max_mb.saturating_mul(MIB)
    }

    /// Receives one upload to a channel the user may write to, and records it as theirs, waiting
    /// for a message to attach it. Nothing of an upload that fails (or is broken off) remains.
    pub async fn upload<S, E>(&self, up: Upload<'_>, body: S) -> Result<Attachment, Refusal>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let channel = chat_channel(up.channel)?;
        let max = self.max_bytes();
        let _slot = self.admit(&up, &channel, max).await?;
        let temp = TempFile::new(&self.inner.layout.tmp);
        let received = storage::receive(body, &temp, max).await.map_err(|e| match e {
            ReceiveError::TooLarge => too_large(max),
            ReceiveError::Interrupted(why) => {
                tracing::debug!(why, "an upload was broken off");
                Refusal::new(ErrorCode::InvalidFrame, "the upload was broken off before its end")
            }
            ReceiveError::Io(e) => Refusal::internal("could not store an upload", &e),
        })?;
        self.check_disk(0)?;
        let kind = kinds::sniff(&received.head, up.claimed_type, up.name);
        let area = self.area(&channel).clone();
        let thumb = TempFile::new(&self.inner.layout.tmp);
        let made = if kind.thumbnail { self.thumbnail(&temp, &thumb).await? } else { None };
        let new = NewFile {
            channel: channel.to_string(),
            uploader: up.user,
            name: kinds::clean_name(up.name),
            content_type: kind.content_type,
            size: i64::try_from(received.size).unwrap_or(i64::MAX),
            sha256: received.sha256.clone(),
            inline: kind.inline,
            width: made.map(|m| m.width),
            height: made.map(|m| m.height),
            thumbnail: made.is_some(),
            created_at: now_ms(),
        };
        // Recorded, then put in place, under the lock the sweep takes to unlink: bytes a row
        // refers to are never unlinked, and bytes no row refers to never stay.
        let _blobs = self.inner.blobs.lock().await;
        let id = self.record(&channel, new.clone()).await?;
        let placed = match temp.persist(&area.blob(&new.sha256)).await {
            Ok(()) if made.is_some() => thumb.persist(&area.thumb(&new.sha256)).await,
            other => other,
        };
        if let Err(e) = placed {
            let memory = is_ephemeral(&channel);
            let _ = self.core().store().write_wait(move |dbs| delete_file(db_of(dbs, memory), id)).await;
            return Err(Refusal::internal("could not put an upload in place", &e));
        }
        self.core().metrics().uploaded(received.size);
        Ok(Attachment {
            id,
            channel: new.channel,
            name: new.name,
            size: new.size,
            content_type: new.content_type,
            inline: new.inline,
            width: new.width,
            height: new.height,
            thumbnail: new.thumbnail,
        })
    }

    /// The checks before any byte is read: the size announced, the user's rights in the channel,
    /// a place among the uploads in flight, the upload budget, the quota and the disk's free space.
    async fn admit(&self, up: &Upload<'_>, channel: &Channel, max: u64) -> Result<slots::Slot, Refusal> {
        if up.length.is_some_and(|n| n > max) {
            return Err(too_large(max));
        }
        self.core().policy().may_write(up.user, up.channel, now_ms())?;
        let (user, check_channel) = (up.user, channel.clone());
        self.core().store().read_channel(channel, move |db| can_write(db, &check_channel, user)).await??;
        // The place first: a refusal for want of one costs nothing of the budget.
        let slot = slots::Slots::take(&self.inner.slots, user, up.address).ok_or_else(|| {
            Refusal::rate_limited("too many uploads at once; wait for one to finish", Duration::from_secs(1))
        })?;
        if let Err(wait) = self.inner.uploads.check(user, up.address, Instant::now()) {
            return Err(Refusal::rate_limited("too many uploads; wait a little", wait));
        }
        let expected = up.length.unwrap_or(max);
        self.check_quota(user, expected).await?;
        self.check_disk(expected)?;
        Ok(slot)
    }

    /// Decodes the photo in `source` (one at a time, on a blocking thread) and writes its thumbnail
    /// to `out`; `None` when it cannot be decoded within the limits.
    async fn thumbnail(&self, source: &TempFile, out: &TempFile) -> Result<Option<thumbs::Made>, Refusal> {
        let _permit = self.inner.decoding.acquire().await.map_err(|_| Refusal::shutting_down())?;
        let (source, out) = (source.path().to_owned(), out.path().to_owned());
        tokio::task::spawn_blocking(move || thumbs::make(&source, &out))
            .await
            .map_err(|e| Refusal::internal("a thumbnail task failed", &e))
    }

    /// Records an upload, checking again (in the writer, so two uploads cannot both pass) that the
    /// user may write to the channel and has room in their quota.
    async fn record(&self, channel: &Channel, new: NewFile) -> Result<i64, Refusal> {
        let quota = self.core().config().file_quota_mb.saturating_mul(MIB);
        let channel = channel.clone();
        self.core()
            .store()
            .write_wait(move |dbs| {
                let db = dbs.chat(&channel);
                if let Err(refusal) = can_write(db, &channel, new.uploader)? {
                    return Ok(Err(refusal));
                }
                let used = stored_bytes(dbs.disk, new.uploader)? + stored_bytes(dbs.memory, new.uploader)?;
                if quota > 0 && u64::try_from(used + new.size).unwrap_or(u64::MAX) > quota {
                    return Ok(Err(over_quota(quota)));
                }
                Ok(Ok(insert_file(db, &new)?))
            })
            .await?
    }

    /// Refuses an upload of `expected` bytes that would take the user past their quota.
    async fn check_quota(&self, user: i64, expected: u64) -> Result<(), Refusal> {
        let quota = self.core().config().file_quota_mb.saturating_mul(MIB);
        if quota == 0 {
            return Ok(());
        }
        let used: i64 = self.core().store().read_all(move |db| stored_bytes(db, user)).await?.iter().sum();
        if u64::try_from(used).unwrap_or(0).saturating_add(expected) > quota {
            return Err(over_quota(quota));
        }
        Ok(())
    }

    /// Refuses to take `incoming` more bytes when the disk would keep less than `file_min_free_mb`.
    fn check_disk(&self, incoming: u64) -> Result<(), Refusal> {
        let keep = self.core().config().file_min_free_mb.saturating_mul(MIB);
        let free = self
            .inner
            .layout
            .free_bytes()
            .map_err(|e| Refusal::internal("cannot read free disk space", &e))?;
        if free.saturating_sub(incoming) < keep {
            return Err(Refusal::new(
                ErrorCode::StorageFull,
                "the hub's disk is too full to take this file; ask the host to make room",
            ));
        }
        Ok(())
    }

    /// A file of `channel` that `user` may fetch (its bytes, or its thumbnail): readers of the
    /// channel may fetch an attached file, only its uploader one not yet attached.
    pub async fn locate(
        &self,
        user: i64,
        channel: &str,
        id: i64,
        thumbnail: bool,
    ) -> Result<Located, Refusal> {
        let channel = chat_channel(channel)?;
        let (name, read_channel) = (channel.to_string(), channel.clone());
        let row: Option<FileRow> = self
            .core()
            .store()
            .read_channel(&channel, move |db| {
                if let Err(refusal) = can_read(db, &read_channel, user)? {
                    return Ok(Err(refusal));
                }
                Ok(Ok(get_file(db, &name, id)?))
            })
            .await??;
        let row = row
            .filter(|f| f.message_id.is_some() || f.uploader == user)
            .filter(|f| !thumbnail || f.attachment.thumbnail)
            .ok_or_else(|| Refusal::new(ErrorCode::NoSuchFile, "no such file in this channel"))?;
        let area = self.area(&channel);
        let path = if thumbnail { area.thumb(&row.sha256) } else { area.blob(&row.sha256) };
        Ok(Located { file: row.attachment, path })
    }

    /// Unlinks the bytes no row refers to any more (as the store's triggers noted them); every
    /// `full` sweep also expires uploads never attached and forgets those of ended ephemeral rooms.
    pub async fn sweep(&self, full: bool) -> StoreResult<()> {
        if full {
            let before = now_ms() - i64::try_from(UNATTACHED_TTL.as_millis()).unwrap_or(i64::MAX);
            self.core()
                .store()
                .write_wait(move |dbs| {
                    expire_unattached(dbs.disk, before)?;
                    expire_unattached(dbs.memory, before)?;
                    forget_ended_rooms(dbs.memory)
                })
                .await?;
        }
        let found = self.core().store().read_all(|db| orphans(db, SWEEP_BATCH)).await?;
        for (i, list) in found.into_iter().enumerate().filter(|(_, l)| !l.is_empty()) {
            let memory = i == 1;
            let _blobs = self.inner.blobs.lock().await;
            let free = self
                .core()
                .store()
                .write_wait(move |dbs| {
                    let db = db_of(dbs, memory);
                    let mut free = Vec::new();
                    for sha in &list {
                        if release_orphan(db, sha)? {
                            free.push(sha.clone());
                        }
                    }
                    Ok(free)
                })
                .await?;
            let area = if memory { &self.inner.layout.ephemeral } else { &self.inner.layout.disk };
            for sha in free {
                area.remove(&sha).await;
            }
        }
        Ok(())
    }

    /// Unlinks bytes on disk that no row refers to (left by a crash between a row and its rename),
    /// and thumbnails whose file is gone: run once at start.
    pub async fn reconcile(&self) -> StoreResult<()> {
        let dir = self.inner.layout.disk.blobs.clone();
        let names: Vec<String> = match std::fs::read_dir(&dir) {
            Ok(entries) => entries.flatten().filter_map(|e| e.file_name().into_string().ok()).collect(),
            Err(_) => return Ok(()),
        };
        let _blobs = self.inner.blobs.lock().await;
        let unreferenced = self
            .core()
            .store()
            .read(move |db| {
                let mut out = Vec::new();
                for name in names {
                    if is_unreferenced(db, &name)? {
                        out.push(name);
                    }
                }
                Ok(out)
            })
            .await?;
        for sha in unreferenced {
            self.inner.layout.disk.remove(&sha).await;
        }
        let disk = &self.inner.layout.disk;
        for entry in std::fs::read_dir(&disk.thumbs).into_iter().flatten().flatten() {
            let name = entry.file_name().into_string().unwrap_or_default();
            let sha = name.strip_suffix(".jpg").unwrap_or(&name);
            if !disk.blob(sha).exists() {
                let _ = tokio::fs::remove_file(entry.path()).await;
            }
        }
        Ok(())
    }
}

fn db_of<'a>(dbs: &'a crate::store::Db<'_>, memory: bool) -> &'a rusqlite::Connection {
    if memory { dbs.memory } else { dbs.disk }
}

fn too_large(max: u64) -> Refusal {
    Refusal::new(
        ErrorCode::FileTooLarge,
        format!("the file is larger than this hub's {} MiB limit", max / MIB),
    )
}

fn over_quota(quota: u64) -> Refusal {
    Refusal::new(
        ErrorCode::QuotaExceeded,
        format!(
            "your files would take more than your {} MiB; delete some messages with files first",
            quota / MIB
        ),
    )
}
