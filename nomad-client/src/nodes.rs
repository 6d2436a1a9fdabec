//! `/v1/nodes` and `/v1/node/:id`: list, get, drain, eligibility, purge, allocations.

use std::collections::BTreeMap;
use std::time::Duration;

use client_core::path::ApiPath;
use client_core::{Request, WithMeta};
use serde_json::json;

use crate::client::NomadClient;
use crate::error::{Error, Result, not_found};
use crate::models::{Allocation, Node, NodeListStub, NodeUpdateResponse};
use crate::options::{QueryOptions, WriteOptions};
use crate::validate;
use crate::vocab::{NodeStatus, SchedulingEligibility};

/// How to drain a node; see [`Nodes::drain`].
#[derive(Debug, Clone, Default)]
pub struct DrainOptions {
    /// Region and token.
    pub write: WriteOptions,
    /// After this, remaining allocations are stopped (`None`: wait for them forever).
    pub deadline: Option<Duration>,
    /// Leave system jobs running.
    pub ignore_system_jobs: bool,
    /// Metadata recorded with the drain (Nomad 1.1+), e.g. a `message`.
    pub meta: BTreeMap<String, String>,
}

/// Options of [`Nodes::purge_with`].
#[derive(Debug, Clone, Default)]
pub struct PurgeOptions {
    /// Region and token.
    pub write: WriteOptions,
    /// Purge even a node that is not down. A live client re-registers at once under
    /// the same ID, and its running allocations are stopped as lost and replaced.
    pub even_if_not_down: bool,
}

impl PurgeOptions {
    /// Options that purge only a down node.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Purges the node whatever its status (see [`PurgeOptions::even_if_not_down`]).
    #[must_use]
    pub fn even_if_not_down(mut self) -> Self {
        self.even_if_not_down = true;
        self
    }
}

/// Handler for client nodes; get it with [`NomadClient::nodes`].
#[derive(Debug, Clone)]
pub struct Nodes {
    pub(crate) client: NomadClient,
}

impl NomadClient {
    /// Client nodes: list, get, drain, eligibility, purge, allocations.
    #[must_use]
    pub fn nodes(&self) -> Nodes {
        Nodes { client: self.clone() }
    }
}

pub(crate) fn node_path(id: &str, sub: Option<&'static str>) -> Result<ApiPath> {
    validate::uuid_path("/v1/node", "node ID", id, sub)
}

impl Nodes {
    /// `GET /v1/nodes` (prefix and filter apply). A prefix must be an even number of hex
    /// digits and not empty (Nomad answers 500 to an odd one and lists every node for an
    /// empty one): anything else is refused before the request.
    pub async fn list(&self, opts: &QueryOptions) -> Result<WithMeta<Vec<NodeListStub>>> {
        validate::id_prefix_option("node ID prefix", opts)?;
        self.client.get_meta(self.client.query_global(Request::get("/v1/nodes"), opts)?).await
    }

    /// `GET /v1/nodes?resources=true`: with node and reserved resources, as `nomad node status -verbose`.
    pub async fn list_with_resources(&self, opts: &QueryOptions) -> Result<WithMeta<Vec<NodeListStub>>> {
        validate::id_prefix_option("node ID prefix", opts)?;
        let req = Request::get("/v1/nodes").query("resources", "true");
        self.client.get_meta(self.client.query_global(req, opts)?).await
    }

    /// `GET /v1/node/:id`.
    pub async fn get(&self, id: &str, opts: &QueryOptions) -> Result<WithMeta<Node>> {
        let req = self.client.query_global(Request::get(node_path(id, None)?), opts)?;
        self.client.get_meta(req).await.map_err(not_found("node", id, None))
    }

    /// `GET /v1/node/:id/allocations`.
    pub async fn allocations(&self, id: &str, opts: &QueryOptions) -> Result<WithMeta<Vec<Allocation>>> {
        let req = self.client.query_global(Request::get(node_path(id, Some("allocations"))?), opts)?;
        self.client.get_meta(req).await.map_err(not_found("node", id, None))
    }

    /// `POST /v1/node/:id/drain`: starts draining (the node becomes ineligible).
    pub async fn drain(&self, id: &str, opts: &DrainOptions) -> Result<NodeUpdateResponse> {
        let deadline = match opts.deadline {
            // Nomad reads a negative deadline as "force now"; None means no deadline (0).
            Some(d) => i64::try_from(d.as_nanos()).unwrap_or(i64::MAX).max(1),
            None => 0,
        };
        let mut body = json!({
            "NodeID": id,
            "DrainSpec": { "Deadline": deadline, "IgnoreSystemJobs": opts.ignore_system_jobs },
            "MarkEligible": false,
        });
        if !opts.meta.is_empty() {
            body["Meta"] = json!(opts.meta);
        }
        self.post(id, "drain", &body, &opts.write).await
    }

    /// `POST /v1/node/:id/drain` with no drain spec: stops draining; `mark_eligible` makes it
    /// schedulable again.
    pub async fn cancel_drain(&self, id: &str, mark_eligible: bool, opts: &WriteOptions) -> Result<NodeUpdateResponse> {
        let body = json!({ "NodeID": id, "DrainSpec": null, "MarkEligible": mark_eligible });
        self.post(id, "drain", &body, opts).await
    }

    /// `POST /v1/node/:id/eligibility`: whether new allocations may be placed on the node.
    pub async fn set_eligibility(&self, id: &str, eligible: bool, opts: &WriteOptions) -> Result<NodeUpdateResponse> {
        let value = if eligible { SchedulingEligibility::Eligible } else { SchedulingEligibility::Ineligible };
        self.post(id, "eligibility", &json!({ "NodeID": id, "Eligibility": value }), opts).await
    }

    /// `POST /v1/node/:id/purge`: forgets a node at once (for a client that is gone for good)
    /// instead of waiting for the garbage collector. Its allocations are marked lost.
    ///
    /// Only a down node is purged: the node is read first and any other status is
    /// [`crate::Error::Refused`], because Nomad purges a ready node too (200), the live
    /// client re-registers at once under the same ID, and its running allocations are
    /// stopped as lost. Use [`Nodes::purge_with`] and [`PurgeOptions::even_if_not_down`]
    /// to purge such a node anyway.
    pub async fn purge(&self, id: &str, opts: &WriteOptions) -> Result<NodeUpdateResponse> {
        self.purge_with(id, &PurgeOptions { write: opts.clone(), even_if_not_down: false }).await
    }

    /// [`Nodes::purge`] with its options: the status check is skipped only when
    /// [`PurgeOptions::even_if_not_down`] says so.
    pub async fn purge_with(&self, id: &str, opts: &PurgeOptions) -> Result<NodeUpdateResponse> {
        let path = node_path(id, Some("purge"))?;
        if !opts.even_if_not_down {
            let query = QueryOptions {
                region: opts.write.region.clone(),
                token: opts.write.token.clone(),
                ..QueryOptions::default()
            };
            let node = self.get(id, &query).await?.value;
            if node.status != NodeStatus::Down {
                return Err(Error::Refused {
                    action: format!("purge node {} ({})", node.id, node.name),
                    reason: format!(
                        "it is {}, not down; a live client re-registers at once and its running allocations \
                         are stopped as lost. Purge it anyway with PurgeOptions::even_if_not_down",
                        node.status
                    ),
                });
            }
        }
        let req = self.client.write_global(Request::post(path).idempotent(true), &opts.write)?;
        self.client.json(req).await.map_err(not_found("node", id, None))
    }

    async fn post(
        &self,
        id: &str,
        action: &'static str,
        body: &serde_json::Value,
        opts: &WriteOptions,
    ) -> Result<NodeUpdateResponse> {
        // Setting the same drain or eligibility twice ends in the same state.
        let req = Request::post(node_path(id, Some(action))?).json(body)?.idempotent(true);
        let req = self.client.write_global(req, opts)?;
        self.client.json(req).await.map_err(not_found("node", id, None))
    }
}
