//! What a deploy run did: the registration, the deployment as last seen, the outcome and
//! the revert with its version diff.

use serde::{Deserialize, Serialize};

use crate::Report;
use crate::ports::{DeploymentView, JobChange, Registered};

/// How a deploy ended.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeployOutcome {
    /// The job file matches what runs: nothing was registered.
    #[default]
    Unchanged,
    /// Registered; the job's type has no deployment to follow (batch, system).
    Registered,
    /// The deployment succeeded.
    Successful,
    /// The deployment failed (or was cancelled) and was left as it is.
    Failed,
    /// The deployment failed and the newest stable version before it was registered again.
    Reverted,
    /// The deployment had not ended when the time allowed ran out; it was left running.
    TimedOut,
}

impl DeployOutcome {
    /// True when the job now runs what was asked for (or already did).
    #[must_use]
    pub fn is_success(self) -> bool {
        matches!(self, Self::Unchanged | Self::Registered | Self::Successful)
    }
}

/// A revert after a failed deployment.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revert {
    /// The version whose deployment failed.
    pub from_version: u64,
    /// The stable version registered again.
    pub to_version: u64,
    /// The evaluation the revert created.
    pub eval_id: String,
    /// What the revert changed in the failed version (Nomad's diff of the new version to
    /// the one before), when Nomad gave it.
    pub diff: Option<JobChange>,
}

/// The outcome of a deploy.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeployReport {
    /// Steps, warnings.
    pub report: Report,
    /// The job.
    pub job_id: String,
    /// Its namespace.
    pub namespace: String,
    /// How it ended.
    pub outcome: DeployOutcome,
    /// The registration, when there was one.
    pub registered: Option<Registered>,
    /// The deployment as last seen, when there was one.
    pub deployment: Option<DeploymentView>,
    /// The revert, when there was one.
    pub revert: Option<Revert>,
}
