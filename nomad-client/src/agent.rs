//! `/v1/agent`: the agent the client talks to.

use client_core::Request;

use crate::client::NomadClient;
use crate::error::Result;
use crate::models::{AgentMembers, AgentSelf};
use crate::options::QueryOptions;

/// Handler for the local agent; get it with [`NomadClient::agent`].
#[derive(Debug, Clone)]
pub struct Agent {
    client: NomadClient,
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
}
