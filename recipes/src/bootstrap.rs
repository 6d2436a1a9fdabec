//! Recipe `bootstrap`: a new Patroni HA cluster (RUNBOOK procedure 1).
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
//! never adopted).
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

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::adapters::patroni::PatroniMemberApi;
use crate::input;
use crate::ports::{
    BootstrapMethod, ClusterStatus, JobState, MemberApi, Scheduler, ScopeSnapshot, ScopeStore, SettingsStore,
    VolumeCheck,
};
use crate::progress::Progress;
use crate::report::{Check, Plan, Report, Step};
use crate::run::{Readiness, Runner, ScopeWait, scope_facts};
use crate::{Error, Result};

mod state;
mod wait;

pub use state::BootstrapState;
use state::StateFile;
use wait::{LeaderReady, Recovery, ReplicasReady};

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
    /// The task running Patroni in each member's spec (`postgres-patroni` by default).
    pub member_task: String,
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
    /// A task restarted this many times while the recipe waits for it is in a loop: the
    /// wait fails at once with what the scheduler saw (0: never).
    pub restart_limit: u64,
    /// Where the run keeps its state file (`bootstrap-<scope>.state.json`); resume needs it.
    pub state_dir: Option<PathBuf>,
    /// Continue the interrupted run recorded in the state file instead of refusing its
    /// leftovers.
    pub resume: bool,
}

impl BootstrapOptions {
    /// The runbook's defaults for `namespace`: scope `<namespace>-database`, members `dbHA1`
    /// and `dbHA2` (task `postgres-patroni`), backup job `backup`, method `initdb`, 5 min per
    /// job, 5 min for a leader, 10 min per replica, lag under 16 MiB, 3 restarts make a loop,
    /// no state directory.
    pub fn new(namespace: impl Into<String>) -> Self {
        let namespace = namespace.into();
        Self {
            scope: input::default_scope(&namespace),
            namespace,
            members: vec!["dbHA1".to_owned(), "dbHA2".to_owned()],
            backup_job: Some("backup".to_owned()),
            member_task: "postgres-patroni".to_owned(),
            method: BootstrapMethod::Initdb,
            job_timeout: Duration::from_secs(300),
            leader_timeout: Duration::from_secs(300),
            replica_timeout: Duration::from_secs(600),
            max_lag_bytes: 16 << 20,
            restart_limit: 3,
            state_dir: None,
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

    /// Sets the task that runs Patroni in each member's spec.
    #[must_use]
    pub fn member_task(mut self, task: impl Into<String>) -> Self {
        self.member_task = task.into();
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

    /// Sets how many restarts of a task make a restart loop (0: never fail early on restarts).
    #[must_use]
    pub fn restart_limit(mut self, restarts: u64) -> Self {
        self.restart_limit = restarts;
        self
    }

    /// Keeps the run's state file in `dir`, so that an interrupted run can be resumed.
    #[must_use]
    pub fn state_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.state_dir = Some(dir.into());
        self
    }

    /// Continue the interrupted bootstrap recorded in the state file instead of refusing
    /// its leftovers.
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
        if self.member_task.trim().is_empty() {
            return Err(Error::invalid("member task", &self.member_task, "must not be empty"));
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
            checks.push(self.job_check(job, *state).await);
        }
        if o.resume && !self.vouched {
            checks.push(self.resume_check(&snapshot, &states).await?);
        }
        let stalled = self.initdb_stalled(&snapshot, &status, &states).await;
        checks.push(self.scope_check(&snapshot, &status, stalled));
        let look_alikes = self.caps.scope_store.look_alikes(&o.scope).await?;
        if !look_alikes.is_empty() {
            checks.push(Check::passed(
                "neighbouring scopes",
                format!("{} exist and are not touched (only {} is)", look_alikes.join(", "), snapshot.prefix),
            ));
        }
        if ns_exists {
            for (job, state) in &states {
                if *state != JobState::Running {
                    checks.push(self.spec_check(job).await);
                }
            }
        }
        checks.push(self.volume_check(any_running).await?);
        checks.push(self.settings_check().await);
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
        let file = self.state_file();
        let mut state = match &file {
            None => {
                if !self.vouched {
                    runner.warn(
                        "no state directory: if this run is interrupted it cannot be resumed (give one to keep a \
                         state file)",
                    );
                }
                None
            }
            Some(f) => {
                let st = match f.read().await? {
                    Some(st) if self.opts.resume => st,
                    _ => BootstrapState::new(&self.opts.namespace, &self.opts.scope, &self.opts.members),
                };
                f.write(&st).await?;
                Some((f, st))
            }
        };
        self.execute_recorded(&mut runner, state.as_mut().map(|(f, st)| (*f, st))).await?;
        if let Some(f) = &file {
            f.remove().await?;
        }
        Ok(runner.report)
    }

    /// The steps after preflight; shared with `restore`, which runs its own preflight.
    pub(crate) async fn execute(&self, runner: &mut Runner) -> Result<ClusterStatus> {
        self.execute_recorded(runner, None).await
    }

    async fn execute_recorded(
        &self,
        runner: &mut Runner,
        mut state: Option<(&StateFile, &mut BootstrapState)>,
    ) -> Result<ClusterStatus> {
        let o = &self.opts;
        let mut status = ClusterStatus::default();
        for (i, member) in o.members.iter().enumerate() {
            self.start_job(runner, member, &mut state).await?;
            let wanted = &o.members[..=i];
            let (what, timeout, ready): (String, Duration, Box<dyn Readiness>) = if i == 0 {
                (
                    format!("{member} to lead scope {}", o.scope),
                    o.leader_timeout,
                    Box::new(LeaderReady { member: member.clone(), recovery: self.recovery() }),
                )
            } else {
                (
                    format!("{} running, one leading, replicas streaming", wanted.join(", ")),
                    o.replica_timeout,
                    Box::new(ReplicasReady {
                        wanted: wanted.to_vec(),
                        max_lag_bytes: o.max_lag_bytes,
                        api: Arc::clone(&self.member_api),
                        recovery: self.recovery(),
                    }),
                )
            };
            let step = format!("wait for {member}");
            let progress = runner.progress.clone();
            let wait = ScopeWait {
                progress: &progress,
                store: self.caps.scope_store.as_ref(),
                scheduler: self.caps.scheduler.as_ref(),
                namespace: &o.namespace,
                scope: &o.scope,
                jobs: wanted,
                restart_limit: o.restart_limit,
            };
            status = runner.step(&step, wait.until(&what, timeout, ready.as_ref())).await?;
            if i == 0
                && let Some((file, st)) = state.as_mut()
                && st.initialize.is_none()
            {
                let snapshot = self.caps.scope_store.snapshot(&o.scope).await?;
                st.initialize = snapshot.text("initialize").filter(|v| !v.is_empty()).map(str::to_owned);
                file.write(st).await?;
            }
        }
        if let Some(backup) = &o.backup_job {
            self.start_job(runner, backup, &mut state).await?;
        }
        Ok(status)
    }

    async fn start_job(
        &self,
        runner: &mut Runner,
        job: &str,
        state: &mut Option<(&StateFile, &mut BootstrapState)>,
    ) -> Result<()> {
        let o = &self.opts;
        let step = format!("start {job}");
        if self.caps.scheduler.job_state(&o.namespace, job).await? == JobState::Running {
            runner.skip(&step, format!("{job} is already running"));
            return Ok(());
        }
        if let Some((file, st)) = state.as_mut()
            && !st.started.iter().any(|j| j == job)
        {
            // Recorded before the start: a crash right after it must not make the job a stranger.
            st.started.push(job.to_owned());
            file.write(st).await?;
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

    async fn job_check(&self, job: &str, state: JobState) -> Check {
        let name = format!("job {job}");
        match state {
            JobState::Absent => Check::passed(name, "absent"),
            JobState::Running | JobState::Pending if self.opts.resume => {
                // A member whose Patroni found a half-built data directory cannot be resumed.
                let d = self.caps.scheduler.diagnose(&self.opts.namespace, job).await.ok().flatten();
                if let Some(line) = wait::interrupted_initdb_line(d.as_ref()) {
                    return Check::failed(
                        name,
                        format!(
                            "{state}, but its first bootstrap was interrupted during initdb ({line:?}); {}",
                            self.recovery().steps(&[job.to_owned()])
                        ),
                    );
                }
                Check::passed(name, format!("{state}: resuming an interrupted bootstrap"))
            }
            JobState::Running | JobState::Pending => Check::failed(
                name,
                format!("is {state}: a cluster exists already (use resume to continue an interrupted bootstrap)"),
            ),
            JobState::Dead => Check::failed(name, "was stopped but not purged; stop it with purge first"),
        }
    }

    async fn resume_check(&self, snapshot: &ScopeSnapshot, states: &[(String, JobState)]) -> Result<Check> {
        let o = &self.opts;
        let Some(file) = self.state_file() else {
            return Ok(Check::failed(
                "resume",
                "needs the state directory of the run to continue: without its state file this recipe cannot tell \
                 its own interrupted bootstrap from an old cluster",
            ));
        };
        let path = file.path();
        Ok(match file.read().await? {
            None => Check::failed(
                format!("resume state {}", path.display()),
                format!(
                    "does not exist: no bootstrap of {} by this recipe is in progress there, so the existing jobs \
                     and Consul state are not adopted. If they belong to an old cluster, remove it first (stop and \
                     purge the jobs, `scope_remove --scope {} --yes`), then bootstrap without resume",
                    o.scope, o.scope
                ),
            ),
            Some(st) => st.resume_check(&path, &o.namespace, &o.members, snapshot, states),
        })
    }

    /// True when the scope shows a first bootstrap that took the initialize key (empty) and
    /// never finished, and the first member is not (still) working on it: its job is not
    /// running, or its task restarted since.
    async fn initdb_stalled(
        &self,
        snapshot: &ScopeSnapshot,
        status: &ClusterStatus,
        states: &[(String, JobState)],
    ) -> bool {
        if snapshot.text("initialize") != Some("") || status.leader.is_some() {
            return false;
        }
        let first = &self.opts.members[0];
        let running = states.iter().any(|(j, s)| j == first && matches!(s, JobState::Running | JobState::Pending));
        if !running {
            return true;
        }
        let d = self.caps.scheduler.diagnose(&self.opts.namespace, first).await.ok().flatten();
        d.is_some_and(|d| d.restarts > 0)
    }

    fn scope_check(&self, snapshot: &ScopeSnapshot, status: &ClusterStatus, initdb_stalled: bool) -> Check {
        let name = format!("Consul state {}", snapshot.prefix);
        if snapshot.is_empty() {
            return Check::passed(name, "empty");
        }
        if initdb_stalled {
            let first = &self.opts.members[0];
            return Check::failed(
                name,
                format!(
                    "holds an interrupted first bootstrap ({}): initdb did not finish and Patroni will not finish \
                     it on its own; {}",
                    scope_facts(snapshot),
                    self.recovery().steps(std::slice::from_ref(first))
                ),
            );
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
                "holds {} keys ({}{}); Patroni would join that old cluster. Remove exactly this folder first, with \
                 a backup: `scope_remove --scope {} --yes` (the restore recipe does it too)",
                snapshot.entries.len(),
                keys.join(", "),
                if snapshot.entries.len() > keys.len() { ", ..." } else { "" },
                self.opts.scope
            ),
        )
    }

    /// The spec the scheduler would start for `job`: read, parsed and checked
    /// (also run by the restore plan, before it stops anything).
    pub(crate) async fn spec_check(&self, job: &str) -> Check {
        let o = &self.opts;
        let name = format!("job spec {job}");
        match self.caps.scheduler.job_spec(&o.namespace, job).await {
            Err(e) => Check::failed(name, format!("cannot be read: {}", e.with_causes())),
            Ok(None) => Check::failed(name, "the job source has no spec for it: the job could not be started"),
            Ok(Some(spec)) => {
                let mut problems = spec.problems(&o.namespace, job);
                if o.members.iter().any(|m| m == job) && !spec.has_task(&o.member_task) {
                    problems.push(format!("no task is named {:?} ({})", o.member_task, spec.describe()));
                }
                if problems.is_empty() {
                    Check::passed(name, format!("job {} in {}, {}", spec.id, o.namespace, spec.describe()))
                } else {
                    Check::failed(name, problems.join("; "))
                }
            }
        }
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

    /// Unreadable or invalid settings are a refusal like any other (listed with the rest).
    async fn settings_check(&self) -> Check {
        let o = &self.opts;
        let location = self.caps.settings.location(&o.namespace);
        let name = format!("settings {location}");
        match self.caps.settings.read(&o.namespace).await {
            Err(e) => Check::failed(name, format!("cannot be used: {}", e.with_causes())),
            Ok(None) => Check::failed(name, "do not exist; the jobs need them to start"),
            Ok(Some(s)) => match (s.validate(), s.bootstrap_method) {
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
        }
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
                    "wait until {member} streams from the leader (a streaming WAL sender on the leader) with lag \
                     under {} bytes (at most {}s)",
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
