//! Scheduling the database cluster's jobs.

use std::time::Duration;

use async_trait::async_trait;
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

/// Starts and stops the jobs of a database cluster (Nomad, or local processes).
///
/// Jobs are always addressed by exact ID inside a namespace.
#[async_trait]
pub trait Scheduler: Send + Sync {
    /// True when the namespace exists.
    async fn namespace_exists(&self, namespace: &str) -> Result<bool>;

    /// The state of one job.
    async fn job_state(&self, namespace: &str, job: &str) -> Result<JobState>;

    /// Starts (registers) a job. Starting a running job is a no-op.
    async fn start_job(&self, namespace: &str, job: &str) -> Result<()>;

    /// Stops a job; with `purge` it is also removed, so nothing is left dead.
    /// Stopping an absent job is a no-op.
    async fn stop_job(&self, namespace: &str, job: &str, purge: bool) -> Result<()>;

    /// Waits until an allocation of the job runs, at most `timeout`.
    async fn wait_running(&self, namespace: &str, job: &str, timeout: Duration) -> Result<()>;

    /// The states of several jobs, in the order given.
    async fn job_states(&self, namespace: &str, jobs: &[String]) -> Result<Vec<(String, JobState)>> {
        let mut out = Vec::with_capacity(jobs.len());
        for job in jobs {
            out.push((job.clone(), self.job_state(namespace, job).await?));
        }
        Ok(out)
    }
}
