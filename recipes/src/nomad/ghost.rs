use async_trait::async_trait;
use nomad_client::{NomadClient, QueryOptions, WriteOptions};

use super::err;
use crate::Result;
use crate::ghost::{AllocState, NomadNodeView, NomadWorld};

/// The Nomad side of ghost cleanup over [`NomadClient`].
#[derive(Debug, Clone)]
pub struct NomadGhosts {
    nomad: NomadClient,
}

impl NomadGhosts {
    /// Wraps a client (reading allocations in every namespace needs a management or
    /// wide `read-job` token; purging nodes needs `node:write`).
    #[must_use]
    pub fn new(nomad: NomadClient) -> Self {
        Self { nomad }
    }
}

#[async_trait]
impl NomadWorld for NomadGhosts {
    async fn allocation(&self, alloc_id: &str) -> Result<AllocState> {
        // A namespaced read of an allocation in another namespace may answer 404, which would
        // make a live allocation look gone: list by exact ID across every namespace instead.
        let opts = QueryOptions::default().all_namespaces().prefix(alloc_id);
        let found = self.nomad.allocations().list(&opts).await.map_err(err)?.value;
        let Some(alloc) = found.into_iter().find(|a| a.id == alloc_id) else { return Ok(AllocState::Gone) };
        let status = alloc.client_status;
        Ok(if matches!(status.as_str(), "running" | "pending") {
            AllocState::Alive { status, namespace: alloc.namespace }
        } else {
            AllocState::Stopped { status, namespace: alloc.namespace }
        })
    }

    async fn nodes(&self) -> Result<Vec<NomadNodeView>> {
        let stubs = self.nomad.nodes().list(&QueryOptions::default()).await.map_err(err)?.value;
        let mut out = Vec::with_capacity(stubs.len());
        for n in stubs {
            // Only down nodes need their status time, which the list does not carry.
            let status_updated_at = if n.status == "down" {
                let node = self.nomad.nodes().read(&n.id, &QueryOptions::default()).await.map_err(err)?.value;
                node.extra.get("StatusUpdatedAt").and_then(serde_json::Value::as_i64)
            } else {
                None
            };
            out.push(NomadNodeView { id: n.id, name: n.name, status: n.status, status_updated_at });
        }
        Ok(out)
    }

    async fn purge_node(&self, node_id: &str) -> Result<()> {
        self.nomad.nodes().purge(node_id, &WriteOptions::default()).await.map_err(err)?;
        Ok(())
    }
}
