//! Namespaces, deployments, evaluations, agent, ACL and file-system models.

use std::collections::BTreeMap;

use client_core::Secret;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A namespace.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Namespace {
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Quota specification attached (Enterprise), empty when none.
    pub quota: String,
    /// Metadata (Nomad 1.2+).
    pub meta: Option<BTreeMap<String, String>>,
    /// Creation index.
    pub create_index: u64,
    /// Last modification index.
    pub modify_index: u64,
}

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
    /// `running`, `paused`, `failed`, `successful`, `cancelled`.
    pub status: String,
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
    /// Scheduler type.
    #[serde(rename = "Type")]
    pub eval_type: String,
    /// What triggered it, e.g. `job-register`.
    pub triggered_by: String,
    /// Job ID.
    #[serde(rename = "JobID")]
    pub job_id: String,
    /// `pending`, `complete`, `failed`, `blocked`, `canceled`.
    pub status: String,
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

/// An ACL token. The secret is redacted in Debug output.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AclToken {
    /// Public ID.
    #[serde(rename = "AccessorID")]
    pub accessor_id: String,
    /// The secret sent as `X-Nomad-Token`.
    #[serde(rename = "SecretID")]
    pub secret_id: Secret,
    /// Name.
    pub name: String,
    /// `client` or `management`.
    #[serde(rename = "Type")]
    pub token_type: String,
    /// Policies of a client token.
    pub policies: Option<Vec<String>>,
    /// Replicated to every region.
    pub global: bool,
    /// Creation time (RFC 3339).
    pub create_time: String,
    /// Creation index.
    pub create_index: u64,
    /// Last modification index.
    pub modify_index: u64,
}

/// `GET /v1/agent/members`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AgentMembers {
    /// Name of the answering server.
    pub server_name: String,
    /// Its region.
    pub server_region: String,
    /// Its datacenter.
    #[serde(rename = "ServerDC")]
    pub server_dc: String,
    /// Gossip members (servers).
    pub members: Vec<AgentMember>,
}

/// A server in the gossip pool.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AgentMember {
    /// Name, `node.region`.
    pub name: String,
    /// Address.
    pub addr: String,
    /// Gossip port.
    pub port: u16,
    /// Tags (role, region, dc, build...).
    pub tags: BTreeMap<String, String>,
    /// `alive`, `left`, `failed`.
    pub status: String,
}

/// `GET /v1/agent/self`: the agent's configuration, membership and stats.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct AgentSelf {
    /// Configuration, kept as sent.
    pub config: Value,
    /// The agent's own membership (servers only).
    pub member: Option<AgentMember>,
    /// Runtime statistics, kept as sent.
    pub stats: Value,
}

/// A file or directory of an allocation (`fs/ls`, `fs/stat`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct FileInfo {
    /// Name.
    pub name: String,
    /// True for a directory.
    pub is_dir: bool,
    /// Size in bytes.
    pub size: u64,
    /// Mode as `ls -l` shows it.
    pub file_mode: String,
    /// Modification time (RFC 3339).
    pub mod_time: String,
    /// Content type guessed by the client.
    pub content_type: String,
}
