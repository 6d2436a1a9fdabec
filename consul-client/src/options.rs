//! Options of reads and writes, one vocabulary with the other clients of the
//! SDK: [`QueryOptions`] for reads (`datacenter`, `namespace`, `stale()`,
//! `consistent()`, `filter`, `blocking(index, wait)`, `token`, plus Consul's
//! `node_meta` and `near`), [`WriteOptions`] for writes, [`CasOptions`] for
//! conditional writes and deletes.

use std::time::Duration;

use client_core::{BlockingOptions, Request, Secret};

use crate::error::Result;
use crate::validate;

/// Adds `new`, `datacenter`, `namespace`, `partition` and `token` builders
/// to an options struct with those fields, and `apply_scope`, which sends them.
macro_rules! scope_builders {
    ($($ty:ty),+) => {$(
        impl $ty {
            /// Options with every field unset.
            #[must_use]
            pub fn new() -> Self {
                Self::default()
            }

            /// Sends the request to `datacenter` (`?dc=`) instead of the client's.
            #[must_use]
            pub fn datacenter(mut self, datacenter: impl Into<String>) -> Self {
                self.datacenter = Some(datacenter.into());
                self
            }

            /// Works in the Consul Enterprise namespace `namespace` (`?ns=`)
            /// instead of the client's.
            #[must_use]
            pub fn namespace(mut self, namespace: impl Into<String>) -> Self {
                self.namespace = Some(namespace.into());
                self
            }

            /// Works in the Consul Enterprise admin partition `partition`
            /// (`?partition=`, 1.11+) instead of the client's.
            #[must_use]
            pub fn partition(mut self, partition: impl Into<String>) -> Self {
                self.partition = Some(partition.into());
                self
            }

            /// Sends `token` instead of the client's token.
            #[must_use]
            pub fn token(mut self, token: impl Into<Secret>) -> Self {
                self.token = Some(token.into());
                self
            }

            /// Adds the datacenter, namespace, partition and token after validating them.
            pub(crate) fn apply_scope(&self, request: Request) -> Result<Request> {
                let request = $crate::options::apply_scope(
                    request,
                    self.datacenter.as_deref(),
                    self.namespace.as_deref(),
                    self.token.as_ref(),
                )?;
                $crate::options::apply_partition(request, self.partition.as_deref())
            }
        }
    )+};
}
pub(crate) use scope_builders;

scope_builders!(QueryOptions, WriteOptions, CasOptions);

/// Consistency mode of a read (Consul's `?consistent` / `?stale`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Consistency {
    /// The leader answers, without an extra round of quorum checks.
    #[default]
    Default,
    /// The leader confirms it is still leader with a quorum first: never stale, slower.
    Consistent,
    /// Any server answers, possibly stale: use when the leader is gone.
    Stale,
}

/// Options of a read. Fields an endpoint does not support are ignored by it
/// (documented on each method).
///
/// ```
/// use std::time::Duration;
/// use consul_client::{Consistency, QueryOptions};
/// let opts = QueryOptions::new().datacenter("dc2").stale().filter("Service == \"db\"").blocking(42, Duration::from_secs(30));
/// assert_eq!(opts.consistency, Consistency::Stale);
/// assert_eq!(opts.blocking.index, Some(42));
/// ```
#[derive(Default, Clone, Debug)]
pub struct QueryOptions {
    /// Datacenter to query instead of the client's (or the agent's own).
    pub datacenter: Option<String>,
    /// Consul Enterprise namespace instead of the client's.
    pub namespace: Option<String>,
    /// Consul Enterprise admin partition instead of the client's (1.11+).
    pub partition: Option<String>,
    /// Consistency mode.
    pub consistency: Consistency,
    /// A filter expression (`?filter=`), e.g. `ServiceMeta.cluster == "dbHA1"`.
    pub filter: Option<String>,
    /// Blocking query: wait for the index to move past `blocking.index`.
    pub blocking: BlockingOptions,
    /// Token for this request instead of the client's.
    pub token: Option<Secret>,
    /// Node metadata filter (`?node-meta=key:value`, all must match), where supported.
    pub node_meta: Vec<(String, String)>,
    /// Sort by round-trip time from this node (`?near=`, `_agent` for the local agent), where supported.
    pub near: Option<String>,
}

impl QueryOptions {
    /// Lets any server answer, possibly stale (`?stale`): use when the leader is gone.
    #[must_use]
    pub fn stale(mut self) -> Self {
        self.consistency = Consistency::Stale;
        self
    }

    /// Has the leader confirm its leadership first (`?consistent`): never stale, slower.
    #[must_use]
    pub fn consistent(mut self) -> Self {
        self.consistency = Consistency::Consistent;
        self
    }

    /// Sets a filter expression.
    #[must_use]
    pub fn filter(mut self, filter: impl Into<String>) -> Self {
        self.filter = Some(filter.into());
        self
    }

    /// Makes the read a blocking query: it returns once the index moved past
    /// `index`, or after `wait` (the client allows the request that long plus
    /// its own timeout).
    #[must_use]
    pub fn blocking(mut self, index: u64, wait: Duration) -> Self {
        self.blocking = BlockingOptions::new(index, wait);
        self
    }

    /// Adds a node-meta filter pair.
    #[must_use]
    pub fn node_meta(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.node_meta.push((key.into(), value.into()));
        self
    }

    /// Sorts by round-trip time from `node` (`_agent`: the local agent).
    #[must_use]
    pub fn near(mut self, node: impl Into<String>) -> Self {
        self.near = Some(node.into());
        self
    }

    /// Adds the common query parameters (dc, namespace, token, consistency,
    /// filter) after validating them, and the blocking part
    /// ([`Request::blocking`]: client-core computes its timeout).
    pub(crate) fn apply(&self, request: Request) -> Result<Request> {
        let mut request = match self.consistency {
            Consistency::Default => self.apply_scope(request)?,
            Consistency::Consistent => self.apply_scope(request)?.flag("consistent", true),
            Consistency::Stale => self.apply_scope(request)?.flag("stale", true),
        };
        if let Some(filter) = &self.filter {
            if filter.trim().is_empty() {
                return Err(crate::Error::invalid("filter expression", filter.clone(), "must not be blank"));
            }
            request = request.query("filter", filter);
        }
        Ok(request.blocking(self.blocking))
    }

    /// Adds `node-meta` and `near` (for the endpoints that support them).
    pub(crate) fn apply_node_meta_near(&self, mut request: Request) -> Result<Request> {
        for (k, v) in &self.node_meta {
            if k.is_empty() || k.contains(':') {
                return Err(crate::Error::invalid(
                    "node-meta key",
                    k.clone(),
                    "must be non-empty and must not contain ':'",
                ));
            }
            request = request.query("node-meta", format!("{k}:{v}"));
        }
        if let Some(near) = &self.near {
            validate::name("near node", near)?;
            request = request.query("near", near);
        }
        Ok(request)
    }
}

/// Options of a write: datacenter, namespace, partition and token.
#[derive(Default, Clone, Debug)]
pub struct WriteOptions {
    /// Datacenter to write to instead of the client's (or the agent's own).
    pub datacenter: Option<String>,
    /// Consul Enterprise namespace instead of the client's.
    pub namespace: Option<String>,
    /// Consul Enterprise admin partition instead of the client's (1.11+).
    pub partition: Option<String>,
    /// Token for this request instead of the client's.
    pub token: Option<Secret>,
}

impl WriteOptions {
    pub(crate) fn apply(&self, request: Request) -> Result<Request> {
        self.apply_scope(request)
    }
}

impl From<&QueryOptions> for WriteOptions {
    fn from(q: &QueryOptions) -> Self {
        Self {
            datacenter: q.datacenter.clone(),
            namespace: q.namespace.clone(),
            partition: q.partition.clone(),
            token: q.token.clone(),
        }
    }
}

/// Options of a conditional write or delete (KV delete, config entry put).
#[derive(Debug, Clone, Default)]
pub struct CasOptions {
    /// Apply only if the target's `ModifyIndex` equals this (0: only if absent).
    pub cas: Option<u64>,
    /// Datacenter instead of the client's (or the agent's own).
    pub datacenter: Option<String>,
    /// Consul Enterprise namespace instead of the client's.
    pub namespace: Option<String>,
    /// Consul Enterprise admin partition instead of the client's (1.11+).
    pub partition: Option<String>,
    /// Token for this request instead of the client's.
    pub token: Option<Secret>,
}

impl CasOptions {
    /// Applies only if the target's `ModifyIndex` is `index` (0: only if absent).
    #[must_use]
    pub fn cas(mut self, index: u64) -> Self {
        self.cas = Some(index);
        self
    }
}

/// Adds a datacenter (`?dc=`), a namespace (`?ns=`, which Consul prefers
/// to the client's `X-Consul-Namespace`) and a token, after validating them.
pub(crate) fn apply_scope(
    mut request: Request,
    datacenter: Option<&str>,
    namespace: Option<&str>,
    token: Option<&Secret>,
) -> Result<Request> {
    if let Some(dc) = datacenter {
        validate::datacenter(dc)?;
        request = request.query("dc", dc);
    }
    if let Some(ns) = namespace {
        validate::name("namespace", ns)?;
        request = request.query("ns", ns);
    }
    if let Some(token) = token {
        request = request.token(token.clone());
    }
    Ok(request)
}

/// Adds an admin partition (`?partition=`, which Consul prefers to the
/// client's `X-Consul-Partition`) after validating it.
pub(crate) fn apply_partition(request: Request, partition: Option<&str>) -> Result<Request> {
    match partition {
        Some(partition) => {
            validate::name("admin partition", partition)?;
            Ok(request.query("partition", partition))
        }
        None => Ok(request),
    }
}
