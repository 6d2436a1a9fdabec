//! Deployments of job versions.

use std::collections::BTreeMap;

use crate::vocab::DeploymentStatus;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A deployment of a job version.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Deployment {
    /// Deployment ID.
    #[serde(rename = "ID")]
    pub id: String,
    /// Namespace.
    pub namespace: String,
    /// Job ID.
    #[serde(rename = "JobID")]
    pub job_id: String,
    /// Job version deployed.
    pub job_version: u64,
    /// State per task group (canaries, healthy counts...), kept as sent.
    pub task_groups: BTreeMap<String, Value>,
    /// `running`, `paused`, `failed`, `successful`, `cancelled`...
    pub status: DeploymentStatus,
    /// Why the status is what it is.
    pub status_description: String,
    /// Creation index.
    pub create_index: u64,
    /// Last modification index.
    pub modify_index: u64,
    /// Every field not modelled above.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// What promote and fail answer.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DeploymentUpdateResponse {
    /// Evaluation created.
    #[serde(rename = "EvalID")]
    pub eval_id: String,
    /// Index of the evaluation's creation.
    pub eval_create_index: u64,
    /// Index of the deployment's modification.
    pub deployment_modify_index: u64,
    /// Job version reverted to, when the failure triggered an auto-revert.
    pub reverted_job_version: Option<u64>,
    /// Raft index of the write.
    pub index: u64,
}
