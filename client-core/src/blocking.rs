//! Blocking queries (the `index`/`wait` protocol Consul and Nomad share) and
//! a `watch` that turns them into a stream.

use std::future::Future;
use std::time::Duration;

use futures::Stream;
use http::{HeaderMap, HeaderName};

use crate::error::Result;

/// Index metadata of a read, from the `X-Consul-*` / `X-Nomad-*` headers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueryMeta {
    /// `X-*-Index`: pass it back as [`BlockingOptions::index`] to wait for a change.
    pub last_index: u64,
    /// `X-*-KnownLeader`: whether the server knew a leader.
    pub known_leader: Option<bool>,
    /// `X-*-LastContact`: time since the serving server last heard from the leader.
    pub last_contact: Option<Duration>,
}

impl QueryMeta {
    /// Reads the headers with `prefix` (`"X-Consul"` or `"X-Nomad"`).
    #[must_use]
    pub fn from_headers(headers: &HeaderMap, prefix: &str) -> Self {
        // The two prefixes the SDK uses get pre-parsed header names; the
        // lookup then needs no formatting and no name parsing per response.
        const CONSUL: [HeaderName; 3] = [
            HeaderName::from_static("x-consul-index"),
            HeaderName::from_static("x-consul-knownleader"),
            HeaderName::from_static("x-consul-lastcontact"),
        ];
        const NOMAD: [HeaderName; 3] = [
            HeaderName::from_static("x-nomad-index"),
            HeaderName::from_static("x-nomad-knownleader"),
            HeaderName::from_static("x-nomad-lastcontact"),
        ];
        fn text(v: Option<&http::HeaderValue>) -> Option<&str> {
            v.and_then(|v| v.to_str().ok())
        }
        let [index, leader, contact] = match prefix {
            "X-Consul" => CONSUL.each_ref().map(|n| text(headers.get(n))),
            "X-Nomad" => NOMAD.each_ref().map(|n| text(headers.get(n))),
            other => ["Index", "KnownLeader", "LastContact"].map(|n| text(headers.get(format!("{other}-{n}")))),
        };
        Self {
            last_index: index.and_then(|v| v.parse().ok()).unwrap_or(0),
            known_leader: leader.and_then(|v| v.parse().ok()),
            last_contact: contact.and_then(|v| v.parse().ok()).map(Duration::from_millis),
        }
    }
}

/// A value read with its index metadata.
#[derive(Debug, Clone, PartialEq)]
pub struct WithMeta<T> {
    /// The decoded value.
    pub value: T,
    /// Index metadata.
    pub meta: QueryMeta,
}

/// The blocking part of a read: wait until the index moves past `index`, for
/// at most `wait`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BlockingOptions {
    /// Return only when the resource's index is greater than this.
    pub index: Option<u64>,
    /// Longest time the server holds the request (server default 5 min, max 10 min).
    pub wait: Option<Duration>,
}

impl BlockingOptions {
    /// Blocks on `index` for at most `wait`.
    #[must_use]
    pub fn new(index: u64, wait: Duration) -> Self {
        Self { index: Some(index), wait: Some(wait) }
    }
}

/// How long Consul and Nomad hold a blocking query without a `wait`.
pub(crate) const SERVER_DEFAULT_WAIT: Duration = Duration::from_secs(300);

/// Settings of a [`watch`].
#[derive(Debug, Clone, Copy)]
pub struct WatchOptions {
    /// Server-side wait of each blocking request.
    pub wait: Duration,
    /// Pause after an error before the next attempt (doubles up to 16x).
    pub error_backoff: Duration,
    /// Least time between two requests when the index did not move, so a
    /// server that ignores `index` cannot make the watch spin.
    pub min_interval: Duration,
}

impl Default for WatchOptions {
    fn default() -> Self {
        Self {
            wait: Duration::from_secs(60),
            error_backoff: Duration::from_millis(500),
            min_interval: Duration::from_millis(250),
        }
    }
}

/// Turns a blocking read into a stream of values, one per index change.
///
/// `fetch` is called with the blocking options to use and returns the value
/// with its metadata. The stream yields the first value at once, then each
/// value whose index moved; an unchanged index (the wait expired) yields
/// nothing. An index that goes backwards (a server restore or a Raft reset)
/// yields and the watch continues from the new, lower index. Errors are yielded and followed by a growing
/// pause; the stream continues after them, so the consumer decides when to stop.
pub fn watch<T, F, Fut>(options: WatchOptions, fetch: F) -> impl Stream<Item = Result<WithMeta<T>>>
where
    F: FnMut(BlockingOptions) -> Fut,
    Fut: Future<Output = Result<WithMeta<T>>>,
{
    struct State<F> {
        fetch: F,
        index: u64,
        failures: u32,
        /// Set after an answer whose index did not move: the next request
        /// waits until `min_interval` after this one was sent.
        unchanged_since: Option<tokio::time::Instant>,
        sent_at: tokio::time::Instant,
    }
    let state = State { fetch, index: 0, failures: 0, unchanged_since: None, sent_at: tokio::time::Instant::now() };
    futures::stream::unfold(state, move |mut st| async move {
        loop {
            // Only an answer that did not move the index delays the next
            // request: a change that follows another is fetched at once.
            if let Some(last) = st.unchanged_since.take() {
                tokio::time::sleep_until(last + options.min_interval).await;
            }
            st.sent_at = tokio::time::Instant::now();
            let blocking = BlockingOptions { index: (st.index > 0).then_some(st.index), wait: Some(options.wait) };
            match (st.fetch)(blocking).await {
                Ok(item) => {
                    st.failures = 0;
                    let new = item.meta.last_index;
                    if st.index > 0 && new == st.index {
                        st.unchanged_since = Some(st.sent_at);
                        continue;
                    }
                    // A backwards index means the server's state was reset
                    // (snapshot restore, new cluster): report the value and
                    // block on the new index from now on. An index of 0 must
                    // never be used to block, so it becomes 1.
                    st.index = new.max(1);
                    return Some((Ok(item), st));
                }
                Err(e) => {
                    let factor = 1u32 << st.failures.min(4);
                    st.failures += 1;
                    tokio::time::sleep(options.error_backoff * factor).await;
                    return Some((Err(e), st));
                }
            }
        }
    })
}
