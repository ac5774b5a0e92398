//! The hub's metrics, for `/metrics` in the Prometheus text format: every series is registered
//! once, when the hub opens, and the paths that run per frame only bump a pre-made atomic counter
//! (no allocation, no lock). Gauges that are cheap to read on demand (live parties, the process's
//! memory and open files) are read when a scrape asks.

mod labeled;
mod names;
mod process;

pub use names::{CLIENT_FRAMES, CLOSE_CODES, SERVER_FRAMES, frame_type};

use labeled::Labeled;

use std::time::Duration;

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::Registry;

/// What the store's writer thread records about each batch.
#[derive(Debug, Clone)]
pub struct StoreMetrics {
    batch_jobs: Histogram,
    commit_seconds: Histogram,
    failures: Counter,
}

impl StoreMetrics {
    /// Records one batch: its jobs, how long it took to run and commit, and whether it committed.
    pub fn batch(&self, jobs: usize, took: Duration, committed: bool) {
        self.batch_jobs.observe(jobs as f64);
        self.commit_seconds.observe(took.as_secs_f64());
        if !committed {
            self.failures.inc();
        }
    }
}

impl Default for StoreMetrics {
    fn default() -> Self {
        StoreMetrics {
            batch_jobs: Histogram::new(exponential_buckets(1.0, 2.0, 11)),
            commit_seconds: Histogram::new(exponential_buckets(0.000_25, 2.0, 14)),
            failures: Counter::default(),
        }
    }
}

/// The path label of the connection series: the route a socket was opened on (`/ws`,
/// `/ws/rooms/{id}`...), a handful of values.
type PathLabel = [(&'static str, String); 1];

/// Every series of one hub. Built once by [`Metrics::new`]; shared by the core.
pub struct Metrics {
    registry: Registry,
    connections_open: Family<PathLabel, Gauge>,
    connections_total: Family<PathLabel, Counter>,
    frames_in: Labeled,
    frames_out: Labeled,
    deliveries: Counter,
    closes: Labeled,
    refusals: Family<[(&'static str, String); 2], Counter>,
    presence_flushes: Counter,
    presence_frames: Counter,
    uploads: Counter,
    upload_bytes: Counter,
    store: StoreMetrics,
    parties_live: Gauge,
    party_players: Gauge,
    resident_memory: Gauge,
    open_fds: Gauge,
    max_fds: Gauge,
    /// Held while a scrape adds up the per-thread counts.
    scrape: std::sync::Mutex<()>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    /// Registers every series, at zero.
    pub fn new() -> Metrics {
        let mut r = Registry::default();
        r.register(
            "hubbub_build",
            "The hub's version and protocol version",
            Info::new(vec![
                ("version", env!("CARGO_PKG_VERSION").to_owned()),
                ("protocol", hubbub_protocol::PROTOCOL_VERSION.to_string()),
            ]),
        );
        let connections_open = Family::<PathLabel, Gauge>::default();
        r.register(
            "hubbub_connections_open",
            "WebSocket connections open now, by route",
            connections_open.clone(),
        );
        let connections_total = Family::<PathLabel, Counter>::default();
        r.register("hubbub_connections", "WebSocket connections opened, by route", connections_total.clone());
        let frames_in = Labeled::register(
            &mut r,
            "hubbub_frames_in",
            "Frames received from clients, by type",
            "type",
            CLIENT_FRAMES,
        );
        let frames_out = Labeled::register(
            &mut r,
            "hubbub_frames_out",
            "Frames written to sockets, by type",
            "type",
            SERVER_FRAMES,
        );
        let deliveries = Counter::default();
        r.register(
            "hubbub_deliveries",
            "Copies of channel events queued for subscribers (one per subscriber of each fan-out)",
            deliveries.clone(),
        );
        let close_names: &'static [&'static str] = names::CLOSE_LABELS;
        let closes = Labeled::register(
            &mut r,
            "hubbub_closes",
            "WebSocket connections ended, by close code (4008: too slow; peer: the client closed or vanished)",
            "code",
            close_names,
        );
        let refusals = Family::<[(&'static str, String); 2], Counter>::default();
        r.register(
            "hubbub_refusals",
            "Requests and commands refused, by error code and front door (rest, socket, upgrade)",
            refusals.clone(),
        );
        let presence_flushes = Counter::default();
        r.register("hubbub_presence_flushes", "Presence flushes that sent changes", presence_flushes.clone());
        let presence_frames = Counter::default();
        r.register(
            "hubbub_presence_frames",
            "Presence diff frames queued by the flushes",
            presence_frames.clone(),
        );
        let uploads = Counter::default();
        r.register("hubbub_uploads", "Files and photos stored (uploads that completed)", uploads.clone());
        let upload_bytes = Counter::default();
        r.register("hubbub_upload_bytes", "Bytes of the uploads that completed", upload_bytes.clone());
        let store = StoreMetrics::default();
        r.register(
            "hubbub_store_batch_jobs",
            "Write jobs per group-committed batch",
            store.batch_jobs.clone(),
        );
        r.register(
            "hubbub_store_commit_seconds",
            "Time to run and commit one batch of writes",
            store.commit_seconds.clone(),
        );
        r.register("hubbub_store_commit_failures", "Batches whose commit failed", store.failures.clone());
        let parties_live = Gauge::default();
        r.register("hubbub_parties_live", "Parties not yet over", parties_live.clone());
        let party_players = Gauge::default();
        r.register("hubbub_party_players", "Players seated in parties not yet over", party_players.clone());
        let resident_memory = Gauge::default();
        r.register(
            "process_resident_memory_bytes",
            "Resident memory of the hub process",
            resident_memory.clone(),
        );
        let open_fds = Gauge::default();
        r.register("process_open_fds", "Open file descriptors of the hub process", open_fds.clone());
        let max_fds = Gauge::default();
        r.register("process_max_fds", "The hub process's open-file limit", max_fds.clone());
        Metrics {
            registry: r,
            connections_open,
            connections_total,
            frames_in,
            frames_out,
            deliveries,
            closes,
            refusals,
            presence_flushes,
            presence_frames,
            uploads,
            upload_bytes,
            store,
            parties_live,
            party_players,
            resident_memory,
            open_fds,
            max_fds,
            scrape: std::sync::Mutex::new(()),
        }
    }

    /// The writer thread's handles.
    pub fn store(&self) -> StoreMetrics {
        self.store.clone()
    }

    /// A file or photo was stored.
    pub fn uploaded(&self, bytes: u64) {
        self.uploads.inc();
        self.upload_bytes.inc_by(bytes);
    }

    /// The counter of fan-out deliveries, for the channel registry.
    pub fn deliveries(&self) -> Counter {
        self.deliveries.clone()
    }

    /// A socket opened on `route`.
    pub fn connection_opened(&self, route: &str) {
        let label = [("path", route.to_owned())];
        self.connections_total.get_or_create(&label).inc();
        self.connections_open.get_or_create(&label).inc();
    }

    /// A socket opened on `route` ended with `code` (`None`: the peer closed or vanished).
    pub fn connection_closed(&self, route: &str, code: Option<u16>) {
        self.connections_open.get_or_create(&[("path", route.to_owned())]).dec();
        self.closes.inc(names::close_label(code));
    }

    /// A socket refused at its upgrade, closed with `code` (it never counted as open).
    pub fn connection_refused(&self, code: u16) {
        self.closes.inc(names::close_label(Some(code)));
    }

    /// A client frame of type `kind` arrived (`invalid` when it did not parse, `binary`).
    pub fn frame_in(&self, kind: &str) {
        self.frames_in.inc(kind);
    }

    /// An encoded server frame was written to a socket. An `error` frame is a refusal too, counted
    /// by its code.
    pub fn frame_out(&self, frame: &str) {
        let kind = frame_type(frame);
        self.frames_out.inc(kind);
        if kind == "error" {
            self.refused("socket", names::error_code(frame));
        }
    }

    /// A refusal with error `code` (its wire name) went out through `via` (`rest`, `socket`,
    /// `upgrade`).
    pub fn refused(&self, via: &'static str, code: &str) {
        self.refusals.get_or_create(&[("code", code.to_owned()), ("via", via.to_owned())]).inc();
    }

    /// A presence flush sent `frames` diff frames.
    pub fn presence_flushed(&self, frames: usize) {
        if frames > 0 {
            self.presence_flushes.inc();
            self.presence_frames.inc_by(frames as u64);
        }
    }

    /// The text exposition (OpenMetrics, which Prometheus reads), with the on-demand gauges read
    /// now: `parties` is (live parties, their players).
    pub fn render(&self, parties: (usize, usize)) -> String {
        let gauge = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
        self.parties_live.set(gauge(parties.0));
        self.party_players.set(gauge(parties.1));
        let p = process::read();
        self.resident_memory.set(p.resident_bytes.map_or(-1, gauge_u64));
        self.open_fds.set(p.open_fds.map_or(-1, gauge));
        self.max_fds.set(p.max_fds.map_or(-1, gauge_u64));
        {
            let _one_scrape_at_a_time = self.scrape.lock().unwrap_or_else(|p| p.into_inner());
            for labeled in [&self.frames_in, &self.frames_out, &self.closes] {
                labeled.sync();
            }
        }
        let mut out = String::with_capacity(16 * 1024);
        if let Err(e) = encode(&mut out, &self.registry) {
            tracing::error!(error = %e, "metrics did not encode");
        }
        out
    }
}

fn gauge_u64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// The content type of [`Metrics::render`]'s text.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[cfg(test)]
mod tests;
