use std::collections::{HashMap, HashSet};

use async_trait::async_trait;
use futures::{StreamExt, TryStreamExt};
use nomad_client::{Allocation, ClientError, NodeStatus, NomadClient, QueryOptions, ServiceRegistration, WriteOptions};

use super::err;
use crate::Result;
use crate::ghost::DEFAULT_READ_CONCURRENCY;
use crate::ports::{
    AllocState, NodeView, NomadClusterNode, NomadClusterView, NomadNodeRecord, NomadNodeView, NomadWorld,
};

/// The Nomad side of ghost cleanup over [`NomadClient`].
#[derive(Debug, Clone)]
pub struct NomadGhosts {
    nomad: NomadClient,
    read_concurrency: usize,
}

impl NomadGhosts {
    /// Wraps a client (reading allocations and native services in every namespace needs a
    /// management or wide `read-job` token; purging nodes needs `node:write`, deleting a
    /// native service registration `submit-job`). Node reads run
    /// [`DEFAULT_READ_CONCURRENCY`] at once.
    #[must_use]
    pub fn new(nomad: NomadClient) -> Self {
        Self { nomad, read_concurrency: DEFAULT_READ_CONCURRENCY }
    }

    /// Sets how many node reads are in flight at once (0 counts as 1); the requests and
    /// their answers' order do not depend on it.
    #[must_use]
    pub fn read_concurrency(mut self, n: usize) -> Self {
        self.read_concurrency = n.max(1);
        self
    }
}

#[async_trait]
impl NomadWorld for NomadGhosts {
    async fn cluster(&self, carriers: &[NodeView]) -> Result<Option<NomadClusterView>> {
        let me = self.nomad.agent().self_info().await.map_err(err)?;
        let field = |name: &str| me.config.get(name).and_then(serde_json::Value::as_str).unwrap_or_default().to_owned();
        let (agent_region, agent_datacenter) = (field("Region"), field("Datacenter"));
        let region = self.nomad.region().map_or_else(|| agent_region.clone(), str::to_owned);
        let stubs = self.nomad.nodes().list(&QueryOptions::default()).await.map_err(err)?.value;
        let names: &HashSet<&str> = &carriers.iter().map(|c| c.name.as_str()).collect();
        let addresses: &HashSet<&str> = &carriers.iter().map(|c| c.address.as_str()).collect();
        let nodes: Vec<NomadClusterNode> = futures::stream::iter(stubs)
            .map(|n| async move {
                let mut node = NomadClusterNode {
                    id: n.id,
                    name: n.name,
                    address: n.address,
                    datacenter: n.datacenter,
                    consul_name: None,
                    consul_datacenter: None,
                };
                // Only the nodes that look like a carrier are read (their attributes say which
                // Consul agent and datacenter they use): requests stay bounded by the carriers.
                if names.contains(node.name.as_str()) || addresses.contains(node.address.as_str()) {
                    let full = self.nomad.nodes().get(&node.id, &QueryOptions::default()).await.map_err(err)?.value;
                    let attrs = full.attributes.unwrap_or_default();
                    node.consul_name = attrs.get("unique.consul.name").cloned();
                    node.consul_datacenter = attrs.get("consul.datacenter").cloned();
                }
                Ok::<_, crate::Error>(node)
            })
            .buffered(self.read_concurrency)
            .try_collect()
            .await?;
        let address = self.nomad.http().config().address.origin().ascii_serialization();
        Ok(Some(NomadClusterView { address, region, agent_region, agent_datacenter, nodes }))
    }

    async fn allocation(&self, alloc_id: &str) -> Result<AllocState> {
        // A namespaced read of an allocation in another namespace may answer 404, which would
        // make a live allocation look gone: list by exact ID across every namespace instead.
        let opts = QueryOptions::default().all_namespaces().prefix(alloc_id);
        let found = self.nomad.allocations().list(&opts).await.map_err(err)?.value;
        Ok(found.into_iter().find(|a| a.id == alloc_id).map_or(AllocState::Gone, alloc_state))
    }

    async fn allocations(&self, alloc_ids: &[String]) -> Result<HashMap<String, AllocState>> {
        if alloc_ids.len() <= 1 {
            let mut out = HashMap::new();
            for id in alloc_ids {
                out.insert(id.clone(), self.allocation(id).await?);
            }
            return Ok(out);
        }
        // One listing of every namespace's allocations instead of one request per task service.
        let all = self.nomad.allocations().list(&QueryOptions::default().all_namespaces()).await.map_err(err)?.value;
        let mut known: HashMap<String, AllocState> = all.into_iter().map(|a| (a.id.clone(), alloc_state(a))).collect();
        Ok(alloc_ids.iter().map(|id| (id.clone(), known.remove(id).unwrap_or(AllocState::Gone))).collect())
    }

    async fn nodes(&self) -> Result<Vec<NomadNodeView>> {
        let stubs = self.nomad.nodes().list(&QueryOptions::default()).await.map_err(err)?.value;
        futures::stream::iter(stubs)
            .map(|n| async move {
                // Only down nodes need their status time, which the list does not carry.
                let status_updated_at = if n.status == NodeStatus::Down {
                    let node = self.nomad.nodes().get(&n.id, &QueryOptions::default()).await.map_err(err)?.value;
                    node.extra.get("StatusUpdatedAt").and_then(serde_json::Value::as_i64)
                } else {
                    None
                };
                Ok::<_, crate::Error>(NomadNodeView { id: n.id, name: n.name, status: n.status, status_updated_at })
            })
            .buffered(self.read_concurrency)
            .try_collect()
            .await
    }

    async fn node_record(&self, node_id: &str) -> Result<Option<NomadNodeRecord>> {
        let node = match self.nomad.nodes().get(node_id, &QueryOptions::default()).await {
            Ok(found) => found.value,
            Err(e) if e.is_not_found() => return Ok(None),
            Err(e) => return Err(err(e)),
        };
        if node.id != node_id {
            return Ok(None);
        }
        let mut raw =
            serde_json::to_value(&node).map_err(|e| crate::Error::backend_step("Nomad", "encoding the node", e))?;
        // Nomad answers the node's secret blanked; a backup file never holds one.
        if let Some(secret) = raw.get_mut("SecretID").filter(|v| v.as_str().is_some_and(|s| !s.is_empty())) {
            *secret = "".into();
        }
        let status_updated_at = node.extra.get("StatusUpdatedAt").and_then(serde_json::Value::as_i64);
        let view = NomadNodeView { id: node.id, name: node.name, status: node.status, status_updated_at };
        Ok(Some(NomadNodeRecord { view, raw }))
    }

    async fn purge_node(&self, node_id: &str) -> Result<()> {
        self.nomad.nodes().purge(node_id, &WriteOptions::default()).await.map_err(err)?;
        Ok(())
    }

    async fn native_services(&self) -> Result<Option<Vec<ServiceRegistration>>> {
        let listing = match self.nomad.services().list(&QueryOptions::default().all_namespaces()).await {
            Ok(listing) => listing.value,
            // Nomad before 1.3 has no /v1/services.
            Err(e) if e.is_not_found() => return Ok(None),
            Err(e) => return Err(err(e)),
        };
        let names: Vec<(String, String)> = listing
            .into_iter()
            .flat_map(|ns| ns.services.into_iter().map(move |s| (ns.namespace.clone(), s.service_name)))
            .collect();
        let found: Vec<Vec<ServiceRegistration>> = futures::stream::iter(names)
            .map(|(namespace, name)| async move { self.registrations(&namespace, &name).await })
            .buffered(self.read_concurrency)
            .try_collect()
            .await?;
        Ok(Some(found.into_iter().flatten().collect()))
    }

    async fn native_service(&self, namespace: &str, service: &str, id: &str) -> Result<Option<ServiceRegistration>> {
        Ok(self.registrations(namespace, service).await?.into_iter().find(|r| r.id == id))
    }

    async fn delete_native_service(&self, saved: &ServiceRegistration) -> Result<()> {
        let opts = WriteOptions::default().namespace(&saved.namespace);
        self.nomad.services().delete(&saved.service_name, &saved.id, &opts).await.map_err(err)
    }
}

impl NomadGhosts {
    /// The registrations of one service in one namespace (an unknown service is none).
    async fn registrations(&self, namespace: &str, service: &str) -> Result<Vec<ServiceRegistration>> {
        let opts = QueryOptions::default().namespace(namespace);
        let found = self.nomad.services().get(service, &opts).await.map_err(err)?.value;
        // Nomad answers the service and namespace asked for; a row of another one is not a
        // registration this read can vouch for (and not one to delete by these names).
        Ok(found.into_iter().filter(|r| r.namespace == namespace && r.service_name == service).collect())
    }
}

fn alloc_state(alloc: Allocation) -> AllocState {
    let status = alloc.client_status;
    if status.is_alive() {
        AllocState::Alive { status, namespace: alloc.namespace }
    } else {
        AllocState::Stopped { status, namespace: alloc.namespace }
    }
}
