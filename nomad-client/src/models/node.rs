//! Client nodes.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::vocab::{NodeStatus, SchedulingEligibility};
use client_core::Secret;

/// One row of `GET /v1/nodes` (with `resources=true`, `NodeResources` is filled).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct NodeListStub {
    /// Node ID.
    #[serde(rename = "ID")]
    pub id: String,
    /// IP address.
    pub address: String,
    /// Datacenter.
    pub datacenter: String,
    /// Node name.
    pub name: String,
    /// Node class.
    pub node_class: String,
    /// Node pool (Nomad 1.6+; empty before).
    pub node_pool: String,
    /// Nomad version.
    pub version: String,
    /// True while draining.
    pub drain: bool,
    /// `eligible` or `ineligible`.
    pub scheduling_eligibility: SchedulingEligibility,
    /// `initializing`, `ready`, `down` or `disconnected`.
    pub status: NodeStatus,
    /// Why the status is what it is.
    pub status_description: String,
    /// Creation index.
    pub create_index: u64,
    /// Last modification index.
    pub modify_index: u64,
    /// Verbose fields (drivers, host volumes, node and reserved resources, last drain).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl NodeListStub {
    /// True when the node is down (a candidate for purge).
    #[must_use]
    pub fn is_down(&self) -> bool {
        self.status == NodeStatus::Down
    }
}

/// A client node as `GET /v1/node/:id` returns it.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Node {
    /// Node ID.
    #[serde(rename = "ID")]
    pub id: String,
    /// The node's secret (redacted in Debug output).
    #[serde(rename = "SecretID")]
    pub secret_id: Option<Secret>,
    /// Datacenter.
    pub datacenter: String,
    /// Node name.
    pub name: String,
    /// HTTP address of the client agent.
    #[serde(rename = "HTTPAddr")]
    pub http_addr: String,
    /// Node class.
    pub node_class: String,
    /// Node pool (Nomad 1.6+; empty before).
    pub node_pool: String,
    /// Fingerprinted attributes.
    pub attributes: Option<std::collections::BTreeMap<String, String>>,
    /// Node metadata.
    pub meta: Option<std::collections::BTreeMap<String, String>>,
    /// True while draining.
    pub drain: bool,
    /// Drain settings while draining.
    pub drain_strategy: Option<Value>,
    /// `eligible` or `ineligible`.
    pub scheduling_eligibility: SchedulingEligibility,
    /// `initializing`, `ready`, `down` or `disconnected`.
    pub status: NodeStatus,
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

/// What drain, eligibility and purge answer.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct NodeUpdateResponse {
    /// Index of the node's modification.
    pub node_modify_index: u64,
    /// Evaluations created.
    #[serde(rename = "EvalIDs")]
    pub eval_ids: Option<Vec<String>>,
    /// Index of the evaluations' creation.
    pub eval_create_index: u64,
    /// Raft index of the write.
    pub index: u64,
}

/// A node's metadata as its client agent holds it (`GET` and `POST
/// /v1/client/metadata`, Nomad 1.5+). Dynamic changes reach the servers, and
/// so [`Node::meta`] and scheduling, up to 10 seconds later.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct NodeMeta {
    /// The merged metadata the node registers: static, then dynamic over it.
    #[serde(deserialize_with = "super::null_is_default")]
    pub meta: std::collections::BTreeMap<String, String>,
    /// What was set through the API; `None` is a key unset there (a static key
    /// unset dynamically stays listed so its removal survives a restart).
    #[serde(deserialize_with = "super::null_is_default")]
    pub dynamic: std::collections::BTreeMap<String, Option<String>>,
    /// What the agent's configuration file sets (`Static`).
    #[serde(rename = "Static", deserialize_with = "super::null_is_default")]
    pub statics: std::collections::BTreeMap<String, String>,
    /// Every field not modelled above.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
