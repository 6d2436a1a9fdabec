use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use nomad_client::{NomadClient, QueryOptions, RegisterOptions, StopOptions, WriteOptions};

use super::{JobSource, err};
use crate::capability::{JobState, Scheduler};
use crate::{Error, Result};

/// [`Scheduler`] over Nomad: jobs are read and stopped by exact ID in the namespace, and
/// started from the spec a [`JobSource`] provides.
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
}

#[async_trait]
impl Scheduler for NomadScheduler {
    async fn namespace_exists(&self, namespace: &str) -> Result<bool> {
        crate::input::validate_namespace(namespace)?;
        match self.nomad.namespaces().read(namespace).await {
            Ok(_) => Ok(true),
            Err(e) if e.is_not_found() => Ok(false),
            Err(e) => Err(err(e)),
        }
    }

    async fn job_state(&self, namespace: &str, job: &str) -> Result<JobState> {
        crate::input::validate_job_name(job)?;
        let found = match self.nomad.jobs().read(job, &Self::query(namespace)).await {
            Ok(j) => j.value,
            Err(e) if e.is_not_found() => return Ok(JobState::Absent),
            Err(e) => return Err(err(e)),
        };
        Ok(match (found.stop.unwrap_or(false), found.status.as_deref()) {
            (true, _) | (false, Some("dead")) => JobState::Dead,
            (false, Some("running")) => JobState::Running,
            _ => JobState::Pending,
        })
    }

    async fn start_job(&self, namespace: &str, job: &str) -> Result<()> {
        if self.job_state(namespace, job).await? == JobState::Running {
            return Ok(());
        }
        let spec = self.source.job_spec(namespace, job).await?.ok_or_else(|| {
            Error::backend_msg("Nomad scheduler", format!("the job source has no spec for job {job} in {namespace}"))
        })?;
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
        let started = Instant::now();
        let mut index = 0;
        loop {
            let left = timeout.saturating_sub(started.elapsed());
            if left.is_zero() {
                return Err(Error::Timeout { what: format!("an allocation of job {job} to run"), after: timeout });
            }
            // A blocking query on the job's allocations returns as soon as one changes.
            let opts = Self::query(namespace).blocking(index, left.min(Duration::from_secs(30)));
            let allocs = self.nomad.jobs().allocations(job, false, &opts).await.map_err(err)?;
            if allocs.value.iter().any(|a| a.client_status == "running") {
                return Ok(());
            }
            if let Some(failed) = allocs.value.iter().find(|a| a.client_status == "failed") {
                tracing::warn!(alloc = %failed.id, job, "an allocation failed; waiting for a replacement");
            }
            index = allocs.meta.last_index.max(index);
        }
    }
}
