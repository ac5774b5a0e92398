//! Black-box test helpers: start a hub on port 0 with a temporary data directory, and talk to it with
//! the project's own Rust client, over real sockets to a real SQLite file.
//!
//! A hub runs in one of two ways:
//! - [`TestHub::start`]: in this test process, through the library's public entry points (the same
//!   flags as `hubbub serve`, parsed by its own command line into a [`Config`], then [`Hub::open`] and
//!   [`serve`] on a runtime of the hub's own thread). Fast to start, and what most tests need.
//! - [`TestHub::start_process`]: the `hubbub` binary as a child process, for what only a process
//!   shows: a SIGKILL mid-write ([`TestHub::kill`]), what the binary prints, mDNS discovery as
//!   `main` starts it.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock, mpsc};
use std::thread::JoinHandle;
use std::time::Duration;

pub mod party;
pub mod raw;

use clap::Parser;
pub use hubbub_client::{ClientError, Connection, Event, HubClient, Session};
use hubbub_protocol::ServerFrame;
use hubbub_server::cli::{Cli, Command as HubCommand};
use hubbub_server::{Config, Hub, serve};

/// How long a test waits for any single expected frame.
pub const WAIT: Duration = Duration::from_secs(10);

/// The `hubbub` binary: `$HUBBUB_BIN` if set; otherwise the workspace's own, built (or brought up to
/// date) once per test process, so a test never runs a stale hub.
pub fn hub_binary() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        if let Some(p) = std::env::var_os("HUBBUB_BIN") {
            return PathBuf::from(p);
        }
        // The test runs as <target>/<profile>/deps/<test>-<hash>; the binary is <target>/<profile>/hubbub.
        let exe = std::env::current_exe().expect("test executable path");
        let profile_dir = exe.parent().and_then(Path::parent).expect("target/<profile> directory");
        let target_dir = profile_dir.parent().expect("target directory");
        let profile = profile_dir.file_name().and_then(|n| n.to_str()).unwrap_or("debug");
        let profile = if profile == "debug" { "dev" } else { profile };
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let status = Command::new(cargo)
            .args(["build", "--quiet", "-p", "hubbub-server", "--bin", "hubbub", "--profile", profile])
            .arg("--target-dir")
            .arg(target_dir)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .expect("run cargo to build the hub");
        assert!(status.success(), "building the hubbub binary failed");
        profile_dir.join(format!("hubbub{}", std::env::consts::EXE_SUFFIX))
    })
    .clone()
}

/// The flags every test hub gets before the test's own: loopback only, no mDNS, a known name.
fn serve_args(data_dir: &Path, args: &[String]) -> Vec<String> {
    let fixed = ["serve", "--bind", "127.0.0.1:0", "--no-discovery", "--name", "Test Hub", "--data-dir"];
    let mut all: Vec<String> = fixed.iter().map(|s| (*s).to_owned()).collect();
    all.push(data_dir.to_str().expect("a UTF-8 temporary directory").to_owned());
    all.extend(args.iter().cloned());
    all
}

/// The [`Config`] the binary would run with, given the same flags (and the same `HUBBUB_*` variables).
fn hub_config(data_dir: &Path, args: &[String]) -> Config {
    let argv = std::iter::once("hubbub".to_owned()).chain(serve_args(data_dir, args));
    let cli = Cli::try_parse_from(argv).unwrap_or_else(|e| panic!("hub flags {args:?}: {e}"));
    let Some(HubCommand::Serve(serve_args)) = cli.command else { unreachable!("parsed as `serve`") };
    serve_args.resolve().unwrap_or_else(|e| panic!("hub flags {args:?}: {e}"))
}

/// In-process hubs log like the binary (`$HUBBUB_LOG`, else debug for the hub) into the test's
/// captured output, which the test runner shows when a test fails.
fn init_logging() {
    static INIT: OnceLock<()> = OnceLock::new();
    INIT.get_or_init(|| {
        let filter = tracing_subscriber::EnvFilter::try_from_env("HUBBUB_LOG")
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("hubbub_server=debug,info"));
        let _ = tracing_subscriber::fmt().with_env_filter(filter).with_test_writer().try_init();
    });
}

/// A hub served by [`serve`] on a thread of its own, with its own multi-threaded runtime, so it keeps
/// running whatever the test's runtime does (a current-thread runtime, a blocking call).
struct InProcess {
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<std::io::Result<()>>>,
    data_dir: PathBuf,
}

impl InProcess {
    /// Binds, opens the hub's store and starts serving; returns once the hub accepts connections.
    fn start(config: Config) -> (InProcess, String) {
        init_logging();
        let data_dir = config.data_dir.clone();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let (ready_tx, ready) = mpsc::channel::<Result<std::net::SocketAddr, String>>();
        let thread = std::thread::Builder::new()
            .name("test-hub".into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .enable_all()
                    .thread_name("test-hub-worker")
                    .build()?;
                let result = runtime.block_on(async move {
                    let bind = config.bind;
                    let listener = match tokio::net::TcpListener::bind(bind).await {
                        Ok(l) => l,
                        Err(e) => {
                            let _ = ready_tx.send(Err(format!("cannot listen on {bind}: {e}")));
                            return Err(e);
                        }
                    };
                    let addr = listener.local_addr()?;
                    let hub = match Hub::open(config).await {
                        Ok(hub) => hub,
                        Err(e) => {
                            let _ = ready_tx.send(Err(format!("cannot open the store: {e}")));
                            return Err(std::io::Error::other(e.to_string()));
                        }
                    };
                    let _ = ready_tx.send(Ok(addr));
                    // A dropped sender (the test hub dropped) stops the hub as well.
                    serve(listener, hub, async move {
                        let _ = stopped.await;
                    })
                    .await
                });
                // Everything acknowledged is committed once `serve` returns; anything still running
                // belongs to a stopped hub.
                runtime.shutdown_timeout(Duration::from_secs(5));
                result
            })
            .expect("start the hub's thread");
        let mut hub = InProcess { stop: Some(stop), thread: Some(thread), data_dir };
        match ready.recv_timeout(Duration::from_secs(30)) {
            Ok(Ok(addr)) => (hub, format!("http://{addr}")),
            Ok(Err(e)) => {
                hub.stop();
                panic!("the in-process hub did not start: {e}");
            }
            Err(_) => {
                let outcome = if hub.stop() { "exited" } else { "failed" };
                panic!("the in-process hub {outcome} before accepting connections");
            }
        }
    }

    /// Shuts the hub down gracefully, like SIGTERM, and waits for [`serve`] to return and the store
    /// to close its files; whether `serve` returned `Ok`.
    fn stop(&mut self) -> bool {
        drop(self.stop.take());
        let Some(thread) = self.thread.take() else { return false };
        let clean = thread.join().is_ok_and(|result| result.is_ok());
        wait_for_store_closed(&self.data_dir);
        clean
    }
}

/// The store closes its SQLite connections on its own threads a few milliseconds after [`serve`]
/// returns (nothing waits for them): the writer's, closing last, removes the write-ahead log, and then
/// the data directory's lock is released. A test that looks at the data directory of a stopped hub,
/// or starts another on it, waits for both (at most 5 s): the files then stay as they are, and a new
/// hub may take the directory, as after a process has exited.
fn wait_for_store_closed(data_dir: &Path) {
    let wal_left = || {
        std::fs::read_dir(data_dir).is_ok_and(|entries| {
            entries.filter_map(Result::ok).any(|e| e.file_name().to_string_lossy().ends_with("-wal"))
        })
    };
    // The hub's lock is an OS file lock; taking it (and letting it go at once) says it is free.
    let locked = || {
        std::fs::OpenOptions::new()
            .write(true)
            .open(data_dir.join("hubbub.lock"))
            .is_ok_and(|file| file.try_lock().is_err())
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while (wal_left() || locked()) && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(2));
    }
}

impl Drop for InProcess {
    fn drop(&mut self) {
        self.stop();
    }
}

/// What a hub process printed on stdout and logged on stderr, filled as it comes.
#[derive(Clone, Default)]
struct Output {
    stdout: Arc<Mutex<String>>,
    stderr: Arc<Mutex<String>>,
}

/// A child process running the `hubbub` binary.
struct Process {
    child: Child,
    output: Output,
}

impl Process {
    fn spawn(data_dir: &Path, args: &[String]) -> (Process, String) {
        let mut child = Command::new(hub_binary())
            .args(serve_args(data_dir, args))
            .env("HUBBUB_LOG", "hubbub_server=debug,info")
            // No settings file of the machine's (~/.config/hubbub, /etc/hubbub): only the test's
            // flags, and its own `--config` when it gives one (a flag wins over the variable).
            .env("HUBBUB_CONFIG", "/dev/null")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the hubbub binary");
        let output = Output::default();
        let err_pipe = child.stderr.take().expect("stderr");
        let sink = Arc::clone(&output.stderr);
        std::thread::spawn(move || {
            for line in BufReader::new(err_pipe).lines().map_while(Result::ok) {
                sink.lock().unwrap().push_str(&(line + "\n"));
            }
        });
        let (tx, rx) = mpsc::channel();
        let out = child.stdout.take().expect("stdout");
        let printed = Arc::clone(&output.stdout);
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if let Some(url) = line.strip_prefix("listening on ") {
                    let _ = tx.send(url.to_owned());
                }
                printed.lock().unwrap().push_str(&(line + "\n"));
            }
        });
        let url = match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(url) => url,
            Err(_) => {
                let _ = child.kill();
                panic!("hub did not print its address; stderr:\n{}", output.stderr.lock().unwrap());
            }
        };
        (Process { child, output }, url)
    }
}

/// How a [`TestHub`] runs.
enum Running {
    InProcess(InProcess),
    Process(Process),
}

/// A running hub: in this process ([`TestHub::start`]) or the binary ([`TestHub::start_process`]).
/// Stopped when dropped, if still running: an in-process hub shuts down gracefully, a process is
/// killed.
pub struct TestHub {
    running: Option<Running>,
    in_process: bool,
    /// Base URL, e.g. `http://127.0.0.1:41234`.
    pub url: String,
    /// The data directory; kept when the hub restarts on it.
    pub data_dir: PathBuf,
    _tmp: Option<tempfile::TempDir>,
    args: Vec<String>,
    /// What the last process printed on stdout and logged on stderr (process hubs only).
    output: Option<Output>,
}

impl TestHub {
    /// Starts a hub in this process on 127.0.0.1:0, with a fresh temporary data directory and extra
    /// `hubbub serve` flags (`args`). Its log goes to the test's captured output.
    pub fn start(args: &[&str]) -> TestHub {
        TestHub::fresh(true, args)
    }

    /// Starts the `hubbub` binary as a process on 127.0.0.1:0, with a fresh temporary data directory
    /// and extra flags; for tests that kill it, read what it prints, or need `main`'s own behaviour.
    pub fn start_process(args: &[&str]) -> TestHub {
        TestHub::fresh(false, args)
    }

    fn fresh(in_process: bool, args: &[&str]) -> TestHub {
        let tmp = tempfile::tempdir().expect("temp dir");
        let mut hub = TestHub {
            running: None,
            in_process,
            url: String::new(),
            data_dir: tmp.path().to_owned(),
            _tmp: Some(tmp),
            args: args.iter().map(|s| (*s).to_owned()).collect(),
            output: None,
        };
        hub.launch();
        hub
    }

    fn launch(&mut self) {
        let (running, url) = if self.in_process {
            let (hub, url) = InProcess::start(hub_config(&self.data_dir, &self.args));
            (Running::InProcess(hub), url)
        } else {
            let (process, url) = Process::spawn(&self.data_dir, &self.args);
            self.output = Some(process.output.clone());
            (Running::Process(process), url)
        };
        self.running = Some(running);
        self.url = url;
    }

    /// A client for this hub.
    pub fn client(&self) -> HubClient {
        HubClient::new(self.url.clone())
    }

    fn output(&self) -> &Output {
        assert!(!self.in_process, "an in-process hub prints nothing: use TestHub::start_process");
        self.output.as_ref().expect("the process started")
    }

    /// The process id of a hub run as a process ([`TestHub::start_process`]).
    pub fn pid(&self) -> Option<u32> {
        match &self.running {
            Some(Running::Process(p)) => Some(p.child.id()),
            _ => None,
        }
    }

    /// What the hub process printed on stdout so far.
    pub fn printed(&self) -> String {
        self.output().stdout.lock().unwrap().clone()
    }

    /// What the hub process logged so far. (An in-process hub logs into the test's output.)
    pub fn log(&self) -> String {
        self.output().stderr.lock().unwrap().clone()
    }

    /// Shuts the hub down gracefully (SIGTERM for a process) and waits until it has stopped; returns
    /// whether it stopped cleanly (`serve` returned `Ok`, or the process exited 0).
    pub fn terminate(&mut self) -> bool {
        match self.running.take() {
            Some(Running::InProcess(mut hub)) => hub.stop(),
            Some(Running::Process(p)) => terminate_child(p.child),
            None => false,
        }
    }

    /// Kills the hub process with SIGKILL, like a crash. Only a process can crash like that: an
    /// in-process hub panics here.
    pub fn kill(&mut self) {
        match self.running.take() {
            Some(Running::InProcess(_)) => {
                panic!("only a hub process can be killed: use TestHub::start_process")
            }
            Some(Running::Process(mut p)) => {
                let _ = p.child.kill();
                let _ = p.child.wait();
            }
            None => {}
        }
    }

    /// Starts the hub again, the same way and with the same flags, on the same data directory (after
    /// [`TestHub::terminate`] or [`TestHub::kill`]).
    pub fn restart(&mut self) {
        assert!(self.running.is_none(), "stop the hub before restarting it");
        self.launch();
    }
}

impl Drop for TestHub {
    fn drop(&mut self) {
        match self.running.take() {
            // Dropping it shuts it down and waits, so the data directory outlives the hub.
            Some(Running::InProcess(hub)) => drop(hub),
            Some(Running::Process(mut p)) => {
                let _ = p.child.kill();
                let _ = p.child.wait();
            }
            None => {}
        }
    }
}

/// Sends `child` SIGTERM and waits up to 10 s for it to exit (then kills it); whether it exited 0.
pub fn terminate_child(mut child: Child) -> bool {
    let _ = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
    for _ in 0..200 {
        if let Ok(Some(status)) = child.try_wait() {
            return status.success();
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    false
}

/// Joins as `name` and opens a socket; returns the session and the connection with the initial
/// frames (`connection_established` and the three `subscribed`) already read.
pub async fn join_and_connect(client: &HubClient, name: &str) -> (Session, Connection) {
    let session = client.join(name, None).await.expect("join");
    let conn = connect_ready(client, &session).await;
    (session, conn)
}

/// Opens a socket for `session` and reads until the lobby's `subscribed` frame.
pub async fn connect_ready(client: &HubClient, session: &Session) -> Connection {
    let mut conn = client.connect(session).await.expect("connect");
    conn.recv_until(
        WAIT,
        |f| matches!(f, ServerFrame::Subscribed { channel, .. } if channel == "room:lobby"),
    )
    .await
    .expect("lobby subscription");
    conn
}

/// A TCP proxy that can freeze: stop moving bytes in both directions while keeping both sockets
/// open, like a phone whose Wi-Fi vanished (a half-open connection: no FIN, no RST).
pub struct FreezingProxy {
    /// Connect here instead of to the hub.
    pub addr: std::net::SocketAddr,
    frozen: Arc<AtomicBool>,
}

async fn wait_thawed(frozen: &AtomicBool) {
    while frozen.load(Ordering::SeqCst) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Copies `from` to `to` while not frozen; a frozen pump holds both sockets open and moves nothing.
async fn pump(
    mut from: impl tokio::io::AsyncRead + Unpin,
    mut to: impl tokio::io::AsyncWrite + Unpin,
    frozen: Arc<AtomicBool>,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        wait_thawed(&frozen).await;
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        wait_thawed(&frozen).await;
        if to.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}

impl FreezingProxy {
    /// Starts forwarding connections made to [`FreezingProxy::addr`] to `target`.
    pub async fn start(target: std::net::SocketAddr) -> FreezingProxy {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let addr = listener.local_addr().expect("proxy address");
        let frozen = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&frozen);
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let Ok(upstream) = tokio::net::TcpStream::connect(target).await else {
                    continue;
                };
                let (cr, cw) = client.into_split();
                let (ur, uw) = upstream.into_split();
                tokio::spawn(pump(cr, uw, Arc::clone(&flag)));
                tokio::spawn(pump(ur, cw, Arc::clone(&flag)));
            }
        });
        FreezingProxy { addr, frozen }
    }

    /// Stops all traffic through the proxy, without closing anything.
    pub fn freeze(&self) {
        self.frozen.store(true, Ordering::SeqCst);
    }
}

/// Reads frames until each predicate has matched one of them, in any order; returns the matches in
/// the order of the predicates. For events whose relative order the protocol does not promise.
pub async fn expect_all(
    conn: &mut Connection,
    preds: &[&dyn Fn(&hubbub_protocol::ServerFrame) -> bool],
) -> Vec<hubbub_protocol::ServerFrame> {
    let mut found: Vec<Option<hubbub_protocol::ServerFrame>> = vec![None; preds.len()];
    let deadline = tokio::time::Instant::now() + WAIT;
    while found.iter().any(Option::is_none) {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let frame = conn.next_frame(left).await.expect("the expected frames");
        if let Some(i) = (0..preds.len()).find(|&i| found[i].is_none() && preds[i](&frame)) {
            found[i] = Some(frame);
        }
    }
    found.into_iter().flatten().collect()
}

/// The status and code of a REST call that was expected to fail.
pub fn api_error<T: std::fmt::Debug>(r: Result<T, ClientError>) -> (u16, hubbub_protocol::ErrorCode) {
    match r {
        Err(ClientError::Api { status, body }) => (status, body.code),
        other => panic!("expected an API error, got {other:?}"),
    }
}

/// Reads until the `error` frame answering the command with `r#ref`; returns its code.
pub async fn error_code(conn: &mut Connection, r#ref: &str) -> hubbub_protocol::ErrorCode {
    let frame = conn
        .recv_until(WAIT, |f| matches!(f, ServerFrame::Error { r#ref: Some(x), .. } if x == r#ref))
        .await
        .expect("an error frame");
    match frame {
        ServerFrame::Error { code, .. } => code,
        _ => unreachable!(),
    }
}

/// A new host link's token for the hub on `hub`'s data directory, from `hubbub host-link` (the way
/// an operator makes one for a running hub).
pub fn host_token(hub: &TestHub) -> String {
    let out = Command::new(hub_binary())
        .args(["host-link", "--data-dir"])
        .arg(&hub.data_dir)
        .output()
        .expect("run hubbub host-link");
    assert!(out.status.success(), "hubbub host-link failed: {}", String::from_utf8_lossy(&out.stderr));
    let printed = String::from_utf8(out.stdout).expect("UTF-8");
    let link = printed.trim();
    assert!(link.starts_with("http://"), "a running hub's link is a whole URL: {link}");
    link.split_once("?host=").expect("the link carries ?host=").1.to_owned()
}

/// Joins as `name` with a new host link: a host.
pub async fn join_host(hub: &TestHub, name: &str) -> Session {
    let body = serde_json::json!({"display_name": name, "host_token": host_token(hub)});
    let resp =
        reqwest::Client::new().post(format!("{}/api/join", hub.url)).json(&body).send().await.expect("join");
    assert_eq!(resp.status().as_u16(), 201, "the host joins");
    let body: hubbub_protocol::JoinResponse = resp.json().await.expect("join response");
    Session { user: body.user, secret: body.session }
}

/// A REST call with a bearer secret (a session or the admin token) and an optional JSON body; the
/// status and the JSON answer (`null` when there is none).
pub async fn call(
    hub: &TestHub,
    method: &str,
    path: &str,
    bearer: Option<&str>,
    body: Option<serde_json::Value>,
) -> (u16, serde_json::Value) {
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("a method");
    let mut req = reqwest::Client::new().request(method, format!("{}{path}", hub.url));
    if let Some(secret) = bearer {
        req = req.bearer_auth(secret);
    }
    if let Some(body) = body {
        req = req.json(&body);
    }
    let resp = req.send().await.expect("request");
    let status = resp.status().as_u16();
    let text = resp.text().await.expect("body");
    (
        status,
        if text.is_empty() { serde_json::Value::Null } else { serde_json::from_str(&text).expect("JSON") },
    )
}
