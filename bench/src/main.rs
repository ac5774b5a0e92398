//! `hubbub-bench`: a load harness for a Hubbub hub, built on the project's Rust client. It starts a
//! hub of its own (the `hubbub` binary next to it) or measures one given with `--url`, runs one
//! scenario or all of them, checks correctness (counts, exactly-once) as it goes, and prints a table
//! and, with `--json`, one JSON object per scenario.

mod clients;
mod pin;
mod report;
mod scenarios;
mod store_stats;
mod target;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use report::Report;
use target::Target;

#[derive(Debug, Parser)]
#[command(name = "hubbub-bench", about = "Load harness for a Hubbub hub")]
struct Cli {
    /// Measure this hub instead of starting one (idle memory then cannot be read).
    #[arg(long, global = true)]
    url: Option<String>,
    /// The `hubbub` binary to start. [default: next to this program]
    #[arg(long, global = true)]
    hub: Option<PathBuf>,
    /// Print one JSON object per scenario instead of the table.
    #[arg(long, global = true)]
    json: bool,
    /// A TOML config file for the hub the bench starts (e.g. `sync_full = false`).
    #[arg(long, global = true)]
    hub_config: Option<PathBuf>,
    /// Run a hub the bench starts on core 0 only and the load generator on core 1 only, so results
    /// read per core (the way the hub's peers are measured).
    #[arg(long, global = true)]
    pin: bool,
    /// How clients open their sockets: `token` fetches a short-lived token first (as the web
    /// client does), `bearer` arrives with its session (`Authorization: Bearer`).
    #[arg(long, global = true, value_enum, default_value = "token")]
    auth: clients::Auth,
    #[command(subcommand)]
    scenario: Scenario,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Size {
    /// Seconds in all: for CI, so the harness cannot rot.
    Smoke,
    /// The sizes of the published targets (docs/benchmarks.md).
    Full,
}

#[derive(Debug, Subcommand)]
enum Scenario {
    /// N authenticated connections sitting idle; the hub's resident memory per connection.
    Idle {
        #[arg(long, default_value_t = 1000)]
        n: usize,
        /// Messages put in the Lobby before the clients connect, so a connection's cost can be read
        /// against the room's history (each new socket is sent the Lobby's snapshot).
        #[arg(long, default_value_t = 0)]
        history: usize,
    },
    /// One address opens N connections that never send a byte; the hub's memory and open files,
    /// a guest's status request during the flood, and the connections the hub closes by itself.
    Flood {
        #[arg(long, default_value_t = 5000)]
        n: usize,
        /// The hub's `--max-connections` (0: as its open-file limit allows). Below N, the flood
        /// fills the hub as it would a hub with that many open files.
        #[arg(long, default_value_t = 4000)]
        capacity: usize,
    },
    /// One room with N subscribers and publishers at R messages/s; deliveries/s, latency and the
    /// hub's CPU time per delivery.
    Fanout {
        #[arg(long, default_value_t = 1000)]
        subscribers: usize,
        #[arg(long, default_value_t = 100)]
        rate: u64,
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        /// Publishers sharing the rate.
        #[arg(long, default_value_t = 10)]
        publishers: usize,
        /// A stored room (the Lobby: written to disk before fan-out) or an ephemeral one (memory).
        #[arg(long, value_enum, default_value = "stored")]
        room: scenarios::fanout::RoomKind,
    },
    /// K senders of persisted messages, each waiting for its ack; acks/s and ack latency.
    Chat {
        #[arg(long, default_value_t = 100)]
        senders: usize,
        #[arg(long, default_value_t = 10)]
        seconds: u64,
    },
    /// N clients drop at once, M messages are sent, all reconnect with `since` and must recover
    /// exactly what they missed.
    Reconnect {
        #[arg(long, default_value_t = 1000)]
        n: usize,
        #[arg(long, default_value_t = 200)]
        missed: usize,
    },
    /// One quiz party: P players answering every question and A watchers; answer-to-ack latency, a
    /// phase change's arrival at every phone, and the last answer to the reveal at every phone.
    Party {
        #[arg(long, default_value_t = 200)]
        players: usize,
        #[arg(long, default_value_t = 1000)]
        watchers: usize,
        #[arg(long, default_value_t = 4)]
        questions: u32,
    },
    /// The `fanout` load against Nchan (nginx with `libnginx-mod-nchan`), the leading peer, to read
    /// beside the hub's in the same run (one worker; on core 0 with `--pin`).
    Nchan {
        #[arg(long, default_value_t = 1000)]
        subscribers: usize,
        #[arg(long, default_value_t = 100)]
        rate: u64,
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        #[arg(long, default_value_t = 10)]
        publishers: usize,
    },
    /// Time from starting the hub process to its first accepted connection (fresh data directory).
    Startup {
        #[arg(long, default_value_t = 10)]
        runs: usize,
    },
    /// Every scenario at one size.
    All {
        #[arg(long, value_enum, default_value = "smoke")]
        size: Size,
    },
}

async fn run(cli: Cli) -> anyhow::Result<Vec<Report>> {
    use scenarios::fanout::RoomKind::{Ephemeral, Stored};
    rlimit::increase_nofile_limit(u64::MAX)?;
    clients::set_auth(cli.auth);
    let bin = cli.hub.clone().unwrap_or_else(target::sibling_hub);
    let config = cli.hub_config.clone();
    let target = || Target::new(cli.url.as_deref(), &bin, config.as_deref());
    let mut reports = Vec::new();
    let plan: Vec<Scenario> = match cli.scenario {
        Scenario::All { size: Size::Smoke } => vec![
            Scenario::Startup { runs: 3 },
            Scenario::Idle { n: 200, history: 0 },
            Scenario::Fanout { subscribers: 50, rate: 200, seconds: 2, publishers: 10, room: Stored },
            Scenario::Fanout { subscribers: 50, rate: 100, seconds: 2, publishers: 1, room: Ephemeral },
            Scenario::Chat { senders: 10, seconds: 2 },
            Scenario::Reconnect { n: 50, missed: 50 },
            Scenario::Flood { n: 200, capacity: 150 },
            Scenario::Party { players: 10, watchers: 20, questions: 2 },
        ],
        Scenario::All { size: Size::Full } => vec![
            Scenario::Startup { runs: 20 },
            Scenario::Idle { n: scenarios::idle::largest_here(50_000)?, history: 0 },
            Scenario::Fanout { subscribers: 1000, rate: 250, seconds: 10, publishers: 10, room: Stored },
            Scenario::Fanout { subscribers: 1000, rate: 100, seconds: 10, publishers: 10, room: Stored },
            Scenario::Chat { senders: 100, seconds: 10 },
            Scenario::Reconnect { n: 1000, missed: 200 },
            Scenario::Flood { n: 5000, capacity: 4000 },
            Scenario::Party { players: 200, watchers: 1000, questions: 4 },
        ],
        other => vec![other],
    };
    for scenario in plan {
        let report = match scenario {
            Scenario::Startup { runs } => {
                scenarios::startup::run(&bin, config.as_deref(), runs, cli.url.is_some()).await?
            }
            Scenario::Idle { n, history } => scenarios::idle::run(&target()?, n, history).await?,
            Scenario::Fanout { subscribers, rate, seconds, publishers, room } => {
                let load = scenarios::fanout::Load { subscribers, rate, seconds, publishers, room };
                scenarios::fanout::run(&target()?, load).await?
            }
            Scenario::Flood { n, capacity } => {
                let target = match &cli.url {
                    Some(_) => target()?,
                    None => {
                        Target::spawn_with(&bin, config.as_deref(), &scenarios::flood::hub_flags(capacity))?
                    }
                };
                scenarios::flood::run(&target, n).await?
            }
            Scenario::Nchan { subscribers, rate, seconds, publishers } => {
                scenarios::nchan::run(subscribers, rate, seconds, publishers).await?
            }
            Scenario::Chat { senders, seconds } => scenarios::chat::run(&target()?, senders, seconds).await?,
            Scenario::Reconnect { n, missed } => scenarios::reconnect::run(&target()?, n, missed).await?,
            Scenario::Party { players, watchers, questions } => {
                let target = match &cli.url {
                    Some(_) => target()?,
                    None => Target::spawn_with(&bin, config.as_deref(), &scenarios::party::hub_flags())?,
                };
                scenarios::party::run(&target, players, watchers, questions).await?
            }
            Scenario::All { .. } => unreachable!("expanded above"),
        };
        report.print(cli.json);
        reports.push(report);
    }
    Ok(reports)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if cli.pin
        && let Err(e) = pin::pin_self()
    {
        eprintln!("error: {e:#}");
        return ExitCode::FAILURE;
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(reports) if reports.iter().all(|r| r.correct) => ExitCode::SUCCESS,
        Ok(_) => {
            eprintln!("error: a scenario's correctness check failed (see `correct` above)");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
