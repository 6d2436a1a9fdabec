//! What surrounds a job: its validation, its submitted source (1.6+) and
//! the checks of its allocations (1.4+).

use std::collections::BTreeMap;

use client_core::Secret;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The answer of `PUT /v1/validate/job`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct JobValidateResponse {
    /// Whether the agent could check the drivers' configuration too.
    pub driver_config_validated: bool,
    /// One message per problem; empty when the job is valid.
    #[serde(deserialize_with = "super::null_is_default")]
    pub validation_errors: Vec<String>,
    /// All problems in one text.
    pub error: String,
    /// Warnings (a job with warnings is still valid).
    pub warnings: String,
}

impl JobValidateResponse {
    /// True when Nomad found no problem.
    #[must_use]
    pub fn is_valid(&self) -> bool {
        self.validation_errors.is_empty() && self.error.is_empty()
    }
}

/// The source a job version was submitted with (`GET /v1/job/:id/submission`,
/// Nomad 1.6+). HCL variables given on the command line or in the UI often
/// hold credentials, so their values are [`Secret`]s (Debug prints
/// `<redacted>`); the source itself is kept as text.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct JobSubmission {
    /// The job file as submitted.
    pub source: String,
    /// `hcl2` or `json`.
    pub format: String,
    /// `-var` values (name → value).
    #[serde(deserialize_with = "super::null_is_default")]
    pub variable_flags: BTreeMap<String, Secret>,
    /// The variables file content of the web UI.
    pub variables: Secret,
    /// Namespace.
    pub namespace: String,
    /// Job ID.
    #[serde(rename = "JobID")]
    pub job_id: String,
    /// The job version this source belongs to.
    pub version: u64,
    /// The job's modify index at submission.
    pub job_index: u64,
    /// Every field not modelled above.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One health check of an allocation (`GET /v1/allocation/:id/checks`, Nomad 1.4+,
/// checks of Nomad-native services).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AllocCheck {
    /// Check ID (the key of the answer's map).
    #[serde(rename = "ID")]
    pub id: String,
    /// Check name.
    pub check: String,
    /// The allocation's name, e.g. `example.cache[0]`.
    pub group: String,
    /// `healthiness` or `readiness`.
    pub mode: String,
    /// The check's last output.
    pub output: String,
    /// Service name.
    pub service: String,
    /// `success`, `failure` or `pending`.
    pub status: String,
    /// When it last ran (Unix seconds).
    pub timestamp: i64,
    /// Every field not modelled above.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Resource usage of an allocation (`GET /v1/client/allocation/:id/stats`) or of
/// one of its tasks: memory, CPU and device statistics kept as Nomad sends them.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AllocStats {
    /// `MemoryStats`, `CpuStats`, `DeviceStats`.
    pub resource_usage: Map<String, Value>,
    /// Usage per task (each with its `ResourceUsage`, `Timestamp` and `Pids`).
    #[serde(deserialize_with = "super::null_is_default")]
    pub tasks: BTreeMap<String, AllocStats>,
    /// When it was measured (Unix nanoseconds).
    pub timestamp: i64,
    /// Every field not modelled above (`Pids` of a task...).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl AllocStats {
    /// Resident memory in bytes (`MemoryStats.RSS`), when measured.
    #[must_use]
    pub fn rss_bytes(&self) -> Option<u64> {
        self.resource_usage.get("MemoryStats")?.get("RSS")?.as_u64()
    }
}
