//! `/v1/node/pools` and `/v1/node/pool/:name` (Nomad 1.6+): list (paged),
//! get, put, delete, and a pool's nodes and jobs.

use client_core::path::{ApiPath, PathBuf};
use client_core::{Request, WithMeta};
use futures::Stream;

use crate::client::NomadClient;
use crate::error::{Error, Result, not_found};
use crate::models::{JobListStub, NodeListStub, NodePool};
use crate::options::{QueryOptions, WriteOptions};
use crate::pages::Page;
use crate::validate;

/// The pools every cluster has, which Nomad does not let anyone delete.
pub const BUILT_IN_NODE_POOLS: [&str; 2] = ["all", "default"];

/// Handler for node pools; get it with [`NomadClient::node_pools`].
#[derive(Debug, Clone)]
pub struct NodePools {
    client: NomadClient,
}

impl NomadClient {
    /// Node pools (1.6+): list, get, put, delete, nodes, jobs.
    #[must_use]
    pub fn node_pools(&self) -> NodePools {
        NodePools { client: self.clone() }
    }
}

fn pool_path(name: &str, sub: Option<&'static str>) -> Result<ApiPath> {
    validate::name("node pool", name)?;
    let mut path = PathBuf::new("/v1/node/pool").segment("node pool", name)?;
    if let Some(sub) = sub {
        path = path.literal(sub);
    }
    Ok(path.finish())
}

impl NodePools {
    /// `GET /v1/node/pools`.
    pub async fn list(&self, opts: &QueryOptions) -> Result<WithMeta<Vec<NodePool>>> {
        self.client.get_meta(self.list_request(opts)?).await
    }

    /// Every pool of `GET /v1/node/pools`, page after page.
    pub fn list_stream(&self, opts: &QueryOptions) -> Result<impl Stream<Item = Result<NodePool>> + Send + 'static> {
        self.client.paged(opts, |o| self.list_request(o))
    }

    fn list_request(&self, opts: &QueryOptions) -> Result<Request> {
        validate::no_reverse("/v1/node/pools", opts)?;
        self.client.query_global(Request::get("/v1/node/pools"), opts)
    }

    /// `GET /v1/node/pool/:name`.
    pub async fn get(&self, name: &str, opts: &QueryOptions) -> Result<WithMeta<NodePool>> {
        let req = self.client.query_global(Request::get(pool_path(name, None)?), opts)?;
        self.client.get_meta(req).await.map_err(not_found("node pool", name, None))
    }

    /// `POST /v1/node/pool/:name`: creates or updates the pool `pool.name`.
    pub async fn put(&self, pool: &NodePool, opts: &WriteOptions) -> Result<()> {
        let req = Request::post(pool_path(&pool.name, None)?).json(pool)?.idempotent(true);
        self.client.send_empty(self.client.write_global(req, opts)?).await
    }

    /// `DELETE /v1/node/pool/:name` of exactly this pool; the built-in pools
    /// ([`BUILT_IN_NODE_POOLS`]) are refused before sending. Nomad refuses a
    /// pool that still has nodes or jobs.
    pub async fn delete(&self, name: &str, opts: &WriteOptions) -> Result<()> {
        let path = pool_path(name, None)?;
        if BUILT_IN_NODE_POOLS.contains(&name) {
            return Err(Error::Refused {
                action: format!("delete node pool {name:?}"),
                reason: "it is built in: every cluster has the pools \"all\" and \"default\"".into(),
            });
        }
        let req = Request::delete(path);
        self.client.send_empty(self.client.write_global(req, opts)?).await.map_err(not_found("node pool", name, None))
    }

    /// One page of `GET /v1/node/pool/:name/nodes`.
    pub async fn nodes(&self, name: &str, opts: &QueryOptions) -> Result<Page<NodeListStub>> {
        let req = self.client.query_global(Request::get(pool_path(name, Some("nodes"))?), opts)?;
        self.client.page(req).await.map_err(not_found("node pool", name, None))
    }

    /// One page of `GET /v1/node/pool/:name/jobs` (namespaced: `all_namespaces` for every one).
    pub async fn jobs(&self, name: &str, opts: &QueryOptions) -> Result<Page<JobListStub>> {
        let req = self.client.query(Request::get(pool_path(name, Some("jobs"))?), opts)?;
        self.client.page(req).await.map_err(not_found("node pool", name, None))
    }
}
