//! `GET /cluster`: every member as the DCS sees it, with roles and lag.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::client::PatroniClient;
use crate::error::Result;
use crate::vocab::{Role, State};

impl PatroniClient {
    /// `GET /cluster`: every member as the DCS sees it.
    pub async fn cluster(&self) -> Result<ClusterInfo> {
        self.get("/cluster").await
    }
}

/// The cluster as `GET /cluster` reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClusterInfo {
    /// Members, sorted by name.
    #[serde(default)]
    pub members: Vec<ClusterMember>,
    /// The scope (4.x; absent in 3.0.2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// The cluster is paused.
    #[serde(default)]
    pub pause: bool,
    /// A switchover scheduled for later.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduled_switchover: Option<ScheduledSwitchover>,
    /// Keys this crate does not model yet.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl ClusterInfo {
    /// The member holding the leader lock, if any.
    #[must_use]
    pub fn leader(&self) -> Option<&ClusterMember> {
        self.members.iter().find(|m| m.role.is_leader())
    }

    /// The member named `name`.
    #[must_use]
    pub fn member(&self, name: &str) -> Option<&ClusterMember> {
        self.members.iter().find(|m| m.name == name)
    }

    /// Members that are not the leader.
    pub fn replicas(&self) -> impl Iterator<Item = &ClusterMember> {
        self.members.iter().filter(|m| !m.role.is_leader())
    }
}

/// One member in `GET /cluster`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClusterMember {
    /// Member name.
    pub name: String,
    /// `leader`, `standby_leader`, `sync_standby`, `quorum_standby` or `replica`.
    pub role: Role,
    /// The leader's state; for others their replication state when known
    /// (`streaming`), else their state (`running`, `stopped`, ...).
    pub state: State,
    /// The member's REST API URL (`http://host:port/patroni`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_url: Option<String>,
    /// PostgreSQL host.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// PostgreSQL port.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// Timeline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeline: Option<u64>,
    /// Non-leaders: bytes behind the leader's last known position.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lag: Option<Lag>,
    /// Non-leaders (4.1+): position as `X/Y`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lsn: Option<String>,
    /// Non-leaders (4.1+): receive lag in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receive_lag: Option<Lag>,
    /// Non-leaders (4.1+): replay lag in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replay_lag: Option<Lag>,
    /// Non-leaders (4.1+): received position as `X/Y`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receive_lsn: Option<String>,
    /// Non-leaders (4.1+): replayed position as `X/Y`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replay_lsn: Option<String>,
    /// A parameter change waits for a restart.
    #[serde(default)]
    pub pending_restart: bool,
    /// A scheduled restart.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduled_restart: Option<Map<String, Value>>,
    /// The member's tags.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub tags: Map<String, Value>,
    /// Keys this crate does not model yet.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl ClusterMember {
    /// The REST API base URL (the `api_url` without its `/patroni` path).
    #[must_use]
    pub fn api_base_url(&self) -> Option<&str> {
        let url = self.api_url.as_deref()?;
        Some(url.strip_suffix("/patroni").unwrap_or(url))
    }
}

/// Replication lag: bytes, or `unknown` when Patroni cannot tell.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Lag {
    /// Bytes behind.
    Bytes(u64),
    /// Patroni's word for a lag it cannot compute (`unknown`).
    Unknown(String),
}

impl Lag {
    /// The lag in bytes, when known.
    #[must_use]
    pub fn bytes(&self) -> Option<u64> {
        match self {
            Self::Bytes(b) => Some(*b),
            Self::Unknown(_) => None,
        }
    }
}

impl std::fmt::Display for Lag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Bytes(b) => write!(f, "{b}"),
            Self::Unknown(word) => f.write_str(word),
        }
    }
}

/// A switchover scheduled for later (`/cluster`'s `scheduled_switchover`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduledSwitchover {
    /// When (ISO-8601 with time zone).
    pub at: String,
    /// From this leader.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// To this candidate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
}
