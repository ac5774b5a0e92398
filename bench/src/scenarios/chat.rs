//! `chat`: K senders each send persisted messages and wait for each ack; acks/s and ack latency.
//! Each sender posts in a room of its own, so this measures storing and acknowledging, not fan-out
//! (that is `fanout`).

use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use hubbub_client::HubClient;
use hubbub_protocol::{ClientFrame, CreateRoomRequest, Room, RoomKind, ServerFrame};

use crate::clients::{connect_many, join_many};
use crate::report::{Report, ms};
use crate::store_stats::{self, Batches};
use crate::target::Target;

pub async fn run(target: &Target, senders: usize, seconds: u64) -> anyhow::Result<Report> {
    let client = HubClient::new(target.url.clone());
    let mut report = Report::new("chat").param("senders", senders).param("seconds", seconds);
    // Measured before the load, on the disk the hub writes to.
    if let Some(dir) = target.data_dir() {
        report.metric("disk_fsyncs_per_s", store_stats::fsync_rate(dir)?);
        report.metric("disk_write_mb_per_s", store_stats::write_rate_mb(dir)?);
    }
    let sessions = join_many(&client, "chat", senders).await?;
    let mut rooms = Vec::with_capacity(senders);
    for (i, s) in sessions.iter().enumerate() {
        let req = CreateRoomRequest { name: format!("bench {i}"), topic: None, kind: RoomKind::Open };
        let room: Room = client.post_json(s, "/api/rooms", &req).await?;
        rooms.push(room.channel);
    }
    let conns = connect_many(&client, &sessions).await?;
    // A hub given by URL elsewhere than loopback may keep its metrics closed: then no batch figures.
    let batches_before = Batches::scrape(&target.url).await.ok();
    let written_before = target.disk_write_bytes();
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let tasks: Vec<_> = conns
        .into_iter()
        .enumerate()
        .zip(rooms)
        .map(|((who, conn), channel)| {
            tokio::spawn(async move {
                let (mut tx, mut rx) = conn.into_split();
                let mut hist = Histogram::<u64>::new(3).expect("histogram");
                let mut sent = 0u64;
                while Instant::now() < deadline {
                    let r = format!("c{who}-{sent}");
                    let t0 = Instant::now();
                    let frame = ClientFrame::SendMessage {
                        r#ref: Some(r.clone()),
                        channel: channel.clone(),
                        client_message_id: r.clone(),
                        body: format!("bench message {sent}"),
                        attachments: None,
                        reply_to: None,
                    };
                    if tx.send(&frame).await.is_err() {
                        break;
                    }
                    let acked = loop {
                        match rx.next_frame().await {
                            Some(ServerFrame::Ack { r#ref, .. }) if r#ref == r => break true,
                            Some(ServerFrame::Error { .. }) | None => break false,
                            Some(_) => {}
                        }
                    };
                    if !acked {
                        break;
                    }
                    let _ = hist.record(t0.elapsed().as_nanos() as u64);
                    sent += 1;
                }
                hist
            })
        })
        .collect();
    let mut hist = Histogram::<u64>::new(3)?;
    for t in tasks {
        hist.add(t.await?)?;
    }
    let elapsed = started.elapsed().as_secs_f64();
    report.metric("acked", hist.len());
    report.metric("acked_per_s", (hist.len() as f64 / elapsed).round());
    report.metric("ack_p50_ms", ms(hist.value_at_quantile(0.5)));
    report.metric("ack_p99_ms", ms(hist.value_at_quantile(0.99)));
    report.metric("ack_p999_ms", ms(hist.value_at_quantile(0.999)));
    report.check("messages were acknowledged", !hist.is_empty());
    if let (Some(before), Some(after)) = (written_before, target.disk_write_bytes()) {
        // The log's pages and the checkpoints' copies back into the database, per message.
        report.metric("disk_bytes_per_message", after.saturating_sub(before) / hist.len().max(1));
    }
    Batches::report_since(batches_before, &target.url, &mut report).await;
    Ok(report)
}
