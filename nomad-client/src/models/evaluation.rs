//! Evaluations: the scheduler's unit of work.

use std::collections::BTreeMap;

use crate::vocab::{EvaluationStatus, JobType};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// An evaluation.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Evaluation {
    /// Evaluation ID.
    #[serde(rename = "ID")]
    pub id: String,
    /// Namespace.
    pub namespace: String,
    /// Priority.
    pub priority: i64,
    /// Scheduler type (`_core` for the server's garbage collection, kept as unknown).
    #[serde(rename = "Type")]
    pub eval_type: JobType,
    /// What triggered it, e.g. `job-register`.
    pub triggered_by: String,
    /// Job ID.
    #[serde(rename = "JobID")]
    pub job_id: String,
    /// `pending`, `complete`, `failed`, `blocked`, `canceled`.
    pub status: EvaluationStatus,
    /// Why the status is what it is.
    pub status_description: String,
    /// Allocations still queued per group.
    pub queued_allocations: Option<BTreeMap<String, u64>>,
    /// Creation index.
    pub create_index: u64,
    /// Last modification index.
    pub modify_index: u64,
    /// Every field not modelled above.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
