//! The replace's run: per member, a switchover when it leads, a backup, stop and purge, an
//! optional volume clear, a start, and a wait until it streams; a state file between them
//! lets a later run resume a member left midway.

use serde::Serialize;

use super::ReplaceMember;
use super::plan::Survey;
use super::state::{Phase, ReplaceState};
use crate::ports::{ClusterStatus, JobState, ScopeEntry};
use crate::progress::Progress;
use crate::report::Report;
use crate::restart::member_names;
use crate::run::{Runner, ScopeWait};
use crate::{Error, Result};

/// What is saved before a member's job is purged.
#[derive(Debug, Serialize)]
struct MemberBackup<'a> {
    namespace: &'a str,
    scope: &'a str,
    member: &'a str,
    job_state: JobState,
    /// The member's key in the DCS, as stored.
    member_key: Option<&'a ScopeEntry>,
    /// The cluster as the DCS showed it.
    cluster: &'a ClusterStatus,
    /// The volume location to be cleared, if any.
    volume_cleared: Option<&'a str>,
}

impl ReplaceMember {
    /// Executes the plan (after re-checking it), one member at a time; before each member the
    /// cluster must be whole and above the floor again. A member left midway by a previous
    /// run is finished first, from the step it stopped at.
    pub async fn run(&self, progress: Progress) -> Result<Report> {
        let (plan, survey) = self.survey().await?;
        let mut runner = Runner::new(&plan, progress);
        for member in &survey.order {
            self.replace(&mut runner, &survey, member).await?;
        }
        Ok(runner.report)
    }

    async fn replace(&self, runner: &mut Runner, survey: &Survey, member: &str) -> Result<()> {
        let o = &self.opts;
        let store = &self.caps.scope_store;
        let (todo, resumed) = Self::todo(survey, member);
        let volume = survey.volumes.iter().find(|(m, _)| m == member).map(|(_, l)| l.as_str()).filter(|_| todo.clear);
        let mut snapshot = store.snapshot(&o.scope).await?;
        let mut status = snapshot.cluster_status();
        let names = member_names(&status);
        // A resumed member may be gone from the DCS; the others must be whole.
        let others: Vec<String> = names.iter().filter(|n| *n != member).cloned().collect();
        if resumed.is_none() && others.len() == names.len() {
            return Err(Error::Conflict(format!(
                "member {member} of {} is gone from the DCS; nothing was done to it",
                o.scope
            )));
        }
        let whole = if resumed.is_some() { &others } else { &names };
        if let Some(reason) = self.handover.unhealthy(&snapshot, whole).await? {
            return Err(Error::Conflict(format!(
                "{} is not healthy before replacing {member}: {reason}; nothing more was done to {member}",
                o.scope
            )));
        }
        if others.len() < o.min_healthy {
            return Err(Error::Conflict(format!(
                "replacing {member} would leave {} healthy member(s), fewer than the floor {}",
                others.len(),
                o.min_healthy
            )));
        }
        let mut state = match resumed {
            Some(state) => {
                runner.report.backups.push(state.backup.clone());
                state.clone()
            }
            None => {
                if status.leader.as_deref() == Some(member) {
                    self.handover.switch_over(runner, member).await?;
                    snapshot = store.snapshot(&o.scope).await?;
                    status = snapshot.cluster_status();
                }
                let job_state = self.caps.scheduler.job_state(&o.namespace, member).await?;
                let key = format!("{}members/{member}", snapshot.prefix);
                let backup = MemberBackup {
                    namespace: &o.namespace,
                    scope: &o.scope,
                    member,
                    job_state,
                    member_key: snapshot.entries.iter().find(|e| e.key == key),
                    cluster: &status,
                    volume_cleared: volume,
                };
                let saved = runner
                    .step(&format!("save {member}"), self.caps.backups.save(&format!("replace-{member}"), &backup))
                    .await?;
                runner.report.backups.push(saved.clone());
                let state = ReplaceState {
                    member: member.to_owned(),
                    phase: Phase::Stopping,
                    volume: volume.map(str::to_owned),
                    backup: saved,
                };
                // Before the stop: a run killed from here on leaves what a rerun resumes.
                self.record(&state).await?;
                state
            }
        };
        let sched = &self.caps.scheduler;
        if todo.stop {
            runner.step(&format!("stop and purge {member}"), sched.stop_job(&o.namespace, member, true)).await?;
            state.volume = volume.map(str::to_owned);
            self.advance(&mut state, Phase::Purged).await?;
        }
        if let Some(location) = volume {
            let probe = self
                .caps
                .volumes
                .as_ref()
                .ok_or_else(|| Error::Conflict(format!("no volume probe to clear {location} of {member} with")))?;
            runner
                .step(
                    &format!("clear the volume of {member}"),
                    probe.clear_member_volume(&o.namespace, member, location),
                )
                .await?;
            self.advance(&mut state, Phase::Cleared).await?;
        }
        if todo.start {
            runner
                .step(&format!("start {member}"), async {
                    sched.start_job(&o.namespace, member).await?;
                    sched.wait_running(&o.namespace, member, o.job_timeout).await
                })
                .await?;
            self.advance(&mut state, Phase::Started).await?;
        }
        let progress = runner.progress.clone();
        let jobs = [member.to_owned()];
        let wait = ScopeWait {
            progress: &progress,
            store: store.as_ref(),
            scheduler: Some(sched.as_ref()),
            namespace: &o.namespace,
            scope: &o.scope,
            jobs: &jobs,
            restart_limit: o.restart_limit,
        };
        let mut wanted = others;
        wanted.push(member.to_owned());
        wanted.sort();
        let ready = self.handover.ready(&wanted);
        let what = format!("{member} to stream again within {} bytes", o.max_lag_bytes);
        runner.step(&format!("wait for {member}"), wait.until(&what, o.member_timeout, &ready)).await?;
        self.finish().await
    }
}
