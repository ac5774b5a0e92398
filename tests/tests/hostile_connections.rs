//! Hostile connections: floods of TCP connections that never send a request (or trickle one), more
//! connections from one address than it may hold, a flood that would use up the open files, and a
//! second hub on a data directory that is in use. Each test checks the hub's documented answer and
//! that a bystander guest in the Lobby keeps receiving every message and stays connected.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use hubbub_protocol::{ClientFrame, ServerFrame};
use hubbub_tests::{Connection, HubClient, TestHub, WAIT, hub_binary, join_and_connect};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

/// The longest any test waits for the hub to close a connection it should close.
const CLOSE_WAIT: Duration = Duration::from_secs(30);

fn hub_addr(hub: &TestHub) -> SocketAddr {
    hub.url.trim_start_matches("http://").trim_end_matches('/').parse().expect("hub address")
}

/// Opens a TCP connection to `to` from the loopback address `from`.
async fn connect_from(from: IpAddr, to: SocketAddr) -> std::io::Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::new(from, 0))?;
    socket.connect(to).await
}

/// Waits until the peer closes `stream` (end of stream or reset), reading and dropping whatever
/// it sends first (a 408 answer, say); whether it did within `wait`.
async fn closed_by_peer(stream: &mut TcpStream, wait: Duration) -> bool {
    let mut buf = [0u8; 1024];
    let closed = async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    };
    tokio::time::timeout(wait, closed).await.is_ok()
}

/// Whether `stream` is still open with nothing to read.
fn still_open(stream: &TcpStream) -> bool {
    let mut buf = [0u8; 64];
    matches!(stream.try_read(&mut buf), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock)
}

/// A raw `GET path` from `from`, as a client on another address would send it; the status code.
async fn raw_get(from: IpAddr, to: SocketAddr, path: &str) -> Option<u16> {
    let mut s = connect_from(from, to).await.ok()?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: {to}\r\nConnection: close\r\n\r\n");
    s.write_all(request.as_bytes()).await.ok()?;
    let mut answer = Vec::new();
    tokio::time::timeout(WAIT, s.read_to_end(&mut answer)).await.ok()?.ok()?;
    let text = String::from_utf8_lossy(&answer);
    text.strip_prefix("HTTP/1.1 ")?.get(..3)?.parse().ok()
}

fn count_message(seen: &mut HashMap<String, usize>, frame: ServerFrame) {
    if let ServerFrame::Message(m) = frame {
        *seen.entry(m.body).or_default() += 1;
    }
}

/// A guest who watches the Lobby and one who talks in it.
struct Bystanders {
    client: HubClient,
    watcher: Connection,
    talker: Connection,
    sent: usize,
}

impl Bystanders {
    async fn join(hub: &TestHub) -> Bystanders {
        let client = hub.client();
        let (_w, watcher) = join_and_connect(&client, "Watcher").await;
        let (_t, talker) = join_and_connect(&client, "Talker").await;
        Bystanders { client, watcher, talker, sent: 0 }
    }

    /// Sends `n` messages to the Lobby and checks the watcher receives each exactly once (and the
    /// connection answers a ping, so it is still there).
    async fn chat(&mut self, n: usize) {
        let mut bodies = Vec::new();
        for _ in 0..n {
            self.sent += 1;
            let body = format!("bystander message {}", self.sent);
            self.talker
                .send(&ClientFrame::SendMessage {
                    r#ref: None,
                    channel: "room:lobby".into(),
                    client_message_id: format!("b{}", self.sent),
                    body: body.clone(),
                    attachments: None,
                    reply_to: None,
                })
                .await
                .expect("the talker can send");
            bodies.push(body);
        }
        let mut seen: HashMap<String, usize> = HashMap::new();
        while !bodies.iter().all(|b| seen.contains_key(b)) {
            let frame =
                self.watcher.next_frame(WAIT).await.expect("the watcher stays connected and gets them");
            count_message(&mut seen, frame);
        }
        // A ping round trip: anything delivered twice would have come by now.
        self.watcher.send(&ClientFrame::Ping { r#ref: Some("after".into()) }).await.expect("watcher ping");
        loop {
            match self.watcher.next_frame(WAIT).await.expect("the watcher answers") {
                ServerFrame::Pong { r#ref: Some(r), .. } if r == "after" => break,
                frame => count_message(&mut seen, frame),
            }
        }
        for body in &bodies {
            assert_eq!(seen.get(body), Some(&1), "the watcher gets {body:?} exactly once");
        }
        assert_eq!(seen.len(), bodies.len(), "nothing else was delivered: {seen:?}");
    }

    /// A new guest can still read the status and join.
    async fn newcomer_gets_in(&self, name: &str) {
        assert_eq!(self.client.status().await.expect("GET /api/status").status, "ok");
        self.client.join(name, None).await.expect("a new guest can join");
    }
}

#[tokio::test]
async fn silent_and_slowloris_connections_are_closed_at_the_header_deadline() {
    let hub = TestHub::start_process(&["--header-timeout-secs", "2"]);
    let addr = hub_addr(&hub);
    let mut guests = Bystanders::join(&hub).await;

    // 200 connections that never send a byte.
    let mut silent = Vec::new();
    for _ in 0..200 {
        silent.push(TcpStream::connect(addr).await.expect("connect"));
    }
    // 20 that trickle a request head, one byte a second, and never finish it.
    let mut slow = Vec::new();
    for i in 0..20 {
        slow.push(tokio::spawn(async move {
            let mut s = TcpStream::connect(addr).await.expect("connect");
            let head = format!("GET /api/status HTTP/1.1\r\nHost: hub\r\nX-Slow-{i}: {}", "a".repeat(200));
            let started = Instant::now();
            let mut buf = [0u8; 512];
            for byte in head.as_bytes() {
                tokio::select! {
                    read = s.read(&mut buf) => match read {
                        Ok(0) | Err(_) => return Some(started.elapsed()),
                        Ok(_) => {}
                    },
                    () = tokio::time::sleep(Duration::from_secs(1)) => {
                        if s.write_all(std::slice::from_ref(byte)).await.is_err() {
                            return Some(started.elapsed());
                        }
                    }
                }
            }
            None
        }));
    }

    guests.chat(5).await;
    guests.newcomer_gets_in("Newcomer during").await;

    for s in &mut silent {
        assert!(closed_by_peer(s, CLOSE_WAIT).await, "a silent connection is closed by the hub");
    }
    for task in slow {
        let closed = task.await.unwrap();
        assert!(
            closed.is_some_and(|after| after < CLOSE_WAIT),
            "a slowloris connection is closed: {closed:?}"
        );
    }

    guests.chat(5).await;
    guests.newcomer_gets_in("Newcomer after").await;
}

#[tokio::test]
async fn connections_beyond_the_per_address_cap_are_refused_and_other_addresses_get_in() {
    let cap = 20;
    let hub = TestHub::start_process(&[
        "--max-connections-per-address",
        &cap.to_string(),
        "--header-timeout-secs",
        "120",
    ]);
    let addr = hub_addr(&hub);
    let flooder: IpAddr = [127, 0, 0, 2].into();
    let mut guests = Bystanders::join(&hub).await;

    let mut held = Vec::new();
    for _ in 0..cap {
        held.push(connect_from(flooder, addr).await.expect("connect"));
    }
    // The hub accepts (and counts) asynchronously: wait until it has answered for all of them by
    // sending one more request from the address, which must be refused.
    let mut refused = 0;
    for _ in 0..10 {
        let mut extra = connect_from(flooder, addr).await.expect("the kernel accepts the handshake");
        if closed_by_peer(&mut extra, CLOSE_WAIT).await {
            refused += 1;
        }
    }
    assert_eq!(refused, 10, "every connection over the cap is closed at once");
    assert!(held.iter().all(still_open), "the connections within the cap stay open");

    // Another address, and the bystanders, are not affected.
    assert_eq!(raw_get([127, 0, 0, 3].into(), addr, "/api/status").await, Some(200));
    guests.chat(5).await;
    guests.newcomer_gets_in("Newcomer").await;

    // Places come back when the connections close.
    drop(held);
    let mut status = None;
    for _ in 0..50 {
        status = raw_get(flooder, addr, "/api/status").await;
        if status == Some(200) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status, Some(200), "the address can connect again once its connections closed");

    // The refusals are logged together, not once per connection.
    let log = hub.log();
    let reports = log.matches("refused connections").count();
    assert!((1..=2).contains(&reports), "{reports} refusal reports for 10 refusals:\n{log}");
    guests.chat(3).await;
}

#[tokio::test]
async fn a_flood_that_would_use_up_the_open_files_leaves_the_reserve_for_guests() {
    // 160 connections in all, 40 of them kept for addresses holding few.
    let hub = TestHub::start_process(&[
        "--max-connections",
        "160",
        "--connection-reserve",
        "40",
        "--header-timeout-secs",
        "120",
    ]);
    let addr = hub_addr(&hub);
    let flooder: IpAddr = [127, 0, 0, 2].into();
    let mut guests = Bystanders::join(&hub).await;

    let mut flood = Vec::new();
    for _ in 0..200 {
        flood.push(connect_from(flooder, addr).await.expect("connect"));
    }
    // Refused connections are closed at once; the others stay open (checked all together, so the
    // bystanders are not left unread for long).
    let closed =
        futures_util::future::join_all(flood.iter_mut().map(|s| closed_by_peer(s, Duration::from_secs(2))))
            .await;
    let refused = closed.iter().filter(|c| **c).count();
    // The bystanders hold a few of the 120 places below the reserve; the flood gets the rest.
    assert!(
        (80..=100).contains(&refused),
        "the flood stops at the high-water mark: {refused} of 200 refused"
    );

    // Guests on other addresses still load the status, join, and chat.
    let guest: IpAddr = [127, 0, 0, 3].into();
    assert_eq!(raw_get(guest, addr, "/api/status").await, Some(200));
    let http = reqwest::Client::builder().local_address(guest).build().unwrap();
    let joined = http
        .post(format!("{}/api/join", hub.url))
        .json(&serde_json::json!({ "display_name": "Late guest" }))
        .send()
        .await
        .expect("join from another address");
    assert!(joined.status().is_success(), "join: {}", joined.status());
    // The bystanders' sockets were open before the flood and stay open. (Their own address holds
    // more than a few connections, so it gets no new ones until the flood lets go: that is the
    // reserve's rule.)
    guests.chat(5).await;
    assert!(hub.log().contains("refused connections"), "the refusal is logged");
    drop(flood);
    let mut status = None;
    for _ in 0..50 {
        status = guests.client.status().await.ok().map(|s| s.status);
        if status.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status.as_deref(), Some("ok"), "everyone gets in again once the flood lets go");
    guests.newcomer_gets_in("Newcomer").await;
}

#[tokio::test]
async fn a_second_hub_on_the_same_data_directory_is_refused_and_names_the_first() {
    let mut hub = TestHub::start_process(&[]);
    let mut guests = Bystanders::join(&hub).await;

    let second = Command::new(hub_binary())
        .args(["serve", "--bind", "127.0.0.1:0", "--no-discovery", "--data-dir"])
        .arg(&hub.data_dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start a second hub");
    let out = tokio::task::spawn_blocking(move || second.wait_with_output()).await.unwrap().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "the second hub exits with an error");
    assert!(stderr.contains("another hub is already running on the data directory"), "{stderr}");
    let first = hub_addr(&hub);
    assert!(stderr.contains(&format!("http://{first}")), "the message names the running hub: {stderr}");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("listening on"), "the second hub never listened");

    // The first hub keeps serving.
    guests.chat(5).await;
    guests.newcomer_gets_in("Newcomer").await;

    // A killed hub leaves no stale lock: a new one starts on the directory.
    hub.kill();
    hub.restart();
    assert_eq!(hub.client().status().await.expect("the restarted hub serves").status, "ok");
}
