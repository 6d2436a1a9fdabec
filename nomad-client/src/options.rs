//! Per-call options: namespace, region, token, list filters and blocking queries.

use std::time::Duration;

use client_core::{BlockingOptions, Secret};

/// The wildcard namespace: list calls given it return objects of every namespace.
pub const ALL_NAMESPACES: &str = "*";

/// Adds `new`, `namespace`, `region` and `token` builders to an options struct with those fields.
macro_rules! scope_builders {
    ($($ty:ty),+) => {$(
        impl $ty {
            /// Options with every field unset.
            #[must_use]
            pub fn new() -> Self {
                Self::default()
            }

            /// Sets the namespace.
            #[must_use]
            pub fn namespace(mut self, namespace: impl Into<String>) -> Self {
                self.namespace = Some(namespace.into());
                self
            }

            /// Sets the region.
            #[must_use]
            pub fn region(mut self, region: impl Into<String>) -> Self {
                self.region = Some(region.into());
                self
            }

            /// Sends this token instead of the client's.
            #[must_use]
            pub fn token(mut self, token: impl Into<Secret>) -> Self {
                self.token = Some(token.into());
                self
            }
        }
    )+};
}

scope_builders!(QueryOptions, WriteOptions);

/// Options of read and list calls. Unset fields fall back to the client's defaults.
///
/// ```
/// use std::time::Duration;
/// use nomad_client::QueryOptions;
/// let opts = QueryOptions::new().namespace("atala-testnet").prefix("dbHA").stale().blocking(27, Duration::from_secs(5));
/// assert_eq!(opts.namespace.as_deref(), Some("atala-testnet"));
/// assert!(opts.stale);
/// ```
#[derive(Debug, Clone, Default)]
pub struct QueryOptions {
    /// Namespace (`*` for every namespace on list calls); the client's default when unset.
    pub namespace: Option<String>,
    /// Region; the client's default when unset.
    pub region: Option<String>,
    /// Token for this call instead of the client's.
    pub token: Option<Secret>,
    /// Only objects whose ID starts with this prefix (list calls).
    pub prefix: Option<String>,
    /// A server-side filter expression (`filter=`, list calls).
    pub filter: Option<String>,
    /// Any server may answer from its own state, not only the leader (`stale`): faster
    /// and available without a leader, possibly behind by a little.
    pub stale: bool,
    /// Blocking query: wait until the index moves past this one.
    pub blocking: BlockingOptions,
}

impl QueryOptions {
    /// Lists across every namespace (`namespace=*`).
    #[must_use]
    pub fn all_namespaces(self) -> Self {
        self.namespace(ALL_NAMESPACES)
    }

    /// Sets the ID prefix filter.
    #[must_use]
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = Some(prefix.into());
        self
    }

    /// Lets any server answer (`?stale`), see [`QueryOptions::stale`](field@QueryOptions::stale).
    #[must_use]
    pub fn stale(mut self) -> Self {
        self.stale = true;
        self
    }

    /// Sets the filter expression, e.g. `Status == "running"`.
    #[must_use]
    pub fn filter(mut self, filter: impl Into<String>) -> Self {
        self.filter = Some(filter.into());
        self
    }

    /// Makes the call a blocking query on `index`, waiting at most `wait`.
    #[must_use]
    pub fn blocking(mut self, index: u64, wait: Duration) -> Self {
        self.blocking = BlockingOptions::new(index, wait);
        self
    }

    /// These options without the blocking-query part (watches set it themselves).
    #[must_use]
    pub(crate) fn without_blocking(&self) -> Self {
        Self { blocking: BlockingOptions::default(), ..self.clone() }
    }
}

/// Options of write calls. Unset fields fall back to the client's defaults.
#[derive(Debug, Clone, Default)]
pub struct WriteOptions {
    /// Namespace; the client's default when unset.
    pub namespace: Option<String>,
    /// Region; the client's default when unset.
    pub region: Option<String>,
    /// Token for this call instead of the client's.
    pub token: Option<Secret>,
}

impl From<&QueryOptions> for WriteOptions {
    fn from(q: &QueryOptions) -> Self {
        Self { namespace: q.namespace.clone(), region: q.region.clone(), token: q.token.clone() }
    }
}
