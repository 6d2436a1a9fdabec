//! The restore's run, phase after phase (each recorded in the state file), and its abort.

use super::{Phase, Restore, RestoreMode, RestoreState};
use crate::bootstrap::Bootstrap;
use crate::ports::{BootstrapMethod, JobState};
use crate::progress::Progress;
use crate::report::{Plan, Report};
use crate::run::Runner;
use crate::{Error, Result};

impl Restore {
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
