//! `nchan`: the `fanout` load against Nchan (nginx with `libnginx-mod-nchan`, from Debian), the
//! leading peer, so the hub can be read beside it in the same run: one channel, N WebSocket
//! subscribers, P WebSocket publishers, bodies and measurements exactly as `fanout`'s. Nchan stores
//! nothing on disk. nginx runs one worker (on core 0 with `--pin`).

use std::path::Path;
use std::process::{Child, Stdio};
use std::time::Duration;

use anyhow::{Context, bail};
use futures_util::{SinkExt, StreamExt, stream};
use hubbub_client::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::spread::{self, Deliveries, Publish};
use crate::report::Report;

type Socket = WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>;

/// Where Debian puts the module.
const MODULE: &str = "/usr/lib/nginx/modules/ngx_nchan_module.so";

/// An nginx with Nchan on a free loopback port, stopped when dropped.
struct Nchan {
    port: u16,
    child: Child,
    _dir: tempfile::TempDir,
}

impl Nchan {
    fn start() -> anyhow::Result<Nchan> {
        if !Path::new(MODULE).exists() {
            bail!("Nchan is not installed ({MODULE} is missing): apt-get install nginx libnginx-mod-nchan");
        }
        let dir = tempfile::tempdir()?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let conf = dir.path().join("nginx.conf");
        std::fs::write(&conf, config(dir.path(), port))?;
        let mut cmd = crate::pin::hub_command(Path::new("nginx"), crate::pin::hub_pinned());
        let child = cmd
            .arg("-c")
            .arg(&conf)
            .arg("-p")
            .arg(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .context("cannot start nginx")?;
        let nchan = Nchan { port, child, _dir: dir };
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Ok(nchan);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        bail!("nginx did not listen on port {port} within 5 s")
    }

    /// CPU time of nginx (master and worker) so far, in ms.
    fn cpu_ms(&self) -> Option<u64> {
        let master = self.child.id();
        let mut total = crate::target::process_cpu_ms(master)?;
        let children = std::fs::read_to_string(format!("/proc/{master}/task/{master}/children")).ok()?;
        for pid in children.split_whitespace().filter_map(|p| p.parse().ok()) {
            total += crate::target::process_cpu_ms(pid).unwrap_or(0);
        }
        Some(total)
    }

    fn url(&self, path: &str) -> String {
        format!("ws://127.0.0.1:{}{path}?id=bench", self.port)
    }
}

impl Drop for Nchan {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn config(dir: &Path, port: u16) -> String {
    let dir = dir.display();
    format!(
        "load_module {MODULE};
daemon off;
master_process on;
worker_processes 1;
worker_rlimit_nofile 200000;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 100000; }}
http {{
  access_log off;
  client_body_temp_path {dir}/body;
  proxy_temp_path {dir}/proxy;
  fastcgi_temp_path {dir}/fastcgi;
  uwsgi_temp_path {dir}/uwsgi;
  scgi_temp_path {dir}/scgi;
  server {{
    listen 127.0.0.1:{port};
    location = /pub {{ nchan_publisher websocket; nchan_channel_id $arg_id; }}
    location = /sub {{ nchan_subscriber websocket; nchan_channel_id $arg_id; }}
  }}
}}
"
    )
}

/// A publisher's socket: its sending half, and a task reading Nchan's answer to each publish.
struct NchanPublisher {
    tx: futures_util::stream::SplitSink<Socket, Message>,
    answers: tokio::task::JoinHandle<()>,
}

impl NchanPublisher {
    fn new(socket: Socket) -> NchanPublisher {
        let (tx, mut rx) = socket.split();
        let answers = tokio::spawn(async move { while rx.next().await.is_some() {} });
        NchanPublisher { tx, answers }
    }
}

impl Drop for NchanPublisher {
    fn drop(&mut self) {
        self.answers.abort();
    }
}

impl Publish for NchanPublisher {
    async fn publish(&mut self, body: String) -> anyhow::Result<()> {
        Ok(self.tx.send(Message::Text(body.into())).await?)
    }
}

/// A subscriber's deliveries: every text frame that is a bench body.
fn deliveries(socket: Socket) -> Deliveries {
    Box::pin(socket.filter_map(|msg| async move {
        match msg {
            Ok(Message::Text(text)) => spread::parse_body(text.as_str()),
            _ => None,
        }
    }))
}

async fn open(url: String, i: usize) -> anyhow::Result<Socket> {
    let conn = hubbub_client::Connection::open_lean(&url, Some(crate::clients::source(i))).await?;
    Ok(conn.into_inner())
}

pub async fn run(subscribers: usize, rate: u64, seconds: u64, publishers: usize) -> anyhow::Result<Report> {
    let nchan = Nchan::start()?;
    let mut report = Report::new("nchan")
        .param("subscribers", subscribers)
        .param("rate_per_s", rate)
        .param("seconds", seconds)
        .param("publishers", publishers);
    let sub_url = nchan.url("/sub");
    let subs: Vec<Socket> = stream::iter((0..subscribers).map(|i| open(sub_url.clone(), i)))
        .buffered(64)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<anyhow::Result<_>>()?;
    let pubs: Vec<NchanPublisher> = stream::iter((0..publishers.max(1)).map(|i| open(nchan.url("/pub"), i)))
        .buffered(64)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .map(|s| s.map(NchanPublisher::new))
        .collect::<anyhow::Result<_>>()?;
    let subs = subs.into_iter().map(deliveries).collect();
    spread::measure(&mut report, subs, pubs, rate, seconds, &|| nchan.cpu_ms()).await?;
    Ok(report)
}
