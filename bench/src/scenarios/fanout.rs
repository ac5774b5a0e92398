//! `fanout`: one room with N subscribers; publishers at R messages/s in all. Deliveries/s and
//! publish-to-deliver latency, and every subscriber must get every message exactly once.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use hubbub_client::HubClient;
use hubbub_protocol::{ClientFrame, ServerFrame};

use crate::clients::{connect_many, join_many};
use crate::report::{Report, ms};
use crate::target::Target;

/// Publishers share the rate.
const PUBLISHERS: usize = 10;
/// After the last publish, how long deliveries may go on arriving (a backlog drains) while they
/// still make progress, and how long without progress ends the wait.
const DRAIN_LIMIT: Duration = Duration::from_secs(30);
const STALLED: Duration = Duration::from_secs(5);

pub async fn run(target: &Target, subscribers: usize, rate: u64, seconds: u64) -> anyhow::Result<Report> {
    let client = HubClient::new(target.url.clone());
    let mut report = Report::new("fanout")
        .param("subscribers", subscribers)
        .param("rate_per_s", rate)
        .param("seconds", seconds);
    let subs = connect_many(&client, &join_many(&client, "sub", subscribers).await?).await?;
    let pubs = connect_many(&client, &join_many(&client, "pub", PUBLISHERS).await?).await?;
    let epoch = Arc::new(Instant::now());

    // Every subscriber records latency from the send time in the body, and the offsets it saw.
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let received = Arc::new(AtomicU64::new(0));
    let last_delivery = Arc::new(AtomicU64::new(0));
    let receivers: Vec<_> = subs
        .into_iter()
        .map(|conn| {
            let epoch = Arc::clone(&epoch);
            let (received, last_delivery) = (Arc::clone(&received), Arc::clone(&last_delivery));
            let mut stopped = stopped.clone();
            let (tx, mut rx) = conn.into_split();
            tokio::spawn(async move {
                let _keep = tx;
                let mut hist = Histogram::<u64>::new(3).expect("histogram");
                let mut offsets = Vec::new();
                loop {
                    let frame = tokio::select! {
                        frame = rx.next_frame() => frame,
                        _ = stopped.changed() => None,
                    };
                    let Some(frame) = frame else { break };
                    if let ServerFrame::Message(m) = frame
                        && let Some(sent) = m.body.strip_prefix("t:").and_then(|t| t.parse::<u64>().ok())
                    {
                        let now = epoch.elapsed().as_nanos() as u64;
                        let _ = hist.record(now.saturating_sub(sent));
                        offsets.push(m.offset);
                        received.fetch_add(1, Ordering::Relaxed);
                        last_delivery.fetch_max(now, Ordering::Relaxed);
                    }
                }
                (hist, offsets)
            })
        })
        .collect();

    let per_publisher = Duration::from_secs_f64(PUBLISHERS as f64 / rate.max(1) as f64);
    let first_publish = epoch.elapsed().as_nanos() as u64;
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let publishers: Vec<_> = pubs
        .into_iter()
        .enumerate()
        .map(|(who, conn)| {
            let epoch = Arc::clone(&epoch);
            tokio::spawn(async move {
                let (mut tx, mut rx) = conn.into_split();
                let drain = tokio::spawn(async move { while rx.next_frame().await.is_some() {} });
                let mut tick = tokio::time::interval(per_publisher);
                tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
                let mut sent = 0u64;
                while Instant::now() < deadline {
                    tick.tick().await;
                    let body = format!("t:{}", epoch.elapsed().as_nanos());
                    let frame = ClientFrame::SendMessage {
                        r#ref: None,
                        channel: "room:lobby".into(),
                        client_message_id: format!("p{who}-{sent}"),
                        body,
                        reply_to: None,
                    };
                    if tx.send(&frame).await.is_err() {
                        break;
                    }
                    sent += 1;
                }
                (sent, drain)
            })
        })
        .collect();
    let mut published = 0u64;
    let mut drains = Vec::new();
    for p in publishers {
        let (sent, drain) = p.await?;
        published += sent;
        drains.push(drain);
    }
    // Let every message arrive (a backlog drains while it makes progress), then stop everyone.
    let expected = published * subscribers as u64;
    let (drain_end, mut seen, mut progress) = (Instant::now() + DRAIN_LIMIT, 0, Instant::now());
    while received.load(Ordering::Relaxed) < expected && Instant::now() < drain_end {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let now_seen = received.load(Ordering::Relaxed);
        if now_seen > seen {
            (seen, progress) = (now_seen, Instant::now());
        } else if progress.elapsed() > STALLED {
            break;
        }
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let _ = stop.send(true);
    for d in drains {
        d.abort();
    }
    let mut hist = Histogram::<u64>::new(3)?;
    let mut exact = 0usize;
    for r in receivers {
        let (h, mut offsets) = r.await?;
        hist.add(h)?;
        let n = offsets.len();
        offsets.sort_unstable();
        offsets.dedup();
        if n as u64 == published && offsets.len() == n {
            exact += 1;
        }
    }
    let deliveries = hist.len();
    // Over the time from the first publish to the last delivery, so a backlog that drains after
    // the publishers stop is not counted as throughput.
    let span = Duration::from_nanos(last_delivery.load(Ordering::Relaxed).saturating_sub(first_publish));
    report.metric("published", published);
    report.metric("deliveries", deliveries);
    report.metric("delivery_span_s", (span.as_secs_f64() * 100.0).round() / 100.0);
    report.metric("deliveries_per_s", (deliveries as f64 / span.as_secs_f64().max(0.001)).round());
    report.metric("latency_p50_ms", ms(hist.value_at_quantile(0.5)));
    report.metric("latency_p99_ms", ms(hist.value_at_quantile(0.99)));
    report.metric("latency_p999_ms", ms(hist.value_at_quantile(0.999)));
    report.metric("subscribers_exactly_once", exact);
    report.check("every subscriber got every message exactly once", exact == subscribers);
    Ok(report)
}
