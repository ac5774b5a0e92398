//! The `hubbub` command line: `hubbub serve` with flags that override the environment and the file,
//! `hubbub discover`, which lists the hubs on the LAN, and `hubbub host-link`, which prints a new
//! host link.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::config::{Config, ConfigError, FileConfig};

#[derive(Debug, Parser)]
#[command(
    name = "hubbub",
    version,
    about = "A LAN hub for chat, presence and party games",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Without a command, `hubbub` is `hubbub serve`: the same flags and `HUBBUB_*` variables.
    #[command(flatten)]
    pub serve: ServeArgs,
}

#[derive(Debug, Subcommand)]
#[allow(clippy::large_enum_variant, reason = "parsed once, at startup")]
pub enum Command {
    /// Run the hub (the default when no command is given).
    Serve(ServeArgs),
    /// List the hubs on the local network (mDNS), each checked over HTTP.
    Discover(DiscoverArgs),
    /// Print a new one-time host link for the hub of a data directory (running or not).
    HostLink(HostLinkArgs),
    /// Copy the database to FILE, consistently, while the hub runs (or not).
    Backup(BackupArgs),
    /// Put a backup in place as the database of a data directory; the hub must be stopped.
    Restore(RestoreArgs),
    /// Write the rooms and their messages as JSON files (beside a running hub).
    Export(ExportArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions(CompletionsArgs),
    /// Print the manual page (roff), e.g. `hubbub man > /usr/local/share/man/man1/hubbub.1`.
    Man,
}

/// Flags of `hubbub backup`.
#[derive(Debug, Clone, clap::Args)]
pub struct BackupArgs {
    /// Where to write the copy; must not exist yet.
    pub file: PathBuf,
    /// The hub's data directory. [default: the platform's data directory for hubbub]
    #[arg(long, env = "HUBBUB_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
}

/// Flags of `hubbub restore`.
#[derive(Debug, Clone, clap::Args)]
pub struct RestoreArgs {
    /// A file written by `hubbub backup`.
    pub file: PathBuf,
    /// The hub's data directory. [default: the platform's data directory for hubbub]
    #[arg(long, env = "HUBBUB_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
}

/// Flags of `hubbub export`.
#[derive(Debug, Clone, clap::Args)]
pub struct ExportArgs {
    /// The hub's data directory. [default: the platform's data directory for hubbub]
    #[arg(long, env = "HUBBUB_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// The directory to write into (created if missing).
    #[arg(long, default_value = "hubbub-export")]
    pub out: PathBuf,
}

/// Flags of `hubbub completions`.
#[derive(Debug, Clone, clap::Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// The completion script for `shell`, from the command line's own definition.
pub fn completions(shell: clap_complete::Shell) -> Vec<u8> {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut <Cli as clap::CommandFactory>::command(), "hubbub", &mut out);
    out
}

/// The manual page (roff), from the command line's own definition.
pub fn man_page() -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    clap_mangen::Man::new(<Cli as clap::CommandFactory>::command()).render(&mut out)?;
    Ok(out)
}

/// Flags of `hubbub host-link`.
#[derive(Debug, Clone, clap::Args)]
pub struct HostLinkArgs {
    /// The hub's data directory. [default: the platform's data directory for hubbub]
    #[arg(long, env = "HUBBUB_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
}

/// Flags of `hubbub discover`.
#[derive(Debug, Clone, clap::Args)]
pub struct DiscoverArgs {
    /// Seconds to listen for hubs.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..=600))]
    pub timeout_secs: u64,
    /// Print a JSON array of hubs (`DiscoveredHub`) instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// What to check when `hubbub discover` finds nothing.
pub const DISCOVERY_HINTS: &str = concat!(
    "  - Is this machine on the same network as the hub (the same Wi-Fi, not a guest network)?\n",
    "  - Does a firewall block mDNS (UDP port 5353) or the hub's TCP port (7470 by default)?\n",
    "  - Access points with client (AP) isolation keep devices from seeing each other: turn it off.\n",
    "  - A VPN can take over the network: pause it and try again.\n",
    "  - Guests can always join with the URL the hub prints.",
);

/// The hubs as a table: name, URL, guests online.
pub fn hubs_table(hubs: &[hubbub_protocol::DiscoveredHub]) -> String {
    let rows: Vec<[String; 3]> = hubs
        .iter()
        .map(|h| {
            let name = if h.protocol_version == hubbub_protocol::PROTOCOL_VERSION {
                h.name.clone()
            } else {
                format!("{} (protocol {}, incompatible)", h.name, h.protocol_version)
            };
            [name, h.url.clone(), h.guests_online.to_string()]
        })
        .collect();
    let header = ["NAME".to_owned(), "URL".to_owned(), "GUESTS ONLINE".to_owned()];
    let width =
        |col: usize| std::iter::once(&header).chain(&rows).map(|r| r[col].chars().count()).max().unwrap_or(0);
    let (w0, w1) = (width(0), width(1));
    std::iter::once(&header)
        .chain(&rows)
        .map(|[name, url, guests]| format!("{name:<w0$}  {url:<w1$}  {guests}\n"))
        .collect()
}

/// Flags of `hubbub serve` (and of a plain `hubbub`). Each also reads an environment variable; both
/// win over the config file.
#[derive(Debug, Default, clap::Args)]
pub struct ServeArgs {
    /// A TOML file with any of the settings below (snake_case keys). [default: the first that
    /// exists of $XDG_CONFIG_HOME/hubbub/config.toml (or ~/.config/hubbub/config.toml) and
    /// /etc/hubbub/config.toml]
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
    /// The most users a presence list sends (the first by name; a total comes with it). [default: 100]
    #[arg(long, env = "HUBBUB_PRESENCE_LIST_MAX")]
    pub presence_list_max: Option<usize>,
    /// Chat messages one user may send in 10 seconds; 0 for no limit. [default: 50]
    #[arg(long, env = "HUBBUB_MESSAGE_RATE")]
    pub message_rate: Option<usize>,
    /// New users one client address may create in a minute; 0 for no limit. [default: 30]
    #[arg(long, env = "HUBBUB_JOIN_RATE")]
    pub join_rate: Option<usize>,
    /// New users the whole hub creates in a minute; 0 for no limit. [default: 300]
    #[arg(long, env = "HUBBUB_JOIN_RATE_HUB")]
    pub join_rate_hub: Option<usize>,
    /// Renames one user may make in a minute; 0 for no limit. [default: 5]
    #[arg(long, env = "HUBBUB_RENAME_RATE")]
    pub rename_rate: Option<usize>,
    /// Wrong PINs one client address may give in a minute. [default: 10]
    #[arg(long, env = "HUBBUB_PIN_FAIL_RATE")]
    pub pin_fail_rate: Option<usize>,
    /// Wrong PINs the whole hub takes in a minute before every PIN is refused for a lockout that
    /// doubles each time. [default: 30]
    #[arg(long, env = "HUBBUB_PIN_FAIL_RATE_HUB")]
    pub pin_fail_rate_hub: Option<usize>,
    /// The longest hub-wide PIN lockout, in seconds. [default: 900]
    #[arg(long, env = "HUBBUB_PIN_LOCKOUT_MAX_SECS")]
    pub pin_lockout_max_secs: Option<u64>,
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
    /// Milliseconds between pings on a socket that is in a party. [default: 1500]
    #[arg(long, env = "HUBBUB_PARTY_HEARTBEAT_MS")]
    pub party_heartbeat_ms: Option<u64>,
    /// Milliseconds of silence after which a socket in a party is dropped and its player shown
    /// reconnecting. [default: 4000]
    #[arg(long, env = "HUBBUB_PARTY_IDLE_TIMEOUT_MS")]
    pub party_idle_timeout_ms: Option<u64>,
    /// Seconds a connection has to send its request head (and a client to read a response before
    /// the upgrade); slower ones are closed. [default: 10]
    #[arg(long, env = "HUBBUB_HEADER_TIMEOUT_SECS")]
    pub header_timeout_secs: Option<u64>,
    /// Open connections one client address may hold. [default: 4096]
    #[arg(long, env = "HUBBUB_MAX_CONNECTIONS_PER_ADDRESS")]
    pub max_connections_per_address: Option<usize>,
    /// Open connections in all; 0 for as many as the open-file limit allows. [default: 0]
    #[arg(long, env = "HUBBUB_MAX_CONNECTIONS")]
    pub max_connections: Option<usize>,
    /// Connections kept for addresses holding few when a flood fills the rest. [default: 256]
    #[arg(long, env = "HUBBUB_CONNECTION_RESERVE")]
    pub connection_reserve: Option<usize>,
    /// Rooms one user may create in 10 minutes; 0 for no limit. [default: 10]
    #[arg(long, env = "HUBBUB_ROOM_RATE")]
    pub room_rate: Option<usize>,
    /// Rooms created from one client address in 10 minutes; 0 for no limit. [default: 100]
    #[arg(long, env = "HUBBUB_ROOM_RATE_PER_ADDRESS")]
    pub room_rate_per_address: Option<usize>,
    /// Rooms guests may create on the hub in all; 0 for no cap. [default: 1000]
    #[arg(long, env = "HUBBUB_MAX_ROOMS")]
    pub max_rooms: Option<usize>,
    /// Parties one user may create in 10 minutes; 0 for no limit. [default: 10]
    #[arg(long, env = "HUBBUB_PARTY_RATE")]
    pub party_rate: Option<usize>,
    /// Parties created from one client address in 10 minutes; 0 for no limit. [default: 100]
    #[arg(long, env = "HUBBUB_PARTY_RATE_PER_ADDRESS")]
    pub party_rate_per_address: Option<usize>,
    /// Parties not yet over one user may have created at once; 0 for no cap. [default: 2]
    #[arg(long, env = "HUBBUB_PARTY_LIVE_PER_USER")]
    pub party_live_per_user: Option<usize>,
    /// Parties not yet over on the hub at once; 0 for no cap. [default: 500]
    #[arg(long, env = "HUBBUB_PARTY_MAX_LIVE")]
    pub party_max_live: Option<usize>,
    /// Seconds an ended party stays before it is dropped and its code freed. [default: 3600]
    #[arg(long, env = "HUBBUB_PARTY_EXPIRY_SECS")]
    pub party_expiry_secs: Option<u64>,
    /// Places (tables, rooms of a venue) the hub may have; 0 for no cap. [default: 200]
    #[arg(long, env = "HUBBUB_MAX_PLACES")]
    pub max_places: Option<usize>,
    /// Hours a check-in admits its guest to the place's chat (1 to 168). [default: 12]
    #[arg(long, env = "HUBBUB_PLACE_CHAT_WINDOW_HOURS")]
    pub place_chat_window_hours: Option<u32>,
    /// Other places one user may check in to within that window; 0 for no cap. [default: 20]
    #[arg(long, env = "HUBBUB_PLACE_CHECK_INS")]
    pub place_check_ins: Option<usize>,
    /// Question packs one user may import in 10 minutes; 0 for no limit. [default: 5]
    #[arg(long, env = "HUBBUB_PACK_RATE")]
    pub pack_rate: Option<usize>,
    /// Question packs imported from one client address in 10 minutes; 0 for no limit. [default: 20]
    #[arg(long, env = "HUBBUB_PACK_RATE_PER_ADDRESS")]
    pub pack_rate_per_address: Option<usize>,
    /// Question packs imported on the whole hub in 10 minutes; 0 for no limit. [default: 30]
    #[arg(long, env = "HUBBUB_PACK_RATE_HUB")]
    pub pack_rate_hub: Option<usize>,
    /// Room invitations one user may send in 10 minutes; 0 for no limit. [default: 60]
    #[arg(long, env = "HUBBUB_INVITE_RATE")]
    pub invite_rate: Option<usize>,
    /// Room invitations sent from one client address in 10 minutes; 0 for no limit. [default: 600]
    #[arg(long, env = "HUBBUB_INVITE_RATE_PER_ADDRESS")]
    pub invite_rate_per_address: Option<usize>,
    /// Conversation requests one user may make in 10 minutes; 0 for no limit. [default: 20]
    #[arg(long, env = "HUBBUB_DM_REQUEST_RATE")]
    pub dm_request_rate: Option<usize>,
    /// Conversation requests made from one client address in 10 minutes; 0 for no limit. [default: 200]
    #[arg(long, env = "HUBBUB_DM_REQUEST_RATE_PER_ADDRESS")]
    pub dm_request_rate_per_address: Option<usize>,
    /// Reactions one user may add or remove in 10 seconds; 0 for no limit. [default: 30]
    #[arg(long, env = "HUBBUB_REACTION_RATE")]
    pub reaction_rate: Option<usize>,
    /// Distinct reactions one message may carry; 0 for no cap. [default: 20]
    #[arg(long, env = "HUBBUB_REACTION_MAX_DISTINCT")]
    pub reaction_max_distinct: Option<usize>,
    /// Status changes (set_status, set_activity) one user may make in a minute; 0 for no limit. [default: 30]
    #[arg(long, env = "HUBBUB_STATUS_RATE")]
    pub status_rate: Option<usize>,
    /// Searches one user may run in 10 seconds; 0 for no limit. [default: 20]
    #[arg(long, env = "HUBBUB_SEARCH_RATE")]
    pub search_rate: Option<usize>,
    /// The largest file or photo a guest may upload, in MiB. [default: 100]
    #[arg(long, env = "HUBBUB_FILE_MAX_MB")]
    pub file_max_mb: Option<u64>,
    /// MiB of files one user may have stored at once; 0 for no quota. [default: 1024]
    #[arg(long, env = "HUBBUB_FILE_QUOTA_MB")]
    pub file_quota_mb: Option<u64>,
    /// MiB the data directory's disk keeps free; an upload that would leave less is refused. [default: 512]
    #[arg(long, env = "HUBBUB_FILE_MIN_FREE_MB")]
    pub file_min_free_mb: Option<u64>,
    /// Uploads one user may have in flight at once. [default: 3]
    #[arg(long, env = "HUBBUB_UPLOAD_CONCURRENT")]
    pub upload_concurrent: Option<usize>,
    /// Uploads one client address may have in flight at once. [default: 12]
    #[arg(long, env = "HUBBUB_UPLOAD_CONCURRENT_PER_ADDRESS")]
    pub upload_concurrent_per_address: Option<usize>,
    /// Uploads one user may start in 10 minutes; 0 for no limit. [default: 200]
    #[arg(long, env = "HUBBUB_UPLOAD_RATE")]
    pub upload_rate: Option<usize>,
    /// Uploads started from one client address in 10 minutes; 0 for no limit. [default: 1000]
    #[arg(long, env = "HUBBUB_UPLOAD_RATE_PER_ADDRESS")]
    pub upload_rate_per_address: Option<usize>,
    /// Milliseconds per which at most one typing change of a user in a channel reaches the others.
    /// [default: 1000]
    #[arg(long, env = "HUBBUB_TYPING_WINDOW_MS")]
    pub typing_window_ms: Option<u64>,
    /// Seconds a kicked user must wait before they can connect again. [default: 60]
    #[arg(long, env = "HUBBUB_KICK_COOLDOWN_SECS")]
    pub kick_cooldown_secs: Option<u64>,
    /// A bearer token (at least 16 characters) that opens the admin API to scripts, acting as a
    /// host. Prefer the variable or the config file: a flag shows in the process list.
    #[arg(long, env = "HUBBUB_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,
    /// Days chat messages are kept; 0 keeps them for ever. [default: 0]
    #[arg(long, env = "HUBBUB_RETENTION_MESSAGES_DAYS")]
    pub retention_messages_days: Option<u32>,
    /// Days a session may go unused before it is deleted (its guest joins again); 0: never. [default: 180]
    #[arg(long, env = "HUBBUB_RETENTION_IDLE_SESSIONS_DAYS")]
    pub retention_idle_sessions_days: Option<u32>,
    /// Days read notifications are kept; 0: for ever. [default: 30]
    #[arg(long, env = "HUBBUB_RETENTION_READ_NOTIFICATIONS_DAYS")]
    pub retention_read_notifications_days: Option<u32>,
    /// Days an ended party's record is kept; 0: for ever. [default: 30]
    #[arg(long, env = "HUBBUB_RETENTION_ENDED_PARTIES_DAYS")]
    pub retention_ended_parties_days: Option<u32>,
    /// How log lines are written to stderr: text, or one JSON object per line. [default: text]
    #[arg(long, env = "HUBBUB_LOG_FORMAT", value_enum)]
    pub log_format: Option<crate::config::LogFormat>,
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
            presence_list_max: self.presence_list_max,
            message_rate: self.message_rate,
            join_rate: self.join_rate,
            join_rate_hub: self.join_rate_hub,
            rename_rate: self.rename_rate,
            pin_fail_rate: self.pin_fail_rate,
            pin_fail_rate_hub: self.pin_fail_rate_hub,
            pin_lockout_max_secs: self.pin_lockout_max_secs,
            party_grace_ms: self.party_grace_ms,
            party_reveal_ms: self.party_reveal_ms,
            party_countdown_ms: self.party_countdown_ms,
            party_heartbeat_ms: self.party_heartbeat_ms,
            party_idle_timeout_ms: self.party_idle_timeout_ms,
            header_timeout_secs: self.header_timeout_secs,
            max_connections_per_address: self.max_connections_per_address,
            max_connections: self.max_connections,
            connection_reserve: self.connection_reserve,
            room_rate: self.room_rate,
            room_rate_per_address: self.room_rate_per_address,
            max_rooms: self.max_rooms,
            party_rate: self.party_rate,
            party_rate_per_address: self.party_rate_per_address,
            party_live_per_user: self.party_live_per_user,
            party_max_live: self.party_max_live,
            party_expiry_secs: self.party_expiry_secs,
            max_places: self.max_places,
            place_chat_window_hours: self.place_chat_window_hours,
            place_check_ins: self.place_check_ins,
            pack_rate: self.pack_rate,
            pack_rate_per_address: self.pack_rate_per_address,
            pack_rate_hub: self.pack_rate_hub,
            invite_rate: self.invite_rate,
            invite_rate_per_address: self.invite_rate_per_address,
            dm_request_rate: self.dm_request_rate,
            dm_request_rate_per_address: self.dm_request_rate_per_address,
            reaction_rate: self.reaction_rate,
            reaction_max_distinct: self.reaction_max_distinct,
            status_rate: self.status_rate,
            search_rate: self.search_rate,
            file_max_mb: self.file_max_mb,
            file_quota_mb: self.file_quota_mb,
            file_min_free_mb: self.file_min_free_mb,
            upload_concurrent: self.upload_concurrent,
            upload_concurrent_per_address: self.upload_concurrent_per_address,
            upload_rate: self.upload_rate,
            upload_rate_per_address: self.upload_rate_per_address,
            typing_window_ms: self.typing_window_ms,
            kick_cooldown_secs: self.kick_cooldown_secs,
            admin_token: self.admin_token,
            log_format: self.log_format,
            retention_messages_days: self.retention_messages_days,
            retention_idle_sessions_days: self.retention_idle_sessions_days,
            retention_read_notifications_days: self.retention_read_notifications_days,
            retention_ended_parties_days: self.retention_ended_parties_days,
            ..FileConfig::default()
        }
        .apply(&mut config);
        config.validate()?;
        Ok(config)
    }
}

#[cfg(test)]
mod tests;
