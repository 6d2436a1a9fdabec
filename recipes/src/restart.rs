//! Recipe `restart`: apply settings that need a restart (procedure 6 of the [runbook guide](https://github.com/ops-sdk/ops-sdk/blob/main/docs/runbook.md)).
//!
//! After a `PATCH /config` that changes a parameter PostgreSQL only reads at start (e.g.
//! `max_connections`), Patroni marks the members `pending_restart`. The recipe restarts them
//! one at a time: the replicas first (in name order), then it switches over from the leader
//! to the healthiest replica (the running replica with the least lag) and restarts the former
//! leader. After each restart it waits until the member runs with a new postmaster and every
//! replica streams from the leader within the lag bound; only then does it touch the next
//! member. Members without `pending_restart` are skipped. Replicas first is the order for a
//! raised `max_connections` (a standby needs at least the primary's value); a member still
//! pending after its restart (a value lowered below the primary's, which PostgreSQL applies
//! on a standby only after the primary) is reported as a warning of the run.
//!
//! Preflight (every failure is listed, nothing is changed): the scope has members, a leader
//! that runs as primary, and every other member is a running replica that streams within the
//! lag bound; every member's REST API answers. Before each restart the cluster must be as
//! healthy again, or the run stops with the reason. A re-run continues where the world
//! stands: a member whose restart is no longer pending is skipped (a demotion restarts
//! PostgreSQL too, so the former leader usually needs none after the switchover).
//!
//! ```no_run
//! use std::sync::Arc;
//! use recipes::adapters::consul::ConsulScopeStore;
//! use recipes::adapters::patroni::{PatroniControl, PatroniMemberApi};
//! use recipes::restart::{Capabilities, Restart, RestartOptions};
//! use recipes::Progress;
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let caps = Capabilities {
//!     scope_store: Arc::new(ConsulScopeStore::new(consul_client::ConsulClient::from_env()?)),
//!     control: Arc::new(PatroniControl::new()),
//!     member_api: Arc::new(PatroniMemberApi::new()),
//! };
//! let recipe = Restart::new(RestartOptions::new("atala-testnet"), caps)?;
//! let plan = recipe.plan().await?;
//! for step in &plan.steps {
//!     println!("would: {}", step.detail);
//! }
//! let report = recipe.run(Progress::none()).await?;
//! println!("{}", serde_json::to_string_pretty(&report)?);
//! # Ok(()) }
//! ```

mod plan;
mod run;

pub(crate) use plan::{best_replica, member_names};

use std::sync::Arc;
use std::time::Duration;

use crate::Result;
use crate::input;
use crate::ports::{MemberApi, MemberControl, ScopeStore};

/// Inputs of [`Restart`], with the runbook's values as defaults.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RestartOptions {
    /// The Nomad namespace (environment).
    pub namespace: String,
    /// Patroni's scope; `<namespace>-database` by default.
    pub scope: String,
    /// Bound of the wait for each restarted member to run and stream again.
    pub member_timeout: Duration,
    /// Bound of the wait for the switchover's new leader and its replicas.
    pub switchover_timeout: Duration,
    /// Largest replica lag accepted, in bytes of WAL.
    pub max_lag_bytes: u64,
}

impl RestartOptions {
    /// The defaults for `namespace`: scope `<namespace>-database`, 5 min per member, 2 min
    /// for a switchover, lag under 16 MiB.
    pub fn new(namespace: impl Into<String>) -> Self {
        let namespace = namespace.into();
        Self {
            scope: input::default_scope(&namespace),
            namespace,
            member_timeout: Duration::from_secs(300),
            switchover_timeout: Duration::from_secs(120),
            max_lag_bytes: 16 << 20,
        }
    }

    /// Sets the scope.
    #[must_use]
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = scope.into();
        self
    }

    /// Sets the two wait bounds (each member, the switchover).
    #[must_use]
    pub fn timeouts(mut self, member: Duration, switchover: Duration) -> Self {
        self.member_timeout = member;
        self.switchover_timeout = switchover;
        self
    }

    /// Sets the largest accepted replica lag in bytes.
    #[must_use]
    pub fn max_lag_bytes(mut self, bytes: u64) -> Self {
        self.max_lag_bytes = bytes;
        self
    }

    /// Checks every input; the error names the one at fault.
    pub fn validate(&self) -> Result<()> {
        input::validate_namespace(&self.namespace)?;
        input::validate_scope(&self.scope)
    }
}

/// The capabilities [`Restart`] works with.
#[derive(Clone)]
pub struct Capabilities {
    /// Patroni's state in the DCS: the members, the leader, the waits.
    pub scope_store: Arc<dyn ScopeStore>,
    /// Reads `pending_restart`, restarts a member, switches over.
    pub control: Arc<dyn MemberControl>,
    /// Asks the leader which replicas stream from it.
    pub member_api: Arc<dyn MemberApi>,
}

impl std::fmt::Debug for Capabilities {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Capabilities").finish_non_exhaustive()
    }
}

/// The restart recipe: see the [module docs](self).
#[derive(Debug, Clone)]
pub struct Restart {
    opts: RestartOptions,
    caps: Capabilities,
}

impl Restart {
    /// Validates the inputs; nothing is contacted yet.
    pub fn new(opts: RestartOptions, caps: Capabilities) -> Result<Self> {
        opts.validate()?;
        Ok(Self { opts, caps })
    }

    /// The options in use.
    #[must_use]
    pub fn options(&self) -> &RestartOptions {
        &self.opts
    }
}
