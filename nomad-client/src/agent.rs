//! `/v1/agent`: the agent the client talks to.

use client_core::Request;

use crate::client::NomadClient;
use crate::error::Result;
use crate::models::{AgentHealthResponse, AgentMembers, AgentSelf};
use crate::options::QueryOptions;

/// Handler for the local agent; get it with [`NomadClient::agent`].
#[derive(Debug, Clone)]
pub struct Agent {
    pub(crate) client: NomadClient,
}

impl NomadClient {
    /// The agent the client talks to: self, members.
    #[must_use]
    pub fn agent(&self) -> Agent {
        Agent { client: self.clone() }
    }
}

impl Agent {
    /// `GET /v1/agent/self`: configuration, membership, stats.
    pub async fn self_info(&self) -> Result<AgentSelf> {
        self.client.json(self.client.query_global(Request::get("/v1/agent/self"), &QueryOptions::new())?).await
    }

    /// `GET /v1/agent/members`: the servers in the gossip pool.
    pub async fn members(&self) -> Result<AgentMembers> {
        self.client.json(self.client.query_global(Request::get("/v1/agent/members"), &QueryOptions::new())?).await
    }

    /// `GET /v1/agent/health`: whether the agent's client and server parts
    /// work. An unhealthy agent answers HTTP 500 with the same body, which is
    /// returned as an answer (its `ok` false), not an error.
    pub async fn health(&self) -> Result<AgentHealthResponse> {
        // 500 is the answer here, not a failure to retry.
        let req = Request::get("/v1/agent/health").accept_status(&[500]).idempotent(false);
        self.client.json(self.client.query_global(req, &QueryOptions::new())?).await
    }

    /// `GET /v1/agent/servers` (client agents): the servers the client knows, `host:port`.
    pub async fn servers(&self) -> Result<Vec<String>> {
        self.client.json(self.client.query_global(Request::get("/v1/agent/servers"), &QueryOptions::new())?).await
    }
}
