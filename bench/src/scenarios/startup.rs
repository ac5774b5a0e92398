//! `startup`: time from starting the hub process (fresh data directory) to its first accepted
//! WebSocket connection: process start, migrations, bind, a join, a token and an upgrade.

use std::path::Path;
use std::time::{Duration, Instant};

use hubbub_client::HubClient;
use hubbub_protocol::ServerFrame;

use crate::report::{Report, ms};
use crate::target::Target;

pub async fn run(bin: &Path, config: Option<&Path>, runs: usize, remote: bool) -> anyhow::Result<Report> {
    let mut report = Report::new("startup").param("runs", runs);
    if remote {
        report.metric("first_connection_ms", "n/a (needs a hub the bench starts itself)");
        return Ok(report);
    }
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let started = Instant::now();
        let target = Target::spawn(bin, config)?;
        let client = HubClient::new(target.url.clone());
        let session = client.join("first", None).await?;
        let mut conn = client.connect(&session).await?;
        let first = conn.next_frame(Duration::from_secs(10)).await?;
        report.check(
            "the first frame is connection_established",
            matches!(first, ServerFrame::ConnectionEstablished { .. }),
        );
        times.push(started.elapsed().as_nanos() as u64);
    }
    times.sort_unstable();
    report.metric("first_connection_min_ms", ms(times[0]));
    report.metric("first_connection_median_ms", ms(times[times.len() / 2]));
    report.metric("first_connection_max_ms", ms(times[times.len() - 1]));
    Ok(report)
}
