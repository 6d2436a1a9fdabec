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
/// let paged = QueryOptions::new().per_page(50).filter(r#"Status == "running""#).reverse();
/// assert_eq!(paged.per_page, Some(50));
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
    /// Page size of a paged list (`per_page`, Nomad 1.3+; an older server
    /// answers everything in one page). Between 1 and 2147483647.
    pub per_page: Option<u32>,
    /// Where a paged list starts (`next_token`): the
    /// [`Page::next_token`](crate::Page::next_token) of the previous page,
    /// passed back verbatim (it is opaque).
    pub next_token: Option<String>,
    /// Newest first (`reverse=true`) on the lists that support it
    /// (allocations, evaluations, deployments, ACL tokens).
    pub reverse: bool,
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

    /// Pages a list by `per_page` items (see [`QueryOptions::per_page`](field@QueryOptions::per_page)).
    #[must_use]
    pub fn per_page(mut self, per_page: u32) -> Self {
        self.per_page = Some(per_page);
        self
    }

    /// Starts a paged list at `token`, a [`Page::next_token`](crate::Page::next_token).
    #[must_use]
    pub fn next_token(mut self, token: impl Into<String>) -> Self {
        self.next_token = Some(token.into());
        self
    }

    /// Lists newest first (`reverse=true`), where the list supports it.
    #[must_use]
    pub fn reverse(mut self) -> Self {
        self.reverse = true;
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

/// The read a write checks its target with first: same namespace, region and token.
impl From<&WriteOptions> for QueryOptions {
    fn from(w: &WriteOptions) -> Self {
        Self { namespace: w.namespace.clone(), region: w.region.clone(), token: w.token.clone(), ..Self::default() }
    }
}

impl From<&QueryOptions> for WriteOptions {
    fn from(q: &QueryOptions) -> Self {
        Self { namespace: q.namespace.clone(), region: q.region.clone(), token: q.token.clone() }
    }
}
