//! `flood`: one address opens N TCP connections to the hub and never sends a byte (the
//! idle-connection attack of a hostile guest). Measures the hub's resident memory and open files
//! before, at the peak and once the header deadline has passed, whether a guest on another
//! address still gets `GET /api/status` during the flood, and how many flood connections the hub
//! closed by itself.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use anyhow::Context;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

use crate::report::Report;
use crate::target::Target;

/// The hub's default `header_timeout_secs`, and a margin for its timers.
const HEADER_DEADLINE: Duration = Duration::from_secs(10);
const MARGIN: Duration = Duration::from_secs(2);
/// A connect that takes longer than this counts as refused (the listen queue is full).
const CONNECT_WAIT: Duration = Duration::from_millis(300);
/// The flood stops early after this many refused connects in a row: the hub takes no more.
const GIVE_UP_AFTER: usize = 20;

/// The flags for a hub the bench starts: its connection capacity, if one is given.
pub fn hub_flags(capacity: usize) -> Vec<String> {
    if capacity == 0 { Vec::new() } else { vec!["--max-connections".into(), capacity.to_string()] }
}

pub async fn run(target: &Target, n: usize) -> anyhow::Result<Report> {
    let hub = hub_addr(&target.url)?;
    let mut report = Report::new("flood").param("connections", n);
    let before = (target.rss_kib(), target.open_files());
    report.metric("status_before", status_from_another_address(hub).await);

    let started = Instant::now();
    let mut flood = Vec::with_capacity(n);
    let (mut refused, mut in_a_row) = (0usize, 0usize);
    while flood.len() + refused < n && in_a_row < GIVE_UP_AFTER {
        match tokio::time::timeout(CONNECT_WAIT, TcpStream::connect(hub)).await {
            Ok(Ok(s)) => {
                flood.push(s);
                in_a_row = 0;
            }
            _ => {
                refused += 1;
                in_a_row += 1;
            }
        }
    }
    let opened_all = Instant::now();
    report.metric("flood_s", (opened_all.duration_since(started).as_secs_f64() * 100.0).round() / 100.0);
    report.metric("opened", flood.len());
    report.metric("refused_at_connect", refused);
    tokio::time::sleep(Duration::from_secs(1)).await;
    let peak = (target.rss_kib(), target.open_files());
    let during = status_from_another_address(hub).await;
    report.check("a guest on another address gets the status during the flood", during.starts_with("200"));
    report.metric("status_during", during);

    // Past the header deadline (counted from the last connection opened), every silent connection
    // is closed.
    let deadline = opened_all + HEADER_DEADLINE + MARGIN;
    tokio::time::sleep_until(deadline.into()).await;
    let mut closed = 0usize;
    for s in &mut flood {
        let mut byte = [0u8; 1];
        let read = tokio::time::timeout(Duration::from_millis(1), s.read(&mut byte)).await;
        if matches!(read, Ok(Ok(0) | Err(_))) {
            closed += 1;
        }
    }
    report.metric("closed_by_the_hub", closed);
    report.check("every silent connection closed after the header deadline", closed == flood.len());
    let after = (target.rss_kib(), target.open_files());
    drop(flood);
    for (name, (rss, files)) in [("before", before), ("peak", peak), ("after_deadline", after)] {
        if let (Some(rss), Some(files)) = (rss, files) {
            report.metric(&format!("hub_rss_{name}_kib"), rss);
            report.metric(&format!("hub_open_files_{name}"), files);
        }
    }
    Ok(report)
}

fn hub_addr(url: &str) -> anyhow::Result<SocketAddr> {
    let host = url.trim_start_matches("http://").trim_end_matches('/');
    host.parse().with_context(|| format!("flood needs a hub on an IP address and port, not {url}"))
}

/// `GET /api/status` over a connection from another loopback address than the flood's (a guest
/// elsewhere on the LAN): its status line and time, or why it failed.
async fn status_from_another_address(hub: SocketAddr) -> String {
    let started = Instant::now();
    let attempt = async {
        let socket = TcpSocket::new_v4()?;
        if hub.ip().is_loopback() {
            socket.bind(SocketAddr::new(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2)), 0))?;
        }
        let mut s = socket.connect(hub).await?;
        s.write_all(
            format!("GET /api/status HTTP/1.1\r\nHost: {hub}\r\nConnection: close\r\n\r\n").as_bytes(),
        )
        .await?;
        let mut head = [0u8; 12];
        s.read_exact(&mut head).await?;
        Ok::<_, std::io::Error>(String::from_utf8_lossy(&head[9..12]).into_owned())
    };
    match tokio::time::timeout(Duration::from_secs(5), attempt).await {
        Ok(Ok(code)) => format!("{code} in {} ms", started.elapsed().as_millis()),
        Ok(Err(e)) => format!("failed after {} ms: {e}", started.elapsed().as_millis()),
        Err(_) => "no answer in 5 s".to_owned(),
    }
}
