//! Scheduling the database cluster's jobs.

use std::time::Duration;

use async_trait::async_trait;
use nomad_client::{AllocClientStatus, TaskStatus};
use serde::{Deserialize, Serialize};

use crate::Result;

/// The state of one job as the recipes need it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    /// At least one allocation runs.
    Running,
    /// The job is registered and waiting for placement or start.
    Pending,
    /// The job was stopped (or finished) but not purged: it still exists.
    Dead,
    /// No job of that ID exists.
    Absent,
}

impl std::fmt::Display for JobState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Running => "running",
            Self::Pending => "pending",
            Self::Dead => "dead (stopped, not purged)",
            Self::Absent => "absent",
        })
    }
}

/// A job spec as the scheduler would start it, reduced to what preflight checks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobSpec {
    /// The job ID the spec registers.
    pub id: String,
    /// The namespace the spec names (`None`: it names none and gets the one asked for).
    pub namespace: Option<String>,
    /// Its task groups, in order.
    pub groups: Vec<TaskGroupSpec>,
}

/// One task group of a [`JobSpec`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskGroupSpec {
    /// The group's name.
    pub name: String,
    /// Its tasks' names.
    pub tasks: Vec<String>,
}

impl JobSpec {
    /// True when some group has a task named `task`.
    #[must_use]
    pub fn has_task(&self, task: &str) -> bool {
        self.groups.iter().any(|g| g.tasks.iter().any(|t| t == task))
    }

    /// `group g: tasks a, b; group h: task c`, for messages.
    #[must_use]
    pub fn describe(&self) -> String {
        let groups: Vec<String> =
            self.groups.iter().map(|g| format!("group {}: {}", g.name, g.tasks.join(", "))).collect();
        groups.join("; ")
    }

    /// Every reason the spec cannot start job `job` in `namespace`: another ID, another
    /// namespace, no group, a group without tasks.
    #[must_use]
    pub fn problems(&self, namespace: &str, job: &str) -> Vec<String> {
        let mut out = Vec::new();
        if self.id != job {
            out.push(format!("it registers job ID {:?}, not {job:?}", self.id));
        }
        if let Some(ns) = self.namespace.as_deref().filter(|ns| *ns != namespace) {
            out.push(format!("it names namespace {ns:?}, not {namespace:?}"));
        }
        if self.groups.is_empty() {
            out.push("it has no task group".to_owned());
        }
        for g in self.groups.iter().filter(|g| g.tasks.is_empty()) {
            out.push(format!("its group {:?} has no task", g.name));
        }
        out
    }
}

/// What the scheduler knows about a job's newest allocation, read while a recipe waits
/// for it so that a stuck wait says why.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct JobDiagnosis {
    /// The allocation (short ID, or the local process' description).
    pub allocation: Option<String>,
    /// The allocation's client status (`pending`, `running`, `failed`, `complete`, ...).
    pub status: Option<AllocClientStatus>,
    /// The task's state (`pending`, `running`, `dead`).
    pub task_state: Option<TaskStatus>,
    /// The task failed.
    pub failed: bool,
    /// Restarts of the task in this allocation.
    pub restarts: u64,
    /// The task's last event, e.g. `Not Restarting: Policy allows no restarts`.
    pub last_event: Option<String>,
    /// The last lines of the task's stderr.
    pub stderr_tail: Vec<String>,
}

impl JobDiagnosis {
    /// An empty diagnosis (nothing known yet); fill the fields and pass it on.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Keeps `lines` as the stderr tail, trimmed, with the value after any `password`,
    /// `secret` or `token` (`=` or `:`) replaced by `<redacted>`: diagnostics end up in
    /// progress events and errors, which must not carry secrets.
    pub fn set_stderr<I: IntoIterator<Item = S>, S: AsRef<str>>(&mut self, lines: I) {
        self.stderr_tail = lines.into_iter().map(|l| redact(l.as_ref().trim_end())).collect();
    }

    /// True when the task is dead and will not be restarted in this allocation (it failed,
    /// or the allocation ended): waiting longer cannot help.
    #[must_use]
    pub fn is_dead(&self) -> bool {
        self.task_state == Some(TaskStatus::Dead)
            && (self.failed || self.status.as_ref().is_some_and(|s| s.is_terminal()))
    }

    /// True when the task restarted at least `limit` times since it was started.
    #[must_use]
    pub fn is_restart_loop(&self, limit: u64) -> bool {
        limit > 0 && self.restarts >= limit
    }

    /// One line: `allocation 1a2b3c4d failed, task dead (failed), 3 restarts, last event
    /// "..."; stderr: ...`.
    #[must_use]
    pub fn summary(&self) -> String {
        let mut parts = Vec::new();
        match (&self.allocation, &self.status) {
            (Some(a), Some(s)) => parts.push(format!("allocation {a} {s}")),
            (Some(a), None) => parts.push(format!("allocation {a}")),
            (None, Some(s)) => parts.push(format!("allocation {s}")),
            (None, None) => parts.push("no allocation yet".to_owned()),
        }
        if let Some(t) = &self.task_state {
            parts.push(format!("task {t}{}", if self.failed { " (failed)" } else { "" }));
        }
        parts.push(format!("{} restart{}", self.restarts, if self.restarts == 1 { "" } else { "s" }));
        if let Some(e) = &self.last_event {
            parts.push(format!("last event {e:?}"));
        }
        let mut text = parts.join(", ");
        if !self.stderr_tail.is_empty() {
            text.push_str(&format!("; stderr: {}", self.stderr_tail.join(" | ")));
        }
        text
    }
}

/// `line` with the value following each `password`, `secret` or `token` (any case, then
/// `=` or `:`, optional spaces) replaced by `<redacted>`.
fn redact(line: &str) -> String {
    const WORDS: [&str; 3] = ["password", "secret", "token"];
    let lower = line.to_ascii_lowercase();
    let mut out = String::with_capacity(line.len());
    let mut at = 0;
    while at < line.len() {
        let next = WORDS.iter().filter_map(|w| lower[at..].find(w).map(|i| (at + i, w.len()))).min();
        let Some((start, len)) = next else { break };
        let mut value = start + len;
        let rest = &line[value..];
        let trimmed = rest.trim_start();
        if let Some(after) = trimmed.strip_prefix(['=', ':']) {
            let spaces = after.len() - after.trim_start().len();
            value += rest.len() - trimmed.len() + 1 + spaces;
            let end = line[value..].find(char::is_whitespace).map_or(line.len(), |i| value + i);
            if end > value {
                out.push_str(&line[at..value]);
                out.push_str("<redacted>");
                at = end;
                continue;
            }
        }
        out.push_str(&line[at..start + len]);
        at = start + len;
    }
    out.push_str(&line[at..]);
    out
}

/// Starts and stops the jobs of a database cluster (Nomad, or local processes).
///
/// Jobs are always addressed by exact ID inside a namespace.
#[async_trait]
pub trait Scheduler: Send + Sync {
    /// True when the namespace exists.
    async fn namespace_exists(&self, namespace: &str) -> Result<bool>;

    /// The state of one job.
    async fn job_state(&self, namespace: &str, job: &str) -> Result<JobState>;

    /// The spec [`Self::start_job`] would start, read and parsed (nothing is registered);
    /// `None` when the scheduler has no spec for the job. An unreadable or malformed spec
    /// is an error naming the file or source.
    async fn job_spec(&self, namespace: &str, job: &str) -> Result<Option<JobSpec>>;

    /// Starts (registers) a job. Starting a running job is a no-op.
    async fn start_job(&self, namespace: &str, job: &str) -> Result<()>;

    /// Stops a job; with `purge` it is also removed, so nothing is left dead.
    /// Stopping an absent job is a no-op.
    async fn stop_job(&self, namespace: &str, job: &str, purge: bool) -> Result<()>;

    /// Waits until an allocation of the job runs, at most `timeout`; fails early when the
    /// task is dead for good.
    async fn wait_running(&self, namespace: &str, job: &str, timeout: Duration) -> Result<()>;

    /// The job's newest allocation as the scheduler sees it (status, restarts, last event,
    /// last lines of stderr); `None` when the job has no allocation.
    async fn diagnose(&self, namespace: &str, job: &str) -> Result<Option<JobDiagnosis>>;

    /// The states of several jobs, in the order given.
    async fn job_states(&self, namespace: &str, jobs: &[String]) -> Result<Vec<(String, JobState)>> {
        let mut out = Vec::with_capacity(jobs.len());
        for job in jobs {
            out.push((job.clone(), self.job_state(namespace, job).await?));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stderr_lines_lose_their_secrets() {
        let mut d = JobDiagnosis::new();
        d.set_stderr([
            "connecting with password=hunter2 host=db  ",
            "PGPASSWORD: s3cr3t and Token = abc.def; rest",
            r#"FATAL:  password authentication failed for user "replicator""#,
            "secret",
        ]);
        assert_eq!(
            d.stderr_tail,
            [
                "connecting with password=<redacted> host=db",
                "PGPASSWORD: <redacted> and Token = <redacted> rest",
                r#"FATAL:  password authentication failed for user "replicator""#,
                "secret",
            ]
        );
    }
}
