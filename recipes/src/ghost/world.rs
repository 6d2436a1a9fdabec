//! What ghost cleanup reads and acts on, as capabilities: the Consul side and the Nomad side.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::Result;

/// A service instance on a catalog node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceView {
    /// Service ID (unique on its node).
    pub id: String,
    /// Service name.
    pub name: String,
    /// Tags.
    pub tags: Vec<String>,
    /// Port.
    pub port: u16,
}

/// A node of the Consul catalog with its services.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeView {
    /// Node name.
    pub name: String,
    /// Node address.
    pub address: String,
    /// Node metadata (`external-node = true` marks nodes registered on purpose by tools such as consul-esm).
    pub meta: std::collections::BTreeMap<String, String>,
    /// The node's services.
    pub services: Vec<ServiceView>,
}

/// A gossip member of the Consul cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberView {
    /// Member (node) name.
    pub name: String,
    /// Gossip address.
    pub addr: String,
    /// `alive`, `leaving`, `left`, `failed`.
    pub status: String,
}

/// The Consul side of ghost cleanup.
#[async_trait]
pub trait CatalogWorld: Send + Sync {
    /// The datacenter the members belong to (the agent's own).
    async fn datacenter(&self) -> Result<String>;
    /// Every catalog node of `dc` with its services.
    async fn nodes(&self, dc: &str) -> Result<Vec<NodeView>>;
    /// One catalog node with its services, `None` when it is gone.
    async fn node(&self, dc: &str, node: &str) -> Result<Option<NodeView>>;
    /// Everything the catalog holds about a node (node, services, checks) as it would be saved
    /// before removal; the default is the [`NodeView`].
    async fn backup_entry(&self, dc: &str, node: &str) -> Result<serde_json::Value> {
        let view = self.node(dc, node).await?;
        serde_json::to_value(view).map_err(|e| crate::Error::backend("catalog backup", e))
    }
    /// The LAN gossip members.
    async fn members(&self) -> Result<Vec<MemberView>>;
    /// Removes a node (and everything on it) from the catalog.
    async fn deregister_node(&self, dc: &str, node: &str) -> Result<()>;
    /// Removes one service instance from the catalog.
    async fn deregister_service(&self, dc: &str, node: &str, service_id: &str) -> Result<()>;
    /// `consul force-leave -prune <member>`.
    async fn force_leave(&self, member: &str) -> Result<()>;
}

/// What Nomad says about an allocation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum AllocState {
    /// Running or about to (`pending`): its services are real.
    Alive {
        /// Nomad's client status.
        status: String,
        /// The allocation's namespace.
        namespace: String,
    },
    /// Finished (`complete`, `failed`, `lost`): its services should be gone.
    Stopped {
        /// Nomad's client status.
        status: String,
        /// The allocation's namespace.
        namespace: String,
    },
    /// Nomad does not know it (garbage collected, or from a cluster that is gone).
    Gone,
}

/// A Nomad client node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NomadNodeView {
    /// Node ID.
    pub id: String,
    /// Node name.
    pub name: String,
    /// `ready`, `down`, `initializing`.
    pub status: String,
    /// When the status last changed (Unix seconds), if known.
    pub status_updated_at: Option<i64>,
}

/// The Nomad side of ghost cleanup.
#[async_trait]
pub trait NomadWorld: Send + Sync {
    /// The allocation's state (never guessed: an unreachable Nomad is an error).
    async fn allocation(&self, alloc_id: &str) -> Result<AllocState>;
    /// The states of many allocations at once, keyed by ID (IDs Nomad does not
    /// know map to [`AllocState::Gone`]). The plan uses it so that its Nomad
    /// requests do not grow with the number of task services; the default asks
    /// [`NomadWorld::allocation`] once per ID, implementations answer from one listing.
    async fn allocations(&self, alloc_ids: &[String]) -> Result<std::collections::HashMap<String, AllocState>> {
        let mut out = std::collections::HashMap::with_capacity(alloc_ids.len());
        for id in alloc_ids {
            out.insert(id.clone(), self.allocation(id).await?);
        }
        Ok(out)
    }
    /// Every client node.
    async fn nodes(&self) -> Result<Vec<NomadNodeView>>;
    /// `POST /v1/node/<id>/purge`.
    async fn purge_node(&self, node_id: &str) -> Result<()>;
}
