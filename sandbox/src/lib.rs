//! Starts real servers on loopback for the SDK's tests and the demo: a
//! Consul dev agent, and PostgreSQL 15 + Patroni members with Consul as DCS.
//! Everything it starts is stopped when its handle drops (and, through a
//! watchdog, when the test process dies).
//!
//! Tests that need a server use [`shared_consul`] or start their own; when the
//! server cannot be started, [`unavailable`] fails the test in CI (`CI=true`)
//! and skips it with a printed reason elsewhere.
#![deny(missing_docs)]

pub mod consul;
pub mod faults;
pub mod http;
pub mod patroni;
pub mod ports;
pub mod postgres;
pub mod process;

use std::path::Path;
use std::sync::OnceLock;

pub use consul::Consul;
pub use patroni::PatroniCluster;

/// Why the sandbox could not provide a server.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A required program is not installed.
    #[error("not installed: {0}")]
    Missing(String),
    /// A server did not start or become ready.
    #[error("{0}")]
    Start(String),
    /// A file-system problem in the sandbox directory.
    #[error("{0}")]
    Io(String),
}

/// True when running in CI (`CI=true`), where missing servers are failures.
#[must_use]
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// Reports a server that cannot be had: panics in CI, prints and returns
/// elsewhere (the caller then returns early, skipping the test).
///
/// # Panics
/// In CI, always: a test that needs a server must never pass without it.
pub fn unavailable(what: &str, err: &Error) {
    assert!(!in_ci(), "{what} is required in CI but unavailable: {err}");
    eprintln!("SKIPPED: {what} unavailable: {err}");
}

static SHARED_CONSUL: OnceLock<Result<Consul, String>> = OnceLock::new();

/// One Consul agent shared by all tests of this process (started on first
/// use, killed by its watchdog when the process exits). Tests sharing it
/// must use unique key prefixes and service names.
///
/// Returns `None` (after [`unavailable`]) when Consul cannot be started.
pub fn shared_consul() -> Option<&'static Consul> {
    match SHARED_CONSUL.get_or_init(|| Consul::start().map_err(|e| e.to_string())) {
        Ok(c) => Some(c),
        Err(e) => {
            unavailable("Consul", &Error::Start(e.clone()));
            None
        }
    }
}

/// A random lowercase suffix for test-owned names.
#[must_use]
pub fn unique_suffix() -> String {
    use std::time::{SystemTime, UNIX_EPOCH};
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let t = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    format!("{:x}{:x}{n}", std::process::id(), t)
}

/// The last `lines` lines of a text file ("" if unreadable).
#[must_use]
pub fn tail_file(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}
