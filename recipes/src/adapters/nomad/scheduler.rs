use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use nomad_client::{
    Allocation, ClientError, JobStatus, LogType, LogsOptions, NomadClient, QueryOptions, RegisterOptions, StopOptions,
    TaskStatus, WriteOptions,
};
use serde_json::Value;

use super::err;
use crate::ports::JobSource;
use crate::ports::{JobDiagnosis, JobSpec, JobState, Scheduler, TaskGroupSpec};
use crate::{Error, Result};

/// Lines of a task's stderr a diagnosis carries.
const STDERR_LINES: usize = 5;

/// [`Scheduler`] over Nomad: jobs are read and stopped by exact ID in the namespace, and
/// started from the spec a [`JobSource`] provides.
///
/// While a recipe waits for a job, [`Scheduler::diagnose`] reads the newest allocation
/// (client status, the task's restart count and last event, the last lines of its stderr),
/// and [`Scheduler::wait_running`] is [`nomad_client::Allocations::wait_running`]: it fails
/// as soon as an allocation failed and nothing replaces it instead of waiting its whole bound.
///
/// Deployment notes for the Patroni jobs (seen on Nomad 1.1.2 with `raw_exec`):
/// - run Patroni as `postgres` with `setpriv --reuid=postgres --regid=postgres
///   --init-groups -- patroni ...` and set `kill_signal = "SIGTERM"` in the task: Patroni
///   then stops PostgreSQL and releases its keys within a second. A `runuser -u postgres --`
///   wrapper does not forward Nomad's default kill signal; Nomad SIGKILLs Patroni after
///   `kill_timeout`, leaving its `leader`/`members/*` keys and critical catalog checks behind
///   until the session expires;
/// - after `stop -purge` of the members, Patroni's Consul sessions need about 30 s (the TTL)
///   to expire: only then is the scope's state free to be removed;
/// - patronictl 3.0.2 refuses a `CONSUL_HTTP_ADDR` with a scheme (`http://...`): give it
///   `host:port` in the job's environment.
#[derive(Clone)]
pub struct NomadScheduler {
    nomad: NomadClient,
    source: Arc<dyn JobSource>,
}

impl std::fmt::Debug for NomadScheduler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NomadScheduler").field("nomad", &self.nomad).finish_non_exhaustive()
    }
}

impl NomadScheduler {
    /// Uses `nomad` and starts jobs from `source`.
    pub fn new(nomad: NomadClient, source: Arc<dyn JobSource>) -> Self {
        Self { nomad, source }
    }

    fn query(namespace: &str) -> QueryOptions {
        QueryOptions { namespace: Some(namespace.to_owned()), ..QueryOptions::default() }
    }

    fn write(namespace: &str) -> WriteOptions {
        WriteOptions { namespace: Some(namespace.to_owned()), ..WriteOptions::default() }
    }

    async fn diagnosis_of(&self, namespace: &str, alloc: &Allocation) -> JobDiagnosis {
        let mut d = diagnosis(alloc);
        let task = pick_task(alloc);
        if let Some(task) = task {
            let mut opts = LogsOptions::tail(LogType::Stderr, 0, false);
            opts.query = Self::query(namespace);
            match self.nomad.allocations().tail_lines(&alloc.id, &task, STDERR_LINES, &opts).await {
                Ok(lines) => d.set_stderr(lines),
                Err(e) => tracing::debug!(alloc = %alloc.id, %task, error = %e, "cannot read the task's stderr"),
            }
        }
        d
    }
}

/// The spec's parts preflight checks, from Nomad JSON (`ID`, `Namespace`, `TaskGroups[].Name`,
/// `TaskGroups[].Tasks[].Name`).
pub(crate) fn parse_spec(value: &Value) -> JobSpec {
    let text = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
    let groups = value
        .get("TaskGroups")
        .and_then(Value::as_array)
        .map(|groups| {
            groups
                .iter()
                .map(|g| TaskGroupSpec {
                    name: text(g, "Name").unwrap_or_default(),
                    tasks: g
                        .get("Tasks")
                        .and_then(Value::as_array)
                        .map(|ts| ts.iter().filter_map(|t| text(t, "Name")).collect())
                        .unwrap_or_default(),
                })
                .collect()
        })
        .unwrap_or_default();
    JobSpec { id: text(value, "ID").unwrap_or_default(), namespace: text(value, "Namespace"), groups }
}

/// The allocation's state without its logs.
fn diagnosis(alloc: &Allocation) -> JobDiagnosis {
    let mut d = JobDiagnosis::new();
    d.allocation = Some(alloc.short_id().to_owned());
    d.status = Some(alloc.client_status.clone());
    if let Some(task) = pick_task(alloc) {
        let state = alloc.task_states.as_ref().and_then(|s| s.get(&task)).cloned().unwrap_or_default();
        d.task_state = Some(state.state.clone());
        d.failed = state.failed;
        d.restarts = state.restarts;
        d.last_event = state.events.as_ref().and_then(|e| e.last()).map(|e| {
            let kind = e.get("Type").and_then(Value::as_str).unwrap_or("event");
            match e.get("DisplayMessage").and_then(Value::as_str).filter(|m| !m.is_empty()) {
                Some(msg) => format!("{kind}: {msg}"),
                None => kind.to_owned(),
            }
        });
    }
    d
}

/// The task that explains the allocation: a failed or dead one first, else the first.
fn pick_task(alloc: &Allocation) -> Option<String> {
    let states = alloc.task_states.as_ref()?;
    states
        .iter()
        .find(|(_, s)| s.failed || s.state == TaskStatus::Dead)
        .or_else(|| states.iter().next())
        .map(|(name, _)| name.clone())
}

fn newest(allocs: &[Allocation]) -> Option<&Allocation> {
    allocs.iter().max_by_key(|a| (a.create_index, a.modify_index))
}

#[async_trait]
impl Scheduler for NomadScheduler {
    async fn namespace_exists(&self, namespace: &str) -> Result<bool> {
        crate::input::validate_namespace(namespace)?;
        match self.nomad.namespaces().get(namespace, &QueryOptions::default()).await {
            Ok(_) => Ok(true),
            Err(e) if e.is_not_found() => Ok(false),
            Err(e) => Err(err(e)),
        }
    }

    async fn job_state(&self, namespace: &str, job: &str) -> Result<JobState> {
        crate::input::validate_job_name(job)?;
        let found = match self.nomad.jobs().get(job, &Self::query(namespace)).await {
            Ok(j) => j.value,
            Err(e) if e.is_not_found() => return Ok(JobState::Absent),
            Err(e) => return Err(err(e)),
        };
        Ok(match (found.stop.unwrap_or(false), found.status) {
            (true, _) | (false, Some(JobStatus::Dead)) => JobState::Dead,
            (false, Some(JobStatus::Running)) => JobState::Running,
            _ => JobState::Pending,
        })
    }

    async fn job_spec(&self, namespace: &str, job: &str) -> Result<Option<JobSpec>> {
        crate::input::validate_job_name(job)?;
        Ok(self.source.job_spec(namespace, job).await?.as_ref().map(parse_spec))
    }

    async fn start_job(&self, namespace: &str, job: &str) -> Result<()> {
        if self.job_state(namespace, job).await? == JobState::Running {
            return Ok(());
        }
        let spec = self.source.job_spec(namespace, job).await?.ok_or_else(|| {
            Error::backend_msg("Nomad scheduler", format!("the job source has no spec for job {job} in {namespace}"))
        })?;
        let problems = parse_spec(&spec).problems(namespace, job);
        if !problems.is_empty() {
            return Err(Error::backend_msg(
                "Nomad scheduler",
                format!("the spec of job {job} cannot start it in {namespace}: {}", problems.join("; ")),
            ));
        }
        let opts = RegisterOptions { write: Self::write(namespace), ..RegisterOptions::default() };
        self.nomad.jobs().register_json(&spec, &opts).await.map_err(err)?;
        Ok(())
    }

    async fn stop_job(&self, namespace: &str, job: &str, purge: bool) -> Result<()> {
        if self.job_state(namespace, job).await? == JobState::Absent {
            return Ok(());
        }
        let opts = StopOptions { write: Self::write(namespace), purge, ..StopOptions::default() };
        self.nomad.jobs().stop(job, &opts).await.map_err(err)?;
        Ok(())
    }

    async fn wait_running(&self, namespace: &str, job: &str, timeout: Duration) -> Result<()> {
        crate::input::validate_job_name(job)?;
        let query = Self::query(namespace);
        match self.nomad.allocations().wait_running(job, None, timeout, &query).await {
            Ok(_) => Ok(()),
            Err(nomad_client::Error::WaitTimeout { after, .. }) => {
                Err(Error::Timeout { what: format!("an allocation of job {job} to run"), after })
            }
            Err(nomad_client::Error::AllocationFailed { alloc_id, .. }) => {
                // The diagnosis adds the task's restarts and stderr to what the wait saw.
                let allocs = self.nomad.jobs().allocations(job, false, &query).await.map_err(err)?.value;
                let summary = match allocs.iter().find(|a| a.id == alloc_id) {
                    Some(failed) => self.diagnosis_of(namespace, failed).await.summary(),
                    None => format!("allocation {alloc_id} failed and was garbage collected since"),
                };
                Err(Error::Conflict(format!(
                    "job {job} in {namespace} failed to start: {summary}. Fix the cause, then stop and purge the \
                     job and run again"
                )))
            }
            Err(e) => Err(err(e)),
        }
    }

    async fn diagnose(&self, namespace: &str, job: &str) -> Result<Option<JobDiagnosis>> {
        crate::input::validate_job_name(job)?;
        let allocs = match self.nomad.jobs().allocations(job, false, &Self::query(namespace)).await {
            Ok(a) => a.value,
            Err(e) if e.is_not_found() => return Ok(None),
            Err(e) => return Err(err(e)),
        };
        match newest(&allocs) {
            None => Ok(None),
            Some(alloc) => Ok(Some(self.diagnosis_of(namespace, alloc).await)),
        }
    }
}
