//! The models the catalog, health and agent APIs share: a node, a service
//! instance, a health check and its status (Consul's `structs` the three
//! endpoints answer with). Each API's own request and answer types live in
//! its module.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A node in the catalog.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Node {
    /// Node ID (empty for external nodes registered through the catalog).
    #[serde(rename = "ID", default)]
    pub id: String,
    /// Node name.
    pub node: String,
    /// Node address.
    #[serde(default)]
    pub address: String,
    /// Datacenter.
    #[serde(default)]
    pub datacenter: String,
    /// Tagged addresses (`lan`, `wan`, ...).
    #[serde(default, deserialize_with = "crate::de::null_default")]
    pub tagged_addresses: BTreeMap<String, String>,
    /// Node metadata.
    #[serde(default, deserialize_with = "crate::de::null_default")]
    pub meta: BTreeMap<String, String>,
    /// Raft index of creation.
    #[serde(default)]
    pub create_index: u64,
    /// Raft index of the last change.
    #[serde(default)]
    pub modify_index: u64,
}

/// A service instance as the agent and the health endpoints describe it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AgentService {
    /// Service ID (unique per node), e.g. `_nomad-task-<alloc>-...`.
    #[serde(rename = "ID")]
    pub id: String,
    /// Service name.
    pub service: String,
    /// Tags.
    #[serde(default, deserialize_with = "crate::de::null_default")]
    pub tags: Vec<String>,
    /// Service address (empty: the node's address).
    #[serde(default)]
    pub address: String,
    /// Port.
    #[serde(default)]
    pub port: u16,
    /// Service metadata.
    #[serde(default, deserialize_with = "crate::de::null_default")]
    pub meta: BTreeMap<String, String>,
    /// Service kind (`""` for a typical service, `connect-proxy`, ...).
    #[serde(default)]
    pub kind: String,
    /// Whether tags may be changed by anti-entropy from the catalog.
    #[serde(default)]
    pub enable_tag_override: bool,
    /// Namespace (Consul Enterprise and newer versions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Datacenter (agent endpoints of newer versions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub datacenter: Option<String>,
    /// Raft index of creation (0 on agent endpoints).
    #[serde(default)]
    pub create_index: u64,
    /// Raft index of the last change.
    #[serde(default)]
    pub modify_index: u64,
}

impl AgentService {
    /// The address to connect to: the service address, else `node_address`.
    #[must_use]
    pub fn effective_address<'a>(&'a self, node_address: &'a str) -> &'a str {
        if self.address.is_empty() { node_address } else { &self.address }
    }
}

/// A check status.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HealthStatus {
    /// The check passes.
    Passing,
    /// The check warns.
    Warning,
    /// The check fails.
    Critical,
    /// The node or service is in maintenance mode.
    Maintenance,
    /// A status this crate does not know (kept as sent).
    #[serde(untagged)]
    Other(String),
}

impl HealthStatus {
    /// The status as Consul spells it.
    #[must_use]
    pub fn as_str(&self) -> &str {
        match self {
            Self::Passing => "passing",
            Self::Warning => "warning",
            Self::Critical => "critical",
            Self::Maintenance => "maintenance",
            Self::Other(s) => s,
        }
    }
}

impl std::fmt::Display for HealthStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A health check's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct HealthCheck {
    /// Node the check runs on.
    pub node: String,
    /// Check ID, e.g. `service:web-1` or `_nomad-check-<hash>`.
    #[serde(rename = "CheckID")]
    pub check_id: String,
    /// Check name.
    #[serde(default)]
    pub name: String,
    /// Current status.
    pub status: HealthStatus,
    /// Human notes.
    #[serde(default)]
    pub notes: String,
    /// Output of the last run.
    #[serde(default)]
    pub output: String,
    /// Service ID the check belongs to (empty for a node check).
    #[serde(rename = "ServiceID", default)]
    pub service_id: String,
    /// Service name the check belongs to.
    #[serde(default)]
    pub service_name: String,
    /// Tags of that service.
    #[serde(default, deserialize_with = "crate::de::null_default")]
    pub service_tags: Vec<String>,
    /// Check type (`ttl`, `http`, `tcp`, ... or empty).
    #[serde(rename = "Type", default)]
    pub check_type: String,
    /// Raft index of creation.
    #[serde(default)]
    pub create_index: u64,
    /// Raft index of the last change.
    #[serde(default)]
    pub modify_index: u64,
}

/// Check definitions keyed by ID, as `/v1/agent/checks` returns them.
pub type CheckMap = BTreeMap<String, HealthCheck>;

#[cfg(test)]
mod tests {
    use super::HealthStatus;

    #[test]
    fn statuses_decode_including_unknown_ones() {
        let parsed: Vec<HealthStatus> =
            serde_json::from_str(r#"["passing","warning","critical","maintenance","degraded"]"#).unwrap();
        assert_eq!(parsed[2], HealthStatus::Critical);
        assert_eq!(parsed[4], HealthStatus::Other("degraded".into()));
        assert_eq!(parsed[4].to_string(), "degraded");
        assert_eq!(serde_json::to_string(&HealthStatus::Warning).unwrap(), r#""warning""#);
    }
}
