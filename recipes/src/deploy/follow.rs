//! The deploy's run: register with `EnforceIndex`, follow the deployment with blocking
//! queries, and on failure leave it or revert to the newest stable version.

use std::time::{Duration, Instant};

use nomad_client::DeploymentStatus;

use super::Deploy;
use super::plan::DeployPlan;
use super::report::{DeployOutcome, DeployReport, Revert};
use crate::ports::{DeploymentView, Registered, Registration};
use crate::progress::{Event, Progress};
use crate::run::Runner;
use crate::{Error, Result};

/// Longest single blocking query on the deployment.
const ROUND: Duration = Duration::from_secs(5);

/// Shortest time between two rounds, so that a server answering at once cannot make the
/// follow spin.
const MIN_ROUND: Duration = Duration::from_millis(250);

/// How following a deployment ended.
struct Followed {
    /// The deployment as last seen (`None`: none was created in time).
    deployment: Option<DeploymentView>,
    timed_out: bool,
}

fn ended(status: &DeploymentStatus) -> bool {
    matches!(status, DeploymentStatus::Successful | DeploymentStatus::Failed | DeploymentStatus::Cancelled)
}

impl Deploy {
    /// Registers the planned job (only if it did not change since `plan`), follows its
    /// deployment and, on failure, leaves it or reverts it (see the [module docs](super)).
    ///
    /// # Errors
    /// [`Error::Conflict`] when the job changed since the plan (nothing was registered) or
    /// since the failed deployment (nothing was reverted); backend errors otherwise. A failed
    /// or unfinished deployment is no error: [`DeployReport::outcome`] says how it ended.
    pub async fn run(&self, plan: &DeployPlan, progress: Progress) -> Result<DeployReport> {
        let mut runner = Runner::new(&plan.plan, progress);
        let (job, ns) = (plan.job_id.as_str(), plan.namespace.as_str());
        let mut out = DeployReport { job_id: job.to_owned(), namespace: ns.to_owned(), ..DeployReport::default() };
        let register = format!("register {job}");
        if plan.is_noop() {
            runner.skip(&register, "the job file changes nothing in what runs");
            out.report = runner.report;
            return Ok(out);
        }
        let index = plan.dry_run.job_modify_index;
        let deployer = &self.deployer;
        let registered = runner
            .step(&register, async {
                match deployer.register(ns, &plan.job, index).await? {
                    Registration::Registered(r) => Ok(r),
                    Registration::Conflict { nomad_says } => Err(Error::Conflict(format!(
                        "job {job} in {ns} changed after it was planned (the plan compared with JobModifyIndex \
                         {index}) and Nomad refused the registration: {nomad_says}. Nothing was registered: plan \
                         again and review the new diff"
                    ))),
                }
            })
            .await?;
        for w in &registered.warnings {
            runner.warn(format!("Nomad warns about job {job}: {w}"));
        }
        out.registered = Some(registered.clone());
        if !plan.has_deployment() {
            runner.skip("follow deployment", format!("a {} job has no deployment", plan.job_type));
            out.outcome = DeployOutcome::Registered;
            out.report = runner.report;
            return Ok(out);
        }
        let progress = runner.progress.clone();
        let followed = runner.step("follow deployment", self.follow(&progress, plan, &registered)).await?;
        out.deployment.clone_from(&followed.deployment);
        out.outcome = match followed.deployment {
            Some(d) if d.status == DeploymentStatus::Successful => DeployOutcome::Successful,
            Some(d) if !followed.timed_out => {
                runner.warn(format!(
                    "deployment {} of job {job} version {} {}: {} ({})",
                    d.id,
                    d.job_version,
                    d.status,
                    d.description,
                    d.health()
                ));
                self.after_failure(&mut runner, plan, &d, &mut out).await?
            }
            seen => {
                let state = seen.as_ref().map_or_else(
                    || "no deployment of the new version was created".to_owned(),
                    |d| format!("deployment {} is still {} ({})", d.id, d.status, d.health()),
                );
                runner.warn(format!(
                    "after {}s {state}: it is left as it is (Nomad's progress deadline decides it); look with `nomad \
                     job status -namespace {ns} {job}`",
                    self.opts.deployment_timeout.as_secs()
                ));
                if self.opts.auto_revert {
                    runner.skip("revert on failure", "the deployment did not end: nothing is reverted");
                }
                DeployOutcome::TimedOut
            }
        };
        out.report = runner.report;
        Ok(out)
    }

    /// Waits for the deployment of the registered version, then for it to end, with
    /// blocking queries, at most the deployment timeout.
    async fn follow(&self, progress: &Progress, plan: &DeployPlan, registered: &Registered) -> Result<Followed> {
        let (job, ns) = (plan.job_id.as_str(), plan.namespace.as_str());
        let timeout = self.opts.deployment_timeout;
        let started = Instant::now();
        let mut current: Option<DeploymentView> = None;
        let mut index = 0;
        loop {
            let round_start = Instant::now();
            let wait = timeout.saturating_sub(started.elapsed()).min(ROUND);
            let (seen, next) = match &current {
                None => {
                    let (d, next) = self.deployer.latest_deployment(ns, job, index, wait).await?;
                    // An older deployment (of the version before) is not ours.
                    (d.filter(|d| d.job_modify_index >= registered.job_modify_index), next)
                }
                Some(d) => {
                    let (d, next) = self.deployer.deployment(ns, &d.id, index, wait).await?;
                    (Some(d), next)
                }
            };
            let what = match &seen {
                Some(d) if ended(&d.status) => return Ok(Followed { deployment: seen, timed_out: false }),
                Some(d) => format!("deployment {} of job {job} version {} to end ({})", d.id, d.job_version, d.status),
                None => format!("a deployment of job {job} (JobModifyIndex {})", registered.job_modify_index),
            };
            if seen.is_some() {
                current = seen;
            }
            if started.elapsed() >= timeout {
                return Ok(Followed { deployment: current, timed_out: true });
            }
            let facts = current.iter().flat_map(|d| d.groups.iter().map(|(g, h)| format!("{g}: {h}"))).collect();
            progress.emit(Event::Waiting { what, elapsed: started.elapsed(), timeout, seen: facts });
            // An index that goes backwards (a server restored, another leader) restarts from a plain read.
            index = if next < index { 0 } else { next };
            let left = timeout.saturating_sub(started.elapsed());
            if let Some(rest) = MIN_ROUND.checked_sub(round_start.elapsed()) {
                tokio::time::sleep(rest.min(left)).await;
            }
        }
    }

    /// A failed deployment: left as it is, or reverted to the newest stable version.
    async fn after_failure(
        &self,
        runner: &mut Runner,
        plan: &DeployPlan,
        failed: &DeploymentView,
        out: &mut DeployReport,
    ) -> Result<DeployOutcome> {
        let (job, ns) = (plan.job_id.as_str(), plan.namespace.as_str());
        let step = "revert on failure";
        if !self.opts.auto_revert {
            runner.skip(
                step,
                format!(
                    "not asked (--auto-revert): version {} is left as it is for inspection; `nomad job revert \
                     -namespace {ns} {job} <version>` goes back by hand",
                    failed.job_version
                ),
            );
            return Ok(DeployOutcome::Failed);
        }
        let versions = self.deployer.versions(ns, job, false).await?;
        let newest = versions.versions.first().map(|v| v.version);
        if newest != Some(failed.job_version) {
            runner.skip(
                step,
                format!(
                    "job {job} is at version {} now, not the failed version {} (Nomad's own auto_revert or another \
                     change): nothing is reverted",
                    newest.map_or_else(|| "none".to_owned(), |v| v.to_string()),
                    failed.job_version
                ),
            );
            return Ok(DeployOutcome::Failed);
        }
        let Some(target) = versions.stable_before(failed.job_version) else {
            runner.skip(
                step,
                format!("job {job} has no stable version before {}: nothing is reverted", failed.job_version),
            );
            return Ok(DeployOutcome::Failed);
        };
        let from = failed.job_version;
        let deployer = &self.deployer;
        let reverted = runner
            .step(&format!("revert {job} to version {}", target.version), async {
                match deployer.revert(ns, job, target.version, from).await? {
                    Registration::Registered(r) => Ok(r),
                    Registration::Conflict { nomad_says } => Err(Error::Conflict(format!(
                        "job {job} in {ns} changed after its deployment of version {from} failed, and Nomad refused \
                         the revert to version {}: {nomad_says}. Nothing was reverted",
                        target.version
                    ))),
                }
            })
            .await?;
        // The diff of the newest version (the revert) to the failed one; a diff that cannot be
        // read does not undo the revert.
        let diff = match self.deployer.versions(ns, job, true).await {
            Ok(v) => v.diffs.into_iter().next(),
            Err(e) => {
                runner.warn(format!("cannot read the diff of the revert: {}", e.with_causes()));
                None
            }
        };
        out.revert = Some(Revert { from_version: from, to_version: target.version, eval_id: reverted.eval_id, diff });
        Ok(DeployOutcome::Reverted)
    }
}
