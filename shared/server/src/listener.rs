//! The hub's front gate: accepts TCP connections, decides which may stay, and serves each over HTTP/1
//! with deadlines, so connections that never finish a request cannot pile up.
//!
//! - **Deadlines.** A connection must send its first byte within `header_timeout` of opening (until
//!   then it is only a socket and a small task: hyper's connection and its buffers are made once
//!   there is something to read), then a complete request head within `header_timeout` (or of its
//!   previous response): one that trickles its headers a byte at a time is closed. Until
//!   the connection is upgraded to a WebSocket, a response the client does not read for as long is
//!   given up too. After the upgrade the socket's own heartbeat and idle timeout take over.
//! - **Admission.** Each open connection holds a [`Permit`], counted per client address and in all.
//!   An address at its cap (`max_connections_per_address`) is refused. When only the reserve is
//!   left (`connection_reserve` below the capacity), only addresses holding fewer than
//!   [`FEW`] connections are let in, so a guest can still load the page, join and reconnect while a
//!   flood is refused; at the capacity everyone is. A refused connection is closed at once, before
//!   any byte is read, and counted; refusals are logged once per [`REPORT_EVERY`] with their count.
//! - **Open files.** The soft open-file limit is raised to the hard one at start, and the capacity
//!   stays [`FD_OVERHEAD`] below it, so `accept` does not fail with "too many open files" and the
//!   store and discovery keep the descriptors they need. Should `accept` fail anyway, the loop
//!   backs off briefly instead of spinning.

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, ready};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Sleep;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::ServiceExt;

use crate::config::Config;

/// Open files the hub keeps for itself (the database and its journal for the writer and each
/// reader, mDNS sockets, discovery probes, logs): the connection capacity stays this far below
/// the open-file limit.
pub const FD_OVERHEAD: usize = 128;
/// Once only the reserve is left, an address holding this many connections or more gets no more.
/// A browser tab holds one socket and a handful of HTTP connections.
pub const FEW: usize = 8;
/// Refusals and accept errors are logged at most once per this interval, with a count.
pub const REPORT_EVERY: Duration = Duration::from_secs(10);
/// How long the accept loop waits after `accept` fails for want of resources.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);
/// How long shutdown waits for requests in flight to finish.
const HTTP_GRACE: Duration = Duration::from_secs(5);

/// Raises the soft open-file limit to the hard one (the soft one is often 1,024) and returns it;
/// `None` when it cannot be read.
pub fn raise_open_file_limit() -> Option<u64> {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(n) => {
            tracing::debug!(limit = n, "open file limit");
            Some(n)
        }
        Err(e) => {
            tracing::warn!(error = %e, "could not raise the open file limit");
            rlimit::getrlimit(rlimit::Resource::NOFILE).ok().map(|(soft, _)| soft)
        }
    }
}

/// Why a connection was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// Its address already holds `max_connections_per_address`.
    PerAddress,
    /// Only the reserve is left and its address already holds [`FEW`] or more, or the capacity is
    /// reached.
    Full,
}

/// Counts open connections per client address and in all, and admits or refuses new ones.
#[derive(Clone)]
pub struct Gate {
    inner: Arc<GateInner>,
}

impl std::fmt::Debug for Gate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gate")
            .field("capacity", &self.inner.capacity)
            .field("high_water", &self.inner.high_water)
            .field("per_address", &self.inner.per_address)
            .finish_non_exhaustive()
    }
}

struct GateInner {
    per_address: usize,
    /// Most connections open at once.
    capacity: usize,
    /// Above this many, only addresses holding fewer than [`FEW`] are admitted.
    high_water: usize,
    state: Mutex<GateState>,
}

#[derive(Default)]
struct GateState {
    open: usize,
    by_address: HashMap<IpAddr, usize>,
    /// Refusals since the last report, by reason, and the last address refused.
    refused_per_address: u64,
    refused_full: u64,
    last_refused: Option<IpAddr>,
    accept_errors: u64,
    last_accept_error: Option<String>,
    last_report: Option<Instant>,
}

/// One admitted connection; dropping it (when the socket closes) gives its place back.
pub struct Permit {
    gate: Arc<GateInner>,
    ip: IpAddr,
}

impl std::fmt::Debug for Permit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Permit").field("ip", &self.ip).finish_non_exhaustive()
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        let mut state = self.gate.state.lock().unwrap_or_else(|p| p.into_inner());
        state.open = state.open.saturating_sub(1);
        if let Some(n) = state.by_address.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                state.by_address.remove(&self.ip);
            }
        }
    }
}

impl Gate {
    /// A gate for `config`'s limits, with `open_files` the process's open-file limit (`None`:
    /// unknown, and then only `max_connections` bounds the total).
    pub fn new(config: &Config, open_files: Option<u64>) -> Gate {
        let from_files = open_files
            .map(|n| usize::try_from(n).unwrap_or(usize::MAX).saturating_sub(FD_OVERHEAD).max(FEW * 2))
            .unwrap_or(usize::MAX);
        let capacity = match config.max_connections {
            0 => from_files,
            n => n.min(from_files),
        };
        let reserve = config.connection_reserve.min(capacity / 4);
        Gate {
            inner: Arc::new(GateInner {
                per_address: config.max_connections_per_address,
                capacity,
                high_water: capacity - reserve,
                state: Mutex::new(GateState::default()),
            }),
        }
    }

    /// Most connections open at once.
    pub fn capacity(&self) -> usize {
        self.inner.capacity
    }

    /// Connections open now.
    pub fn open(&self) -> usize {
        self.inner.state.lock().unwrap_or_else(|p| p.into_inner()).open
    }

    /// Admits a connection from `ip`, or says why not (counting the refusal, and logging it when
    /// the last report is [`REPORT_EVERY`] old).
    pub fn admit(&self, ip: IpAddr, now: Instant) -> Result<Permit, Refused> {
        let inner = &self.inner;
        let mut state = inner.state.lock().unwrap_or_else(|p| p.into_inner());
        let held = state.by_address.get(&ip).copied().unwrap_or(0);
        let refused = if held >= inner.per_address {
            Some(Refused::PerAddress)
        } else if state.open >= inner.capacity || (state.open >= inner.high_water && held >= FEW) {
            Some(Refused::Full)
        } else {
            None
        };
        if let Some(why) = refused {
            match why {
                Refused::PerAddress => state.refused_per_address += 1,
                Refused::Full => state.refused_full += 1,
            }
            state.last_refused = Some(ip);
            self.report_locked(&mut state, now);
            return Err(why);
        }
        state.open += 1;
        *state.by_address.entry(ip).or_insert(0) += 1;
        Ok(Permit { gate: Arc::clone(inner), ip })
    }

    /// Counts a failed `accept` (logged with the refusals).
    fn accept_failed(&self, e: &io::Error, now: Instant) {
        let mut state = self.inner.state.lock().unwrap_or_else(|p| p.into_inner());
        state.accept_errors += 1;
        state.last_accept_error = Some(e.to_string());
        self.report_locked(&mut state, now);
    }

    /// Logs what was refused since the last report, if anything and if that report is
    /// [`REPORT_EVERY`] old.
    pub fn report(&self, now: Instant) {
        let mut state = self.inner.state.lock().unwrap_or_else(|p| p.into_inner());
        self.report_locked(&mut state, now);
    }

    fn report_locked(&self, state: &mut GateState, now: Instant) {
        if state.refused_per_address + state.refused_full + state.accept_errors == 0 {
            return;
        }
        if state.last_report.is_some_and(|at| now.duration_since(at) < REPORT_EVERY) {
            return;
        }
        state.last_report = Some(now);
        let inner = &self.inner;
        if state.refused_per_address + state.refused_full > 0 {
            tracing::warn!(
                per_address = state.refused_per_address,
                full = state.refused_full,
                last_address = ?state.last_refused,
                open = state.open,
                capacity = inner.capacity,
                max_per_address = inner.per_address,
                "refused connections: over their address's cap (per_address), or open files nearly \
                 used up (full)"
            );
        }
        if state.accept_errors > 0 {
            tracing::warn!(
                count = state.accept_errors,
                error = state.last_accept_error.as_deref().unwrap_or(""),
                open = state.open,
                "accepting connections failed; backing off"
            );
        }
        state.refused_per_address = 0;
        state.refused_full = 0;
        state.accept_errors = 0;
        state.last_refused = None;
        state.last_accept_error = None;
    }
}

/// An accepted socket with its permit. Until the connection is upgraded (`http` cleared), a write
/// that the client leaves blocked for longer than the deadline fails the connection.
struct Guarded {
    stream: TcpStream,
    _permit: Permit,
    http: Arc<AtomicBool>,
    deadline: Duration,
    stalled: Option<Pin<Box<Sleep>>>,
}

impl Guarded {
    /// Tracks a write that could not proceed: fails once it has waited past the deadline.
    fn stall(&mut self, cx: &mut Context<'_>) -> Poll<io::Error> {
        if !self.http.load(Ordering::Relaxed) {
            self.stalled = None;
            return Poll::Pending;
        }
        let deadline = self.deadline;
        let sleep = self.stalled.get_or_insert_with(|| Box::pin(tokio::time::sleep(deadline)));
        ready!(sleep.as_mut().poll(cx));
        Poll::Ready(io::Error::new(io::ErrorKind::TimedOut, "the client did not read its response in time"))
    }

    fn progressed<T>(&mut self, poll: Poll<io::Result<T>>, cx: &mut Context<'_>) -> Poll<io::Result<T>> {
        match poll {
            Poll::Ready(r) => {
                self.stalled = None;
                Poll::Ready(r)
            }
            Poll::Pending => self.stall(cx).map(Err),
        }
    }
}

impl AsyncRead for Guarded {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Guarded {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.stream).poll_write(cx, buf);
        self.progressed(poll, cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.stream).poll_write_vectored(cx, bufs);
        self.progressed(poll, cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let poll = Pin::new(&mut self.stream).poll_flush(cx);
        self.progressed(poll, cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

/// Whether an `accept` error concerns only the connection being accepted (try the next one at
/// once) rather than the process (back off).
fn is_connection_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused | io::ErrorKind::ConnectionAborted | io::ErrorKind::ConnectionReset
    )
}

/// Accepts on `listener` and serves `app` on each admitted connection until `shutdown` completes;
/// then stops accepting, lets requests in flight finish (closing idle connections), and returns.
/// Handlers find the peer's address as `ConnectInfo<SocketAddr>`.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    gate: Gate,
    header_timeout: Duration,
    shutdown: impl Future<Output = ()>,
) {
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(header_timeout);
    let builder = Arc::new(builder);
    let closing = CancellationToken::new();
    let tasks = TaskTracker::new();
    let mut report = tokio::time::interval(REPORT_EVERY);
    report.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            _ = report.tick() => {
                gate.report(Instant::now());
                continue;
            }
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) if is_connection_error(&e) => continue,
                Err(e) => {
                    gate.accept_failed(&e, Instant::now());
                    tokio::select! {
                        () = &mut shutdown => break,
                        () = tokio::time::sleep(ACCEPT_BACKOFF) => continue,
                    }
                }
            },
        };
        let Ok(permit) = gate.admit(peer.ip(), Instant::now()) else {
            // Closed before reading anything: the cheapest refusal there is.
            drop(stream);
            continue;
        };
        // A socket's frames go out in one write per batch the writer takes (see `ws::wire`), often a
        // single small frame, which must not wait for the peer's delayed ACK: an ack followed by
        // its event would otherwise sit 40 ms in Nagle's buffer.
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!(error = %e, "could not set TCP_NODELAY");
        }
        let http = Arc::new(AtomicBool::new(true));
        let io = Guarded {
            stream,
            _permit: permit,
            http: Arc::clone(&http),
            deadline: header_timeout,
            stalled: None,
        };
        let service =
            app.clone().map_request(move |mut req: axum::extract::Request<hyper::body::Incoming>| {
                req.extensions_mut().insert(ConnectInfo::<SocketAddr>(peer));
                req
            });
        let builder = Arc::clone(&builder);
        let closing = closing.clone();
        tasks.spawn(async move {
            // Until its first byte a connection costs only its socket and this task: hyper's
            // connection sets aside 16 KiB of buffers as soon as it is made. The same header
            // deadline bounds the wait.
            // (A peek, not `readable()`: readiness can be reported before any byte has come.)
            let mut first = [0u8; 1];
            tokio::select! {
                peeked = tokio::time::timeout(header_timeout, io.stream.peek(&mut first)) => {
                    if !matches!(peeked, Ok(Ok(1))) {
                        return;
                    }
                }
                () = closing.cancelled() => return,
            }
            let conn =
                builder.serve_connection(TokioIo::new(io), TowerToHyperService::new(service)).with_upgrades();
            tokio::pin!(conn);
            let result = tokio::select! {
                result = conn.as_mut() => result,
                () = closing.cancelled() => {
                    conn.as_mut().graceful_shutdown();
                    conn.await
                }
            };
            // Served, closed or upgraded: from here on the socket (if upgraded) keeps its own time.
            http.store(false, Ordering::Relaxed);
            if let Err(e) = result {
                tracing::trace!(%peer, error = %e, "connection ended with an error");
            }
        });
    }
    drop(listener);
    closing.cancel();
    tasks.close();
    if tokio::time::timeout(HTTP_GRACE, tasks.wait()).await.is_err() {
        tracing::debug!(open = tasks.len(), "requests still in flight after the shutdown grace period");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gate(per_address: usize, max: usize, reserve: usize) -> Gate {
        let config = Config {
            max_connections_per_address: per_address,
            max_connections: max,
            connection_reserve: reserve,
            ..Config::default()
        };
        Gate::new(&config, Some(1_000_000))
    }

    #[test]
    fn an_address_at_its_cap_is_refused_and_others_are_not() {
        let gate = gate(3, 0, 10);
        let now = Instant::now();
        let a: IpAddr = [10, 0, 0, 1].into();
        let b: IpAddr = [10, 0, 0, 2].into();
        let held: Vec<Permit> = (0..3).map(|_| gate.admit(a, now).unwrap()).collect();
        assert_eq!(gate.admit(a, now).unwrap_err(), Refused::PerAddress);
        let other = gate.admit(b, now).unwrap();
        drop(held);
        assert_eq!(gate.open(), 1);
        gate.admit(a, now).expect("places come back when connections close");
        drop(other);
    }

    #[test]
    fn the_reserve_is_kept_for_addresses_holding_few() {
        let gate = gate(1000, 100, 20);
        let now = Instant::now();
        let flood: IpAddr = [10, 0, 0, 9].into();
        let mut held: Vec<Permit> = Vec::new();
        while let Ok(p) = gate.admit(flood, now) {
            held.push(p);
        }
        assert_eq!(held.len(), 80, "the flooder stops at the high-water mark");
        // A guest holding few still gets in, up to the capacity.
        let guests: Vec<Permit> =
            (0..20u8).map(|i| gate.admit([10, 0, 1, i].into(), now).expect("guest admitted")).collect();
        assert_eq!(gate.admit([10, 0, 2, 1].into(), now).unwrap_err(), Refused::Full);
        drop(guests);
        assert_eq!(gate.open(), 80);
    }

    #[test]
    fn the_capacity_stays_below_the_open_file_limit() {
        let gate = Gate::new(&Config::default(), Some(1024));
        assert_eq!(gate.capacity(), 1024 - FD_OVERHEAD);
        assert_eq!(gate.inner.high_water, gate.capacity() - gate.capacity() / 4);
        let capped = Gate::new(&Config { max_connections: 50, ..Config::default() }, Some(1024));
        assert_eq!(capped.capacity(), 50);
    }
}
