//! Operator: Raft, autopilot, scheduler configuration, keyring, snapshots.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// `GET /v1/operator/raft/configuration`: the Raft peer set.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct RaftConfiguration {
    /// The servers of the configuration.
    pub servers: Vec<RaftServer>,
    /// Raft index of the configuration.
    pub index: u64,
}

/// One server of the Raft configuration.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct RaftServer {
    /// Raft ID (a UUID with Raft protocol 3).
    #[serde(rename = "ID")]
    pub id: String,
    /// Node name, e.g. `node1.global`.
    pub node: String,
    /// Raft address, `IP:port`.
    pub address: String,
    /// True for the leader.
    pub leader: bool,
    /// True when the server votes.
    pub voter: bool,
    /// Raft protocol version (a string, e.g. `"3"`).
    pub raft_protocol: String,
    /// Every field not modelled above.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Autopilot settings (`/v1/operator/autopilot/configuration`). Durations are Go durations (`200ms`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AutopilotConfiguration {
    /// Remove dead servers when a new one joins.
    pub cleanup_dead_servers: bool,
    /// Longest time a server may go without contact with the leader and stay healthy.
    pub last_contact_threshold: String,
    /// Most log entries a server may trail the leader by and stay healthy.
    pub max_trailing_logs: u64,
    /// Fewest servers dead-server cleanup leaves (the handler sends it; the docs sample omits it).
    pub min_quorum: u64,
    /// How long a new server must be healthy before it votes.
    pub server_stabilization_time: String,
    /// Enterprise: redundancy zones.
    pub enable_redundancy_zones: bool,
    /// Enterprise: no upgrade migration.
    pub disable_upgrade_migration: bool,
    /// Enterprise: custom upgrade versions.
    pub enable_custom_upgrades: bool,
    /// Creation index.
    pub create_index: u64,
    /// Last modification index: the `cas` of a checked update.
    pub modify_index: u64,
    /// Every field not modelled above.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `GET /v1/operator/autopilot/health`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AutopilotHealth {
    /// True when every server is healthy (Nomad answers HTTP 429 when not).
    pub healthy: bool,
    /// How many servers could fail without losing quorum.
    pub failure_tolerance: u64,
    /// Each server's health.
    pub servers: Vec<ServerHealth>,
    /// The leader's ID.
    pub leader: String,
    /// IDs of the voters.
    pub voters: Vec<String>,
    /// Every field not modelled above (Enterprise extensions).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The health of one server.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ServerHealth {
    /// Raft ID.
    #[serde(rename = "ID")]
    pub id: String,
    /// Node name.
    pub name: String,
    /// Raft address.
    pub address: String,
    /// Serf status, e.g. `alive`.
    pub serf_status: String,
    /// Nomad version.
    pub version: String,
    /// True for the leader.
    pub leader: bool,
    /// Time since the last contact with the leader (a Go duration).
    pub last_contact: String,
    /// Last Raft term.
    pub last_term: u64,
    /// Last Raft index.
    pub last_index: u64,
    /// True when healthy.
    pub healthy: bool,
    /// True when the server votes.
    pub voter: bool,
    /// Healthy since (RFC 3339).
    pub stable_since: String,
    /// Every field not modelled above.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Scheduler settings (`/v1/operator/scheduler/configuration`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct SchedulerConfiguration {
    /// `binpack` or `spread`.
    pub scheduler_algorithm: String,
    /// Preemption per scheduler type.
    pub preemption_config: PreemptionConfig,
    /// Memory oversubscription (`memory_max`).
    pub memory_oversubscription_enabled: bool,
    /// Refuse job registrations without a management token (1.3+).
    pub reject_job_registration: bool,
    /// Pause the leader's evaluation broker (1.3+).
    pub pause_eval_broker: bool,
    /// Creation index.
    #[serde(skip_serializing_if = "super::is_zero")]
    pub create_index: u64,
    /// Last modification index: the `cas` of a checked update.
    #[serde(skip_serializing_if = "super::is_zero")]
    pub modify_index: u64,
    /// Every field not modelled above.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Which schedulers may preempt lower-priority allocations.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct PreemptionConfig {
    /// System jobs.
    pub system_scheduler_enabled: bool,
    /// Sysbatch jobs.
    pub sys_batch_scheduler_enabled: bool,
    /// Batch jobs.
    pub batch_scheduler_enabled: bool,
    /// Service jobs.
    pub service_scheduler_enabled: bool,
    /// Every field not modelled above.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// What setting the scheduler configuration answers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct SchedulerSetResponse {
    /// With `cas`: whether the write won; without, always `false` (the write applied).
    pub updated: bool,
    /// Raft index of the write.
    pub index: u64,
}

/// A key of the variables/workload-identity keyring (1.4+): metadata only, never key material.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct KeyringKey {
    /// Key ID.
    #[serde(rename = "KeyID")]
    pub key_id: String,
    /// e.g. `aes256-gcm`.
    pub algorithm: String,
    /// `active`, `inactive`, `rekeying`, `deprecated`...
    pub state: String,
    /// Creation time (Unix nanoseconds).
    pub create_time: i64,
    /// Creation index.
    pub create_index: u64,
    /// Last modification index.
    pub modify_index: u64,
    /// Every field not modelled above.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// What [`crate::Operator::snapshot_save`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotSaved {
    /// Bytes written.
    pub bytes: u64,
    /// The server's `Digest` header (`sha-256=<base64>`), if it sent one.
    pub digest: Option<String>,
    /// True when the bytes were checked against a SHA-256 or SHA-512 digest.
    pub verified: bool,
    /// What the archive's own `meta.json` says (Raft index and term of the
    /// state it holds), read while the archive was checked.
    pub archive: client_core::snapshot::ArchiveMeta,
}
