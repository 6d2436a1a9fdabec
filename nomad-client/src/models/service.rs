//! Nomad-native service discovery (1.3+) and node pools (1.6+).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// One row of `GET /v1/services`: a namespace and its services.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ServiceNamespace {
    /// Namespace.
    pub namespace: String,
    /// Its services.
    pub services: Vec<ServiceStub>,
}

/// A service name and the tags of its registrations.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ServiceStub {
    /// Service name.
    pub service_name: String,
    /// Tags.
    pub tags: Vec<String>,
}

/// One registration of a Nomad-native service (`provider = "nomad"`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ServiceRegistration {
    /// Registration ID (what delete names).
    #[serde(rename = "ID")]
    pub id: String,
    /// Service name.
    pub service_name: String,
    /// Namespace.
    pub namespace: String,
    /// Node ID.
    #[serde(rename = "NodeID")]
    pub node_id: String,
    /// Datacenter.
    pub datacenter: String,
    /// Job ID.
    #[serde(rename = "JobID")]
    pub job_id: String,
    /// Allocation ID.
    #[serde(rename = "AllocID")]
    pub alloc_id: String,
    /// Tags.
    pub tags: Vec<String>,
    /// Address.
    pub address: String,
    /// Port.
    pub port: u16,
    /// Creation index.
    pub create_index: u64,
    /// Last modification index.
    pub modify_index: u64,
    /// Every field not modelled above.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A node pool (Nomad 1.6+).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct NodePool {
    /// Name (also the path segment).
    pub name: String,
    /// Description.
    pub description: String,
    /// Metadata.
    pub meta: Option<BTreeMap<String, String>>,
    /// Scheduler settings of the pool (Enterprise `MemoryOversubscriptionEnabled` too).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scheduler_configuration: Option<Map<String, Value>>,
    /// Creation index.
    #[serde(skip_serializing_if = "super::is_zero")]
    pub create_index: u64,
    /// Last modification index.
    #[serde(skip_serializing_if = "super::is_zero")]
    pub modify_index: u64,
    /// Every field not modelled above.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
