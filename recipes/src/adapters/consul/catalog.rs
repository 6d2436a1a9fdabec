//! [`CatalogWorld`] over the Consul client.

use async_trait::async_trait;
use consul_client::{AgentService, ConsulClient, QueryOptions};
use futures::{StreamExt, TryStreamExt};

use crate::ghost::{CatalogBackupRow, DEFAULT_READ_CONCURRENCY, Target};
use crate::ports::{
    CatalogEntry, CatalogTxnOp, CatalogWorld, MemberRecord, MemberView, NodeView, Removal, SavedCheck, SavedService,
    ServiceView,
};
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

impl ConsulCatalog {
    /// Puts back, from a backup file written by [`GhostCleanup::run`](crate::ghost::GhostCleanup::run), every service
    /// and check it saved for removal that is no longer in the catalog (through catalog registrations:
    /// the node with its saved address and metadata, then the service with its checks).
    /// Entries that are in the catalog now are left as they are. Returns one line per
    /// entry put back. The backup holds the fields this SDK models (services: ID, name,
    /// tags, address, port, meta, kind; checks: ID, name, status, notes, service), so
    /// Connect/proxy settings and check definitions are not restored.
    ///
    /// # Errors
    /// When the file cannot be read or is not a ghost cleanup backup (nothing is
    /// registered then), or when Consul refuses a registration.
    pub async fn reregister_from_backup(&self, path: &std::path::Path) -> Result<Vec<String>> {
        let body = tokio::fs::read(path).await.map_err(|source| Error::Io {
            action: "read the backup file".to_owned(),
            path: path.to_owned(),
            source,
        })?;
        let not_a_backup = |e: serde_json::Error| {
            Error::invalid("backup file", path.display().to_string(), format!("not a ghost cleanup backup: {e}"))
        };
        let rows: Vec<CatalogBackupRow> = serde_json::from_slice(&body).map_err(not_a_backup)?;
        let mut records = Vec::with_capacity(rows.len());
        for row in rows {
            let catalog: Option<BackupCatalog> = serde_json::from_value(row.catalog).map_err(not_a_backup)?;
            records.push((row.target, row.removes, catalog));
        }
        let mut put_back = Vec::new();
        for (target, removes, catalog) in records {
            let Some(catalog) = catalog else { continue };
            let (dc, node) = (catalog.datacenter, catalog.node_services.node);
            let now = self.entry(&dc, &node.node).await?;
            let present = |id: &str, checks: bool| {
                now.as_ref().is_some_and(|e| {
                    if checks { e.checks.iter().any(|c| c.id == id) } else { e.services.iter().any(|s| s.id == id) }
                })
            };
            let check_reg = |c: &consul_client::HealthCheck| consul_client::HealthCheckRegistration {
                node: node.node.clone(),
                check_id: c.check_id.clone(),
                name: c.name.clone(),
                status: c.status.as_str().to_owned(),
                service_id: c.service_id.clone(),
                notes: c.notes.clone(),
                extra: serde_json::Map::new(),
            };
            let mut registrations = Vec::new();
            let removed = |id: &str| removes.services.iter().any(|s| s.id == id);
            for svc in catalog.node_services.services.iter().filter(|s| removed(&s.id) && !present(&s.id, false)) {
                let checks: Vec<_> = catalog.checks.iter().filter(|c| c.service_id == svc.id).map(check_reg).collect();
                let mut extra = serde_json::Map::new();
                if !svc.kind.is_empty() {
                    extra.insert("Kind".to_owned(), svc.kind.clone().into());
                }
                let service = consul_client::ServiceRegistration {
                    id: Some(svc.id.clone()),
                    service: svc.service.clone(),
                    tags: svc.tags.clone(),
                    address: svc.address.clone(),
                    port: Some(svc.port),
                    meta: svc.meta.clone(),
                    extra,
                };
                registrations.push((format!("service {} on node {}", svc.id, node.node), Some(service), checks));
            }
            let whole_node = matches!(target, Target::CatalogNode { .. });
            for c in
                catalog.checks.iter().filter(|c| whole_node && c.service_id.is_empty() && !present(&c.check_id, true))
            {
                registrations.push((format!("check {} on node {}", c.check_id, node.node), None, vec![check_reg(c)]));
            }
            for (what, service, checks) in registrations {
                let reg = consul_client::CatalogRegistration {
                    id: (!node.id.is_empty()).then(|| node.id.clone()),
                    node: node.node.clone(),
                    address: node.address.clone(),
                    datacenter: Some(dc.clone()),
                    tagged_addresses: node.tagged_addresses.clone(),
                    node_meta: node.meta.clone(),
                    service,
                    checks,
                    skip_node_update: false,
                };
                self.consul.catalog().register(&reg).await.map_err(err)?;
                put_back.push(what);
            }
        }
        Ok(put_back)
    }

    async fn remove_from_agent(&self, dc: &str, ops: &[CatalogTxnOp]) -> Result<Removal> {
        let opts = QueryOptions::new().datacenter(dc);
        for op in ops {
            let CatalogTxnOp::DeleteService { node, service_id, index, .. } = op else { continue };
            let now = self.consul.catalog().node_services(node, &opts).await.map_err(err)?.value;
            let current = now.and_then(|n| n.services.into_iter().find(|s| s.id == *service_id));
            match current {
                Some(s) if s.modify_index == *index => {
                    self.consul.agent().service_deregister(service_id).await.map_err(err)?;
                }
                Some(s) => {
                    return Ok(Removal::RolledBack(format!(
                        "service {service_id:?} on node {node:?} changed (index {} now, {index} saved)",
                        s.modify_index
                    )));
                }
                None => return Ok(Removal::RolledBack(format!("service {service_id:?} on node {node:?} is gone"))),
            }
        }
        Ok(Removal::Done)
    }
}

/// The `Catalog` of a [`CatalogBackupRow`], as far as re-registration needs it.
#[derive(serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
struct BackupCatalog {
    datacenter: String,
    node_services: consul_client::NodeServices,
    #[serde(default)]
    checks: Vec<consul_client::HealthCheck>,
}

fn err(e: consul_client::Error) -> Error {
    Error::backend("Consul", e)
}

fn member_view(m: consul_client::Member) -> MemberView {
    MemberView { name: m.name, addr: m.addr, status: m.status.to_string() }
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
        self.nodes_concurrently(dc, DEFAULT_READ_CONCURRENCY).await
    }

    async fn nodes_concurrently(&self, dc: &str, concurrency: usize) -> Result<Vec<NodeView>> {
        let nodes = self.consul.catalog().nodes(&QueryOptions::new().datacenter(dc)).await.map_err(err)?.value;
        // One read per node, `concurrency` at once; `buffered` answers in the listing's order
        // and the first error stops the rest.
        let views: Vec<Option<NodeView>> = futures::stream::iter(nodes)
            .map(|n| async move { self.node(dc, &n.node).await })
            .buffered(concurrency.max(1))
            .try_collect()
            .await?;
        Ok(views.into_iter().flatten().collect())
    }

    async fn node(&self, dc: &str, node: &str) -> Result<Option<NodeView>> {
        let found =
            self.consul.catalog().node_services(node, &QueryOptions::new().datacenter(dc)).await.map_err(err)?.value;
        Ok(found.map(|ns| NodeView {
            name: ns.node.node,
            address: ns.node.address,
            meta: ns.node.meta,
            services: ns.services.into_iter().map(service).collect(),
        }))
    }

    async fn entry(&self, dc: &str, node: &str) -> Result<Option<CatalogEntry>> {
        let opts = QueryOptions::new().datacenter(dc);
        let Some(found) = self.consul.catalog().node_services(node, &opts).await.map_err(err)?.value else {
            return Ok(None);
        };
        let checks = self.consul.health().node(node, &opts).await.map_err(err)?.value;
        let services = found
            .services
            .iter()
            .map(|s| SavedService { id: s.id.clone(), name: s.service.clone(), modify_index: s.modify_index })
            .collect();
        let saved_checks = checks
            .iter()
            .map(|c| SavedCheck {
                id: c.check_id.clone(),
                service_id: c.service_id.clone(),
                modify_index: c.modify_index,
            })
            .collect();
        let view = NodeView {
            name: found.node.node.clone(),
            address: found.node.address.clone(),
            meta: found.node.meta.clone(),
            services: found.services.iter().cloned().map(service).collect(),
        };
        Ok(Some(CatalogEntry {
            view,
            node_index: found.node.modify_index,
            services,
            checks: saved_checks,
            raw: serde_json::json!({ "Datacenter": dc, "NodeServices": found, "Checks": checks }),
        }))
    }

    async fn members(&self) -> Result<Vec<MemberView>> {
        let members = self.consul.agent().members(false).await.map_err(err)?;
        Ok(members.into_iter().map(member_view).collect())
    }

    async fn remove(&self, dc: &str, ops: &[CatalogTxnOp]) -> Result<Removal> {
        // A service of this very agent lives in the agent's local state: a catalog
        // deletion would be undone by anti-entropy, so remove it from the agent, one
        // service ID at a time, after checking that the catalog still holds it at the
        // saved index (the agent's own checks of it go with it).
        let me = self.consul.agent().self_info().await.map_err(err)?.config;
        if me.datacenter == dc && ops.iter().all(|op| op.node() == me.node_name) {
            return self.remove_from_agent(dc, ops).await;
        }
        match self.consul.catalog().deregister_cas(ops, Some(dc)).await {
            Ok(()) => Ok(Removal::Done),
            Err(consul_client::Error::TxnRolledBack { errors }) => {
                Ok(Removal::RolledBack(errors.into_iter().map(|e| e.what).collect::<Vec<_>>().join("; ")))
            }
            Err(e) => Err(err(e)),
        }
    }

    async fn member_record(&self, member: &str) -> Result<Option<MemberRecord>> {
        let members = self.consul.agent().members(false).await.map_err(err)?;
        let Some(m) = members.into_iter().find(|m| m.name == member) else { return Ok(None) };
        let raw = serde_json::to_value(&m).map_err(|e| Error::backend_step("Consul", "encoding the member", e))?;
        Ok(Some(MemberRecord { view: member_view(m), raw }))
    }

    async fn force_leave(&self, member: &str) -> Result<()> {
        self.consul.agent().force_leave(member, true).await.map_err(err)
    }
}
