//! `--pin`: the hub on one core and this load generator on another, the way the hub's peers are
//! measured (`taskset`, from util-linux), so a result reads per core.

use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context, bail};

/// The core the hub runs on.
pub const HUB_CPU: usize = 0;
/// The core this program runs on.
pub const BENCH_CPU: usize = 1;

static HUB_PINNED: AtomicBool = AtomicBool::new(false);

/// Whether hubs this program starts run on [`HUB_CPU`] only.
pub fn hub_pinned() -> bool {
    HUB_PINNED.load(Ordering::Relaxed)
}

/// Pins this process to [`BENCH_CPU`]. Call it before the runtime starts: threads made later
/// inherit the calling thread's affinity.
pub fn pin_self() -> anyhow::Result<()> {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    if cores < 2 {
        bail!(
            "--pin needs two cores (one for the hub, one for the load generator); this machine has {cores}"
        );
    }
    let status = Command::new("taskset")
        .args(["-a", "-p", "-c", &BENCH_CPU.to_string(), &std::process::id().to_string()])
        .stdout(std::process::Stdio::null())
        .status()
        .context("cannot run taskset (util-linux) to pin the load generator")?;
    if !status.success() {
        bail!("taskset could not pin the load generator to core {BENCH_CPU}: {status}");
    }
    HUB_PINNED.store(true, Ordering::Relaxed);
    Ok(())
}

/// The command that starts `bin` on [`HUB_CPU`] when `pin` is set, or `bin` itself.
pub fn hub_command(bin: &std::path::Path, pin: bool) -> Command {
    if pin {
        let mut cmd = Command::new("taskset");
        cmd.args(["-c", &HUB_CPU.to_string()]).arg(bin);
        cmd
    } else {
        Command::new(bin)
    }
}
