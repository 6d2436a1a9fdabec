//! Options shared by reads and writes: datacenter, consistency, filter, blocking, token.

use client_core::{BlockingOptions, Request, Secret};

use crate::error::Result;
use crate::validate;

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
#[derive(Default, Clone, Debug)]
pub struct QueryOptions {
    /// Datacenter to query instead of the agent's own.
    pub datacenter: Option<String>,
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
    /// Options reading from `datacenter`.
    #[must_use]
    pub fn datacenter(dc: impl Into<String>) -> Self {
        Self { datacenter: Some(dc.into()), ..Self::default() }
    }

    /// Sets the consistency mode.
    #[must_use]
    pub fn with_consistency(mut self, consistency: Consistency) -> Self {
        self.consistency = consistency;
        self
    }

    /// Sets a filter expression.
    #[must_use]
    pub fn with_filter(mut self, filter: impl Into<String>) -> Self {
        self.filter = Some(filter.into());
        self
    }

    /// Makes the read block until the index moves past `blocking.index`.
    #[must_use]
    pub fn with_blocking(mut self, blocking: BlockingOptions) -> Self {
        self.blocking = blocking;
        self
    }

    /// Sends `token` instead of the client's token.
    #[must_use]
    pub fn with_token(mut self, token: impl Into<Secret>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// Adds a node-meta filter pair.
    #[must_use]
    pub fn with_node_meta(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.node_meta.push((key.into(), value.into()));
        self
    }

    /// Adds the common query parameters (dc, consistency, filter, token,
    /// blocking) after validating them.
    pub(crate) fn apply(&self, mut request: Request) -> Result<Request> {
        request = apply_dc_token(request, self.datacenter.as_deref(), self.token.as_ref())?;
        request = match self.consistency {
            Consistency::Default => request,
            Consistency::Consistent => request.flag("consistent", true),
            Consistency::Stale => request.flag("stale", true),
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

/// Options of a write that only needs a datacenter and a token.
#[derive(Default, Clone, Debug)]
pub struct WriteOptions {
    /// Datacenter to write to instead of the agent's own.
    pub datacenter: Option<String>,
    /// Token for this request instead of the client's.
    pub token: Option<Secret>,
}

impl WriteOptions {
    pub(crate) fn apply(&self, request: Request) -> Result<Request> {
        apply_dc_token(request, self.datacenter.as_deref(), self.token.as_ref())
    }
}

/// Options of a conditional write or delete (KV delete, config entry put).
#[derive(Debug, Clone, Default)]
pub struct CasOptions {
    /// Apply only if the target's `ModifyIndex` equals this (0: only if absent).
    pub cas: Option<u64>,
    /// Datacenter.
    pub datacenter: Option<String>,
    /// Token for this request instead of the client's.
    pub token: Option<Secret>,
}

pub(crate) fn apply_dc_token(mut request: Request, dc: Option<&str>, token: Option<&Secret>) -> Result<Request> {
    if let Some(dc) = dc {
        validate::datacenter(dc)?;
        request = request.query("dc", dc);
    }
    if let Some(token) = token {
        request = request.token(token.clone());
    }
    Ok(request)
}
