//! The catalog: `/v1/catalog` (nodes and services known to the cluster).

use std::collections::BTreeMap;

use client_core::path::PathBuf;
use client_core::{Request, WatchOptions, WithMeta};
use futures::Stream;
use serde::{Deserialize, Serialize};

use crate::catalog_txn::CatalogTxnOp;
use crate::client::ConsulClient;
use crate::error::{Error, Result};
use crate::models::{AgentService, Node};
use crate::options::QueryOptions;
use crate::validate;

/// One instance of a service in the catalog (`/v1/catalog/service/<name>`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CatalogService {
    /// Node ID.
    #[serde(rename = "ID", default)]
    pub id: String,
    /// Node name: the Consul agent the service is registered on.
    pub node: String,
    /// Node address.
    #[serde(default)]
    pub address: String,
    /// Datacenter.
    #[serde(default)]
    pub datacenter: String,
    /// Node tagged addresses.
    #[serde(default, deserialize_with = "crate::de::null_default")]
    pub tagged_addresses: BTreeMap<String, String>,
    /// Node metadata.
    #[serde(default, deserialize_with = "crate::de::null_default")]
    pub node_meta: BTreeMap<String, String>,
    /// Service kind.
    #[serde(default)]
    pub service_kind: String,
    /// Service ID.
    #[serde(rename = "ServiceID")]
    pub service_id: String,
    /// Service name.
    pub service_name: String,
    /// Service tags.
    #[serde(default, deserialize_with = "crate::de::null_default")]
    pub service_tags: Vec<String>,
    /// Service address (empty: the node's address).
    #[serde(default)]
    pub service_address: String,
    /// Service metadata.
    #[serde(default, deserialize_with = "crate::de::null_default")]
    pub service_meta: BTreeMap<String, String>,
    /// Service port.
    #[serde(default)]
    pub service_port: u16,
    /// Raft index of creation.
    #[serde(default)]
    pub create_index: u64,
    /// Raft index of the last change.
    #[serde(default)]
    pub modify_index: u64,
}

/// A node and its services keyed by service ID (`/v1/catalog/node/<node>`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CatalogNode {
    /// The node.
    pub node: Node,
    /// Its services by ID.
    #[serde(default, deserialize_with = "crate::de::null_default")]
    pub services: BTreeMap<String, AgentService>,
}

/// A node and its services as a list (`/v1/catalog/node-services/<node>`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct NodeServices {
    /// The node.
    pub node: Node,
    /// Its services.
    #[serde(default, deserialize_with = "crate::de::null_default")]
    pub services: Vec<AgentService>,
}

/// A service in a [`CatalogRegistration`].
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ServiceRegistration {
    /// Service ID (defaults to the name).
    #[serde(rename = "ID", skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Service name.
    pub service: String,
    /// Tags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Address (empty: the node's address).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub address: String,
    /// Port.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// Metadata.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub meta: BTreeMap<String, String>,
    /// Fields this crate does not model (`Connect`, `Proxy`, `Weights`...), sent as given.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// A check in a catalog registration.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct HealthCheckRegistration {
    /// Node the check belongs to.
    pub node: String,
    /// Check ID.
    #[serde(rename = "CheckID")]
    pub check_id: String,
    /// Check name.
    pub name: String,
    /// Initial status (`passing`, `warning`, `critical`).
    pub status: String,
    /// Service ID the check belongs to (empty for a node check).
    #[serde(rename = "ServiceID", default, skip_serializing_if = "String::is_empty")]
    pub service_id: String,
    /// Notes.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub notes: String,
    /// Fields this crate does not model (`Definition`...), sent as given.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// A catalog registration (`PUT /v1/catalog/register`): a node, optionally
/// with one service and checks. Mostly for external services.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CatalogRegistration {
    /// Node ID (optional).
    #[serde(rename = "ID", skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Node name.
    pub node: String,
    /// Node address.
    pub address: String,
    /// Datacenter (default: the agent's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub datacenter: Option<String>,
    /// Tagged addresses.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub tagged_addresses: BTreeMap<String, String>,
    /// Node metadata.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub node_meta: BTreeMap<String, String>,
    /// A service on the node.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<ServiceRegistration>,
    /// Health checks of the node or the service.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<HealthCheckRegistration>,
    /// Leave the node's existing address and metadata untouched.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub skip_node_update: bool,
}

/// What to remove from the catalog (`PUT /v1/catalog/deregister`).
///
/// Removing a service that a live agent still has locally is undone by that
/// agent's anti-entropy within a minute; deregister it on the agent
/// ([`crate::Agent::service_deregister`]) when the agent is alive.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CatalogDeregistration {
    /// Datacenter (default: the agent's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub datacenter: Option<String>,
    /// Node name.
    pub node: String,
    /// Remove only this service.
    #[serde(rename = "ServiceID", skip_serializing_if = "Option::is_none")]
    pub service_id: Option<String>,
    /// Remove only this check.
    #[serde(rename = "CheckID", skip_serializing_if = "Option::is_none")]
    pub check_id: Option<String>,
}

impl CatalogDeregistration {
    /// Removes one service instance from a node.
    #[must_use]
    pub fn service(node: &str, service_id: &str) -> Self {
        Self { node: node.to_owned(), service_id: Some(service_id.to_owned()), ..Self::default() }
    }

    /// Removes one check from a node.
    #[must_use]
    pub fn check(node: &str, check_id: &str) -> Self {
        Self { node: node.to_owned(), check_id: Some(check_id.to_owned()), ..Self::default() }
    }

    /// Removes a whole node with all its services and checks.
    #[must_use]
    pub fn node(node: &str) -> Self {
        Self { node: node.to_owned(), ..Self::default() }
    }
}

/// A name in a gateway association (`{"Name": ..}` plus Enterprise scope).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CompoundName {
    /// The name.
    pub name: String,
}

/// One service a gateway routes to (`/v1/catalog/gateway-services/<gateway>`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GatewayService {
    /// The gateway.
    pub gateway: CompoundName,
    /// The service it routes to.
    pub service: CompoundName,
    /// `terminating-gateway` or `ingress-gateway`.
    pub gateway_kind: String,
    /// Listener port (ingress).
    #[serde(default)]
    pub port: u16,
    /// Listener protocol (ingress).
    #[serde(default)]
    pub protocol: String,
    /// Hosts it answers for (ingress).
    #[serde(default, deserialize_with = "crate::de::null_default")]
    pub hosts: Vec<String>,
    /// CA file used to reach the service (terminating).
    #[serde(rename = "CAFile", default)]
    pub ca_file: String,
    /// SNI sent to the service (terminating).
    #[serde(rename = "SNI", default)]
    pub sni: String,
    /// Other fields (`CertFile`, `KeyFile`, `FromWildcard`…), kept as sent.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// The catalog handler: `consul.catalog()`.
#[derive(Debug, Clone)]
pub struct Catalog {
    client: ConsulClient,
}

impl ConsulClient {
    /// The catalog.
    #[must_use]
    pub fn catalog(&self) -> Catalog {
        Catalog { client: self.clone() }
    }
}

impl Catalog {
    /// Known datacenters, nearest first.
    pub async fn datacenters(&self) -> Result<Vec<String>> {
        self.client.json(Request::get("/v1/catalog/datacenters")).await
    }

    /// All nodes. Honours `node_meta`, `near` and `filter` in `opts`.
    pub async fn nodes(&self, opts: &QueryOptions) -> Result<WithMeta<Vec<Node>>> {
        let request = opts.apply_node_meta_near(Request::get("/v1/catalog/nodes"))?;
        Ok(crate::client::null_list(self.client.read::<Option<Vec<Node>>>(request, opts).await?))
    }

    /// One node with its services keyed by ID; `None` for an unknown node.
    pub async fn node(&self, node: &str, opts: &QueryOptions) -> Result<WithMeta<Option<CatalogNode>>> {
        validate::name("node name", node)?;
        self.client
            .read(Request::get(PathBuf::new("/v1/catalog/node").segment("node name", node)?.finish()), opts)
            .await
    }

    /// One node with its services as a list; `None` for an unknown node.
    pub async fn node_services(&self, node: &str, opts: &QueryOptions) -> Result<WithMeta<Option<NodeServices>>> {
        validate::name("node name", node)?;
        let path = PathBuf::new("/v1/catalog/node-services").segment("node name", node)?.finish();
        // An unknown node answers `{"Node": null, "Services": null}`.
        #[derive(Deserialize)]
        #[serde(rename_all = "PascalCase")]
        struct Raw {
            node: Option<Node>,
            #[serde(default, deserialize_with = "crate::de::null_default")]
            services: Vec<AgentService>,
        }
        let read = self.client.read::<Option<Raw>>(Request::get(path), opts).await?;
        let value = read.value.and_then(|r| r.node.map(|node| NodeServices { node, services: r.services }));
        Ok(WithMeta { value, meta: read.meta })
    }

    /// Every service name with the union of its tags. Honours `node_meta` and `filter`.
    pub async fn services(&self, opts: &QueryOptions) -> Result<WithMeta<BTreeMap<String, Vec<String>>>> {
        let request = opts.apply_node_meta_near(Request::get("/v1/catalog/services"))?;
        let read = self.client.read::<Option<BTreeMap<String, Option<Vec<String>>>>>(request, opts).await?;
        let value = read.value.unwrap_or_default().into_iter().map(|(k, v)| (k, v.unwrap_or_default())).collect();
        Ok(WithMeta { value, meta: read.meta })
    }

    /// The instances of service `name`, optionally only those with `tag`
    /// (an unknown service is an empty list). Honours `node_meta`, `near` and `filter`.
    pub async fn service(
        &self,
        name: &str,
        tag: Option<&str>,
        opts: &QueryOptions,
    ) -> Result<WithMeta<Vec<CatalogService>>> {
        self.instances("service", name, tag, opts).await
    }

    /// The Connect-capable instances of `name` (sidecar proxies and native
    /// Connect instances), like [`Catalog::service`].
    pub async fn connect(
        &self,
        name: &str,
        tag: Option<&str>,
        opts: &QueryOptions,
    ) -> Result<WithMeta<Vec<CatalogService>>> {
        self.instances("connect", name, tag, opts).await
    }

    /// `/v1/catalog/<kind>/<name>`.
    async fn instances(
        &self,
        kind: &'static str,
        name: &str,
        tag: Option<&str>,
        opts: &QueryOptions,
    ) -> Result<WithMeta<Vec<CatalogService>>> {
        validate::name("service name", name)?;
        if let Some(tag) = tag {
            validate::name("service tag", tag)?;
        }
        let path = PathBuf::new("/v1/catalog").literal(kind).segment("service name", name)?.finish();
        let request = opts.apply_node_meta_near(Request::get(path).query_opt("tag", tag))?;
        Ok(crate::client::null_list(self.client.read::<Option<Vec<CatalogService>>>(request, opts).await?))
    }

    /// The services a terminating or ingress gateway routes to, from its
    /// config entry (Consul 1.8+).
    pub async fn gateway_services(&self, gateway: &str, opts: &QueryOptions) -> Result<WithMeta<Vec<GatewayService>>> {
        validate::name("gateway name", gateway)?;
        let path = PathBuf::new("/v1/catalog/gateway-services").segment("gateway name", gateway)?.finish();
        Ok(crate::client::null_list(self.client.read::<Option<Vec<GatewayService>>>(Request::get(path), opts).await?))
    }

    /// Registers a node (and optionally a service and checks) in the catalog.
    pub async fn register(&self, registration: &CatalogRegistration) -> Result<()> {
        validate::name("node name", &registration.node)?;
        if registration.address.is_empty() {
            return Err(Error::invalid("node address", "", "a catalog registration needs the node's address"));
        }
        if let Some(dc) = &registration.datacenter {
            validate::datacenter(dc)?;
        }
        if let Some(service) = &registration.service {
            validate::name("service name", &service.service)?;
        }
        let request = Request::put("/v1/catalog/register").json(registration)?;
        self.client.write_true(request, &format!("the catalog registration of node {:?}", registration.node)).await
    }

    /// Removes a node, a service or a check from the catalog. Removing
    /// something that is not there succeeds (Consul answers `true`).
    pub async fn deregister(&self, deregistration: &CatalogDeregistration) -> Result<()> {
        let d = deregistration;
        validate::name("node name", &d.node)?;
        if let Some(dc) = &d.datacenter {
            validate::datacenter(dc)?;
        }
        match (&d.service_id, &d.check_id) {
            (Some(_), Some(_)) => {
                return Err(Error::invalid(
                    "catalog deregistration",
                    d.node.clone(),
                    "set service_id or check_id, not both (neither removes the whole node)",
                ));
            }
            (Some(id), None) => validate::name("service ID", id)?,
            (None, Some(id)) => validate::name("check ID", id)?,
            (None, None) => {}
        }
        let what = match (&d.service_id, &d.check_id) {
            (Some(s), _) => format!("the deregistration of service {s:?} on node {:?}", d.node),
            (_, Some(c)) => format!("the deregistration of check {c:?} on node {:?}", d.node),
            _ => format!("the deregistration of node {:?}", d.node),
        };
        self.client.write_true(Request::put("/v1/catalog/deregister").json(d)?, &what).await
    }

    /// Removes catalog entries conditionally, in one transaction: each
    /// [`CatalogTxnOp`] deletes its node, service or check only while its
    /// `ModifyIndex` is the one given. When any of them changed or is gone,
    /// Consul rolls the whole transaction back and nothing is removed
    /// ([`Error::TxnRolledBack`] names the operation). At most
    /// [`crate::txn::MAX_TXN_OPS`] operations; every input is checked before
    /// anything is sent. See [`crate::catalog_txn`] for what a node deletion
    /// cannot guard.
    pub async fn deregister_cas(&self, ops: &[CatalogTxnOp], datacenter: Option<&str>) -> Result<()> {
        crate::catalog_txn::run(&self.client, ops, datacenter).await
    }

    /// Watches the service list: yields it at once, then on every change.
    pub fn watch_services(
        &self,
        opts: &QueryOptions,
        options: WatchOptions,
    ) -> impl Stream<Item = Result<WithMeta<BTreeMap<String, Vec<String>>>>> + Send + 'static + use<> {
        let (catalog, opts) = (self.clone(), opts.clone());
        crate::watch::watch(options, move |blocking| {
            let (catalog, opts) = (catalog.clone(), QueryOptions { blocking, ..opts.clone() });
            async move { catalog.services(&opts).await }
        })
    }
}
