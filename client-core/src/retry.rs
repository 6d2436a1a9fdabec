//! Retry policy: exponential backoff with jitter, bounded in count and time.

use std::time::Duration;

use backon::BackoffBuilder;
use http::HeaderMap;

/// How requests are retried: the one retry loop of every client.
///
/// - A request the server never saw (the connection could not be made) is
///   retried whatever its method.
/// - An idempotent request is retried on a transport failure, a timeout and
///   the statuses in [`RetryPolicy::statuses`] (default 429, 502, 503, 504:
///   the same set [`crate::Error::is_transient`] reports).
/// - Any request, idempotent or not, is retried on the statuses in
///   [`RetryPolicy::unapplied_statuses`]: answers that say the server did not
///   apply the request (Vault's 412, "index not yet replicated"). Empty by default.
/// - A [`crate::Hook`] may make one answer final (a sealed Vault's 503).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (0 disables retries).
    pub max_retries: u32,
    /// First backoff delay.
    pub initial_delay: Duration,
    /// Largest backoff delay. A server's `Retry-After` is honoured as long as
    /// it fits in [`RetryPolicy::max_elapsed`].
    pub max_delay: Duration,
    /// Total time budget for all attempts and waits.
    pub max_elapsed: Duration,
    /// Statuses retried for an idempotent request.
    pub statuses: &'static [u16],
    /// Statuses retried for every request: the server says it did not apply it.
    pub unapplied_statuses: &'static [u16],
}

pub use crate::error::TRANSIENT_STATUSES;

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 4,
            initial_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(5),
            max_elapsed: Duration::from_secs(60),
            statuses: TRANSIENT_STATUSES,
            unapplied_statuses: &[],
        }
    }
}

impl RetryPolicy {
    /// No retries at all.
    #[must_use]
    pub fn disabled() -> Self {
        Self { max_retries: 0, ..Self::default() }
    }

    /// Sets the number of retries.
    #[must_use]
    pub fn with_max_retries(mut self, n: u32) -> Self {
        self.max_retries = n;
        self
    }

    /// Sets the first and the largest delay.
    #[must_use]
    pub fn with_delays(mut self, initial: Duration, max: Duration) -> Self {
        self.initial_delay = initial;
        self.max_delay = max;
        self
    }

    /// Sets the total time budget.
    #[must_use]
    pub fn with_max_elapsed(mut self, max: Duration) -> Self {
        self.max_elapsed = max;
        self
    }

    /// Sets the statuses retried for idempotent requests (a constant list,
    /// e.g. Vault's, which adds 500 for reads).
    #[must_use]
    pub fn with_statuses(mut self, statuses: &'static [u16]) -> Self {
        self.statuses = statuses;
        self
    }

    /// Sets the statuses retried for every request because they mean the
    /// server did not apply it.
    #[must_use]
    pub fn with_unapplied_statuses(mut self, statuses: &'static [u16]) -> Self {
        self.unapplied_statuses = statuses;
        self
    }

    /// Whether an answer with `status` is retried for a request that is
    /// (or is not) idempotent.
    #[must_use]
    pub fn retries_status(&self, status: u16, idempotent: bool) -> bool {
        self.unapplied_statuses.contains(&status) || (idempotent && self.statuses.contains(&status))
    }

    /// The backoff delays for this policy, jittered, `max_retries` long.
    pub(crate) fn delays(&self) -> impl Iterator<Item = Duration> + use<> {
        backon::ExponentialBuilder::default()
            .with_min_delay(self.initial_delay)
            .with_max_delay(self.max_delay)
            .with_max_times(self.max_retries as usize)
            .with_jitter()
            .build()
    }
}

/// Reads `Retry-After` as delta-seconds or an HTTP date.
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(http::header::RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = humantime::parse_rfc3339_weak(value).ok().or_else(|| httpdate(value))?;
    Some(when.duration_since(std::time::SystemTime::now()).unwrap_or_default())
}

/// Parses an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`).
fn httpdate(value: &str) -> Option<std::time::SystemTime> {
    let parts: Vec<&str> = value.split_whitespace().collect();
    if parts.len() != 6 || parts[5] != "GMT" {
        return None;
    }
    let month = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        .iter()
        .position(|m| *m == parts[2])?
        + 1;
    let text = format!("{}-{month:02}-{:0>2}T{}Z", parts[3], parts[1], parts[4]);
    humantime::parse_rfc3339(&text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_are_bounded() {
        let p = RetryPolicy::default()
            .with_max_retries(10)
            .with_delays(Duration::from_millis(10), Duration::from_millis(50));
        let d: Vec<_> = p.delays().collect();
        assert_eq!(d.len(), 10);
        assert!(d.iter().all(|d| *d <= Duration::from_millis(100)), "{d:?}");
        assert_eq!(RetryPolicy::disabled().delays().count(), 0);
    }

    #[test]
    fn retry_after_forms() {
        let mut h = HeaderMap::new();
        h.insert("retry-after", "3".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(3)));
        h.insert("retry-after", "Sun, 06 Nov 1994 08:49:37 GMT".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::ZERO));
        h.insert("retry-after", "soon".parse().unwrap());
        assert_eq!(retry_after(&h), None);
    }
}
