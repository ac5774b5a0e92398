//! `idle`: N authenticated connections (each subscribed to its personal channel, presence and the
//! Lobby) sitting idle; the hub's resident memory per connection, and how long they took to connect
//! (optionally with the Lobby's history filled first).

use std::time::{Duration, Instant};

use futures_util::{StreamExt, stream};
use hubbub_client::HubClient;
use hubbub_protocol::{ClientFrame, ServerFrame};

use crate::clients::{connect, connect_many, join_many};
use crate::report::Report;
use crate::target::Target;

/// Files a process needs besides its sockets (the database, logs, the runtime's own).
const SPARE_FILES: u64 = 256;

/// `n`, or the most connections this machine's open-file limit allows if that is fewer (with a
/// note on standard error, so a full run measures what it can instead of stopping).
pub fn largest_here(n: usize) -> anyhow::Result<usize> {
    let (soft, _) = rlimit::getrlimit(rlimit::Resource::NOFILE)?;
    let most = usize::try_from(soft.saturating_sub(SPARE_FILES)).unwrap_or(usize::MAX);
    if most < n {
        eprintln!("note: idle runs {most} connections, not {n}: the open-file limit here is {soft}");
    }
    Ok(n.min(most))
}

pub async fn run(target: &Target, n: usize, history: usize) -> anyhow::Result<Report> {
    // The hub and this program each hold one socket per connection; both raise their open-file
    // limit to the hard limit at start, so that limit says whether N connections can exist here.
    let (soft, hard) = rlimit::getrlimit(rlimit::Resource::NOFILE)?;
    anyhow::ensure!(
        n as u64 + SPARE_FILES <= soft,
        "idle --n {n} needs about {} open files in the hub and in this program, but a process may open \
         {soft} here (hard limit {hard}); raise the limit (ulimit -Hn, or LimitNOFILE for a service; \
         it takes root or CAP_SYS_RESOURCE) or use --n {}",
        n as u64 + SPARE_FILES,
        soft.saturating_sub(SPARE_FILES)
    );
    let client = HubClient::new(target.url.clone());
    let mut report = Report::new("idle").param("connections", n);
    if history > 0 {
        report = report.param("lobby_history", history);
        fill_lobby(&client, history).await?;
    }
    let sessions = join_many(&client, "idle", n).await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = target.rss_kib();
    let started = Instant::now();
    let conns = connect_many(&client, &sessions).await?;
    report.metric("connect_all_s", (started.elapsed().as_secs_f64() * 100.0).round() / 100.0);
    // Keep every socket read (so pings are answered) while the hub settles.
    let readers: Vec<_> = conns
        .into_iter()
        .map(|c| {
            let (_tx, mut rx) = c.into_split();
            tokio::spawn(async move {
                let _keep = _tx;
                while rx.next_frame().await.is_some() {}
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let status = client.status().await?;
    report.check("every connection open", status.connections as usize == n);
    report.metric("hub_connections", status.connections);
    if let (Some(before), Some(after)) = (before, target.rss_kib()) {
        report.metric("hub_rss_before_kib", before);
        report.metric("hub_rss_after_kib", after);
        let per = (after.saturating_sub(before) as f64) / n as f64;
        report.metric("hub_kib_per_connection", (per * 100.0).round() / 100.0);
    } else {
        report.metric("hub_kib_per_connection", "n/a (the hub was not started by the bench)");
    }
    for r in readers {
        r.abort();
    }
    Ok(report)
}

/// Writers sending the Lobby's history at once, so their messages share commits.
const HISTORY_WRITERS: usize = 50;

/// Puts `count` messages in the Lobby, from [`HISTORY_WRITERS`] users at once, each waiting for
/// its acks.
async fn fill_lobby(client: &HubClient, count: usize) -> anyhow::Result<()> {
    let writers = join_many(client, "history", HISTORY_WRITERS.min(count)).await?;
    let per = count.div_ceil(writers.len());
    let sent: Vec<anyhow::Result<()>> = stream::iter(writers.iter().enumerate())
        .map(|(w, session)| async move {
            let (mut conn, _) = connect(client, session, w, None).await?;
            for i in (w * per)..((w + 1) * per).min(count) {
                let r = format!("h{i}");
                conn.send(&ClientFrame::SendMessage {
                    r#ref: Some(r.clone()),
                    channel: "room:lobby".into(),
                    client_message_id: r.clone(),
                    body: format!("message {i} of the Lobby's history"),
                    attachments: None,
                    reply_to: None,
                })
                .await?;
                conn.recv_until(
                    Duration::from_secs(30),
                    |f| matches!(f, ServerFrame::Ack { r#ref, .. } if *r#ref == r),
                )
                .await?;
            }
            Ok(())
        })
        .buffer_unordered(HISTORY_WRITERS)
        .collect()
        .await;
    sent.into_iter().collect()
}
