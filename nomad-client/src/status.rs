//! `/v1/status`: the raft leader and peers.

use client_core::Request;

use crate::client::NomadClient;
use crate::error::Result;
use crate::options::QueryOptions;

/// Handler for cluster status; get it with [`NomadClient::status`].
#[derive(Debug, Clone)]
pub struct Status {
    client: NomadClient,
}

impl NomadClient {
    /// Raft status: leader, peers.
    #[must_use]
    pub fn status(&self) -> Status {
        Status { client: self.clone() }
    }
}

impl Status {
    /// `GET /v1/status/leader`: the RPC address of the raft leader, e.g. `127.0.0.1:4647`.
    pub async fn leader(&self) -> Result<String> {
        self.client.json(self.client.query_global(Request::get("/v1/status/leader"), &QueryOptions::new())?).await
    }

    /// `GET /v1/regions`: the regions of the federation, e.g. `["global"]`.
    pub async fn regions(&self) -> Result<Vec<String>> {
        self.client.json(self.client.query_global(Request::get("/v1/regions"), &QueryOptions::new())?).await
    }

    /// `GET /v1/status/peers`: RPC addresses of the raft peers.
    pub async fn peers(&self) -> Result<Vec<String>> {
        self.client.json(self.client.query_global(Request::get("/v1/status/peers"), &QueryOptions::new())?).await
    }
}
