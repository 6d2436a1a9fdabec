//! The replace's run: per member, a switchover when it leads, a backup, stop and purge, an
//! optional volume clear, a start, and a wait until it streams.

use serde::Serialize;

use super::ReplaceMember;
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
    /// cluster must be whole and above the floor again.
    pub async fn run(&self, progress: Progress) -> Result<Report> {
        let (plan, survey) = self.survey().await?;
        let mut runner = Runner::new(&plan, progress);
        for member in &survey.order {
            let volume = survey.volumes.iter().find(|(m, _)| m == member).map(|(_, l)| l.as_str());
            self.replace(&mut runner, member, volume).await?;
        }
        Ok(runner.report)
    }

    async fn replace(&self, runner: &mut Runner, member: &str, volume: Option<&str>) -> Result<()> {
        let o = &self.opts;
        let store = &self.caps.scope_store;
        let mut snapshot = store.snapshot(&o.scope).await?;
        let mut status = snapshot.cluster_status();
        let names = member_names(&status);
        if !names.iter().any(|n| n == member) {
            return Err(Error::Conflict(format!(
                "member {member} of {} is gone from the DCS; nothing was done to it",
                o.scope
            )));
        }
        if let Some(reason) = self.handover.unhealthy(&snapshot, &names).await? {
            return Err(Error::Conflict(format!(
                "{} is not healthy before replacing {member}: {reason}; nothing was done to {member}",
                o.scope
            )));
        }
        if names.len().saturating_sub(1) < o.min_healthy {
            return Err(Error::Conflict(format!(
                "replacing {member} would leave {} healthy member(s), fewer than the floor {}",
                names.len() - 1,
                o.min_healthy
            )));
        }
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
        runner.report.backups.push(saved);
        let sched = &self.caps.scheduler;
        runner.step(&format!("stop and purge {member}"), sched.stop_job(&o.namespace, member, true)).await?;
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
        }
        runner
            .step(&format!("start {member}"), async {
                sched.start_job(&o.namespace, member).await?;
                sched.wait_running(&o.namespace, member, o.job_timeout).await
            })
            .await?;
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
        let ready = self.handover.ready(&names);
        let what = format!("{member} to stream again within {} bytes", o.max_lag_bytes);
        runner.step(&format!("wait for {member}"), wait.until(&what, o.member_timeout, &ready)).await?;
        Ok(())
    }
}
