//! The `hubbub` command line: `hubbub serve` with flags that override the environment and the file.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::config::{Config, ConfigError, FileConfig};

#[derive(Debug, Parser)]
#[command(name = "hubbub", version, about = "A LAN hub for chat, presence and party games")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the hub (the default when no command is given).
    Serve(ServeArgs),
}

/// Flags of `hubbub serve`. Each also reads an environment variable; both win over the config file.
#[derive(Debug, Default, clap::Args)]
pub struct ServeArgs {
    /// A TOML file with any of the settings below (snake_case keys).
    #[arg(long, env = "HUBBUB_CONFIG")]
    pub config: Option<PathBuf>,
    /// Address and port to listen on; port 0 picks a free one. [default: 0.0.0.0:7470]
    #[arg(long, env = "HUBBUB_BIND")]
    pub bind: Option<SocketAddr>,
    /// Directory for the database. [default: the OS data directory, e.g. ~/.local/share/hubbub]
    #[arg(long, env = "HUBBUB_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// The hub's name, shown to guests. [default: Hubbub]
    #[arg(long, env = "HUBBUB_NAME")]
    pub name: Option<String>,
    /// A PIN guests must enter to join.
    #[arg(long, env = "HUBBUB_PIN")]
    pub pin: Option<String>,
    /// Do not advertise the hub over mDNS.
    #[arg(long, env = "HUBBUB_NO_DISCOVERY")]
    pub no_discovery: bool,
    /// Seconds between the hub's pings to each connection. [default: 15]
    #[arg(long, env = "HUBBUB_HEARTBEAT_SECS")]
    pub heartbeat_secs: Option<u64>,
    /// Seconds of silence after which a connection is dropped. [default: 45]
    #[arg(long, env = "HUBBUB_IDLE_TIMEOUT_SECS")]
    pub idle_timeout_secs: Option<u64>,
    /// Lifetime of WebSocket tokens, in seconds. [default: 60]
    #[arg(long, env = "HUBBUB_TOKEN_TTL_SECS")]
    pub token_ttl_secs: Option<u64>,
    /// Milliseconds a user stays online after their last connection closed. [default: 10000]
    #[arg(long, env = "HUBBUB_PRESENCE_GRACE_MS")]
    pub presence_grace_ms: Option<u64>,
    /// Chat messages one user may send in 10 seconds; 0 for no limit. [default: 50]
    #[arg(long, env = "HUBBUB_MESSAGE_RATE")]
    pub message_rate: Option<usize>,
    /// Milliseconds a dropped player's seat is held, and the host may be gone before host rights pass
    /// on. [default: 20000]
    #[arg(long, env = "HUBBUB_PARTY_GRACE_MS")]
    pub party_grace_ms: Option<u64>,
    /// Milliseconds the answer and leaderboard show after each question. [default: 8000]
    #[arg(long, env = "HUBBUB_PARTY_REVEAL_MS")]
    pub party_reveal_ms: Option<u64>,
    /// Milliseconds of countdown before the first question. [default: 3000]
    #[arg(long, env = "HUBBUB_PARTY_COUNTDOWN_MS")]
    pub party_countdown_ms: Option<u64>,
}

impl ServeArgs {
    /// Defaults, then the config file, then these flags and variables.
    pub fn resolve(self) -> Result<Config, ConfigError> {
        let mut config = Config::default();
        if let Some(path) = &self.config {
            FileConfig::load(path)?.apply(&mut config);
        }
        FileConfig {
            bind: self.bind,
            data_dir: self.data_dir,
            name: self.name,
            pin: self.pin.filter(|p| !p.is_empty()),
            discovery: self.no_discovery.then_some(false),
            heartbeat_secs: self.heartbeat_secs,
            idle_timeout_secs: self.idle_timeout_secs,
            token_ttl_secs: self.token_ttl_secs,
            presence_grace_ms: self.presence_grace_ms,
            message_rate: self.message_rate,
            party_grace_ms: self.party_grace_ms,
            party_reveal_ms: self.party_reveal_ms,
            party_countdown_ms: self.party_countdown_ms,
            ..FileConfig::default()
        }
        .apply(&mut config);
        config.validate()?;
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_win_over_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("hub.toml");
        std::fs::write(&file, "name = \"From file\"\npin = \"1111\"\nbind = \"127.0.0.1:9\"").unwrap();
        let cli =
            Cli::try_parse_from(["hubbub", "serve", "--config", file.to_str().unwrap(), "--name", "Flag"])
                .unwrap();
        let Some(Command::Serve(args)) = cli.command else { panic!() };
        let c = args.resolve().unwrap();
        assert_eq!(c.name, "Flag");
        assert_eq!(c.pin.as_deref(), Some("1111"));
        assert_eq!(c.bind.port(), 9);
        let bad = ServeArgs { name: Some(" ".into()), ..ServeArgs::default() };
        assert!(bad.resolve().is_err());
    }
}
