//! [`CatalogWorld`] over the Consul client.

use async_trait::async_trait;
use consul_client::{AgentService, CatalogDeregistration, ConsulClient, QueryOptions};

use super::world::{CatalogWorld, MemberView, NodeView, ServiceView};
use crate::{Error, Result};

/// [`CatalogWorld`] over [`ConsulClient`].
#[derive(Debug, Clone)]
pub struct ConsulCatalog {
    consul: ConsulClient,
}

impl ConsulCatalog {
    /// Wraps a client (its token needs `node:write`, `service:write` and `operator:write`
    /// to act; reading is enough for a plan).
    #[must_use]
    pub fn new(consul: ConsulClient) -> Self {
        Self { consul }
    }
}

fn err(e: consul_client::Error) -> Error {
    Error::backend("Consul", e)
}

fn service(s: AgentService) -> ServiceView {
    ServiceView { id: s.id, name: s.service, tags: s.tags, port: s.port }
}

#[async_trait]
impl CatalogWorld for ConsulCatalog {
    async fn datacenter(&self) -> Result<String> {
        Ok(self.consul.agent().self_info().await.map_err(err)?.config.datacenter)
    }

    async fn nodes(&self, dc: &str) -> Result<Vec<NodeView>> {
        let nodes = self.consul.catalog().nodes(&QueryOptions::datacenter(dc)).await.map_err(err)?.value;
        let mut out = Vec::with_capacity(nodes.len());
        for n in nodes {
            if let Some(view) = self.node(dc, &n.node).await? {
                out.push(view);
            }
        }
        Ok(out)
    }

    async fn node(&self, dc: &str, node: &str) -> Result<Option<NodeView>> {
        let found = self.consul.catalog().node_services(node, &QueryOptions::datacenter(dc)).await.map_err(err)?.value;
        Ok(found.map(|ns| NodeView {
            name: ns.node.node,
            address: ns.node.address,
            meta: ns.node.meta,
            services: ns.services.into_iter().map(service).collect(),
        }))
    }

    async fn backup_entry(&self, dc: &str, node: &str) -> Result<serde_json::Value> {
        let opts = QueryOptions::datacenter(dc);
        let services = self.consul.catalog().node_services(node, &opts).await.map_err(err)?.value;
        let checks = self.consul.health().node(node, &opts).await.map_err(err)?.value;
        Ok(serde_json::json!({ "Datacenter": dc, "NodeServices": services, "Checks": checks }))
    }

    async fn members(&self) -> Result<Vec<MemberView>> {
        let members = self.consul.agent().members(false).await.map_err(err)?;
        Ok(members
            .into_iter()
            .map(|m| MemberView { name: m.name, addr: m.addr, status: m.status.to_string() })
            .collect())
    }

    async fn deregister_node(&self, dc: &str, node: &str) -> Result<()> {
        let d = CatalogDeregistration { datacenter: Some(dc.to_owned()), ..CatalogDeregistration::node(node) };
        self.consul.catalog().deregister(&d).await.map_err(err)
    }

    async fn deregister_service(&self, dc: &str, node: &str, service_id: &str) -> Result<()> {
        // A service of this very agent lives in the agent's local state: a catalog
        // deregistration would be undone by anti-entropy, so remove it from the agent.
        let me = self.consul.agent().self_info().await.map_err(err)?.config;
        if me.node_name == node && me.datacenter == dc {
            return self.consul.agent().service_deregister(service_id).await.map_err(err);
        }
        let d = CatalogDeregistration {
            datacenter: Some(dc.to_owned()),
            ..CatalogDeregistration::service(node, service_id)
        };
        self.consul.catalog().deregister(&d).await.map_err(err)
    }

    async fn force_leave(&self, member: &str) -> Result<()> {
        self.consul.agent().force_leave(member, true).await.map_err(err)
    }
}
