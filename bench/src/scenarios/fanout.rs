//! `fanout`: one room with N subscribers; publishers at R messages/s in all. Deliveries/s,
//! publish-to-deliver latency and the hub's CPU time per delivery, and every subscriber must get
//! every message exactly once. The room is the Lobby (stored: each message is on disk before it is
//! fanned out) or an ephemeral room (kept in memory).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use hubbub_client::HubClient;
use hubbub_client::{Connection, Session};
use hubbub_protocol::{ClientFrame, CreateRoomRequest, InviteRequest, Room, ServerFrame};

use crate::clients::{connect_many, join_many};
use crate::report::{Report, ms};
use crate::target::Target;

/// Which room the scenario fans out in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RoomKind {
    /// The Lobby: every message is committed to SQLite before anyone is sent it.
    Stored,
    /// An ephemeral room, made for the run: messages live in memory only.
    Ephemeral,
}

/// What the scenario offers the hub.
#[derive(Debug, Clone, Copy)]
pub struct Load {
    pub subscribers: usize,
    /// Messages per second, all publishers together.
    pub rate: u64,
    pub seconds: u64,
    pub publishers: usize,
    pub room: RoomKind,
}
/// After the last publish, how long deliveries may go on arriving (a backlog drains) while they
/// still make progress, and how long without progress ends the wait.
const DRAIN_LIMIT: Duration = Duration::from_secs(30);
const STALLED: Duration = Duration::from_secs(5);

/// Makes an ephemeral room and brings everyone into it: `sessions[0]` creates it and invites the
/// others, who join. Returns its channel.
async fn ephemeral_room(client: &HubClient, sessions: &[&Session]) -> anyhow::Result<String> {
    let owner = sessions.first().ok_or_else(|| anyhow::anyhow!("no one to make the room"))?;
    let request = CreateRoomRequest {
        name: "fanout bench".into(),
        topic: None,
        kind: hubbub_protocol::RoomKind::Ephemeral,
    };
    let room: Room = client.post_json(owner, "/api/rooms", &request).await?;
    for session in &sessions[1..] {
        let invite = InviteRequest { user_id: session.user.id };
        client.post_no_content(owner, &format!("/api/rooms/{}/invite", room.id), &invite).await?;
        client
            .post_no_content(session, &format!("/api/rooms/{}/join", room.id), &serde_json::Value::Null)
            .await?;
    }
    Ok(format!("room:{}", room.id))
}

/// Waits until `conn` is subscribed to `channel` (after the Lobby, on connect).
async fn subscribed(conn: &mut Connection, channel: &str) -> anyhow::Result<()> {
    conn.recv_until(
        Duration::from_secs(60),
        |f| matches!(f, ServerFrame::Subscribed { channel: c, .. } if c == channel),
    )
    .await?;
    Ok(())
}

pub async fn run(target: &Target, load: Load) -> anyhow::Result<Report> {
    let Load { subscribers, rate, seconds, publishers, room } = load;
    let client = HubClient::new(target.url.clone());
    let mut report = Report::new("fanout")
        .param("subscribers", subscribers)
        .param("rate_per_s", rate)
        .param("seconds", seconds)
        .param("publishers", publishers)
        .param("room", format!("{room:?}").to_lowercase());
    let sub_sessions = join_many(&client, "sub", subscribers).await?;
    let pub_sessions = join_many(&client, "pub", publishers.max(1)).await?;
    let channel = match room {
        RoomKind::Stored => "room:lobby".to_owned(),
        RoomKind::Ephemeral => {
            let everyone: Vec<&Session> = pub_sessions.iter().chain(&sub_sessions).collect();
            ephemeral_room(&client, &everyone).await?
        }
    };
    let mut subs = connect_many(&client, &sub_sessions).await?;
    let mut pubs = connect_many(&client, &pub_sessions).await?;
    if room == RoomKind::Ephemeral {
        for conn in subs.iter_mut().chain(pubs.iter_mut()) {
            subscribed(conn, &channel).await?;
        }
    }
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

    let per_publisher = Duration::from_secs_f64(pubs.len() as f64 / rate.max(1) as f64);
    let cpu_before = target.cpu_ms();
    let publishing = Instant::now();
    let first_publish = epoch.elapsed().as_nanos() as u64;
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let publishers: Vec<_> = pubs
        .into_iter()
        .enumerate()
        .map(|(who, conn)| {
            let epoch = Arc::clone(&epoch);
            let channel = channel.clone();
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
                        channel: channel.clone(),
                        client_message_id: format!("p{who}-{sent}"),
                        body,
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
    let (cpu_after, cpu_span) = (target.cpu_ms(), publishing.elapsed());
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
    if let (Some(before), Some(after)) = (cpu_before, cpu_after) {
        // From the first publish until every message arrived (or the wait gave up).
        let cpu = after.saturating_sub(before);
        report.metric("hub_cpu_ms", cpu);
        report.metric("hub_cpu_percent", (cpu as f64 * 100.0 / cpu_span.as_millis().max(1) as f64).round());
        report.metric(
            "hub_cpu_us_per_delivery",
            ((cpu as f64 * 1000.0 / deliveries.max(1) as f64) * 100.0).round() / 100.0,
        );
    }
    report.metric("subscribers_exactly_once", exact);
    report.check("every subscriber got every message exactly once", exact == subscribers);
    Ok(report)
}
