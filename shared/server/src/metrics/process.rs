//! The hub process's resident memory and open files, read from `/proc/self` when a scrape asks
//! (Linux; elsewhere they are unknown and reported as -1).

/// What one reading found; `None` where it could not be read.
#[derive(Debug, Default)]
pub(super) struct Process {
    pub resident_bytes: Option<u64>,
    pub open_fds: Option<usize>,
    pub max_fds: Option<u64>,
}

pub(super) fn read() -> Process {
    Process {
        resident_bytes: std::fs::read_to_string("/proc/self/status").ok().and_then(|s| resident(&s)),
        open_fds: std::fs::read_dir("/proc/self/fd").ok().map(Iterator::count),
        max_fds: rlimit::getrlimit(rlimit::Resource::NOFILE).ok().map(|(soft, _)| soft),
    }
}

/// `VmRSS:   12345 kB` from `/proc/self/status`, in bytes.
fn resident(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

#[cfg(test)]
mod tests {
    #[test]
    fn resident_memory_is_read_from_the_status_file() {
        assert_eq!(super::resident("Name:\thubbub\nVmRSS:\t   2048 kB\nThreads: 9\n"), Some(2 * 1024 * 1024));
        assert_eq!(super::resident("Name:\thubbub\n"), None);
        if cfg!(target_os = "linux") {
            let p = super::read();
            assert!(p.resident_bytes.unwrap() > 0 && p.open_fds.unwrap() > 0 && p.max_fds.unwrap() > 0);
        }
    }
}
