//! Where job specs come from when a scheduler must start a job.

use async_trait::async_trait;
use serde_json::Value;

use crate::Result;

/// Where the [`NomadScheduler`](crate::adapters::nomad::NomadScheduler) gets the spec of a job it must start.
///
/// Implement it to render specs with the team's deploy tool; the SDK ships a directory of
/// Nomad JSON job files ([`DirJobSource`](crate::adapters::local::DirJobSource)) and "the job's last version" ([`LastVersionSource`](crate::adapters::nomad::LastVersionSource)).
#[async_trait]
pub trait JobSource: Send + Sync {
    /// The job as Nomad JSON (the value of `"Job"`), or `None` when this source has no spec.
    async fn job_spec(&self, namespace: &str, job: &str) -> Result<Option<Value>>;
}
