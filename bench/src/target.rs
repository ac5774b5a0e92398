//! The hub under test: one this program starts (fresh data directory, loopback, no mDNS, no message
//! rate limit) or one given by URL.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use anyhow::{Context, bail};

/// The `hubbub` binary next to this program (both are built into the same target directory).
pub fn sibling_hub() -> PathBuf {
    let exe = std::env::current_exe().unwrap_or_default();
    exe.with_file_name(format!("hubbub{}", std::env::consts::EXE_SUFFIX))
}

/// A hub to measure.
pub struct Target {
    pub url: String,
    child: Option<Child>,
    _data: Option<tempfile::TempDir>,
}

impl Target {
    /// The hub at `url`, or a new one started from `bin`.
    pub fn new(url: Option<&str>, bin: &Path, config: Option<&Path>) -> anyhow::Result<Target> {
        match url {
            Some(url) => Ok(Target { url: url.trim_end_matches('/').to_owned(), child: None, _data: None }),
            None => Target::spawn(bin, config),
        }
    }

    /// Starts `bin` on a free loopback port (with the TOML `config`, if any) and waits for its
    /// address line.
    pub fn spawn(bin: &Path, config: Option<&Path>) -> anyhow::Result<Target> {
        Target::spawn_with(bin, config, &[])
    }

    /// [`Target::spawn`] with more `hubbub serve` flags.
    pub fn spawn_with(bin: &Path, config: Option<&Path>, extra: &[String]) -> anyhow::Result<Target> {
        let data = tempfile::tempdir()?;
        let settings = bench_settings(config, data.path())?;
        let mut cmd = crate::pin::hub_command(bin, crate::pin::hub_pinned());
        // Every bench client joins from this one address: no budget on new users.
        cmd.args(["serve", "--bind", "127.0.0.1:0", "--no-discovery", "--message-rate", "0"])
            .args(["--join-rate", "0", "--join-rate-hub", "0", "--data-dir"])
            .arg(data.path())
            .args(extra)
            .arg("--config")
            .arg(&settings);
        let mut child = cmd
            .env("HUBBUB_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| {
                format!("cannot start {} (build it with `cargo build --release`)", bin.display())
            })?;
        let out = child.stdout.take().context("hub stdout")?;
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if let Some(url) = line.strip_prefix("listening on ") {
                    let _ = tx.send(url.to_owned());
                }
            }
        });
        match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(url) => Ok(Target { url, child: Some(child), _data: Some(data) }),
            Err(_) => {
                let _ = child.kill();
                bail!("the hub did not print its address within 30 s")
            }
        }
    }

    /// The hub's data directory, when this program started it.
    pub fn data_dir(&self) -> Option<&Path> {
        self._data.as_ref().map(tempfile::TempDir::path)
    }

    /// The hub process's open files, when this program started it.
    pub fn open_files(&self) -> Option<usize> {
        let pid = self.child.as_ref()?.id();
        Some(std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?.count())
    }

    /// CPU time the hub process has used (user and system), in ms, when this program started it.
    pub fn cpu_ms(&self) -> Option<u64> {
        process_cpu_ms(self.child.as_ref()?.id())
    }

    /// Bytes the hub process has caused to be written to storage (`write_bytes` of
    /// `/proc/PID/io`), when this program started it.
    pub fn disk_write_bytes(&self) -> Option<u64> {
        let pid = self.child.as_ref()?.id();
        let io = std::fs::read_to_string(format!("/proc/{pid}/io")).ok()?;
        io.lines().find_map(|l| l.strip_prefix("write_bytes:")).and_then(|v| v.trim().parse().ok())
    }

    /// The hub process's resident memory in KiB, when this program started it.
    pub fn rss_kib(&self) -> Option<u64> {
        let pid = self.child.as_ref()?.id();
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
        line.split_whitespace().nth(1)?.parse().ok()
    }
}

/// The settings file a started hub reads: the one given with `--hub-config` (if any), with the
/// budgets on invitations raised when it leaves them unset, so one user can bring a scenario's
/// subscribers into a closed or ephemeral room. Written beside the hub's data directory.
fn bench_settings(config: Option<&Path>, data: &Path) -> anyhow::Result<PathBuf> {
    let mut table: toml::Table = match config {
        Some(path) => std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?
            .parse()
            .with_context(|| format!("{} is not valid TOML", path.display()))?,
        None => toml::Table::new(),
    };
    for key in ["invite_rate", "invite_rate_per_address"] {
        table.entry(key).or_insert(toml::Value::Integer(1_000_000));
    }
    let path = data.with_extension("toml");
    std::fs::write(&path, toml::to_string(&table)?)?;
    Ok(path)
}

/// CPU time process `pid` has used (user and system, all its threads), in ms.
pub fn process_cpu_ms(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which is in parentheses and may hold spaces): utime is the
    // 12th, stime the 13th, in clock ticks (100 a second on Linux).
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(ticks * 10)
}

impl Drop for Target {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        if let Some(data) = &self._data {
            let _ = std::fs::remove_file(data.path().with_extension("toml"));
        }
    }
}
