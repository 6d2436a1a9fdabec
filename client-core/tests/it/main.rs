//! client-core against wiremock and the sandbox's fault server: retries,
//! Retry-After, timeouts, bounded bodies, redirects, blocking queries, redaction.

mod faults;
mod pipeline;
mod proxy;
mod retries;
mod snapshot;
mod tls;
mod watch;

use std::time::Duration;

use client_core::{ClientConfig, HttpClient, RetryPolicy};

pub const TOKEN: &str = "s3cr3t-token-value";

/// A client for `addr` with fast retries and a short timeout.
pub fn client(addr: &str) -> HttpClient {
    let cfg = ClientConfig::new(addr, "X-Test-Token")
        .unwrap()
        .with_token(TOKEN)
        .with_timeout(Duration::from_millis(800))
        .with_retry(
            RetryPolicy::default()
                .with_max_retries(3)
                .with_delays(Duration::from_millis(10), Duration::from_millis(50)),
        );
    HttpClient::new(cfg).unwrap()
}
