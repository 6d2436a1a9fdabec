//! Recipe `restore`: a fresh cluster from wal-g backups, to the end of a timeline or to a
//! point in time (RUNBOOK procedure 2).
//!
//! Preflight: the namespace exists, the settings can be read and are not half-way into
//! another restore, and the walg planner finds the target reachable in the live archive
//! (a base backup plus every WAL segment up to the target; every reason is listed).
//! Then: record the current settings (backup file + state file), set the restore method and
//! its keys, stop and purge the database jobs, save and remove the scope's Consul state,
//! run [`crate::bootstrap`] with the restore method, verify the new leader's timeline (and for
//! a point in time, that Patroni's history records a recovery target; a warning otherwise),
//! set the method back to `initdb`.
//!
//! Every step is recorded in a state file in the backup directory, so running the recipe
//! again after a failure continues after the last completed step. [`Restore::abort`] puts the
//! recorded settings back and forgets the state.
//!
//! The bootstrap step needs empty host volumes, as a fresh bootstrap does; when the old
//! cluster's data is still there it stops with that reason, and a re-run continues once
//! the volumes were cleared.
//!
//! ```no_run
//! use std::sync::Arc;
//! use recipes::bootstrap::{BootstrapOptions, Capabilities};
//! use recipes::adapters::local::LocalArchiveSource;
//! use recipes::restore::{Restore, RestoreMode, RestoreOptions};
//! use recipes::{BackupDir, Progress};
//! # async fn demo(caps: Capabilities) -> Result<(), Box<dyn std::error::Error>> {
//! let mode = RestoreMode::point_in_time(2, "2026-11-22T05:12:00Z")?;
//! let opts = RestoreOptions::new(BootstrapOptions::new("atala-testnet"), mode);
//! let archive = Arc::new(LocalArchiveSource::new("/mnt/wal-archive"));
//! let restore = Restore::new(opts, caps, archive, BackupDir::new("./backups"))?;
//! let plan = restore.plan().await?; // refuses with every reason the target is unreachable
//! println!("{} steps", plan.steps.len());
//! let report = restore.run(Progress::none()).await?;
//! println!("{report:?}");
//! # Ok(()) }
//! ```

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::bootstrap::{Bootstrap, BootstrapOptions, Capabilities};
use crate::ports::{ArchiveSource, BootstrapMethod, DatabaseSettings, JobState};
use crate::progress::Progress;
use crate::report::{Check, Plan, Report, Step};
use crate::run::Runner;
use crate::{BackupDir, Error, Result, input};

/// What to restore to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum RestoreMode {
    /// The end of the archived WAL on a timeline (`walg_timeline`).
    Timeline {
        /// The timeline.
        timeline: u32,
    },
    /// A moment on a timeline (`walg_pitr`).
    PointInTime {
        /// The timeline holding the moment.
        timeline: u32,
        /// The moment, RFC 3339 with its zone.
        timestamp: String,
    },
}

impl RestoreMode {
    /// A timeline restore; the timeline must be 1 or more.
    pub fn timeline(timeline: u32) -> Result<Self> {
        input::validate_timeline(timeline)?;
        Ok(Self::Timeline { timeline })
    }

    /// A point-in-time restore; the timestamp must carry its zone.
    pub fn point_in_time(timeline: u32, timestamp: &str) -> Result<Self> {
        input::validate_timeline(timeline)?;
        let parsed = input::parse_timestamp(timestamp)?;
        Ok(Self::PointInTime { timeline, timestamp: parsed.to_rfc3339() })
    }

    /// The timeline restored from.
    #[must_use]
    pub fn source_timeline(&self) -> u32 {
        match self {
            Self::Timeline { timeline } | Self::PointInTime { timeline, .. } => *timeline,
        }
    }

    /// The bootstrap method this mode sets.
    #[must_use]
    pub fn method(&self) -> BootstrapMethod {
        match self {
            Self::Timeline { .. } => BootstrapMethod::WalgTimeline,
            Self::PointInTime { .. } => BootstrapMethod::WalgPitr,
        }
    }

    fn validate(&self) -> Result<()> {
        match self {
            Self::Timeline { timeline } => input::validate_timeline(*timeline),
            Self::PointInTime { timeline, timestamp } => {
                input::validate_timeline(*timeline)?;
                input::parse_timestamp(timestamp).map(drop)
            }
        }
    }

    fn walg_target(&self) -> Result<walg::RestoreTarget> {
        let base = walg::RestoreTarget::timeline(self.source_timeline());
        Ok(match self {
            Self::Timeline { .. } => base,
            Self::PointInTime { timestamp, .. } => base.at(walg::parse_timestamp(timestamp)
                .map_err(|e| Error::invalid("recovery timestamp", timestamp, e.to_string()))?),
        })
    }

    /// `settings` with this mode's method and keys set.
    fn apply(&self, settings: &DatabaseSettings) -> DatabaseSettings {
        let mut s = settings.clone();
        s.bootstrap_method = Some(self.method());
        match self {
            Self::Timeline { timeline } => s.walg_timeline = Some(*timeline),
            Self::PointInTime { timeline, timestamp } => {
                s.walg_pitr_timeline = Some(*timeline);
                s.walg_pitr_timestamp = Some(timestamp.clone());
            }
        }
        s
    }
}

/// Inputs of [`Restore`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RestoreOptions {
    /// The cluster to re-create (namespace, scope, members, timeouts). Its method is set by
    /// the restore.
    pub bootstrap: BootstrapOptions,
    /// What to restore to.
    pub mode: RestoreMode,
}

impl RestoreOptions {
    /// Restores the cluster of `bootstrap` to `mode`.
    #[must_use]
    pub fn new(bootstrap: BootstrapOptions, mode: RestoreMode) -> Self {
        Self { bootstrap, mode }
    }
}

/// Progress of a restore, kept in the state file between runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// The original settings are saved.
    Recorded,
    /// The restore method is set.
    MethodSet,
    /// The database jobs are stopped and purged.
    JobsStopped,
    /// The scope's Consul state is saved and removed.
    ScopeRemoved,
    /// The cluster was bootstrapped with the restore method.
    Bootstrapped,
}

/// The state file of a restore in progress.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RestoreState {
    /// What is being restored.
    pub mode: RestoreMode,
    /// The settings before the restore, put back by [`Restore::abort`].
    pub original_settings: DatabaseSettings,
    /// The last completed phase.
    pub phase: Phase,
}

/// The restore recipe: see the [module docs](self).
#[derive(Clone)]
pub struct Restore {
    opts: RestoreOptions,
    caps: Capabilities,
    archive: Arc<dyn ArchiveSource>,
    backups: BackupDir,
}

impl std::fmt::Debug for Restore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Restore").field("opts", &self.opts).field("backups", &self.backups).finish_non_exhaustive()
    }
}

impl Restore {
    /// Validates the inputs; nothing is contacted yet.
    pub fn new(
        opts: RestoreOptions,
        caps: Capabilities,
        archive: Arc<dyn ArchiveSource>,
        backups: BackupDir,
    ) -> Result<Self> {
        opts.bootstrap.validate()?;
        opts.mode.validate()?;
        Ok(Self { opts, caps, archive, backups })
    }

    fn ns(&self) -> &str {
        &self.opts.bootstrap.namespace
    }

    fn state_name(&self) -> String {
        format!("restore-{}.state.json", self.ns())
    }

    fn jobs(&self) -> Vec<String> {
        self.opts.bootstrap.members.iter().chain(&self.opts.bootstrap.backup_job).cloned().collect()
    }

    /// The state of a restore in progress, if any.
    pub async fn state(&self) -> Result<Option<RestoreState>> {
        self.backups.read_state(&self.state_name()).await
    }

    /// Dry run: every precondition, or [`Error::Refused`] with every reason.
    pub async fn plan(&self) -> Result<Plan> {
        let ns = self.ns().to_owned();
        let mut checks = Vec::new();
        if self.caps.scheduler.namespace_exists(&ns).await? {
            checks.push(Check::passed(format!("namespace {ns}"), "exists"));
        } else {
            checks.push(Check::failed(format!("namespace {ns}"), "does not exist in the scheduler"));
        }
        let state = self.state().await?;
        let location = self.caps.settings.location(&ns);
        let wanted = self.opts.mode.method();
        let settings_name = format!("settings {location}");
        let check = match (&state, self.caps.settings.read(&ns).await?) {
            (Some(st), _) if st.mode != self.opts.mode => Check::failed(
                "restore in progress",
                format!("a restore to {:?} is half done; finish it with the same target or abort it", st.mode),
            ),
            (Some(st), _) => Check::passed("restore in progress", format!("continuing after {:?}", st.phase)),
            (None, None) => Check::failed(settings_name, "do not exist"),
            (None, Some(s)) => match s.bootstrap_method {
                None | Some(BootstrapMethod::Initdb) => Check::passed(settings_name, "readable"),
                Some(m) if m == wanted => Check::passed(settings_name, format!("already {m}")),
                Some(m) => Check::failed(
                    settings_name,
                    format!("patroniBootstrapMethod is {m}: another restore may be under way"),
                ),
            },
        };
        checks.push(check);
        let target = self.opts.mode.walg_target()?;
        let archive = self.archive.archive_state(&ns).await?;
        match archive.plan(&target) {
            Ok(p) => checks.push(Check::passed(
                format!("wal-g archive for {target}"),
                format!("base backup {}, then {} WAL ranges{}", p.backup.name, p.wal.len(), warnings(&p.warnings)),
            )),
            Err(refused) => {
                for reason in &refused.reasons {
                    checks.push(Check::failed(format!("wal-g archive for {target}"), reason.to_string()));
                }
            }
        }
        let done = state.map(|s| s.phase);
        // The bootstrap step starts every job again from the job source after
        // they were purged: a spec that cannot be read must refuse the plan
        // now, not after the jobs and the scope are gone.
        if done.is_none_or(|d| d < Phase::Bootstrapped) {
            let bootstrap = Bootstrap::new(self.opts.bootstrap.clone().method(wanted), self.caps.clone())?;
            for job in self.jobs() {
                checks.push(bootstrap.spec_check(&job).await);
            }
        }
        let steps = self.steps(done);
        Plan::from_checks("restore", checks, steps)
    }

    fn steps(&self, done: Option<Phase>) -> Vec<Step> {
        let after = |p: Phase| done.is_none_or(|d| d < p);
        let o = &self.opts.bootstrap;
        let mut steps = Vec::new();
        if done.is_none() {
            steps.push(Step::new("record settings", "save the current settings to a backup file"));
        }
        if after(Phase::MethodSet) {
            steps.push(Step::new(
                "set restore method",
                format!("set patroniBootstrapMethod = {}", self.opts.mode.method()),
            ));
        }
        if after(Phase::JobsStopped) {
            steps.push(Step::new(
                "stop and purge jobs",
                format!("stop and purge {} in {}", self.jobs().join(", "), o.namespace),
            ));
        }
        if after(Phase::ScopeRemoved) {
            steps.push(Step::new(
                "remove scope state",
                format!("save then delete exactly service/{}/ in Consul", o.scope),
            ));
        }
        if after(Phase::Bootstrapped) {
            steps.push(Step::new(
                "bootstrap",
                "bootstrap the cluster with the restore method (host volumes must be empty)",
            ));
        }
        steps.push(Step::new("verify timeline", "the new leader runs on a timeline after the restored one"));
        steps.push(Step::new("set method back", "set patroniBootstrapMethod = initdb"));
        steps
    }

    /// Runs (or continues) the restore.
    pub async fn run(&self, progress: Progress) -> Result<Report> {
        let plan = self.plan().await?;
        let mut runner = Runner::new(&plan, progress);
        let ns = self.ns().to_owned();
        let name = self.state_name();
        let mut state = match self.state().await? {
            Some(s) => {
                runner.skip("record settings", format!("recorded by an earlier run (last completed: {:?})", s.phase));
                s
            }
            None => {
                let original = self.caps.settings.read(&ns).await?.unwrap_or_default();
                let st =
                    RestoreState { mode: self.opts.mode.clone(), original_settings: original, phase: Phase::Recorded };
                let backups = &self.backups;
                let path = runner
                    .step("record settings", async {
                        let path = backups.save(&format!("restore-{ns}-settings"), &st.original_settings).await?;
                        backups.write_state(&name, &st).await?;
                        Ok(path)
                    })
                    .await?;
                runner.report.backups.push(path);
                st
            }
        };

        if state.phase < Phase::MethodSet {
            let settings = self.opts.mode.apply(&state.original_settings);
            runner.step("set restore method", self.caps.settings.write(&ns, &settings)).await?;
            self.advance(&mut state, Phase::MethodSet).await?;
        } else {
            runner.skip("set restore method", "done by an earlier run");
        }

        if state.phase < Phase::JobsStopped {
            for job in self.jobs() {
                let step = format!("stop and purge {job}");
                if self.caps.scheduler.job_state(&ns, &job).await? == JobState::Absent {
                    runner.skip(&step, format!("{job} is absent"));
                } else {
                    runner.step(&step, self.caps.scheduler.stop_job(&ns, &job, true)).await?;
                }
            }
            self.advance(&mut state, Phase::JobsStopped).await?;
        } else {
            runner.skip("stop and purge jobs", "done by an earlier run");
        }

        if state.phase < Phase::ScopeRemoved {
            let scope = &self.opts.bootstrap.scope;
            let snapshot = self.caps.scope_store.snapshot(scope).await?;
            if snapshot.is_empty() {
                runner.skip("remove scope state", format!("{} is empty", snapshot.prefix));
            } else {
                let store = &self.caps.scope_store;
                let backups = &self.backups;
                let path = runner
                    .step("remove scope state", async {
                        let path = backups.save(&format!("restore-{scope}-consul-state"), &snapshot).await?;
                        store.delete_scope(scope, &snapshot).await?;
                        Ok(path)
                    })
                    .await?;
                runner.report.backups.push(path);
            }
            self.advance(&mut state, Phase::ScopeRemoved).await?;
        } else {
            runner.skip("remove scope state", "done by an earlier run");
        }

        let bootstrap_opts = self.opts.bootstrap.clone().method(self.opts.mode.method()).resume(true);
        let bootstrap = Bootstrap::new(bootstrap_opts, self.caps.clone())?.vouched_resume();
        let status = if state.phase < Phase::Bootstrapped {
            let plan = bootstrap.plan().await?;
            runner.report.checked.extend(plan.checks);
            let status = bootstrap.execute(&mut runner).await?;
            self.advance(&mut state, Phase::Bootstrapped).await?;
            status
        } else {
            runner.skip("bootstrap", "done by an earlier run");
            self.caps.scope_store.snapshot(&self.opts.bootstrap.scope).await?.cluster_status()
        };

        let source = self.opts.mode.source_timeline();
        let leader = status.running_leader().cloned();
        runner
            .step("verify timeline", async {
                let leader = leader.ok_or_else(|| Error::Conflict("after the restore no member leads".into()))?;
                match leader.timeline {
                    Some(t) if t > source => Ok(()),
                    Some(t) => Err(Error::Conflict(format!(
                        "the restored leader {} runs on timeline {t}, expected a timeline after {source}: \
                         the restore did not replay the archive (check the jobs' restore logs)",
                        leader.name
                    ))),
                    None => Err(Error::Conflict(format!("the restored leader {} reports no timeline", leader.name))),
                }
            })
            .await?;

        if let RestoreMode::PointInTime { timestamp, .. } = &self.opts.mode {
            let snapshot = self.caps.scope_store.snapshot(&self.opts.bootstrap.scope).await?;
            match recovery_reason(snapshot.text("history"), source) {
                Some(reason) if reason != "no recovery target specified" => {
                    runner.report.done.push(format!("recovery target reached: {reason}"));
                }
                other => runner.warn(format!(
                    "Patroni's history does not show that recovery stopped at {timestamp} (reason recorded: {}); \
                     check the new leader's PostgreSQL log before relying on the data",
                    other.as_deref().unwrap_or("none")
                )),
            }
        }

        let mut back = self.caps.settings.read(&ns).await?.unwrap_or_else(|| state.original_settings.clone());
        back.bootstrap_method = Some(BootstrapMethod::Initdb);
        runner.step("set method back", self.caps.settings.write(&ns, &back)).await?;
        self.backups.remove_state(&name).await?;
        Ok(runner.report)
    }

    async fn advance(&self, state: &mut RestoreState, phase: Phase) -> Result<()> {
        state.phase = phase;
        self.backups.write_state(&self.state_name(), state).await.map(drop)
    }

    /// Puts the recorded settings back and forgets the restore in progress. Jobs and Consul
    /// state are not touched (the backup files hold the removed scope state).
    pub async fn abort(&self) -> Result<Report> {
        let plan = Plan { recipe: "restore abort".into(), checks: Vec::new(), steps: Vec::new() };
        let mut runner = Runner::new(&plan, Progress::none());
        let Some(state) = self.state().await? else {
            runner.skip("put settings back", "no restore in progress");
            return Ok(runner.report);
        };
        runner.step("put settings back", self.caps.settings.write(self.ns(), &state.original_settings)).await?;
        self.backups.remove_state(&self.state_name()).await?;
        Ok(runner.report)
    }
}

/// The reason PostgreSQL recorded for leaving `timeline`, from Patroni's `history` key
/// (`[[timeline, lsn, reason, time, new leader], ...]`).
fn recovery_reason(history: Option<&str>, timeline: u32) -> Option<String> {
    let entries: Vec<serde_json::Value> = serde_json::from_str(history?).ok()?;
    let entry = entries.iter().find(|e| e.get(0).and_then(serde_json::Value::as_u64) == Some(u64::from(timeline)))?;
    entry.get(2)?.as_str().map(str::to_owned)
}

fn warnings(w: &[String]) -> String {
    if w.is_empty() { String::new() } else { format!(" (warnings: {})", w.join("; ")) }
}
