//! `GET /patroni` (and every health check's body): one member's status.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::client::PatroniClient;
use crate::error::Result;
use crate::vocab::{Role, SenderSyncState, State, WalSenderState};

impl PatroniClient {
    /// `GET /patroni`: this member's status.
    pub async fn status(&self) -> Result<MemberStatus> {
        self.get("/patroni").await
    }
}

/// One member's status, as `GET /patroni` returns it. Optional keys are
/// absent in the JSON when they do not apply (and `false` flags are only
/// ever sent as `true`), hence the defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemberStatus {
    /// PostgreSQL's state.
    pub state: State,
    /// The member's role (`master` in 3.x and `primary` in 4.x both map to [`Role::Primary`]).
    pub role: Role,
    /// When the postmaster started (Python `str(datetime)`, e.g. `2026-11-22 04:54:40.230110+00:00`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postmaster_start_time: Option<String>,
    /// PostgreSQL's version number, e.g. `150018`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_version: Option<u32>,
    /// WAL positions (absolute byte offsets).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub xlog: Option<Xlog>,
    /// The current timeline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeline: Option<u64>,
    /// A replica's replication state (`streaming`, `in archive recovery`); absent in 3.0.2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replication_state: Option<State>,
    /// Listed as synchronous standby.
    #[serde(default)]
    pub sync_standby: bool,
    /// Listed as quorum standby (4.0+).
    #[serde(default)]
    pub quorum_standby: bool,
    /// On a primary: one entry per connected WAL sender.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub replication: Vec<ReplicationConnection>,
    /// The cluster is paused (maintenance mode).
    #[serde(default)]
    pub pause: bool,
    /// No leader key, or the DCS is unreachable.
    #[serde(default)]
    pub cluster_unlocked: bool,
    /// Failsafe mode is active.
    #[serde(default)]
    pub failsafe_mode_is_active: bool,
    /// Epoch seconds of the last successful DCS contact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dcs_last_seen: Option<u64>,
    /// The member's effective tags.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub tags: Map<String, Value>,
    /// PostgreSQL's system identifier (decimal string).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_system_identifier: Option<String>,
    /// A parameter change waits for a restart.
    #[serde(default)]
    pub pending_restart: bool,
    /// Why a restart is pending: `{param: {old_value, new_value}}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_restart_reason: Option<Map<String, Value>>,
    /// Patroni itself: version, scope and (4.x) member name.
    pub patroni: PatroniInfo,
    /// A scheduled restart: `{schedule, ...filters}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduled_restart: Option<Map<String, Value>>,
    /// The watchdog could not be activated.
    #[serde(default)]
    pub watchdog_failed: bool,
    /// Keys this crate does not model yet.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl MemberStatus {
    /// The member's current WAL position: `location` on a primary, the
    /// larger of received and replayed on a replica.
    #[must_use]
    pub fn wal_position(&self) -> Option<u64> {
        let x = self.xlog.as_ref()?;
        x.location.or_else(|| x.received_location.max(x.replayed_location))
    }
}

/// WAL positions reported under `xlog` (absolute byte offsets, not `X/Y`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Xlog {
    /// Primary: the current write position.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<u64>,
    /// Replica: last WAL position received.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub received_location: Option<u64>,
    /// Replica: last WAL position replayed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replayed_location: Option<u64>,
    /// Replica: commit time of the last replayed transaction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replayed_timestamp: Option<String>,
    /// Replica: WAL replay is paused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paused: Option<bool>,
}

/// One WAL sender on a primary (`pg_stat_replication`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplicationConnection {
    /// Replication user.
    pub usename: String,
    /// The replica's `application_name` (its member name).
    pub application_name: String,
    /// The replica's address.
    #[serde(default)]
    pub client_addr: Option<String>,
    /// WAL sender state, e.g. [`WalSenderState::Streaming`].
    pub state: WalSenderState,
    /// `async`, `sync`, `quorum` or `potential`.
    pub sync_state: SenderSyncState,
    /// Synchronous priority.
    #[serde(default)]
    pub sync_priority: i64,
}

/// The `patroni` object of a status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PatroniInfo {
    /// Patroni's version, e.g. `3.0.2`.
    pub version: String,
    /// The cluster's scope.
    pub scope: String,
    /// The member's name (4.x only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}
