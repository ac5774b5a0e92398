//! Black-box test helpers: start the real `hubbub` binary on port 0 with a temporary data directory,
//! and talk to it with the project's own Rust client.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock, mpsc};
use std::time::Duration;

pub use hubbub_client::{ClientError, Connection, Event, HubClient, Session};
use hubbub_protocol::ServerFrame;

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

/// A running hub process. Killed when dropped, if still running.
pub struct TestHub {
    child: Option<Child>,
    /// Base URL, e.g. `http://127.0.0.1:41234`.
    pub url: String,
    /// The data directory; kept when the hub restarts on it.
    pub data_dir: PathBuf,
    _tmp: Option<tempfile::TempDir>,
    args: Vec<String>,
    stderr: std::sync::Arc<std::sync::Mutex<String>>,
    stdout: std::sync::Arc<std::sync::Mutex<String>>,
}

impl TestHub {
    /// Starts a hub on 127.0.0.1:0 with a fresh temporary data directory and extra `args`.
    pub fn start(args: &[&str]) -> TestHub {
        let tmp = tempfile::tempdir().expect("temp dir");
        let data_dir = tmp.path().to_owned();
        let mut hub = TestHub::spawn(data_dir, args.iter().map(|s| (*s).to_owned()).collect());
        hub._tmp = Some(tmp);
        hub
    }

    fn spawn(data_dir: PathBuf, args: Vec<String>) -> TestHub {
        let mut child = Command::new(hub_binary())
            .arg("serve")
            .args(["--bind", "127.0.0.1:0", "--no-discovery", "--name", "Test Hub", "--data-dir"])
            .arg(&data_dir)
            .args(&args)
            .env("HUBBUB_LOG", "hubbub_server=debug,info")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the hubbub binary");
        let stderr = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let err_pipe = child.stderr.take().expect("stderr");
        let sink = std::sync::Arc::clone(&stderr);
        std::thread::spawn(move || {
            for line in BufReader::new(err_pipe).lines().map_while(Result::ok) {
                sink.lock().unwrap().push_str(&(line + "\n"));
            }
        });
        let (tx, rx) = mpsc::channel();
        let out = child.stdout.take().expect("stdout");
        let stdout = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let printed = std::sync::Arc::clone(&stdout);
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
                panic!("hub did not print its address; stderr:\n{}", stderr.lock().unwrap());
            }
        };
        TestHub { child: Some(child), url, data_dir, _tmp: None, args, stderr, stdout }
    }

    /// A client for this hub.
    pub fn client(&self) -> HubClient {
        HubClient::new(self.url.clone())
    }

    /// What the hub printed on stdout so far.
    pub fn printed(&self) -> String {
        self.stdout.lock().unwrap().clone()
    }

    /// What the hub logged so far.
    pub fn log(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Sends SIGTERM (graceful shutdown) and waits for the process to exit; returns whether it exited 0.
    pub fn terminate(&mut self) -> bool {
        self.child.take().is_some_and(terminate_child)
    }

    /// Kills the process with SIGKILL, like a crash.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts a new hub process on the same data directory (after [`TestHub::terminate`] or [`TestHub::kill`]).
    pub fn restart(&mut self) {
        assert!(self.child.is_none(), "stop the hub before restarting it");
        let mut next = TestHub::spawn(self.data_dir.clone(), self.args.clone());
        self.child = next.child.take();
        self.url = std::mem::take(&mut next.url);
        self.stderr = std::sync::Arc::clone(&next.stderr);
        self.stdout = std::sync::Arc::clone(&next.stdout);
    }
}

impl Drop for TestHub {
    fn drop(&mut self) {
        self.kill();
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
