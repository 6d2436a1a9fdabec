//! Latency summaries.

use std::time::Duration;

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

/// Where the middle of a set of per-round figures lies: the median, the interquartile range
/// and a 95% confidence interval of the median (distribution-free, from order statistics).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Spread {
    /// The median.
    pub median: f64,
    /// First quartile.
    pub q1: f64,
    /// Third quartile.
    pub q3: f64,
    /// Lower end of the 95% confidence interval of the median.
    pub ci_low: f64,
    /// Upper end of the 95% confidence interval of the median.
    pub ci_high: f64,
    /// How many samples.
    pub n: usize,
}

impl Spread {
    /// Summarises `samples` (NaN figures when empty).
    #[must_use]
    pub fn of(samples: &[f64]) -> Self {
        let mut sorted = samples.to_vec();
        sorted.sort_unstable_by(f64::total_cmp);
        let n = sorted.len();
        if n == 0 {
            return Self { median: f64::NAN, q1: f64::NAN, q3: f64::NAN, ci_low: f64::NAN, ci_high: f64::NAN, n };
        }
        // The 95% interval of the median lies between the order statistics of rank
        // n/2 ± 1.96·√n/2 (normal approximation of the binomial; 1-based, clamped).
        let half = 0.98 * (n as f64).sqrt();
        let low = ((n as f64 / 2.0 - half).floor() as usize).clamp(1, n);
        let high = ((n as f64 / 2.0 + 1.0 + half).ceil() as usize).clamp(1, n);
        Self {
            median: quantile(&sorted, 0.5),
            q1: quantile(&sorted, 0.25),
            q3: quantile(&sorted, 0.75),
            ci_low: sorted[low - 1],
            ci_high: sorted[high - 1],
            n,
        }
    }

    /// Whether every figure is a finite number.
    #[must_use]
    pub fn is_finite(&self) -> bool {
        [self.median, self.q1, self.q3, self.ci_low, self.ci_high].iter().all(|v| v.is_finite())
    }
}

/// The `q` quantile of sorted values, interpolated between neighbours (NaN when empty).
#[must_use]
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    let Some(last) = sorted.len().checked_sub(1) else { return f64::NAN };
    let at = q.clamp(0.0, 1.0) * last as f64;
    let (below, frac) = (at.floor() as usize, at.fract());
    let above = (below + 1).min(last);
    sorted[below] + (sorted[above] - sorted[below]) * frac
}

/// A small deterministic generator (splitmix64): shuffles run orders reproducibly
/// without a dependency.
#[derive(Debug, Clone)]
pub struct Shuffler(u64);

impl Shuffler {
    /// A generator seeded with `seed`.
    #[must_use]
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Puts `items` in a new random order (Fisher–Yates).
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = (self.next() % (i as u64 + 1)) as usize;
            items.swap(i, j);
        }
    }
}
