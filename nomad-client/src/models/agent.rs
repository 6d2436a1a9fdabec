//! The agent: its members and itself.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `GET /v1/agent/members`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AgentMembers {
    /// Name of the answering server.
    pub server_name: String,
    /// Its region.
    pub server_region: String,
    /// Its datacenter.
    #[serde(rename = "ServerDC")]
    pub server_dc: String,
    /// Gossip members (servers).
    pub members: Vec<AgentMember>,
}

/// A server in the gossip pool.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AgentMember {
    /// Name, `node.region`.
    pub name: String,
    /// Address.
    pub addr: String,
    /// Gossip port.
    pub port: u16,
    /// Tags (role, region, dc, build...).
    pub tags: BTreeMap<String, String>,
    /// `alive`, `left`, `failed`.
    pub status: String,
}

/// `GET /v1/agent/self`: the agent's configuration, membership and stats.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct AgentSelf {
    /// Configuration, kept as sent.
    pub config: Value,
    /// The agent's own membership (servers only).
    pub member: Option<AgentMember>,
    /// Runtime statistics, kept as sent.
    pub stats: Value,
}

/// `GET /v1/agent/health`: one entry per part the agent runs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default)]
pub struct AgentHealthResponse {
    /// The client part, on a client agent.
    pub client: Option<AgentHealth>,
    /// The server part, on a server agent.
    pub server: Option<AgentHealth>,
}

impl AgentHealthResponse {
    /// True when every part the agent runs is healthy.
    #[must_use]
    pub fn ok(&self) -> bool {
        [&self.client, &self.server].into_iter().flatten().all(|h| h.ok)
    }
}

/// The health of one part of an agent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default)]
pub struct AgentHealth {
    /// Healthy.
    pub ok: bool,
    /// What the agent says, e.g. `ok` or why not.
    pub message: String,
}
