//! ACL token self, agent, status and system endpoints.

use client_core::Request;

use crate::client::NomadClient;
use crate::error::Result;
use crate::models::{AclToken, AgentMembers, AgentSelf};
use crate::options::{QueryOptions, WriteOptions};

/// Handler for ACL calls; get it with [`NomadClient::acl`].
#[derive(Debug, Clone)]
pub struct Acl {
    client: NomadClient,
}

/// Handler for the local agent; get it with [`NomadClient::agent`].
#[derive(Debug, Clone)]
pub struct Agent {
    client: NomadClient,
}

/// Handler for cluster status; get it with [`NomadClient::status`].
#[derive(Debug, Clone)]
pub struct Status {
    client: NomadClient,
}

/// Handler for system maintenance; get it with [`NomadClient::system`].
#[derive(Debug, Clone)]
pub struct System {
    client: NomadClient,
}

impl NomadClient {
    /// ACL: the calling token.
    #[must_use]
    pub fn acl(&self) -> Acl {
        Acl { client: self.clone() }
    }

    /// The agent the client talks to: self, members.
    #[must_use]
    pub fn agent(&self) -> Agent {
        Agent { client: self.clone() }
    }

    /// Raft status: leader, peers.
    #[must_use]
    pub fn status(&self) -> Status {
        Status { client: self.clone() }
    }

    /// System maintenance: garbage collection.
    #[must_use]
    pub fn system(&self) -> System {
        System { client: self.clone() }
    }
}

impl Acl {
    /// `GET /v1/acl/token/self`: the token this client sends (its secret redacted in Debug).
    pub async fn token_self(&self, opts: &QueryOptions) -> Result<AclToken> {
        self.client.json(self.client.query_global(Request::get("/v1/acl/token/self"), opts)?).await
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

impl Status {
    /// `GET /v1/status/leader`: the RPC address of the raft leader, e.g. `127.0.0.1:4647`.
    pub async fn leader(&self) -> Result<String> {
        self.client.json(self.client.query_global(Request::get("/v1/status/leader"), &QueryOptions::new())?).await
    }

    /// `GET /v1/status/peers`: RPC addresses of the raft peers.
    pub async fn peers(&self) -> Result<Vec<String>> {
        self.client.json(self.client.query_global(Request::get("/v1/status/peers"), &QueryOptions::new())?).await
    }
}

impl System {
    /// `PUT /v1/system/gc`: runs the garbage collector now.
    pub async fn gc(&self, opts: &WriteOptions) -> Result<()> {
        self.client.send_empty(self.client.write_global(Request::put("/v1/system/gc"), opts)?).await
    }

    /// `PUT /v1/system/reconcile/summaries`: rebuilds job summaries.
    pub async fn reconcile_summaries(&self, opts: &WriteOptions) -> Result<()> {
        self.client.send_empty(self.client.write_global(Request::put("/v1/system/reconcile/summaries"), opts)?).await
    }
}
