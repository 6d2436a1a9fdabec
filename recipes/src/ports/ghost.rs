//! What ghost cleanup reads and acts on, as capabilities: the Consul side and the Nomad side.

use async_trait::async_trait;
pub use consul_client::catalog_txn::CatalogTxnOp;
pub use nomad_client::ServiceRegistration;
use nomad_client::{AllocClientStatus, NodeStatus};
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

/// A gossip member as the agent's members call lists it now: what the cleanup checks
/// (`view`) and the whole record as listed (`raw`, what is saved before a force-leave).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberRecord {
    /// The member as the cleanup judges it.
    pub view: MemberView,
    /// The member as listed (for Consul: `Name`, `Addr`, `Port`, `Tags`, `Status`...).
    pub raw: serde_json::Value,
}

impl MemberRecord {
    /// A record whose saved form is the view itself (for a side that has nothing more).
    #[must_use]
    pub fn from_view(view: MemberView) -> Self {
        let raw = serde_json::to_value(&view).unwrap_or_default();
        Self { view, raw }
    }
}

/// A service instance as saved before removal, with the index its removal is conditional on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedService {
    /// Service ID.
    pub id: String,
    /// Service name.
    pub name: String,
    /// The catalog's `ModifyIndex` when it was read.
    pub modify_index: u64,
}

/// A health check as saved before removal, with the index its removal is conditional on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedCheck {
    /// Check ID.
    pub id: String,
    /// The service it belongs to (empty for a node check).
    pub service_id: String,
    /// The catalog's `ModifyIndex` when it was read.
    pub modify_index: u64,
}

/// What the catalog holds about one node at one moment: the node's, its services' and
/// its checks' indexes (what a removal is made conditional on) and the full entries
/// (`raw`, what goes into the backup file).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogEntry {
    /// The node and its services as read (the same read as the indexes).
    pub view: NodeView,
    /// The node's `ModifyIndex`.
    pub node_index: u64,
    /// Its services.
    pub services: Vec<SavedService>,
    /// Its checks (node checks and service checks).
    pub checks: Vec<SavedCheck>,
    /// Everything the catalog answered, as saved in the backup.
    pub raw: serde_json::Value,
}

impl CatalogEntry {
    /// True when both hold the same services and checks at the same indexes (the raw
    /// entries are not compared: a check's output may change without its index).
    #[must_use]
    pub fn same_items(&self, other: &Self) -> bool {
        type Item<'a> = (bool, &'a str, u64);
        fn key(e: &CatalogEntry) -> (u64, Vec<Item<'_>>) {
            let services = e.services.iter().map(|s| (false, s.id.as_str(), s.modify_index));
            let checks = e.checks.iter().map(|c| (true, c.id.as_str(), c.modify_index));
            let mut items: Vec<Item<'_>> = services.chain(checks).collect();
            items.sort_unstable();
            (e.node_index, items)
        }
        key(self) == key(other)
    }
}

/// How a conditional removal ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", content = "reason", rename_all = "snake_case")]
pub enum Removal {
    /// Every operation applied.
    Done,
    /// Something changed since it was read; nothing was removed. The reason as Consul gave it.
    RolledBack(String),
}

/// The Consul side of ghost cleanup.
#[async_trait]
pub trait CatalogWorld: Send + Sync {
    /// The datacenter the members belong to (the agent's own).
    async fn datacenter(&self) -> Result<String>;
    /// Every catalog node of `dc` with its services.
    async fn nodes(&self, dc: &str) -> Result<Vec<NodeView>>;
    /// [`CatalogWorld::nodes`] with at most `concurrency` (at least 1) reads in flight at
    /// once: the same nodes in the same order from the same requests. The plan calls this
    /// one; the default ignores `concurrency` and calls [`CatalogWorld::nodes`].
    async fn nodes_concurrently(&self, dc: &str, concurrency: usize) -> Result<Vec<NodeView>> {
        let _ = concurrency;
        self.nodes(dc).await
    }
    /// One catalog node with its services, `None` when it is gone.
    async fn node(&self, dc: &str, node: &str) -> Result<Option<NodeView>>;
    /// Everything the catalog holds about a node now (node, services, checks, with their
    /// indexes), `None` when the node is gone. Read before removal (it is the backup) and
    /// again just before acting (what is removed must still be what was saved).
    async fn entry(&self, dc: &str, node: &str) -> Result<Option<CatalogEntry>>;
    /// The LAN gossip members.
    async fn members(&self) -> Result<Vec<MemberView>>;
    /// Applies conditional deletions (at most [`consul_client::txn::MAX_TXN_OPS`]) atomically:
    /// all of them, or none when any entry's index moved ([`Removal::RolledBack`]).
    async fn remove(&self, dc: &str, ops: &[CatalogTxnOp]) -> Result<Removal>;
    /// The member named exactly `member`, as the agent's members call lists it now; `None`
    /// when it is not listed. Read just before a force-leave: it is what is saved. The
    /// default looks it up in [`CatalogWorld::members`] (its saved form is the
    /// [`MemberView`]).
    async fn member_record(&self, member: &str) -> Result<Option<MemberRecord>> {
        Ok(self.members().await?.into_iter().find(|m| m.name == member).map(MemberRecord::from_view))
    }
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
        status: AllocClientStatus,
        /// The allocation's namespace.
        namespace: String,
    },
    /// Finished (`complete`, `failed`, `lost`): its services should be gone.
    Stopped {
        /// Nomad's client status.
        status: AllocClientStatus,
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
    /// `ready`, `down`, `initializing`, `disconnected`.
    pub status: NodeStatus,
    /// When the status last changed (Unix seconds), if known.
    pub status_updated_at: Option<i64>,
}

/// A Nomad client node as read now: what the cleanup checks (`view`) and the whole node as
/// the client returned it (`raw`, what is saved before a purge).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NomadNodeRecord {
    /// The node as the cleanup judges it.
    pub view: NomadNodeView,
    /// The node as read (for Nomad: `GET /v1/node/<id>`, every field).
    pub raw: serde_json::Value,
}

impl NomadNodeRecord {
    /// A record whose saved form is the view itself (for a side that has nothing more).
    #[must_use]
    pub fn from_view(view: NomadNodeView) -> Self {
        let raw = serde_json::to_value(&view).unwrap_or_default();
        Self { view, raw }
    }
}

/// A Nomad client node with what ties it to a Consul node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NomadClusterNode {
    /// Node ID.
    pub id: String,
    /// Node name.
    pub name: String,
    /// The node's address.
    pub address: String,
    /// Its Nomad datacenter.
    pub datacenter: String,
    /// The Consul agent it registers services with (attribute `unique.consul.name`), if read.
    pub consul_name: Option<String>,
    /// That agent's Consul datacenter (attribute `consul.datacenter`), if read.
    pub consul_datacenter: Option<String>,
}

/// Which Nomad cluster the Nomad side looks at, for the plan's cluster check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NomadClusterView {
    /// Where the client points (scheme, host and port only).
    pub address: String,
    /// The region that answers: the client's configured region, else the agent's.
    pub region: String,
    /// The agent's own region.
    pub agent_region: String,
    /// The agent's datacenter.
    pub agent_datacenter: String,
    /// Every client node the region knows.
    pub nodes: Vec<NomadClusterNode>,
}

/// The Nomad side of ghost cleanup.
#[async_trait]
pub trait NomadWorld: Send + Sync {
    /// The cluster this Nomad side talks to; `carriers` are the Consul nodes that carry
    /// task services (an implementation reads the attributes of the Nomad nodes that look
    /// like them). `None` (the default) when it cannot say; the plan then checks the
    /// allocations only.
    async fn cluster(&self, carriers: &[NodeView]) -> Result<Option<NomadClusterView>> {
        let _ = carriers;
        Ok(None)
    }
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
    /// The client node with exactly this ID, read now; `None` when Nomad does not know it.
    /// Read just before a purge: it is what is saved. The default looks it up in
    /// [`NomadWorld::nodes`] (its saved form is the [`NomadNodeView`]).
    async fn node_record(&self, node_id: &str) -> Result<Option<NomadNodeRecord>> {
        Ok(self.nodes().await?.into_iter().find(|n| n.id == node_id).map(NomadNodeRecord::from_view))
    }
    /// `POST /v1/node/<id>/purge`.
    async fn purge_node(&self, node_id: &str) -> Result<()>;
    /// Every Nomad-native service registration (Nomad 1.3+, `provider = "nomad"`) of every
    /// namespace, as Nomad answered them (unknown fields kept: they go into the backup).
    /// `None` (the default) when this side has no native services to list (a Nomad before
    /// 1.3); the plan then says it skipped them.
    async fn native_services(&self) -> Result<Option<Vec<ServiceRegistration>>> {
        Ok(None)
    }
    /// One registration read now by its exact namespace, service name and ID, `None` when
    /// it is gone. The default looks it up in [`NomadWorld::native_services`].
    async fn native_service(&self, namespace: &str, service: &str, id: &str) -> Result<Option<ServiceRegistration>> {
        let all = self.native_services().await?.unwrap_or_default();
        Ok(all.into_iter().find(|r| r.namespace == namespace && r.service_name == service && r.id == id))
    }
    /// Deletes exactly the registration `saved` names (its namespace, service name and ID).
    /// The default refuses: a side that lists registrations must say how it deletes them.
    async fn delete_native_service(&self, saved: &ServiceRegistration) -> Result<()> {
        Err(crate::Error::backend_msg(
            "Nomad",
            format!("this Nomad side cannot delete service registration {} of {}", saved.id, saved.service_name),
        ))
    }
}
