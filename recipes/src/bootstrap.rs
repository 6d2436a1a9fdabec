//! Recipe `bootstrap`: a new Patroni HA cluster (RUNBOOK procedure 1).
//!
//! Preflight (every failure is listed, nothing is changed): the namespace exists; no job of
//! the cluster runs or is left dead; no PostgreSQL data is left in host volumes (or the
//! check is skipped explicitly); no Consul state under exactly `service/<scope>/`; the
//! settings hold the expected bootstrap method. Then: start the first member and wait for
//! it to lead; start each further member and wait until it streams from the leader within
//! the lag bound; start the backup job.
//!
//! A healthy, complete cluster plans no step, so running the recipe again does nothing.
//! After an interruption (a timeout, a crash), run it again with
//! [`BootstrapOptions::resume`]: it accepts the state its earlier run left and continues.
//!
//! ```no_run
//! use std::sync::Arc;
//! use recipes::bootstrap::{Bootstrap, BootstrapOptions, Capabilities};
//! use recipes::capability::{FileSettings, Scheduler, VolumeCheck};
//! use recipes::consul::ConsulScopeStore;
//! use recipes::Progress;
//! # async fn demo(scheduler: Arc<dyn Scheduler>) -> Result<(), Box<dyn std::error::Error>> {
//! let consul = consul_client::ConsulClient::from_env()?;
//! let caps = Capabilities {
//!     scheduler,
//!     settings: Arc::new(FileSettings::new("/etc/ops/settings")),
//!     scope_store: Arc::new(ConsulScopeStore::new(consul)),
//!     volumes: VolumeCheck::skip("volumes were wiped by the platform team (ticket OPS-42)"),
//! };
//! let recipe = Bootstrap::new(BootstrapOptions::new("atala-testnet"), caps)?;
//! let plan = recipe.plan().await?; // refuses with every reason, or lists the steps
//! for step in &plan.steps {
//!     println!("would: {}", step.detail);
//! }
//! let report = recipe.run(Progress::callback(|e| println!("{e:?}"))).await?;
//! println!("{}", serde_json::to_string_pretty(&report)?);
//! # Ok(()) }
//! ```

use std::sync::Arc;
use std::time::Duration;

use crate::capability::{
    BootstrapMethod, ClusterStatus, JobState, Scheduler, ScopeSnapshot, ScopeStore, SettingsStore, VolumeCheck,
};
use crate::input;
use crate::progress::Progress;
use crate::report::{Check, Plan, Report, Step};
use crate::run::{Runner, wait_for_scope};
use crate::{Error, Result};

/// Inputs of [`Bootstrap`], with the runbook's values as defaults.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct BootstrapOptions {
    /// The Nomad namespace (environment).
    pub namespace: String,
    /// Patroni's scope; `<namespace>-database` by default.
    pub scope: String,
    /// Member jobs in start order (`dbHA1`, `dbHA2` by default); at least 2.
    pub members: Vec<String>,
    /// The wal-g backup job started last (`backup` by default); `None` for none.
    pub backup_job: Option<String>,
    /// The bootstrap method the settings must hold (`initdb` unless restoring).
    pub method: BootstrapMethod,
    /// Bound of the wait for a job's allocation to run.
    pub job_timeout: Duration,
    /// Bound of the wait for the first member to lead.
    pub leader_timeout: Duration,
    /// Bound of the wait for each further member to stream from the leader.
    pub replica_timeout: Duration,
    /// Largest replica lag accepted, in bytes of WAL.
    pub max_lag_bytes: u64,
    /// Accept the running jobs and scope state of an interrupted earlier run of this recipe.
    pub resume: bool,
}

impl BootstrapOptions {
    /// The runbook's defaults for `namespace`: scope `<namespace>-database`, members `dbHA1`
    /// and `dbHA2`, backup job `backup`, method `initdb`, 5 min per job, 5 min for a leader,
    /// 10 min per replica, lag under 16 MiB.
    pub fn new(namespace: impl Into<String>) -> Self {
        let namespace = namespace.into();
        Self {
            scope: input::default_scope(&namespace),
            namespace,
            members: vec!["dbHA1".to_owned(), "dbHA2".to_owned()],
            backup_job: Some("backup".to_owned()),
            method: BootstrapMethod::Initdb,
            job_timeout: Duration::from_secs(300),
            leader_timeout: Duration::from_secs(300),
            replica_timeout: Duration::from_secs(600),
            max_lag_bytes: 16 << 20,
            resume: false,
        }
    }

    /// Sets the scope.
    #[must_use]
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = scope.into();
        self
    }

    /// Sets the member jobs, in start order.
    #[must_use]
    pub fn members<I: IntoIterator<Item = S>, S: Into<String>>(mut self, members: I) -> Self {
        self.members = members.into_iter().map(Into::into).collect();
        self
    }

    /// Sets (or removes, with `None`) the backup job.
    #[must_use]
    pub fn backup_job(mut self, job: Option<&str>) -> Self {
        self.backup_job = job.map(str::to_owned);
        self
    }

    /// Sets the bootstrap method the settings must hold.
    #[must_use]
    pub fn method(mut self, method: BootstrapMethod) -> Self {
        self.method = method;
        self
    }

    /// Sets the three wait bounds at once (job, leader, each replica).
    #[must_use]
    pub fn timeouts(mut self, job: Duration, leader: Duration, replica: Duration) -> Self {
        self.job_timeout = job;
        self.leader_timeout = leader;
        self.replica_timeout = replica;
        self
    }

    /// Sets the largest accepted replica lag in bytes.
    #[must_use]
    pub fn max_lag_bytes(mut self, bytes: u64) -> Self {
        self.max_lag_bytes = bytes;
        self
    }

    /// Continue an interrupted bootstrap instead of refusing its leftovers.
    #[must_use]
    pub fn resume(mut self, resume: bool) -> Self {
        self.resume = resume;
        self
    }

    /// Checks every input; the error names the one at fault.
    pub fn validate(&self) -> Result<()> {
        input::validate_namespace(&self.namespace)?;
        input::validate_scope(&self.scope)?;
        input::validate_member_count(self.members.len())?;
        for job in self.members.iter().chain(&self.backup_job) {
            input::validate_job_name(job)?;
        }
        let mut seen = std::collections::BTreeSet::new();
        if let Some(dup) = self.jobs().into_iter().find(|j| !seen.insert(j.clone())) {
            return Err(Error::invalid("job name", dup, "is listed twice"));
        }
        Ok(())
    }

    fn jobs(&self) -> Vec<String> {
        self.members.iter().chain(&self.backup_job).cloned().collect()
    }
}

/// The capabilities [`Bootstrap`] works with.
#[derive(Clone)]
pub struct Capabilities {
    /// Starts the jobs.
    pub scheduler: Arc<dyn Scheduler>,
    /// Holds the namespace's database settings.
    pub settings: Arc<dyn SettingsStore>,
    /// Patroni's state in the DCS.
    pub scope_store: Arc<dyn ScopeStore>,
    /// The host-volume check (or its explicit skip).
    pub volumes: VolumeCheck,
}

impl std::fmt::Debug for Capabilities {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Capabilities").field("volumes", &self.volumes).finish_non_exhaustive()
    }
}

/// The bootstrap recipe: see the [module docs](self).
#[derive(Debug, Clone)]
pub struct Bootstrap {
    opts: BootstrapOptions,
    caps: Capabilities,
}

impl Bootstrap {
    /// Validates the inputs; nothing is contacted yet.
    pub fn new(opts: BootstrapOptions, caps: Capabilities) -> Result<Self> {
        opts.validate()?;
        Ok(Self { opts, caps })
    }

    /// The options in use.
    #[must_use]
    pub fn options(&self) -> &BootstrapOptions {
        &self.opts
    }

    /// Dry run: checks every precondition against the live systems and returns the steps,
    /// or [`Error::Refused`] with every reason.
    pub async fn plan(&self) -> Result<Plan> {
        let o = &self.opts;
        let mut checks = Vec::new();
        let ns_exists = self.caps.scheduler.namespace_exists(&o.namespace).await?;
        if ns_exists {
            checks.push(Check::passed(format!("namespace {}", o.namespace), "exists"));
        } else {
            checks.push(Check::failed(format!("namespace {}", o.namespace), "does not exist in the scheduler"));
        }
        let states =
            if ns_exists { self.caps.scheduler.job_states(&o.namespace, &o.jobs()).await? } else { Vec::new() };
        let snapshot = self.caps.scope_store.snapshot(&o.scope).await?;
        let status = snapshot.cluster_status();

        if ns_exists && self.is_complete(&states, &status) {
            checks.push(Check::passed(
                format!("cluster {}", o.scope),
                format!(
                    "already bootstrapped: {} run, {} leads",
                    o.members.join(", "),
                    status.leader.unwrap_or_default()
                ),
            ));
            return Plan::from_checks("bootstrap", checks, Vec::new());
        }
        let any_running = states.iter().any(|(_, s)| matches!(s, JobState::Running | JobState::Pending));
        for (job, state) in &states {
            checks.push(self.job_check(job, *state));
        }
        checks.push(self.scope_check(&snapshot, &status));
        let look_alikes = self.caps.scope_store.look_alikes(&o.scope).await?;
        if !look_alikes.is_empty() {
            checks.push(Check::passed(
                "neighbouring scopes",
                format!("{} exist and are not touched (only {} is)", look_alikes.join(", "), snapshot.prefix),
            ));
        }
        checks.push(self.volume_check(any_running).await?);
        checks.push(self.settings_check().await?);
        Plan::from_checks("bootstrap", checks, self.steps(&states))
    }

    /// Executes the plan (after re-checking it), step by step; each step first looks at
    /// the world and is skipped when already done.
    pub async fn run(&self, progress: Progress) -> Result<Report> {
        let plan = self.plan().await?;
        let mut runner = Runner::new(&plan, progress);
        if plan.is_noop() {
            runner.skip("bootstrap", "the cluster is already bootstrapped and healthy");
            return Ok(runner.report);
        }
        self.execute(&mut runner).await?;
        Ok(runner.report)
    }

    /// The steps after preflight; shared with `restore`, which runs its own preflight.
    pub(crate) async fn execute(&self, runner: &mut Runner) -> Result<ClusterStatus> {
        let o = &self.opts;
        let mut status = ClusterStatus::default();
        for (i, member) in o.members.iter().enumerate() {
            self.start_job(runner, member).await?;
            let wanted = &o.members[..=i];
            let (what, timeout) = if i == 0 {
                (format!("{member} to lead scope {}", o.scope), o.leader_timeout)
            } else {
                (format!("{} running, one leading, replicas streaming", wanted.join(", ")), o.replica_timeout)
            };
            let step = format!("wait for {member}");
            let lag = o.max_lag_bytes;
            let store = self.caps.scope_store.as_ref();
            let progress = runner.progress.clone();
            status = runner
                .step(
                    &step,
                    wait_for_scope(&progress, store, &o.scope, &what, timeout, |s| s.unhealthy_reason(wanted, lag)),
                )
                .await?;
        }
        if let Some(backup) = &o.backup_job {
            self.start_job(runner, backup).await?;
        }
        Ok(status)
    }

    async fn start_job(&self, runner: &mut Runner, job: &str) -> Result<()> {
        let o = &self.opts;
        let step = format!("start {job}");
        if self.caps.scheduler.job_state(&o.namespace, job).await? == JobState::Running {
            runner.skip(&step, format!("{job} is already running"));
            return Ok(());
        }
        let sched = &self.caps.scheduler;
        runner
            .step(&step, async {
                sched.start_job(&o.namespace, job).await?;
                sched.wait_running(&o.namespace, job, o.job_timeout).await
            })
            .await
    }

    fn is_complete(&self, states: &[(String, JobState)], status: &ClusterStatus) -> bool {
        states.iter().all(|(_, s)| *s == JobState::Running)
            && status.is_healthy(&self.opts.members, self.opts.max_lag_bytes)
    }

    fn job_check(&self, job: &str, state: JobState) -> Check {
        let name = format!("job {job}");
        match state {
            JobState::Absent => Check::passed(name, "absent"),
            JobState::Running | JobState::Pending if self.opts.resume => {
                Check::passed(name, format!("{state}: resuming an interrupted bootstrap"))
            }
            JobState::Running | JobState::Pending => Check::failed(
                name,
                format!("is {state}: a cluster exists already (use resume to continue an interrupted bootstrap)"),
            ),
            JobState::Dead => Check::failed(name, "was stopped but not purged; stop it with purge first"),
        }
    }

    fn scope_check(&self, snapshot: &ScopeSnapshot, status: &ClusterStatus) -> Check {
        let name = format!("Consul state {}", snapshot.prefix);
        if snapshot.is_empty() {
            return Check::passed(name, "empty");
        }
        let ours = |n: &str| self.opts.members.iter().any(|m| m == n);
        if self.opts.resume && status.members.iter().all(|m| ours(&m.name)) && status.leader.as_deref().is_none_or(ours)
        {
            return Check::passed(name, "holds the state of an interrupted bootstrap of these members");
        }
        let keys: Vec<&str> = snapshot.entries.iter().map(|e| e.key.as_str()).take(8).collect();
        Check::failed(
            name,
            format!(
                "holds {} keys ({}{}); Patroni would join that old cluster. Remove exactly this folder first \
                 (the restore recipe does it with a backup)",
                snapshot.entries.len(),
                keys.join(", "),
                if snapshot.entries.len() > keys.len() { ", ..." } else { "" }
            ),
        )
    }

    async fn volume_check(&self, any_running: bool) -> Result<Check> {
        let name = format!("host volumes of {}", self.opts.namespace);
        Ok(match &self.caps.volumes {
            VolumeCheck::Skip { reason } => Check::skipped(name, format!("skipped by the caller: {reason}")),
            VolumeCheck::Probe(_) if self.opts.resume && any_running => {
                Check::skipped(name, "resuming: the running members own their volume data")
            }
            VolumeCheck::Probe(probe) => {
                let found = probe.leftover_data(&self.opts.namespace).await?;
                if found.is_empty() {
                    Check::passed(name, "no PostgreSQL data found")
                } else {
                    Check::failed(name, format!("PostgreSQL data is left at {}", found.join(", ")))
                }
            }
        })
    }

    async fn settings_check(&self) -> Result<Check> {
        let o = &self.opts;
        let location = self.caps.settings.location(&o.namespace);
        let name = format!("settings {location}");
        Ok(match self.caps.settings.read(&o.namespace).await? {
            None => Check::failed(name, "do not exist; the jobs need them to start"),
            Some(s) => match (s.validate(), s.bootstrap_method) {
                (Err(e), _) => Check::failed(name, e.to_string()),
                (Ok(()), Some(m)) if m == o.method => Check::passed(name, format!("patroniBootstrapMethod = {m}")),
                (Ok(()), found) => Check::failed(
                    name,
                    format!(
                        "patroniBootstrapMethod is {}, expected {}",
                        found.map_or_else(|| "not set".to_owned(), |m| m.to_string()),
                        o.method
                    ),
                ),
            },
        })
    }

    fn steps(&self, states: &[(String, JobState)]) -> Vec<Step> {
        let o = &self.opts;
        let running = |job: &str| states.iter().any(|(j, s)| j == job && *s == JobState::Running);
        let mut steps = Vec::new();
        for (i, member) in o.members.iter().enumerate() {
            if !running(member) {
                steps.push(Step::new(format!("start {member}"), format!("start job {member} in {}", o.namespace)));
            }
            let detail = if i == 0 {
                format!("wait until {member} leads scope {} (at most {}s)", o.scope, o.leader_timeout.as_secs())
            } else {
                format!(
                    "wait until {member} streams from the leader with lag under {} bytes (at most {}s)",
                    o.max_lag_bytes,
                    o.replica_timeout.as_secs()
                )
            };
            steps.push(Step::new(format!("wait for {member}"), detail));
        }
        if let Some(backup) = o.backup_job.as_ref().filter(|b| !running(b)) {
            steps.push(Step::new(format!("start {backup}"), format!("start the backup job {backup}")));
        }
        steps
    }
}
