//! Latency summaries.

use std::time::Duration;

/// Requests per second and latency percentiles of one load run.
#[derive(Debug, Clone, Copy)]
pub struct LoadStats {
    /// Completed requests per second.
    pub rps: f64,
    /// Median latency in milliseconds.
    pub p50_ms: f64,
    /// 99th percentile latency in milliseconds.
    pub p99_ms: f64,
    /// Requests completed.
    pub requests: usize,
}

impl LoadStats {
    /// Summarises latencies collected over `elapsed`.
    #[must_use]
    pub fn from_latencies(mut latencies: Vec<Duration>, elapsed: Duration) -> Self {
        latencies.sort_unstable();
        let requests = latencies.len();
        Self {
            rps: requests as f64 / elapsed.as_secs_f64(),
            p50_ms: percentile_ms(&latencies, 0.50),
            p99_ms: percentile_ms(&latencies, 0.99),
            requests,
        }
    }
}

/// The `q` quantile of sorted durations, in milliseconds (NaN when empty).
#[must_use]
pub fn percentile_ms(sorted: &[Duration], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((sorted.len() as f64 * q).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1].as_secs_f64() * 1000.0
}

/// The median of durations, in milliseconds (NaN when empty).
#[must_use]
pub fn median_ms(mut samples: Vec<Duration>) -> f64 {
    samples.sort_unstable();
    percentile_ms(&samples, 0.5)
}
