//! What `fanout` and the peer runs share: publishers at a fixed rate with the send time in each
//! body, subscribers recording publish-to-deliver latency and what they received, the wait for a
//! backlog to drain, and the report (deliveries/s, latency, the server's CPU per delivery, and
//! whether every subscriber got every message exactly once). The server and its wire format are
//! the caller's: it hands over delivery streams and publishers.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures_util::{Stream, StreamExt};
use hdrhistogram::Histogram;

use crate::report::{Report, ms};

/// After the last publish, how long deliveries may go on arriving (a backlog drains) while they
/// still make progress, and how long without progress ends the wait.
const DRAIN_LIMIT: Duration = Duration::from_secs(30);
const STALLED: Duration = Duration::from_secs(5);

/// One subscriber's deliveries: for each, the send time written in its body (ns since the run's
/// epoch) and a key that names the message (equal keys are the same message delivered twice).
pub type Deliveries = Pin<Box<dyn Stream<Item = (u64, u64)> + Send>>;

/// A body for message `n` of publisher `who`: the send time first, then who sent it.
pub fn body(sent_ns: u64, who: usize, n: u64) -> String {
    format!("t:{sent_ns}:{who}:{n}")
}

/// Reads a body made by [`body`]: its send time and a key unique to the message.
pub fn parse_body(body: &str) -> Option<(u64, u64)> {
    let mut parts = body.strip_prefix("t:")?.split(':');
    let sent = parts.next()?.parse().ok()?;
    let who: u64 = parts.next()?.parse().ok()?;
    let n: u64 = parts.next()?.parse().ok()?;
    Some((sent, (who << 40) | n))
}

/// One publisher: sends a body to the room.
pub trait Publish: Send + 'static {
    fn publish(&mut self, body: String) -> impl Future<Output = anyhow::Result<()>> + Send;
}

/// The server's CPU time so far in ms, when it can be read.
pub type CpuClock<'a> = &'a (dyn Fn() -> Option<u64> + Sync);

/// Runs the publishers at `rate` messages/s in all for `seconds`, waits for every delivery (or for
/// the backlog to stop draining), and writes the results into `report`.
pub async fn measure<P: Publish>(
    report: &mut Report,
    subscribers: Vec<Deliveries>,
    publishers: Vec<P>,
    rate: u64,
    seconds: u64,
    cpu_ms: CpuClock<'_>,
) -> anyhow::Result<()> {
    let epoch = Arc::new(Instant::now());
    let n_subscribers = subscribers.len();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let received = Arc::new(AtomicU64::new(0));
    let last_delivery = Arc::new(AtomicU64::new(0));
    let receivers: Vec<_> = subscribers
        .into_iter()
        .map(|mut deliveries| {
            let epoch = Arc::clone(&epoch);
            let (received, last_delivery) = (Arc::clone(&received), Arc::clone(&last_delivery));
            let mut stopped = stopped.clone();
            tokio::spawn(async move {
                let mut hist = Histogram::<u64>::new(3).expect("histogram");
                let mut keys = Vec::new();
                loop {
                    let next = tokio::select! {
                        next = deliveries.next() => next,
                        _ = stopped.changed() => None,
                    };
                    let Some((sent, key)) = next else { break };
                    let now = epoch.elapsed().as_nanos() as u64;
                    let _ = hist.record(now.saturating_sub(sent));
                    keys.push(key);
                    received.fetch_add(1, Ordering::Relaxed);
                    last_delivery.fetch_max(now, Ordering::Relaxed);
                }
                (hist, keys)
            })
        })
        .collect();

    let per_publisher = Duration::from_secs_f64(publishers.len().max(1) as f64 / rate.max(1) as f64);
    let cpu_before = cpu_ms();
    let publishing = Instant::now();
    let first_publish = epoch.elapsed().as_nanos() as u64;
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let tasks: Vec<_> = publishers
        .into_iter()
        .enumerate()
        .map(|(who, mut publisher)| {
            let epoch = Arc::clone(&epoch);
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(per_publisher);
                tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
                let mut sent = 0u64;
                while Instant::now() < deadline {
                    tick.tick().await;
                    let now = epoch.elapsed().as_nanos() as u64;
                    if publisher.publish(body(now, who, sent)).await.is_err() {
                        break;
                    }
                    sent += 1;
                }
                (sent, publisher)
            })
        })
        .collect();
    let mut published = 0u64;
    // Publishers stay open until the end, so none is seen leaving while deliveries drain.
    let mut keep = Vec::new();
    for task in tasks {
        let (sent, publisher) = task.await?;
        published += sent;
        keep.push(publisher);
    }
    // Let every message arrive (a backlog drains while it makes progress), then stop everyone.
    let expected = published * n_subscribers as u64;
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
    let (cpu_after, cpu_span) = (cpu_ms(), publishing.elapsed());
    tokio::time::sleep(Duration::from_millis(200)).await;
    let _ = stop.send(true);
    let mut hist = Histogram::<u64>::new(3)?;
    let mut exact = 0usize;
    for r in receivers {
        let (h, mut keys) = r.await?;
        hist.add(h)?;
        let n = keys.len();
        keys.sort_unstable();
        keys.dedup();
        if n as u64 == published && keys.len() == n {
            exact += 1;
        }
    }
    drop(keep);
    let deliveries = hist.len();
    // Over the time from the first publish to the last delivery, so a backlog that drains after
    // the publishers stop is not counted as throughput.
    let span = Duration::from_nanos(last_delivery.load(Ordering::Relaxed).saturating_sub(first_publish));
    report.metric("published", published);
    report.metric("deliveries", deliveries);
    report.metric("undelivered", expected.saturating_sub(deliveries));
    report.metric("delivery_span_s", (span.as_secs_f64() * 100.0).round() / 100.0);
    report.metric("deliveries_per_s", (deliveries as f64 / span.as_secs_f64().max(0.001)).round());
    report.metric("latency_p50_ms", ms(hist.value_at_quantile(0.5)));
    report.metric("latency_p99_ms", ms(hist.value_at_quantile(0.99)));
    report.metric("latency_p999_ms", ms(hist.value_at_quantile(0.999)));
    if let (Some(before), Some(after)) = (cpu_before, cpu_after) {
        // From the first publish until every message arrived (or the wait gave up).
        let cpu = after.saturating_sub(before);
        report.metric("server_cpu_ms", cpu);
        report
            .metric("server_cpu_percent", (cpu as f64 * 100.0 / cpu_span.as_millis().max(1) as f64).round());
        let per = cpu as f64 * 1000.0 / deliveries.max(1) as f64;
        report.metric("server_cpu_us_per_delivery", (per * 100.0).round() / 100.0);
    }
    report.metric("subscribers_exactly_once", exact);
    report.check("every subscriber got every message exactly once", exact == n_subscribers);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_names_its_send_time_and_message() {
        let (sent, key) = parse_body(&body(123_456, 7, 42)).expect("parses");
        assert_eq!(sent, 123_456);
        assert_ne!(key, parse_body(&body(123_456, 7, 43)).expect("parses").1);
        assert_ne!(key, parse_body(&body(123_456, 8, 42)).expect("parses").1);
        assert_eq!(parse_body("t:1:2"), None);
        assert_eq!(parse_body("hello"), None);
    }
}
