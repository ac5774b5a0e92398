//! Hub configuration: defaults, an optional TOML file, environment variables and flags, in rising priority.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

/// The window of the budgets on creating things (rooms, parties, packs, invitations, conversation
/// requests): the `*_rate` settings count per this long.
pub const CREATE_WINDOW: Duration = Duration::from_secs(10 * 60);
/// The window of the quick budgets (reactions, searches).
pub const QUICK_WINDOW: Duration = Duration::from_secs(10);
/// The window of the status budget (`set_status` and `set_activity`).
pub const STATUS_WINDOW: Duration = Duration::from_secs(60);

/// The port a hub listens on unless told otherwise.
pub const DEFAULT_PORT: u16 = 7470;

/// Everything a running hub needs to know. Build one with [`Config::default`] and adjust, or let the
/// command line do it ([`crate::cli`]).
#[derive(Debug, Clone)]
pub struct Config {
    /// Address to listen on; port 0 picks a free port.
    pub bind: SocketAddr,
    /// Where the SQLite database lives.
    pub data_dir: PathBuf,
    /// The hub's name, shown to guests and on the network.
    pub name: String,
    /// A PIN guests must give to join, if any.
    pub pin: Option<String>,
    /// Advertise the hub over mDNS.
    pub discovery: bool,
    /// How often the hub pings each connection.
    pub heartbeat: Duration,
    /// A connection that sends nothing (not even a pong) for this long is dropped.
    pub idle_timeout: Duration,
    /// Largest frame a client may send, in bytes; larger ones close the connection with 1009.
    pub max_frame_bytes: usize,
    /// Frames a connection may have queued for sending before it counts as too slow (4008). Large
    /// enough for a burst (a client that pipelines 300 sends gets 600 frames back at once); queued
    /// frames are shared, reference-counted bytes, so a full queue costs little.
    pub send_queue: usize,
    /// Lifetime of WebSocket tokens from `GET /api/auth/ws-token`.
    pub token_ttl: Duration,
    /// Origins (besides the hub's own) allowed to open a socket with cookie authentication and to
    /// send state-changing REST requests.
    pub allowed_origins: Vec<String>,
    /// Make every acknowledged write survive a power loss (`PRAGMA synchronous=FULL`).
    pub sync_full: bool,
    /// How long a user whose last connection closed still counts as online (no flicker on reconnect).
    pub presence_grace: Duration,
    /// Presence changes are gathered over this window and sent as one diff.
    pub presence_window: Duration,
    /// The most users a presence list holds (the first by name); larger hubs and rooms send this
    /// many and a total, so connecting N guests does not cost O(N²).
    pub presence_list_max: usize,
    /// Chat messages one user may send in 10 seconds (0: no limit).
    pub message_rate: usize,
    /// New users one client address may create in a minute (0: no limit). Generous because a
    /// whole class or venue may share one NAT address; a returning guest (valid session) is not counted.
    pub join_rate: usize,
    /// New users the whole hub creates in a minute (0: no limit): what a LAN of spoofed addresses can
    /// add to the database.
    pub join_rate_hub: usize,
    /// Renames one user may make in a minute (0: no limit); each reaches every online list.
    pub rename_rate: usize,
    /// Wrong PINs one client address may give in a minute before it is refused.
    pub pin_fail_rate: usize,
    /// Wrong PINs the whole hub takes in a minute before every PIN is refused for a lockout that
    /// starts at a minute and doubles each time it triggers, up to [`Config::pin_lockout_max`].
    pub pin_fail_rate_hub: usize,
    /// The longest hub-wide PIN lockout.
    pub pin_lockout_max: Duration,
    /// How long a dropped player's seat is held (shown as reconnecting), and how long the host may be
    /// gone before host rights pass to a connected player.
    pub party_grace: Duration,
    /// How long the answer and leaderboard show after each question.
    pub party_reveal: Duration,
    /// The countdown between "start" and the first question.
    pub party_countdown: Duration,
    /// How often the hub pings a connection that is in a party (instead of every `heartbeat`).
    pub party_heartbeat: Duration,
    /// A connection in a party that sends nothing (not even a pong) for this long is dropped, and
    /// its player shown reconnecting.
    pub party_idle_timeout: Duration,
    /// A connection must send a complete request head within this long of opening (or of its
    /// previous response), and a response must not wait longer than this for the client to read
    /// it before the connection is upgraded; otherwise the connection is closed. Covers clients
    /// that connect and send nothing, trickle their headers (slowloris), or never read.
    pub header_timeout: Duration,
    /// Open TCP connections one client address may hold; more are closed at once. Generous,
    /// because a NAT puts several hundred guests behind one address.
    pub max_connections_per_address: usize,
    /// Open TCP connections the hub accepts in all; 0 means as many as the open-file limit allows,
    /// less what the hub needs for itself.
    pub max_connections: usize,
    /// Connections kept back from a flood: once only this many are left, new connections are
    /// accepted only from addresses holding a few, so guests can still join and reconnect.
    pub connection_reserve: usize,
    // Budgets: what one guest may create or make the hub relay. A rate of 0 is no limit; rates
    // count per CREATE_WINDOW (10 minutes) unless they say otherwise.
    /// Rooms one user may create.
    pub room_rate: usize,
    /// Rooms created from one client address.
    pub room_rate_per_address: usize,
    /// Rooms guests may create on the hub in all (the Lobby and party rooms aside; 0: no cap).
    pub max_rooms: usize,
    /// Parties one user may create.
    pub party_rate: usize,
    /// Parties created from one client address.
    pub party_rate_per_address: usize,
    /// Parties not yet over that one user may have created at once (0: no cap).
    pub party_live_per_user: usize,
    /// Parties not yet over on the hub at once (0: no cap).
    pub party_max_live: usize,
    /// How long an ended party (podium) stays; then it is dropped and its code can be used again.
    pub party_expiry: Duration,
    /// Places (tables, rooms of a venue) the hub may have (0: no cap).
    pub max_places: usize,
    /// How long a check-in admits its guest to the place's chat, in hours.
    pub place_chat_window_hours: u32,
    /// Other places one user may check in to within that window (0: no cap).
    pub place_check_ins: usize,
    /// Question packs one user may import.
    pub pack_rate: usize,
    /// Question packs imported from one client address.
    pub pack_rate_per_address: usize,
    /// Question packs imported on the whole hub.
    pub pack_rate_hub: usize,
    /// Room invitations one user may send.
    pub invite_rate: usize,
    /// Room invitations sent from one client address.
    pub invite_rate_per_address: usize,
    /// Conversation (DM) requests one user may make.
    pub dm_request_rate: usize,
    /// Conversation (DM) requests made from one client address.
    pub dm_request_rate_per_address: usize,
    /// Reactions (added or removed) one user may toggle in 10 seconds.
    pub reaction_rate: usize,
    /// Distinct reactions (emoji) one message may carry (0: no cap).
    pub reaction_max_distinct: usize,
    /// Status changes (`set_status`, `set_activity`) one user may make in a minute.
    pub status_rate: usize,
    /// Searches one user may run in 10 seconds.
    pub search_rate: usize,
    /// At most one typing change per user and channel reaches the others per this window.
    pub typing_window: Duration,
    /// Files and photos in chat: the largest file, in MiB.
    pub file_max_mb: u64,
    /// MiB of files one user may have stored at once (attached or waiting to be); 0: no quota.
    pub file_quota_mb: u64,
    /// MiB the data directory's disk keeps free: an upload that would leave less is refused.
    pub file_min_free_mb: u64,
    /// Uploads one user may have in flight at once.
    pub upload_concurrent: usize,
    /// Uploads one client address may have in flight at once.
    pub upload_concurrent_per_address: usize,
    /// Uploads one user may start (per 10 minutes, like the other budgets).
    pub upload_rate: usize,
    /// Uploads started from one client address.
    pub upload_rate_per_address: usize,
    /// How long a kicked user's sockets are refused before they may come back.
    pub kick_cooldown: Duration,
    /// A bearer token that opens the admin API (`/api/admin/`) to scripts, acting as a host; `None`:
    /// only hosts' and moderators' sessions open it.
    pub admin_token: Option<String>,
    /// How the `hubbub` binary writes its log lines (the library itself only emits them).
    pub log_format: LogFormat,
    /// How long data is kept; the retention sweep deletes what is older.
    pub retention: Retention,
}

/// How many days each kind of data is kept; 0 keeps it for ever. The hub deletes what is older a
/// few hundred rows at a time (see [`crate::retention`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// Chat messages in rooms and conversations (with their edits and reactions), by age. Kept
    /// for ever unless the operator says otherwise.
    pub messages_days: u32,
    /// Sessions not used (no socket opened with them) for this long: their guest joins again.
    pub idle_sessions_days: u32,
    /// Inbox entries already read.
    pub read_notifications_days: u32,
    /// Ended parties kept in the database (their results) after they ended.
    pub ended_parties_days: u32,
}

impl Default for Retention {
    fn default() -> Self {
        Retention {
            messages_days: 0,
            idle_sessions_days: 180,
            read_notifications_days: 30,
            ended_parties_days: 30,
        }
    }
}

/// How log lines are written to stderr.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// One human-readable line per event.
    #[default]
    Text,
    /// One JSON object per line (for a log collector).
    Json,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([0, 0, 0, 0], DEFAULT_PORT)),
            data_dir: default_data_dir(),
            name: default_name(),
            pin: None,
            discovery: true,
            heartbeat: Duration::from_secs(15),
            idle_timeout: Duration::from_secs(45),
            max_frame_bytes: 64 * 1024,
            send_queue: 1024,
            token_ttl: Duration::from_secs(60),
            allowed_origins: Vec::new(),
            sync_full: true,
            presence_grace: Duration::from_secs(10),
            presence_window: Duration::from_millis(100),
            presence_list_max: 100,
            message_rate: 50,
            join_rate: 30,
            join_rate_hub: 300,
            rename_rate: 5,
            pin_fail_rate: 10,
            pin_fail_rate_hub: 30,
            pin_lockout_max: Duration::from_secs(15 * 60),
            party_grace: Duration::from_secs(20),
            party_reveal: Duration::from_secs(8),
            party_countdown: Duration::from_secs(3),
            party_heartbeat: Duration::from_millis(1500),
            party_idle_timeout: Duration::from_millis(4000),
            header_timeout: Duration::from_secs(10),
            max_connections_per_address: 4096,
            max_connections: 0,
            connection_reserve: 256,
            room_rate: 10,
            room_rate_per_address: 100,
            max_rooms: 1000,
            party_rate: 10,
            party_rate_per_address: 100,
            party_live_per_user: 2,
            party_max_live: 500,
            party_expiry: Duration::from_secs(60 * 60),
            max_places: 200,
            place_chat_window_hours: 12,
            place_check_ins: 20,
            pack_rate: 5,
            pack_rate_per_address: 20,
            pack_rate_hub: 30,
            invite_rate: 60,
            invite_rate_per_address: 600,
            dm_request_rate: 20,
            dm_request_rate_per_address: 200,
            reaction_rate: 30,
            reaction_max_distinct: 20,
            status_rate: 30,
            search_rate: 20,
            typing_window: Duration::from_secs(1),
            file_max_mb: 100,
            file_quota_mb: 1024,
            file_min_free_mb: 512,
            upload_concurrent: 3,
            upload_concurrent_per_address: 12,
            upload_rate: 200,
            upload_rate_per_address: 1000,
            kick_cooldown: Duration::from_secs(60),
            admin_token: None,
            log_format: LogFormat::Text,
            retention: Retention::default(),
        }
    }
}

/// Where the `hubbub` binary looks for its settings file when `--config` (or `HUBBUB_CONFIG`) names
/// none, in order; the first that exists is read, the others are not. On Linux: the user's config
/// directory (`$XDG_CONFIG_HOME/hubbub/config.toml`, else `~/.config/hubbub/config.toml`), then
/// `/etc/hubbub/config.toml`, where a service keeps it.
pub fn config_file_candidates() -> Vec<PathBuf> {
    let mut candidates = Vec::new();
    if let Some(dirs) = directories::ProjectDirs::from("", "", "hubbub") {
        candidates.push(dirs.config_dir().join("config.toml"));
    }
    if cfg!(unix) {
        candidates.push(PathBuf::from("/etc/hubbub/config.toml"));
    }
    candidates
}

/// The first settings file of [`config_file_candidates`] that exists.
pub fn find_config_file() -> Option<PathBuf> {
    config_file_candidates().into_iter().find(|p| p.is_file())
}

/// The OS data directory (`~/.local/share/hubbub` on Linux), or `./hubbub-data` if there is none.
pub fn default_data_dir() -> PathBuf {
    directories::ProjectDirs::from("", "", "hubbub")
        .map(|d| d.data_dir().to_owned())
        .unwrap_or_else(|| PathBuf::from("hubbub-data"))
}

fn default_name() -> String {
    "Hubbub".to_owned()
}

/// The optional TOML file. Every key is optional; unknown keys are an error, so typos are caught.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub bind: Option<SocketAddr>,
    pub data_dir: Option<PathBuf>,
    pub name: Option<String>,
    pub pin: Option<String>,
    pub discovery: Option<bool>,
    pub heartbeat_secs: Option<u64>,
    pub idle_timeout_secs: Option<u64>,
    pub max_frame_bytes: Option<usize>,
    pub send_queue: Option<usize>,
    pub token_ttl_secs: Option<u64>,
    pub allowed_origins: Option<Vec<String>>,
    pub sync_full: Option<bool>,
    pub presence_grace_ms: Option<u64>,
    pub presence_window_ms: Option<u64>,
    pub presence_list_max: Option<usize>,
    pub message_rate: Option<usize>,
    pub join_rate: Option<usize>,
    pub join_rate_hub: Option<usize>,
    pub rename_rate: Option<usize>,
    pub pin_fail_rate: Option<usize>,
    pub pin_fail_rate_hub: Option<usize>,
    pub pin_lockout_max_secs: Option<u64>,
    pub party_grace_ms: Option<u64>,
    pub party_reveal_ms: Option<u64>,
    pub party_countdown_ms: Option<u64>,
    pub party_heartbeat_ms: Option<u64>,
    pub party_idle_timeout_ms: Option<u64>,
    pub header_timeout_secs: Option<u64>,
    pub max_connections_per_address: Option<usize>,
    pub max_connections: Option<usize>,
    pub connection_reserve: Option<usize>,
    pub room_rate: Option<usize>,
    pub room_rate_per_address: Option<usize>,
    pub max_rooms: Option<usize>,
    pub party_rate: Option<usize>,
    pub party_rate_per_address: Option<usize>,
    pub party_live_per_user: Option<usize>,
    pub party_max_live: Option<usize>,
    pub party_expiry_secs: Option<u64>,
    pub max_places: Option<usize>,
    pub place_chat_window_hours: Option<u32>,
    pub place_check_ins: Option<usize>,
    pub pack_rate: Option<usize>,
    pub pack_rate_per_address: Option<usize>,
    pub pack_rate_hub: Option<usize>,
    pub invite_rate: Option<usize>,
    pub invite_rate_per_address: Option<usize>,
    pub dm_request_rate: Option<usize>,
    pub dm_request_rate_per_address: Option<usize>,
    pub reaction_rate: Option<usize>,
    pub reaction_max_distinct: Option<usize>,
    pub status_rate: Option<usize>,
    pub search_rate: Option<usize>,
    pub file_max_mb: Option<u64>,
    pub file_quota_mb: Option<u64>,
    pub file_min_free_mb: Option<u64>,
    pub upload_concurrent: Option<usize>,
    pub upload_concurrent_per_address: Option<usize>,
    pub upload_rate: Option<usize>,
    pub upload_rate_per_address: Option<usize>,
    pub typing_window_ms: Option<u64>,
    pub kick_cooldown_secs: Option<u64>,
    pub admin_token: Option<String>,
    pub log_format: Option<LogFormat>,
    pub retention_messages_days: Option<u32>,
    pub retention_idle_sessions_days: Option<u32>,
    pub retention_read_notifications_days: Option<u32>,
    pub retention_ended_parties_days: Option<u32>,
}

/// Why a configuration was refused.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("invalid config file {path}: {source}")]
    Parse { path: PathBuf, source: toml::de::Error },
    #[error("invalid setting {key}: {reason}")]
    Invalid { key: &'static str, reason: String },
}

impl FileConfig {
    /// Reads and parses a TOML config file.
    pub fn load(path: &Path) -> Result<FileConfig, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| ConfigError::Read { path: path.to_owned(), source })?;
        toml::from_str(&text).map_err(|source| ConfigError::Parse { path: path.to_owned(), source })
    }

    /// Applies the file's settings over `config`.
    pub fn apply(self, config: &mut Config) {
        self.apply_budgets(config);
        let secs = Duration::from_secs;
        if let Some(v) = self.bind {
            config.bind = v;
        }
        if let Some(v) = self.data_dir {
            config.data_dir = v;
        }
        if let Some(v) = self.name {
            config.name = v;
        }
        if let Some(v) = self.pin {
            config.pin = Some(v);
        }
        if let Some(v) = self.discovery {
            config.discovery = v;
        }
        if let Some(v) = self.heartbeat_secs {
            config.heartbeat = secs(v);
        }
        if let Some(v) = self.idle_timeout_secs {
            config.idle_timeout = secs(v);
        }
        if let Some(v) = self.max_frame_bytes {
            config.max_frame_bytes = v;
        }
        if let Some(v) = self.send_queue {
            config.send_queue = v;
        }
        if let Some(v) = self.token_ttl_secs {
            config.token_ttl = secs(v);
        }
        if let Some(v) = self.allowed_origins {
            config.allowed_origins = v;
        }
        if let Some(v) = self.sync_full {
            config.sync_full = v;
        }
        if let Some(v) = self.presence_grace_ms {
            config.presence_grace = Duration::from_millis(v);
        }
        if let Some(v) = self.presence_window_ms {
            config.presence_window = Duration::from_millis(v);
        }
        if let Some(v) = self.presence_list_max {
            config.presence_list_max = v;
        }
        if let Some(v) = self.message_rate {
            config.message_rate = v;
        }
        if let Some(v) = self.join_rate {
            config.join_rate = v;
        }
        if let Some(v) = self.join_rate_hub {
            config.join_rate_hub = v;
        }
        if let Some(v) = self.rename_rate {
            config.rename_rate = v;
        }
        if let Some(v) = self.pin_fail_rate {
            config.pin_fail_rate = v;
        }
        if let Some(v) = self.pin_fail_rate_hub {
            config.pin_fail_rate_hub = v;
        }
        if let Some(v) = self.pin_lockout_max_secs {
            config.pin_lockout_max = secs(v);
        }
        if let Some(v) = self.party_grace_ms {
            config.party_grace = Duration::from_millis(v);
        }
        if let Some(v) = self.party_reveal_ms {
            config.party_reveal = Duration::from_millis(v);
        }
        if let Some(v) = self.party_countdown_ms {
            config.party_countdown = Duration::from_millis(v);
        }
        if let Some(v) = self.party_heartbeat_ms {
            config.party_heartbeat = Duration::from_millis(v);
        }
        if let Some(v) = self.party_idle_timeout_ms {
            config.party_idle_timeout = Duration::from_millis(v);
        }
        if let Some(v) = self.header_timeout_secs {
            config.header_timeout = secs(v);
        }
        if let Some(v) = self.max_connections_per_address {
            config.max_connections_per_address = v;
        }
        if let Some(v) = self.max_connections {
            config.max_connections = v;
        }
        if let Some(v) = self.connection_reserve {
            config.connection_reserve = v;
        }
        if let Some(v) = self.log_format {
            config.log_format = v;
        }
        let r = &mut config.retention;
        for (value, field) in [
            (self.retention_messages_days, &mut r.messages_days),
            (self.retention_idle_sessions_days, &mut r.idle_sessions_days),
            (self.retention_read_notifications_days, &mut r.read_notifications_days),
            (self.retention_ended_parties_days, &mut r.ended_parties_days),
        ] {
            if let Some(v) = value {
                *field = v;
            }
        }
    }

    fn apply_budgets(&self, config: &mut Config) {
        let counts = [
            (self.room_rate, &mut config.room_rate),
            (self.room_rate_per_address, &mut config.room_rate_per_address),
            (self.max_rooms, &mut config.max_rooms),
            (self.party_rate, &mut config.party_rate),
            (self.party_rate_per_address, &mut config.party_rate_per_address),
            (self.party_live_per_user, &mut config.party_live_per_user),
            (self.party_max_live, &mut config.party_max_live),
            (self.max_places, &mut config.max_places),
            (self.place_check_ins, &mut config.place_check_ins),
            (self.pack_rate, &mut config.pack_rate),
            (self.pack_rate_per_address, &mut config.pack_rate_per_address),
            (self.pack_rate_hub, &mut config.pack_rate_hub),
            (self.invite_rate, &mut config.invite_rate),
            (self.invite_rate_per_address, &mut config.invite_rate_per_address),
            (self.dm_request_rate, &mut config.dm_request_rate),
            (self.dm_request_rate_per_address, &mut config.dm_request_rate_per_address),
            (self.reaction_rate, &mut config.reaction_rate),
            (self.reaction_max_distinct, &mut config.reaction_max_distinct),
            (self.status_rate, &mut config.status_rate),
            (self.search_rate, &mut config.search_rate),
            (self.upload_concurrent, &mut config.upload_concurrent),
            (self.upload_concurrent_per_address, &mut config.upload_concurrent_per_address),
            (self.upload_rate, &mut config.upload_rate),
            (self.upload_rate_per_address, &mut config.upload_rate_per_address),
        ];
        for (value, field) in counts {
            if let Some(v) = value {
                *field = v;
            }
        }
        let sizes = [
            (self.file_max_mb, &mut config.file_max_mb),
            (self.file_quota_mb, &mut config.file_quota_mb),
            (self.file_min_free_mb, &mut config.file_min_free_mb),
        ];
        for (value, field) in sizes {
            if let Some(v) = value {
                *field = v;
            }
        }
        if let Some(v) = self.party_expiry_secs {
            config.party_expiry = Duration::from_secs(v);
        }
        if let Some(v) = self.place_chat_window_hours {
            config.place_chat_window_hours = v;
        }
        if let Some(v) = self.typing_window_ms {
            config.typing_window = Duration::from_millis(v);
        }
        if let Some(v) = self.kick_cooldown_secs {
            config.kick_cooldown = Duration::from_secs(v);
        }
        if let Some(v) = self.admin_token.as_ref().filter(|t| !t.is_empty()) {
            config.admin_token = Some(v.clone());
        }
    }
}

/// A hub name: 1 to 64 characters, no control characters.
pub fn check_name(name: &str) -> Result<(), ConfigError> {
    if name.is_empty() || name.chars().count() > 64 || name.chars().any(char::is_control) {
        let reason = "must be 1 to 64 characters with no control characters".to_owned();
        return Err(ConfigError::Invalid { key: "name", reason });
    }
    Ok(())
}

/// A join PIN: 1 to 32 characters, no control characters.
pub fn check_pin(pin: &str) -> Result<(), ConfigError> {
    if pin.is_empty() || pin.len() > 32 || pin.chars().any(char::is_control) {
        let reason = "must be 1 to 32 characters with no control characters".to_owned();
        return Err(ConfigError::Invalid { key: "pin", reason });
    }
    Ok(())
}

impl Config {
    /// Checks values that would make the hub misbehave rather than fail loudly.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |key, reason: &str| Err(ConfigError::Invalid { key, reason: reason.to_owned() });
        check_name(self.name.trim())?;
        if let Some(pin) = &self.pin {
            check_pin(pin)?;
        }
        if self.heartbeat.is_zero() || self.idle_timeout <= self.heartbeat {
            return invalid("idle_timeout", "must be longer than the heartbeat, which must be non-zero");
        }
        if self.max_frame_bytes < 1024 {
            return invalid("max_frame_bytes", "must be at least 1024");
        }
        if self.send_queue == 0 {
            return invalid("send_queue", "must be at least 1");
        }
        if !(1..=1024 * 1024).contains(&self.file_max_mb) {
            return invalid("file_max_mb", "must be between 1 and 1048576");
        }
        if self.upload_concurrent == 0 || self.upload_concurrent_per_address == 0 {
            return invalid(
                "upload_concurrent",
                "uploads in flight must be at least 1 per user and per address",
            );
        }
        if self.presence_window.is_zero() || self.presence_window > Duration::from_secs(5) {
            return invalid("presence_window_ms", "must be between 1 and 5000");
        }
        if !(1..=10_000).contains(&self.presence_list_max) {
            return invalid("presence_list_max", "must be between 1 and 10000");
        }
        let minute = Duration::from_secs(60);
        if self.party_heartbeat < Duration::from_millis(100)
            || self.party_heartbeat > minute
            || self.party_idle_timeout <= self.party_heartbeat
            || self.party_idle_timeout > 2 * minute
        {
            return invalid(
                "party_heartbeat_ms",
                "party heartbeat is 100 to 60000, and party_idle_timeout_ms longer than it and at most 120000",
            );
        }
        if self.party_grace > 10 * minute || self.party_reveal > minute || self.party_countdown > minute {
            return invalid(
                "party_*_ms",
                "party grace is at most 600000, reveal and countdown at most 60000",
            );
        }
        if self.pin_fail_rate == 0 || self.pin_fail_rate_hub == 0 {
            return invalid("pin_fail_rate", "wrong-PIN limits must be at least 1");
        }
        if self.pin_lockout_max < Duration::from_secs(60)
            || self.pin_lockout_max > Duration::from_secs(86_400)
        {
            return invalid("pin_lockout_max_secs", "must be between 60 and 86400");
        }
        if self.party_expiry.is_zero() || self.party_expiry > Duration::from_secs(7 * 24 * 60 * 60) {
            return invalid("party_expiry_secs", "must be between 1 and 604800 (a week)");
        }
        if !(1..=168).contains(&self.place_chat_window_hours) {
            return invalid("place_chat_window_hours", "must be between 1 and 168 (a week)");
        }
        if self.typing_window.is_zero() || self.typing_window > Duration::from_secs(10) {
            return invalid("typing_window_ms", "must be between 1 and 10000");
        }
        if self.kick_cooldown > Duration::from_secs(86_400) {
            return invalid("kick_cooldown_secs", "must be at most 86400 (a day)");
        }
        if self
            .admin_token
            .as_ref()
            .is_some_and(|t| t.len() < 16 || t.chars().any(|c| c.is_whitespace() || c.is_control()))
        {
            return invalid("admin_token", "must be at least 16 characters, without spaces");
        }
        if self.token_ttl.is_zero() {
            return invalid("token_ttl_secs", "must be at least 1");
        }
        if self.header_timeout.is_zero() || self.header_timeout > Duration::from_secs(300) {
            return invalid("header_timeout_secs", "must be between 1 and 300");
        }
        if self.max_connections_per_address == 0 {
            return invalid("max_connections_per_address", "must be at least 1");
        }
        let r = self.retention;
        if [r.messages_days, r.idle_sessions_days, r.read_notifications_days, r.ended_parties_days]
            .iter()
            .any(|d| *d > 36_500)
        {
            return invalid("retention_*_days", "must be at most 36500 (a hundred years; 0 keeps for ever)");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_settings_apply_and_typos_are_refused() {
        let file: FileConfig = toml::from_str("name = \"Attic\"\nheartbeat_secs = 5\npin = \"42\"").unwrap();
        let mut c = Config::default();
        file.apply(&mut c);
        assert_eq!(c.name, "Attic");
        assert_eq!(c.heartbeat, Duration::from_secs(5));
        assert_eq!(c.pin.as_deref(), Some("42"));
        assert!(toml::from_str::<FileConfig>("nmae = \"x\"").is_err());
        let file: FileConfig =
            toml::from_str("room_rate = 3\nparty_expiry_secs = 5\ntyping_window_ms = 250").unwrap();
        file.apply(&mut c);
        assert_eq!((c.room_rate, c.party_expiry), (3, Duration::from_secs(5)));
        assert_eq!(c.typing_window, Duration::from_millis(250));
        assert_eq!(c.search_rate, Config::default().search_rate, "unset keys keep their defaults");
    }

    #[cfg(unix)]
    #[test]
    fn the_users_settings_file_comes_before_the_systems() {
        let candidates = config_file_candidates();
        assert!(candidates.len() >= 2, "{candidates:?}");
        assert!(candidates[0].ends_with("hubbub/config.toml"), "{candidates:?}");
        assert_eq!(candidates.last().unwrap(), Path::new("/etc/hubbub/config.toml"));
    }

    #[test]
    fn validation_catches_bad_values() {
        let mut c = Config::default();
        assert!(c.validate().is_ok());
        c.idle_timeout = c.heartbeat;
        assert!(c.validate().is_err());
        let c = Config { name: " ".into(), ..Config::default() };
        assert!(c.validate().is_err());
        let mut c = Config::default();
        c.party_idle_timeout = c.party_heartbeat;
        assert!(c.validate().is_err(), "a party socket must get a heartbeat before it is dropped");
        c.party_idle_timeout = Duration::from_secs(4);
        c.party_heartbeat = Duration::from_millis(50);
        assert!(c.validate().is_err(), "pings faster than 100 ms are refused");
        let file: FileConfig =
            toml::from_str("party_heartbeat_ms = 1000\nparty_idle_timeout_ms = 3000").unwrap();
        let mut c = Config::default();
        file.apply(&mut c);
        assert_eq!(
            (c.party_heartbeat, c.party_idle_timeout),
            (Duration::from_secs(1), Duration::from_secs(3))
        );
        assert!(c.validate().is_ok());
    }
}
