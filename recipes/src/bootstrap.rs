//! Recipe `bootstrap`: a new Patroni HA cluster (procedure 1 of the [runbook guide](https://github.com/ops-sdk/ops-sdk/blob/main/docs/runbook.md)).
//!
//! Preflight (every failure is listed, nothing is changed): the namespace exists; no job of
//! the cluster runs or is left dead; the scheduler has a spec for every job it will start, and
//! each spec registers that job ID in that namespace, with its task groups and tasks (members
//! must have the [`member task`](BootstrapOptions::member_task)); no PostgreSQL data is left
//! in host volumes (or the check is skipped explicitly); no Consul state under exactly
//! `service/<scope>/`; the settings can be read, are valid, and hold the expected bootstrap
//! method (a bad value is listed as a refusal). Then: start the first member and wait for it
//! to lead; start each further member and wait until it **streams** from the leader within the
//! lag bound (the leader's `/patroni` lists a `streaming` WAL sender for it, or, on Patroni 4,
//! the member publishes `replication_state: streaming`); start the backup job.
//!
//! While waiting, the recipe reads the jobs' allocations (status, restart count, last task
//! event, last lines of stderr) and the scope (`initialize` absent, empty or set; the leader;
//! member keys), and reports them in [`Event::Waiting`](crate::Event::Waiting) and in the
//! timeout error. A task that is dead or restarting in a loop (see
//! [`BootstrapOptions::restart_limit`]) ends the wait at once. So do the states of an
//! interrupted first bootstrap that Patroni cannot finish by itself — an empty `initialize`
//! with no leader after the first member restarted (initdb was interrupted), a replica refused
//! by the leader's authentication (post-bootstrap never created the replication user): the
//! error names the state and the exact commands that recover (stop and purge the member, clear
//! its volume, remove the scope with a backup, bootstrap again).
//!
//! A healthy, complete cluster plans no step, so running the recipe again does nothing.
//! With a [state directory](BootstrapOptions::state_dir) the run writes a state file before it
//! starts anything (the jobs it started, then the scope's `initialize` value once the first
//! member led) and removes it when done. After an interruption (a timeout, a crash), run it
//! again with [`BootstrapOptions::resume`]: resume continues only what that state file
//! describes — the same members, the same `initialize` value, no running job it did not
//! start — and refuses anything else with the reason (an old cluster whose keys expired is
//! never adopted).//!
//! The recipe's parts: its inputs ([`BootstrapOptions`], [`Capabilities`]) in `options`, the
//! dry run's checks and steps in `plan`, the run (start a member, wait, record) in `run`,
//! the state file of a run in progress in `state`, and what the waits wait for in `wait`.
//!
//! ```no_run
//! use std::sync::Arc;
//! use recipes::bootstrap::{Bootstrap, BootstrapOptions, Capabilities};
//! use recipes::adapters::consul::ConsulScopeStore;
//! use recipes::adapters::local::FileSettings;
//! use recipes::ports::{Scheduler, VolumeCheck};
//! use recipes::Progress;
//! # async fn demo(scheduler: Arc<dyn Scheduler>) -> Result<(), Box<dyn std::error::Error>> {
//! let consul = consul_client::ConsulClient::from_env()?;
//! let caps = Capabilities {
//!     scheduler,
//!     settings: Arc::new(FileSettings::new("/etc/ops/settings")),
//!     scope_store: Arc::new(ConsulScopeStore::new(consul)),
//!     volumes: VolumeCheck::skip("volumes were wiped by the platform team (ticket OPS-42)"),
//! };
//! let opts = BootstrapOptions::new("atala-testnet").state_dir("/var/lib/ops/state");
//! let recipe = Bootstrap::new(opts, caps)?;
//! let plan = recipe.plan().await?; // refuses with every reason, or lists the steps
//! for step in &plan.steps {
//!     println!("would: {}", step.detail);
//! }
//! let report = recipe.run(Progress::callback(|e| println!("{e:?}"))).await?;
//! println!("{}", serde_json::to_string_pretty(&report)?);
//! # Ok(()) }
//! ```

mod options;
mod plan;
mod run;
mod state;
pub(crate) mod wait;

use std::sync::Arc;

pub use options::{BootstrapOptions, Capabilities};
pub use state::BootstrapState;
use state::StateFile;
use wait::Recovery;

use crate::Result;
use crate::adapters::patroni::PatroniMemberApi;
use crate::ports::MemberApi;

/// The bootstrap recipe: see the [module docs](self).
#[derive(Clone)]
pub struct Bootstrap {
    opts: BootstrapOptions,
    caps: Capabilities,
    member_api: Arc<dyn MemberApi>,
    /// Resume is vouched for by the caller's own state (the restore recipe's state file).
    vouched: bool,
}

impl std::fmt::Debug for Bootstrap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bootstrap").field("opts", &self.opts).field("caps", &self.caps).finish_non_exhaustive()
    }
}

impl Bootstrap {
    /// Validates the inputs; nothing is contacted yet.
    pub fn new(opts: BootstrapOptions, caps: Capabilities) -> Result<Self> {
        opts.validate()?;
        Ok(Self { opts, caps, member_api: Arc::new(PatroniMemberApi::new()), vouched: false })
    }

    /// Asks the leader's REST API about its WAL senders through `api` (TLS, credentials, a
    /// fake in tests) instead of [`PatroniMemberApi`].
    #[must_use]
    pub fn with_member_api(mut self, api: Arc<dyn MemberApi>) -> Self {
        self.member_api = api;
        self
    }

    /// Resume without a bootstrap state file: the caller (the restore recipe) keeps its own
    /// record of what it started.
    pub(crate) fn vouched_resume(mut self) -> Self {
        self.vouched = true;
        self
    }

    /// The options in use.
    #[must_use]
    pub fn options(&self) -> &BootstrapOptions {
        &self.opts
    }

    fn state_file(&self) -> Option<StateFile> {
        self.opts.state_dir.clone().map(|dir| StateFile::new(dir, &self.opts.scope))
    }

    fn recovery(&self) -> Recovery {
        Recovery { namespace: self.opts.namespace.clone(), scope: self.opts.scope.clone() }
    }
}
