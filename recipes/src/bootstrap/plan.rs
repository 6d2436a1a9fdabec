//! The bootstrap's dry run: every precondition checked against the live systems, and the
//! steps that remain.

use super::{Bootstrap, wait};
use crate::Result;
use crate::ports::{ClusterStatus, JobState, ScopeSnapshot, VolumeCheck};
use crate::report::{Check, Plan, Step};
use crate::run::scope_facts;

impl Bootstrap {
    /// Dry run: checks every precondition against the live systems and returns the steps,
    /// or [`Error::Refused`](crate::Error::Refused) with every reason.
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
