//! The deploy's dry run: the job file read, the scheduler's plan with its diff, every
//! reason to refuse, and the steps.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Deploy;
use super::options::JobFile;
use crate::ports::{Change, JobPlan};
use crate::report::{Check, Plan, Step};
use crate::{Error, Result};

/// The dry run of a deploy: the generic plan, the scheduler's answer and what `run`
/// registers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeployPlan {
    /// Checks and steps.
    pub plan: Plan,
    /// The job ID.
    pub job_id: String,
    /// The namespace it goes to.
    pub namespace: String,
    /// The job's type (`service`, `batch`, `system`, `sysbatch`).
    pub job_type: String,
    /// The scheduler's dry run: diff, placements, failures, the `JobModifyIndex` enforced.
    pub dry_run: JobPlan,
    /// The version that runs now (`None`: a new job).
    pub current_version: Option<u64>,
    /// The stable version a failed deployment goes back to with `auto_revert`.
    pub revert_to: Option<u64>,
    /// The job as it will be registered (the value of `"Job"`); not serialized.
    #[serde(skip)]
    pub job: Value,
}

impl DeployPlan {
    /// True when the job file changes nothing.
    #[must_use]
    pub fn is_noop(&self) -> bool {
        self.plan.is_noop()
    }

    /// True for a system job (the dry run is worded for placement on every node).
    #[must_use]
    pub fn is_system(&self) -> bool {
        self.job_type == "system" || self.job_type == "sysbatch"
    }

    /// True when the job's type has deployments (service jobs).
    #[must_use]
    pub fn has_deployment(&self) -> bool {
        self.job_type == "service"
    }
}

const RECIPE: &str = "deploy";

impl Deploy {
    /// Dry run: reads the job, asks the scheduler's plan with the diff, and returns the
    /// steps, or [`Error::Refused`] with every reason (unplaceable groups, no stable version
    /// for `auto_revert`, a job file without ID or groups).
    pub async fn plan(&self) -> Result<DeployPlan> {
        let file = &self.opts.job;
        let job = match file {
            JobFile::Json { job, .. } => job.clone(),
            JobFile::Hcl { text, .. } => self.deployer.parse_hcl(text).await?,
        };
        let text = |k: &str| job.get(k).and_then(Value::as_str).unwrap_or_default().to_owned();
        let (job_id, job_type) = (text("ID"), text("Type"));
        let job_type = if job_type.is_empty() { "service".to_owned() } else { job_type };
        let groups: Vec<String> = job
            .get("TaskGroups")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|g| {
                let name = g.get("Name").and_then(Value::as_str).unwrap_or("(unnamed)");
                match g.get("Count").and_then(Value::as_u64) {
                    Some(n) => format!("{name} (count {n})"),
                    None => name.to_owned(),
                }
            })
            .collect();
        let file_check = format!("job file {}", file.name());
        let mut problems = Vec::new();
        if let Err(e) = crate::input::validate_job_name(&job_id) {
            problems.push(format!("its job ID is not usable: {e}"));
        }
        if groups.is_empty() {
            problems.push("it has no task group".to_owned());
        }
        if !problems.is_empty() {
            return Err(Error::Refused {
                recipe: RECIPE.into(),
                reasons: vec![format!("{file_check}: {}", problems.join("; "))],
            });
        }
        let mut checks =
            vec![Check::passed(file_check, format!("{job_type} job {job_id}, task groups {}", groups.join(", ")))];

        let dry_run = self.deployer.plan(self.opts.namespace.as_deref(), &job).await?;
        let ns = dry_run.namespace.clone();
        let versions = self.deployer.versions(&ns, &job_id, false).await?;
        let current = versions.versions.first().copied();
        checks.push(Check::passed(
            format!("job {job_id} in {ns}"),
            match current {
                Some(v) => format!(
                    "version {} runs (JobModifyIndex {}); the plan compared with JobModifyIndex {}",
                    v.version, v.job_modify_index, dry_run.job_modify_index
                ),
                None => "does not exist yet: registering creates it".to_owned(),
            },
        ));
        let unchanged = dry_run.diff.change == Change::None && current.is_some();
        checks.push(Check::passed("diff against what runs", diff_summary(&dry_run, unchanged)));
        if dry_run.failed.is_empty() {
            checks.push(Check::passed("scheduler dry-run", "every allocation can be placed"));
        }
        for f in &dry_run.failed {
            checks.push(Check::failed(
                format!("scheduler dry-run of task group {}", f.group),
                format!(
                    "cannot place {} allocation{}: {}",
                    f.allocations,
                    if f.allocations == 1 { "" } else { "s" },
                    if f.reasons.is_empty() { "the scheduler gave no reason".to_owned() } else { f.reasons.join("; ") }
                ),
            ));
        }
        for w in &dry_run.warnings {
            checks.push(Check::passed("scheduler warning", w.clone()));
        }
        let next = current.map_or(0, |v| v.version + 1);
        let revert_to = versions.stable_before(next).map(|v| v.version);
        if self.opts.auto_revert && !unchanged {
            checks.push(match revert_to {
                Some(v) => Check::passed("auto-revert", format!("a failed deployment goes back to stable version {v}")),
                None => Check::failed(
                    "auto-revert",
                    format!(
                        "job {job_id} has no stable version to go back to (a new job, or no deployment of it ever \
                         succeeded): deploy without --auto-revert"
                    ),
                ),
            });
        }
        let steps = if unchanged { Vec::new() } else { self.steps(&job_id, &ns, &job_type, &dry_run, revert_to) };
        let plan = Plan::from_checks(RECIPE, checks, steps)?;
        Ok(DeployPlan {
            plan,
            job_id,
            namespace: ns,
            job_type,
            dry_run,
            current_version: current.map(|v| v.version),
            revert_to,
            job,
        })
    }

    fn steps(&self, job: &str, ns: &str, job_type: &str, dry_run: &JobPlan, revert_to: Option<u64>) -> Vec<Step> {
        let mut steps = vec![Step::new(
            format!("register {job}"),
            format!(
                "register job {job} in {ns} with EnforceIndex {} (Nomad refuses if the job changed since this plan)",
                dry_run.job_modify_index
            ),
        )];
        if job_type == "service" {
            steps.push(Step::new(
                "follow deployment",
                format!(
                    "follow the new version's deployment, per group placed/healthy/unhealthy, until it succeeds or \
                     fails, at most {}s",
                    self.opts.deployment_timeout.as_secs()
                ),
            ));
            if let (true, Some(v)) = (self.opts.auto_revert, revert_to) {
                steps.push(Step::new(
                    "revert on failure",
                    format!("if the deployment fails, register stable version {v} again (EnforcePriorVersion = the failed version)"),
                ));
            }
        }
        steps
    }
}

/// `no change` or `job edited; group database: 1 create/destroy update`.
fn diff_summary(plan: &JobPlan, unchanged: bool) -> String {
    if unchanged {
        return "no change: what runs is this job file".to_owned();
    }
    let word = |c: Change| match c {
        Change::Added => "added",
        Change::Deleted => "removed",
        Change::Edited => "edited",
        Change::None => "unchanged",
    };
    let groups: Vec<String> = plan
        .diff
        .groups
        .iter()
        .map(|g| {
            let updates: Vec<String> = g.updates.iter().map(|(k, n)| format!("{n} {k}")).collect();
            let updates = if updates.is_empty() { String::new() } else { format!(": {}", updates.join(", ")) };
            format!("group {} {}{updates}", g.name, word(g.change))
        })
        .collect();
    format!("job {}; {}", word(plan.diff.change), groups.join("; "))
}
