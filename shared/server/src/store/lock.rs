//! One hub per data directory: an OS lock on `hubbub.lock`, held for as long as the store is open.
//!
//! The lock is the operating system's (`flock` on Unix, `LockFileEx` on Windows), so it goes away
//! with the process: a hub that crashed or was killed leaves no stale lock behind. Who holds it
//! (pid, and the address once the hub listens) is written beside it, in `hubbub.owner`, so a second
//! hub refused on the same directory can say which one is running.

use std::fs::{File, OpenOptions, TryLockError};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use super::{StoreError, StoreResult};

/// The lock file inside a data directory.
const LOCK_FILE: &str = "hubbub.lock";
/// Who holds the lock, in one human-readable line.
const OWNER_FILE: &str = "hubbub.owner";

/// The address of the hub running on `data_dir` now, if one is (it holds the lock and has written
/// where it listens).
pub fn running_hub_address(data_dir: &Path) -> Option<SocketAddr> {
    let file = OpenOptions::new().write(true).open(data_dir.join(LOCK_FILE)).ok()?;
    if !matches!(file.try_lock(), Err(TryLockError::WouldBlock)) {
        return None;
    }
    let owner = std::fs::read_to_string(data_dir.join(OWNER_FILE)).ok()?;
    owner.split("listening on http://").nth(1)?.trim().parse().ok()
}

/// The held lock on a data directory. Dropping it (or the process ending) releases it.
#[derive(Debug)]
pub(super) struct DirLock {
    /// Held open (and locked) for the store's life.
    _file: File,
    owner_path: PathBuf,
}

impl DirLock {
    /// Takes the lock on `data_dir`, or says which hub holds it.
    pub(super) fn acquire(data_dir: &Path) -> StoreResult<DirLock> {
        let path = data_dir.join(LOCK_FILE);
        let lock_error = |source| StoreError::LockFile { path: path.clone(), source };
        let file =
            OpenOptions::new().create(true).truncate(false).write(true).open(&path).map_err(lock_error)?;
        let owner_path = data_dir.join(OWNER_FILE);
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let owner = std::fs::read_to_string(&owner_path)
                    .ok()
                    .map(|s| s.trim().to_owned())
                    .filter(|s| !s.is_empty())
                    .unwrap_or_else(|| "its details are not written yet".to_owned());
                return Err(StoreError::InUse { data_dir: data_dir.to_owned(), owner });
            }
            Err(TryLockError::Error(e)) => return Err(lock_error(e)),
        }
        let lock = DirLock { _file: file, owner_path };
        lock.write_owner(None);
        Ok(lock)
    }

    /// Records the address the hub listens on, for the message a second hub shows.
    pub(super) fn set_address(&self, addr: SocketAddr) {
        self.write_owner(Some(addr));
    }

    /// Writes `pid N[, listening on http://ADDR]` (to a temporary file renamed over the old one, so
    /// a reader never sees half a line). Failing to write it only makes the message vaguer.
    fn write_owner(&self, addr: Option<SocketAddr>) {
        let mut line = format!("pid {}", std::process::id());
        if let Some(addr) = addr {
            line.push_str(&format!(", listening on http://{addr}"));
        }
        let tmp = self.owner_path.with_extension("owner.tmp");
        let written =
            std::fs::write(&tmp, format!("{line}\n")).and_then(|()| std::fs::rename(&tmp, &self.owner_path));
        if let Err(e) = written {
            tracing::debug!(error = %e, "could not record the hub holding the data directory");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_is_refused_with_the_owner_and_released_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let first = DirLock::acquire(dir.path()).unwrap();
        first.set_address(SocketAddr::from(([127, 0, 0, 1], 7470)));
        let refused = DirLock::acquire(dir.path()).unwrap_err();
        let message = refused.to_string();
        assert!(message.contains(&format!("pid {}", std::process::id())), "{message}");
        assert!(message.contains("http://127.0.0.1:7470"), "{message}");
        drop(first);
        DirLock::acquire(dir.path()).expect("the lock is free once dropped");
    }
}
