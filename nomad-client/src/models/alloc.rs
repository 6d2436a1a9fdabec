//! Allocations: one placement of a task group on a client.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::job::Job;
use crate::vocab::{AllocClientStatus, AllocDesiredStatus, TaskStatus};

/// An allocation as `GET /v1/allocation/:id` and the list endpoints return it
/// (the list rows leave `job` empty).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Allocation {
    /// Allocation ID.
    #[serde(rename = "ID")]
    pub id: String,
    /// Namespace.
    pub namespace: String,
    /// Evaluation that placed it.
    #[serde(rename = "EvalID")]
    pub eval_id: String,
    /// Name, e.g. `dbHA1.database[0]`.
    pub name: String,
    /// Client node ID.
    #[serde(rename = "NodeID")]
    pub node_id: String,
    /// Client node name.
    pub node_name: String,
    /// Job ID.
    #[serde(rename = "JobID")]
    pub job_id: String,
    /// Job version the allocation runs.
    pub job_version: Option<u64>,
    /// The job at placement time (read endpoint only).
    pub job: Option<Job>,
    /// Task group name.
    pub task_group: String,
    /// What the scheduler wants: `run`, `stop`, `evict`.
    pub desired_status: AllocDesiredStatus,
    /// What the client reports: `pending`, `running`, `complete`, `failed`, `lost`, `unknown`.
    pub client_status: AllocClientStatus,
    /// What the scheduler is to do with it next, e.g. migrate it off a
    /// draining node; `None` when Nomad sends none (the 1.1.2 node list leaves
    /// it out of allocations that never had one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub desired_transition: Option<DesiredTransition>,
    /// Why the client status is what it is.
    pub client_description: String,
    /// State of each task.
    pub task_states: Option<BTreeMap<String, TaskState>>,
    /// Deployment the allocation belongs to.
    #[serde(rename = "DeploymentID")]
    pub deployment_id: Option<String>,
    /// Creation index.
    pub create_index: u64,
    /// Last modification index.
    pub modify_index: u64,
    /// Creation time (Unix nanoseconds).
    pub create_time: i64,
    /// Last modification time (Unix nanoseconds).
    pub modify_time: i64,
    /// Every field not modelled above (resources, metrics, network status...).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Allocation {
    /// True when the client runs it and the scheduler wants it to run.
    #[must_use]
    pub fn is_running(&self) -> bool {
        self.client_status == AllocClientStatus::Running && self.desired_status == AllocDesiredStatus::Run
    }

    /// First 8 characters of the ID, as the CLI shows it.
    #[must_use]
    pub fn short_id(&self) -> &str {
        self.id.get(..8).unwrap_or(&self.id)
    }
}

/// An allocation's `DesiredTransition`: each flag `None` when unset, as Nomad sends it.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DesiredTransition {
    /// Set by a node drain: the allocation is to move to another node.
    pub migrate: Option<bool>,
    /// The allocation failed and is to be rescheduled.
    pub reschedule: Option<bool>,
    /// Reschedule it now even if its reschedule policy would not (`nomad job eval -force-reschedule`).
    pub force_reschedule: Option<bool>,
    /// Every flag not modelled above (newer Nomad versions add some).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl DesiredTransition {
    /// True when the allocation is marked to migrate (Go's `ShouldMigrate`).
    #[must_use]
    pub fn should_migrate(&self) -> bool {
        self.migrate == Some(true)
    }
}

/// State of one task of an allocation.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct TaskState {
    /// `pending`, `running` or `dead`.
    pub state: TaskStatus,
    /// True when the task failed.
    pub failed: bool,
    /// Number of restarts.
    pub restarts: u64,
    /// Start time (RFC 3339).
    pub started_at: Option<String>,
    /// Finish time (RFC 3339).
    pub finished_at: Option<String>,
    /// Task events, kept as sent.
    pub events: Option<Vec<Value>>,
    /// Every field not modelled above (`LastRestart`, `TaskHandle`...).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// What stopping an allocation answers.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AllocStopResponse {
    /// Evaluation created.
    #[serde(rename = "EvalID")]
    pub eval_id: String,
    /// Raft index of the write.
    pub index: u64,
}
