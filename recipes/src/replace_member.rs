//! Recipe `replace_member`: destroy and re-deploy one HA member at a time (procedure 5 of the
//! [runbook guide](https://github.com/ops-sdk/ops-sdk/blob/main/docs/runbook.md)).
//!
//! Preflight (every failure is listed, nothing is changed): the cluster has a leader and at
//! least one other member, and every member runs and streams within the lag bound; the
//! target is a member named exactly (a near miss is named in the refusal) whose job runs;
//! replacing one member leaves at least [`ReplaceOptions::min_healthy`] healthy members;
//! with [`ReplaceOptions::clear_volume`], the volume probe derives the exact location of each
//! target's volume from the namespace and the member (no other location can be cleared).
//!
//! Then, per member: if it leads, switch over first to the healthiest replica (the running
//! replica with the least lag) and wait until that one leads; save the member's DCS state and
//! the cluster's status to the backup directory; stop and purge only its job; clear only its
//! volume when asked; start its job again; wait until it streams from the leader within the
//! lag bound (the wait reads its allocation: a task that dies ends the wait with what the
//! scheduler saw). With [`Target::All`] every member is replaced in turn, replicas first (in
//! name order), the leader last after a switchover; the cluster must be whole again before
//! the next one is touched, so never two members are down at once.
//!
//! A state file in the backup directory (`replace-member-<scope>.state.json`, see
//! [`ReplaceState`]) is written once the member's state is saved and before its job is
//! stopped, advanced after each step and removed when the member streams again. A run that
//! was killed or failed midway leaves it behind; the next plan finds it and resumes that
//! member first from where it stopped (the stop again only if it may not have happened, or
//! if its volume is to be cleared while its job runs; the start only if its job does not
//! run), checking the other members' health and the floor without it, and refuses a target
//! other than that member until it is finished.
//!
//! ```no_run
//! use std::sync::Arc;
//! use recipes::adapters::consul::ConsulScopeStore;
//! use recipes::adapters::patroni::{PatroniControl, PatroniMemberApi};
//! use recipes::ports::Scheduler;
//! use recipes::replace_member::{Capabilities, ReplaceMember, ReplaceOptions, Target};
//! use recipes::{BackupDir, Progress};
//! # async fn demo(scheduler: Arc<dyn Scheduler>) -> Result<(), Box<dyn std::error::Error>> {
//! let caps = Capabilities {
//!     scheduler,
//!     scope_store: Arc::new(ConsulScopeStore::new(consul_client::ConsulClient::from_env()?)),
//!     control: Arc::new(PatroniControl::new()),
//!     member_api: Arc::new(PatroniMemberApi::new()),
//!     volumes: None,
//!     backups: BackupDir::new("./backups"),
//! };
//! let opts = ReplaceOptions::new("atala-testnet", Target::Member("dbHA2".into())).min_healthy(1);
//! let recipe = ReplaceMember::new(opts, caps)?;
//! let plan = recipe.plan().await?;
//! let report = recipe.run(Progress::none()).await?;
//! println!("{}", serde_json::to_string_pretty(&report)?);
//! # Ok(()) }
//! ```

mod plan;
mod run;
mod state;

use std::sync::Arc;
use std::time::Duration;

use crate::ports::{MemberApi, MemberControl, Scheduler, ScopeStore, VolumeProbe};
use crate::restart::{Capabilities as RestartCapabilities, Restart, RestartOptions};
use crate::{BackupDir, Error, Result, input};

pub use state::{Phase, ReplaceState};

/// Which members to replace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Exactly this member (its job has the same name, e.g. `dbHA2`).
    Member(String),
    /// Every member in turn: replicas first, the leader last after a switchover.
    All,
}

/// Inputs of [`ReplaceMember`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ReplaceOptions {
    /// The Nomad namespace (environment).
    pub namespace: String,
    /// Patroni's scope; `<namespace>-database` by default.
    pub scope: String,
    /// The member(s) to replace.
    pub target: Target,
    /// Fewest healthy members (the leader and streaming replicas) the cluster may have at any
    /// moment of the run; replacing a member takes one away while it is re-deployed.
    pub min_healthy: usize,
    /// Clear the member's volume (through the volume probe, exact location only) before
    /// starting it again, so that Patroni re-creates it from the leader.
    pub clear_volume: bool,
    /// Bound of the wait for the job's allocation to run.
    pub job_timeout: Duration,
    /// Bound of the wait for the member to stream again.
    pub member_timeout: Duration,
    /// Bound of the wait for a switchover's new leader.
    pub switchover_timeout: Duration,
    /// Largest replica lag accepted, in bytes of WAL.
    pub max_lag_bytes: u64,
    /// A task restarted this many times while the recipe waits for it is in a loop (0: never).
    pub restart_limit: u64,
}

impl ReplaceOptions {
    /// The defaults for `namespace`: scope `<namespace>-database`, at least 1 healthy member,
    /// volumes kept, 5 min for the job, 10 min for the member to stream, 2 min for a
    /// switchover, lag under 16 MiB, 3 restarts make a loop.
    pub fn new(namespace: impl Into<String>, target: Target) -> Self {
        let namespace = namespace.into();
        Self {
            scope: input::default_scope(&namespace),
            namespace,
            target,
            min_healthy: 1,
            clear_volume: false,
            job_timeout: Duration::from_secs(300),
            member_timeout: Duration::from_secs(600),
            switchover_timeout: Duration::from_secs(120),
            max_lag_bytes: 16 << 20,
            restart_limit: 3,
        }
    }

    /// Sets the scope.
    #[must_use]
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = scope.into();
        self
    }

    /// Sets the floor of healthy members.
    #[must_use]
    pub fn min_healthy(mut self, members: usize) -> Self {
        self.min_healthy = members;
        self
    }

    /// Clears the member's volume before it starts again (explicit; off by default).
    #[must_use]
    pub fn clear_volume(mut self, clear: bool) -> Self {
        self.clear_volume = clear;
        self
    }

    /// Sets the three wait bounds (job, member streaming, switchover).
    #[must_use]
    pub fn timeouts(mut self, job: Duration, member: Duration, switchover: Duration) -> Self {
        self.job_timeout = job;
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
        input::validate_scope(&self.scope)?;
        if let Target::Member(m) = &self.target {
            input::validate_job_name(m)?;
        }
        if self.min_healthy == 0 {
            return Err(Error::invalid("healthy-member floor", "0", "must be at least 1 (the leader)"));
        }
        Ok(())
    }
}

/// The capabilities [`ReplaceMember`] works with.
#[derive(Clone)]
pub struct Capabilities {
    /// Stops, purges and starts the member's job.
    pub scheduler: Arc<dyn Scheduler>,
    /// Patroni's state in the DCS.
    pub scope_store: Arc<dyn ScopeStore>,
    /// Switches over from a leader that is to be replaced.
    pub control: Arc<dyn MemberControl>,
    /// Asks the leader which replicas stream from it.
    pub member_api: Arc<dyn MemberApi>,
    /// Clears a member's volume (only needed with [`ReplaceOptions::clear_volume`]).
    pub volumes: Option<Arc<dyn VolumeProbe>>,
    /// Where the member's state is saved before its job is purged.
    pub backups: BackupDir,
}

impl std::fmt::Debug for Capabilities {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Capabilities").field("backups", &self.backups).finish_non_exhaustive()
    }
}

/// The replace-member recipe: see the [module docs](self).
#[derive(Debug, Clone)]
pub struct ReplaceMember {
    opts: ReplaceOptions,
    caps: Capabilities,
    /// The health checks, the switchover and its wait, shared with the restart recipe.
    handover: Restart,
}

impl ReplaceMember {
    /// Validates the inputs; nothing is contacted yet.
    pub fn new(opts: ReplaceOptions, caps: Capabilities) -> Result<Self> {
        opts.validate()?;
        let restart_opts = RestartOptions::new(&opts.namespace)
            .scope(&opts.scope)
            .timeouts(opts.member_timeout, opts.switchover_timeout)
            .max_lag_bytes(opts.max_lag_bytes);
        let handover = Restart::new(
            restart_opts,
            RestartCapabilities {
                scope_store: Arc::clone(&caps.scope_store),
                control: Arc::clone(&caps.control),
                member_api: Arc::clone(&caps.member_api),
            },
        )?;
        Ok(Self { opts, caps, handover })
    }

    /// The options in use.
    #[must_use]
    pub fn options(&self) -> &ReplaceOptions {
        &self.opts
    }
}
