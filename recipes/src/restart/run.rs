//! The restart's run: one member at a time, each restart followed by a wait until the member
//! runs again and the cluster streams.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use patroni_client::State;

use super::Restart;
use super::plan::{best_replica, leader_changed, member_names};
use crate::bootstrap::wait::ReplicasReady;
use crate::ports::{JobDiagnosis, MemberControl, ScopeSnapshot};
use crate::progress::Progress;
use crate::report::Report;
use crate::run::{Readiness, Runner, ScopeWait};
use crate::{Error, Result};

impl Restart {
    /// Executes the plan (after re-checking it): the pending replicas one at a time, then a
    /// switchover and the former leader. Each step looks at the world first and is skipped
    /// when already done.
    pub async fn run(&self, progress: Progress) -> Result<Report> {
        let (plan, survey) = self.survey().await?;
        let mut runner = Runner::new(&plan, progress);
        if plan.is_noop() {
            runner.skip("restart", "no member has a restart pending");
            return Ok(runner.report);
        }
        for member in &survey.pending_replicas {
            self.restart_member(&mut runner, member, &survey.leader).await?;
        }
        if survey.leader_pending {
            let new_leader = self.switch_over(&mut runner, &survey.leader).await?;
            self.restart_member(&mut runner, &survey.leader, &new_leader).await?;
        }
        Ok(runner.report)
    }

    /// Restarts `member` (a replica while `leader` leads) if its restart is still pending,
    /// then waits until it runs and streams again.
    async fn restart_member(&self, runner: &mut Runner, member: &str, leader: &str) -> Result<()> {
        let o = &self.opts;
        let step = format!("restart {member}");
        let snapshot = self.caps.scope_store.snapshot(&o.scope).await?;
        let status = snapshot.cluster_status();
        if status.leader.as_deref() != Some(leader) {
            return Err(leader_changed(&o.scope, leader, status.leader.as_deref()));
        }
        let url = status
            .member(member)
            .and_then(|m| m.api_url.clone())
            .ok_or_else(|| Error::Conflict(format!("member {member} of {} is gone from the DCS", o.scope)))?;
        let before = self.caps.control.runtime(&url).await?;
        if !before.pending_restart {
            runner.skip(&step, format!("{member} has no restart pending any more"));
            return Ok(());
        }
        // One member at a time: the cluster must be whole before this one goes down.
        let names = member_names(&status);
        if let Some(reason) = self.unhealthy(&snapshot, &names).await? {
            return Err(Error::Conflict(format!(
                "{} is not healthy before restarting {member}: {reason}; nothing was restarted in this step",
                o.scope
            )));
        }
        let control = &self.caps.control;
        runner.step(&step, control.restart(&url)).await?;
        let ready = Restarted {
            member: member.to_owned(),
            url,
            before: before.postmaster_start_time,
            control: Arc::clone(control),
            cluster: self.ready(&names),
        };
        let what = format!("{member} to run again with a new postmaster, every replica streaming");
        self.wait(runner, &format!("wait for {member}"), &what, o.member_timeout, &ready).await?;
        if self.caps.control.runtime(&ready.url).await?.pending_restart {
            // PostgreSQL starts a standby with at least the primary's value of max_connections
            // and its kin: a decrease waits for the primary's restart.
            runner.warn(format!(
                "{member} restarted but still has a restart pending: a parameter lowered below the primary's value \
                 (max_connections, max_worker_processes, ...) takes effect on a replica only after the primary \
                 runs with it; run the recipe again once the leader restarted"
            ));
        }
        Ok(())
    }

    /// Switches over from `leader` to the healthiest replica (the cluster healthy first), and
    /// waits until it leads and every replica streams; returns the new leader.
    pub(crate) async fn switch_over(&self, runner: &mut Runner, leader: &str) -> Result<String> {
        let o = &self.opts;
        let step = format!("switch over from {leader}");
        let snapshot = self.caps.scope_store.snapshot(&o.scope).await?;
        let status = snapshot.cluster_status();
        if status.leader.as_deref() != Some(leader) {
            return Err(leader_changed(&o.scope, leader, status.leader.as_deref()));
        }
        let names = member_names(&status);
        if let Some(reason) = self.unhealthy(&snapshot, &names).await? {
            return Err(Error::Conflict(format!("{} is not healthy before the switchover: {reason}", o.scope)));
        }
        let candidate = best_replica(&status, &[])
            .map(|m| m.name.clone())
            .ok_or_else(|| Error::Conflict(format!("{} has no running replica to switch over to", o.scope)))?;
        let url = status
            .member(leader)
            .and_then(|m| m.api_url.clone())
            .ok_or_else(|| Error::Conflict(format!("the leader {leader} of {} publishes no REST API URL", o.scope)))?;
        runner.step(&step, self.caps.control.switchover(&url, leader, &candidate)).await?;
        let ready = NewLeader { leader: candidate.clone(), cluster: self.ready(&names) };
        let what = format!("{candidate} to lead, every replica streaming");
        self.wait(runner, &format!("wait for {candidate} to lead"), &what, o.switchover_timeout, &ready).await?;
        Ok(candidate)
    }

    async fn wait(
        &self,
        runner: &mut Runner,
        step: &str,
        what: &str,
        timeout: Duration,
        ready: &dyn Readiness,
    ) -> Result<()> {
        let progress = runner.progress.clone();
        let wait = ScopeWait {
            progress: &progress,
            store: self.caps.scope_store.as_ref(),
            scheduler: None,
            namespace: &self.opts.namespace,
            scope: &self.opts.scope,
            jobs: &[],
            restart_limit: 0,
        };
        runner.step(step, wait.until(what, timeout, ready)).await.map(drop)
    }
}

/// The restarted member runs with a new postmaster, and the cluster streams.
struct Restarted {
    member: String,
    url: String,
    before: Option<String>,
    control: Arc<dyn MemberControl>,
    cluster: ReplicasReady,
}

#[async_trait]
impl Readiness for Restarted {
    async fn not_ready(
        &self,
        snapshot: &ScopeSnapshot,
        jobs: &[(String, Option<JobDiagnosis>)],
    ) -> Result<Option<String>> {
        if let Some(reason) = self.cluster.not_ready(snapshot, jobs).await? {
            return Ok(Some(reason));
        }
        let m = &self.member;
        Ok(match self.control.runtime(&self.url).await {
            Err(e) => Some(format!("{m}'s REST API does not answer: {}", e.with_causes())),
            Ok(rt) if rt.state != State::Running => Some(format!("{m} is {}", rt.state)),
            Ok(rt) if self.before.is_some() && rt.postmaster_start_time == self.before => {
                Some(format!("{m}'s postmaster has not restarted yet"))
            }
            Ok(_) => None,
        })
    }
}

/// `leader` holds the leader key and the cluster streams.
struct NewLeader {
    leader: String,
    cluster: ReplicasReady,
}

#[async_trait]
impl Readiness for NewLeader {
    async fn not_ready(
        &self,
        snapshot: &ScopeSnapshot,
        jobs: &[(String, Option<JobDiagnosis>)],
    ) -> Result<Option<String>> {
        let status = snapshot.cluster_status();
        if status.leader.as_deref() != Some(self.leader.as_str()) {
            return Ok(Some(format!(
                "the leader key names {}, not {}",
                status.leader.as_deref().unwrap_or("nobody"),
                self.leader
            )));
        }
        self.cluster.not_ready(snapshot, jobs).await
    }
}
