//! Operator: `/v1/operator` (the Raft configuration and autopilot's view of server health).

use client_core::Request;
use serde::{Deserialize, Serialize};

use crate::client::ConsulClient;
use crate::error::Result;
use crate::options::QueryOptions;

/// A Raft server (`/v1/operator/raft/configuration`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RaftServer {
    /// Raft server ID (the node ID).
    #[serde(rename = "ID")]
    pub id: String,
    /// Node name.
    pub node: String,
    /// Raft address (`ip:port`).
    pub address: String,
    /// True for the current leader.
    pub leader: bool,
    /// Raft protocol version.
    #[serde(default)]
    pub protocol_version: String,
    /// True when the server votes.
    pub voter: bool,
}

/// The Raft configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RaftConfiguration {
    /// The servers.
    #[serde(default, deserialize_with = "crate::de::null_default")]
    pub servers: Vec<RaftServer>,
    /// Raft index of the configuration.
    #[serde(default)]
    pub index: u64,
}

impl RaftConfiguration {
    /// The leader, if any.
    #[must_use]
    pub fn leader(&self) -> Option<&RaftServer> {
        self.servers.iter().find(|s| s.leader)
    }
}

/// One server in the autopilot health report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AutopilotServer {
    /// Server ID.
    #[serde(rename = "ID")]
    pub id: String,
    /// Node name.
    pub name: String,
    /// Raft address.
    pub address: String,
    /// Serf status (`alive`, `failed`, ...).
    pub serf_status: String,
    /// Consul version.
    #[serde(default)]
    pub version: String,
    /// True for the leader.
    pub leader: bool,
    /// Time since last contact with the leader, Go syntax (`0s`, `12.5ms`).
    #[serde(default)]
    pub last_contact: String,
    /// True when autopilot considers it healthy.
    pub healthy: bool,
    /// True when it votes.
    pub voter: bool,
}

/// `/v1/operator/autopilot/health`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AutopilotHealth {
    /// True when every server is healthy.
    pub healthy: bool,
    /// How many servers may fail without losing quorum.
    pub failure_tolerance: u32,
    /// Per-server health.
    #[serde(default, deserialize_with = "crate::de::null_default")]
    pub servers: Vec<AutopilotServer>,
}

/// The operator handler: `consul.operator()`.
#[derive(Debug, Clone)]
pub struct Operator {
    client: ConsulClient,
}

impl ConsulClient {
    /// Operator endpoints (Raft configuration, autopilot).
    #[must_use]
    pub fn operator(&self) -> Operator {
        Operator { client: self.clone() }
    }
}

impl Operator {
    /// The Raft configuration (needs `operator:read`). Use `Consistency::Stale`
    /// to ask a follower when the leader is gone.
    pub async fn raft_configuration(&self, opts: &QueryOptions) -> Result<RaftConfiguration> {
        Ok(self.client.read(Request::get("/v1/operator/raft/configuration"), opts).await?.value)
    }

    /// Autopilot's view of server health. Consul answers 429 when unhealthy,
    /// with the same body: both decode.
    pub async fn autopilot_health(&self, opts: &QueryOptions) -> Result<AutopilotHealth> {
        let request = opts.apply(Request::get("/v1/operator/autopilot/health"))?;
        // 429 is an answer here, not back-pressure: do not retry it.
        Ok(self.client.send(request.accept_status(&[429]).idempotent(false)).await?.json()?)
    }
}
