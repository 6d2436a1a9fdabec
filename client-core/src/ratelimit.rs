//! A client-side request rate limit (`VAULT_RATE_LIMIT`): `rate` requests a
//! second with bursts of up to `burst`, as Go's `golang.org/x/time/rate`
//! limiter the Vault client uses. Requests wait for their turn; none fails.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use crate::error::{Error, Result};

/// A token bucket (GCRA form: one "theoretical arrival time").
#[derive(Debug)]
pub struct RateLimit {
    interval: Duration,
    burst: u32,
    /// When the bucket is full again; `None` before the first request.
    tat: Mutex<Option<Instant>>,
    rate: f64,
}

impl RateLimit {
    /// `rate` requests per second, bursts of `burst` (at least 1).
    pub fn new(rate: f64, burst: u32) -> Result<Self> {
        if !(rate.is_finite() && rate > 0.0) {
            return Err(Error::config("rate limit", format!("{rate} is not a positive rate")));
        }
        Ok(Self { interval: Duration::from_secs_f64(1.0 / rate), burst: burst.max(1), tat: Mutex::new(None), rate })
    }

    /// Parses Vault's `rate[:burst]` (`"10"` or `"10.5:20"`; the burst
    /// defaults to the rate, as in the Vault client).
    ///
    /// ```
    /// use client_core::ratelimit::RateLimit;
    /// let limit = RateLimit::parse("VAULT_RATE_LIMIT", "10:20").unwrap();
    /// assert_eq!((limit.rate(), limit.burst()), (10.0, 20));
    /// assert_eq!(RateLimit::parse("VAULT_RATE_LIMIT", "5").unwrap().burst(), 5);
    /// assert!(RateLimit::parse("VAULT_RATE_LIMIT", "fast").is_err());
    /// ```
    pub fn parse(source: &str, value: &str) -> Result<Self> {
        let bad = || Error::config(source, format!("{value:?} is not a rate; expected e.g. 10 or 10:20 (rate:burst)"));
        let (rate, burst) = match value.trim().split_once(':') {
            Some((r, b)) => (r.trim().parse::<f64>().map_err(|_| bad())?, b.trim().parse::<u32>().map_err(|_| bad())?),
            None => {
                let r = value.trim().parse::<f64>().map_err(|_| bad())?;
                // Go's int(rate); as u32 saturates, and 0 becomes 1 below.
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                (r, r as u32)
            }
        };
        Self::new(rate, burst).map_err(|_| bad())
    }

    /// Requests per second.
    #[must_use]
    pub fn rate(&self) -> f64 {
        self.rate
    }

    /// Largest burst.
    #[must_use]
    pub fn burst(&self) -> u32 {
        self.burst
    }

    /// Waits until one more request may go.
    pub async fn wait(&self) {
        let wait = {
            let mut tat = self.tat.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            let now = Instant::now();
            let start = tat.map_or(now, |t| t.max(now));
            let next = start + self.interval;
            // Up to `burst` requests may be ahead of the steady rate.
            let allowed_ahead = self.interval * self.burst;
            let at = next.checked_sub(allowed_ahead).unwrap_or(now);
            *tat = Some(next);
            at.saturating_duration_since(now)
        };
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn bursts_then_the_steady_rate() {
        let limit = RateLimit::new(100.0, 3).unwrap();
        let start = Instant::now();
        for _ in 0..3 {
            limit.wait().await;
        }
        assert!(start.elapsed() < Duration::from_millis(5), "the burst goes at once");
        for _ in 0..5 {
            limit.wait().await;
        }
        let took = start.elapsed();
        assert!(took >= Duration::from_millis(45) && took < Duration::from_millis(400), "{took:?}");
    }
}
