//! Health-check endpoints: 200 means yes, 503 means no; both carry the
//! member's status (except `/liveness` and `/readiness`, which send none).

use client_core::Request;

use crate::client::PatroniClient;
use crate::error::Result;
use crate::status::MemberStatus;

/// A health-check endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HealthCheck {
    /// `/primary`: holds the leader lock and is a real (non-standby) primary.
    Primary,
    /// `/read-write`: same as [`HealthCheck::Primary`].
    ReadWrite,
    /// `/leader`: holds the leader lock (primary or standby leader).
    Leader,
    /// `/standby-leader`: leader of a standby cluster.
    StandbyLeader,
    /// `/replica`: a running replica (with optional lag and tag filters).
    Replica,
    /// `/read-only`: primary, standby leader or healthy replica.
    ReadOnly,
    /// `/synchronous`: a synchronous standby passing the replica check.
    Synchronous,
    /// `/asynchronous`: an asynchronous replica passing the replica check.
    Asynchronous,
    /// `/read-only-sync`: primary, standby leader or synchronous standby.
    ReadOnlySync,
    /// `/quorum` (4.0+): a quorum standby passing the replica check.
    Quorum,
    /// `/read-only-quorum` (4.0+): primary, standby leader or quorum standby.
    ReadOnlyQuorum,
    /// `/health`: PostgreSQL runs (any role).
    Health,
    /// `/liveness`: Patroni's HA loop runs (no body).
    Liveness,
    /// `/readiness`: ready to serve (leader, or replica caught up; no body).
    Readiness,
}

impl HealthCheck {
    /// The endpoint's path.
    #[must_use]
    pub fn path(self) -> &'static str {
        match self {
            Self::Primary => "/primary",
            Self::ReadWrite => "/read-write",
            Self::Leader => "/leader",
            Self::StandbyLeader => "/standby-leader",
            Self::Replica => "/replica",
            Self::ReadOnly => "/read-only",
            Self::Synchronous => "/synchronous",
            Self::Asynchronous => "/asynchronous",
            Self::ReadOnlySync => "/read-only-sync",
            Self::Quorum => "/quorum",
            Self::ReadOnlyQuorum => "/read-only-quorum",
            Self::Health => "/health",
            Self::Liveness => "/liveness",
            Self::Readiness => "/readiness",
        }
    }
}

/// Filters of a health check (`lag`, `tag_<key>`, `replication_state`, `mode`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HealthOptions {
    /// Most lag allowed: bytes or units such as `16MB` (replica checks, readiness).
    pub lag: Option<String>,
    /// Tags the member must carry with these values (replica checks).
    pub tags: Vec<(String, String)>,
    /// Required replication state, e.g. `streaming` (newer Patroni only).
    pub replication_state: Option<String>,
    /// `/readiness` mode: `apply` or `write` (4.1+).
    pub mode: Option<String>,
}

impl HealthOptions {
    /// Most lag allowed, in bytes.
    #[must_use]
    pub fn max_lag_bytes(mut self, bytes: u64) -> Self {
        self.lag = Some(bytes.to_string());
        self
    }

    /// Requires a tag value.
    #[must_use]
    pub fn tag(mut self, key: &str, value: &str) -> Self {
        self.tags.push((key.to_owned(), value.to_owned()));
        self
    }
}

/// A health check's answer: yes or no, with the member's status.
#[derive(Debug, Clone, PartialEq)]
pub struct Health {
    /// The check asked.
    pub check: HealthCheck,
    /// True for 200 ("yes"), false for 503 ("no").
    pub ok: bool,
    /// The member's status (absent for `/liveness` and `/readiness`).
    pub status: Option<MemberStatus>,
}

impl PatroniClient {
    /// Asks a health check without filters.
    pub async fn check(&self, check: HealthCheck) -> Result<Health> {
        self.check_with(check, &HealthOptions::default()).await
    }

    /// Asks a health check with filters. 503 is a normal "no", not an error.
    pub async fn check_with(&self, check: HealthCheck, options: &HealthOptions) -> Result<Health> {
        let mut request = Request::get(check.path())
            .query_opt("lag", options.lag.as_deref())
            .query_opt("replication_state", options.replication_state.as_deref())
            .query_opt("mode", options.mode.as_deref())
            .accept_status(&[503])
            // client-core retries 503 on idempotent requests even when it is
            // accepted; here 503 is the answer, so only unsent requests retry.
            .idempotent(false);
        for (key, value) in &options.tags {
            request = request.query(format!("tag_{key}"), value);
        }
        let resp = self.http().send(request).await?;
        let status = if resp.body.iter().all(u8::is_ascii_whitespace) { None } else { Some(resp.json()?) };
        Ok(Health { check, ok: resp.status.as_u16() == 200, status })
    }
}
