//! What a storage row is read beside: the disk's own fsync rate, and the sizes of the writer's
//! group-commit batches, read from the hub's `/metrics` (open on loopback). With both, a reader can
//! tell a slow disk from a slow hub.

use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Context;

use crate::report::Report;

/// 4 KiB writes each followed by `fdatasync`, for about a second, in `dir`: what one commit at a
/// time can reach on this disk.
pub fn fsync_rate(dir: &Path) -> anyhow::Result<f64> {
    let path = dir.join("fsync-probe");
    let mut file = std::fs::File::create(&path).context("fsync probe file")?;
    let block = [0u8; 4096];
    let started = Instant::now();
    let mut n = 0u32;
    while started.elapsed() < Duration::from_secs(1) {
        file.write_all(&block)?;
        file.sync_data()?;
        n += 1;
    }
    let rate = f64::from(n) / started.elapsed().as_secs_f64();
    drop(file);
    std::fs::remove_file(&path)?;
    Ok(rate.round())
}

/// 1 MiB writes each followed by `fdatasync`, for about half a second, in `dir`: how many MB/s the
/// disk takes when every write must reach it. A commit writes a whole page per index leaf it
/// changes, so a chat load can be bound by this rather than by the fsync rate.
pub fn write_rate_mb(dir: &Path) -> anyhow::Result<f64> {
    let path = dir.join("write-probe");
    let mut file = std::fs::File::create(&path).context("write probe file")?;
    let block = vec![0u8; 1 << 20];
    let started = Instant::now();
    let mut n = 0u32;
    while started.elapsed() < Duration::from_millis(500) || n < 4 {
        file.write_all(&block)?;
        file.sync_data()?;
        n += 1;
    }
    let rate = f64::from(n) * 1.048_576 / started.elapsed().as_secs_f64();
    drop(file);
    std::fs::remove_file(&path)?;
    Ok(rate.round())
}

/// The writer's batch-size histogram as `/metrics` gives it (cumulative buckets).
#[derive(Debug, Clone, Default)]
pub struct Batches {
    /// `(upper bound, batches at most that size)`, in order.
    buckets: Vec<(f64, u64)>,
    sum: f64,
    count: u64,
}

impl Batches {
    /// Reads `hubbub_store_batch_jobs` from the hub's `/metrics`.
    pub async fn scrape(url: &str) -> anyhow::Result<Batches> {
        let text = reqwest::get(format!("{url}/metrics")).await?.error_for_status()?.text().await?;
        Ok(Batches::parse(&text))
    }

    fn parse(text: &str) -> Batches {
        let mut b = Batches::default();
        for line in text.lines() {
            let Some((name, value)) = line.rsplit_once(' ') else { continue };
            let value: f64 = value.parse().unwrap_or(0.0);
            if let Some(le) = name.strip_prefix("hubbub_store_batch_jobs_bucket{le=\"") {
                let le = le.trim_end_matches("\"}");
                let bound = if le == "+Inf" { f64::INFINITY } else { le.parse().unwrap_or(f64::INFINITY) };
                b.buckets.push((bound, value as u64));
            } else if name == "hubbub_store_batch_jobs_sum" {
                b.sum = value;
            } else if name == "hubbub_store_batch_jobs_count" {
                b.count = value as u64;
            }
        }
        b
    }

    /// Adds the batches the writer committed since `before` (when it was read) to `report`: how
    /// many, and how many jobs each held.
    pub async fn report_since(before: Option<Batches>, url: &str, report: &mut Report) {
        if let (Some(before), Ok(after)) = (before, Batches::scrape(url).await) {
            let b = after.since(&before);
            report.metric("batches", b.count());
            report.metric("batch_jobs_mean", b.mean());
            report.metric("batch_jobs_p50_at_most", b.quantile_bound(0.5));
            report.metric("batch_jobs_p99_at_most", b.quantile_bound(0.99));
            report.check("the hub's metrics counted the writer's batches", b.count() > 0);
        }
    }

    /// The batches counted since `before`.
    pub fn since(&self, before: &Batches) -> Batches {
        let earlier = |bound: f64| before.buckets.iter().find(|(b, _)| *b == bound).map_or(0, |(_, n)| *n);
        Batches {
            buckets: self.buckets.iter().map(|&(b, n)| (b, n.saturating_sub(earlier(b)))).collect(),
            sum: self.sum - before.sum,
            count: self.count.saturating_sub(before.count),
        }
    }

    pub fn count(&self) -> u64 {
        self.count
    }

    pub fn mean(&self) -> f64 {
        if self.count == 0 { 0.0 } else { (self.sum / self.count as f64 * 10.0).round() / 10.0 }
    }

    /// The smallest bucket bound that holds the `q` quantile of batches ("at most this many jobs").
    pub fn quantile_bound(&self, q: f64) -> f64 {
        let want = (q * self.count as f64).ceil() as u64;
        self.buckets.iter().find(|(_, n)| *n >= want.max(1)).map_or(0.0, |(b, _)| *b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_histogram_and_its_quantiles() {
        let text = "hubbub_store_batch_jobs_sum 40.0\nhubbub_store_batch_jobs_count 10\n\
                    hubbub_store_batch_jobs_bucket{le=\"1.0\"} 2\nhubbub_store_batch_jobs_bucket{le=\"2.0\"} 5\n\
                    hubbub_store_batch_jobs_bucket{le=\"4.0\"} 9\nhubbub_store_batch_jobs_bucket{le=\"+Inf\"} 10\n";
        let before = Batches::parse(
            "hubbub_store_batch_jobs_sum 1.0\nhubbub_store_batch_jobs_count 1\n\
                                     hubbub_store_batch_jobs_bucket{le=\"1.0\"} 1\n",
        );
        let b = Batches::parse(text).since(&before);
        assert_eq!((b.count(), b.mean()), (9, 4.3));
        assert_eq!(b.quantile_bound(0.5), 2.0);
        assert_eq!(b.quantile_bound(0.9), 4.0);
        assert_eq!(b.quantile_bound(0.99), 4.0);
        assert_eq!(Batches::default().quantile_bound(0.5), 0.0, "no batches, no bound");
    }
}
