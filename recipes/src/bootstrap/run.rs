//! The bootstrap's run: start each member, wait until it leads or streams, record what was
//! started in the state file.

use std::sync::Arc;
use std::time::Duration;

use super::wait::{LeaderReady, ReplicasReady};
use super::{Bootstrap, BootstrapState, StateFile};
use crate::Result;
use crate::ports::{ClusterStatus, JobState};
use crate::progress::Progress;
use crate::report::Report;
use crate::run::{Readiness, Runner, ScopeWait};

impl Bootstrap {
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
                scheduler: Some(self.caps.scheduler.as_ref()),
                namespace: &o.namespace,
                scope: &o.scope,
                jobs: wanted,
                restart_limit: o.restart_limit,
            };
            status = runner.step(&step, wait.until(&what, timeout, ready.as_ref())).await?;
            // No let-chain: the crates promise Rust 1.85 (let-chains need 1.88).
            if let (0, Some((file, st))) = (i, state.as_mut()) {
                if st.initialize.is_none() {
                    let snapshot = self.caps.scope_store.snapshot(&o.scope).await?;
                    st.initialize = snapshot.text("initialize").filter(|v| !v.is_empty()).map(str::to_owned);
                    file.write(st).await?;
                }
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
        if let Some((file, st)) = state.as_mut() {
            if !st.started.iter().any(|j| j == job) {
                // Recorded before the start: a crash right after it must not make the job a stranger.
                st.started.push(job.to_owned());
                file.write(st).await?;
            }
        }
        let sched = &self.caps.scheduler;
        runner
            .step(&step, async {
                sched.start_job(&o.namespace, job).await?;
                sched.wait_running(&o.namespace, job, o.job_timeout).await
            })
            .await
    }
}
