//! Operator: `/v1/operator` — the Raft configuration, peer removal and
//! leadership transfer, autopilot's configuration and views of server
//! health and state, the gossip keyring, and usage counts. Destructive
//! calls check their target against a fresh read and refuse an unsafe one
//! before sending anything. Endpoints newer than some servers
//! ([`Operator::raft_transfer_leader`] 1.15+, [`Operator::autopilot_state`]
//! 1.9+, [`Operator::usage`] 1.11+) turn an older server's 404 into
//! [`Error::Unsupported`] naming the version they need.

use std::collections::BTreeMap;

use base64::Engine as _;
use client_core::{Request, Secret, WithMeta};
use serde::{Deserialize, Serialize};

use crate::client::ConsulClient;
use crate::error::{Error, Result};
use crate::options::{QueryOptions, WriteOptions};

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

/// A Raft peer to remove: by its Raft address (`ip:port`) or its server ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RaftPeer<'a> {
    /// The peer's Raft address, exactly as the configuration lists it (`10.0.0.3:8300`).
    Address(&'a str),
    /// The peer's server ID (a UUID, the node ID).
    Id(&'a str),
}

impl RaftPeer<'_> {
    fn matches(&self, server: &RaftServer) -> bool {
        match self {
            Self::Address(a) => server.address == *a,
            Self::Id(id) => server.id == *id,
        }
    }
}

impl std::fmt::Display for RaftPeer<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Address(a) => write!(f, "address {a:?}"),
            Self::Id(id) => write!(f, "ID {id:?}"),
        }
    }
}

/// Autopilot's configuration (`/v1/operator/autopilot/configuration`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AutopilotConfiguration {
    /// Remove dead servers when a new one joins.
    pub cleanup_dead_servers: bool,
    /// Longest time without leader contact before a server is unhealthy (Go syntax, `200ms`).
    pub last_contact_threshold: String,
    /// Most log entries a server may trail the leader by and stay healthy.
    pub max_trailing_logs: u64,
    /// Fewest servers autopilot keeps when pruning dead ones.
    #[serde(default)]
    pub min_quorum: u64,
    /// How long a new server must be healthy before it votes (Go syntax, `10s`).
    pub server_stabilization_time: String,
    /// Node-meta key naming redundancy zones (Enterprise).
    #[serde(default)]
    pub redundancy_zone_tag: String,
    /// Disables upgrade migrations (Enterprise).
    #[serde(default)]
    pub disable_upgrade_migration: bool,
    /// Node-meta key holding the upgrade version (Enterprise).
    #[serde(default)]
    pub upgrade_version_tag: String,
    /// Raft index of creation (read only: the CAS index for a set).
    #[serde(default, skip_serializing)]
    pub create_index: u64,
    /// Raft index of the last change (read only: the CAS index for a set).
    #[serde(default, skip_serializing)]
    pub modify_index: u64,
}

/// One gossip pool's keyring (`/v1/operator/keyring`): each key's count of
/// nodes that have it installed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeyringPool {
    /// True for the WAN pool (servers of every datacenter).
    #[serde(rename = "WAN")]
    pub wan: bool,
    /// The datacenter.
    pub datacenter: String,
    /// The network segment (Enterprise; empty otherwise).
    #[serde(default)]
    pub segment: String,
    /// Installed keys and how many nodes have each. Keys are secrets: they
    /// are kept as [`Secret`]s and never shown by `Debug`.
    #[serde(default, deserialize_with = "secret_counts")]
    pub keys: Vec<(Secret, u32)>,
    /// The primary (encrypting) keys and how many nodes use each.
    #[serde(default, deserialize_with = "secret_counts")]
    pub primary_keys: Vec<(Secret, u32)>,
    /// Nodes in the pool.
    pub num_nodes: u32,
}

impl KeyringPool {
    /// True when `key` is installed in this pool.
    #[must_use]
    pub fn has_key(&self, key: &Secret) -> bool {
        self.keys.iter().any(|(k, _)| k == key)
    }

    /// True when `key` is a primary key on any node of this pool.
    #[must_use]
    pub fn is_primary(&self, key: &Secret) -> bool {
        self.primary_keys.iter().any(|(k, _)| k == key)
    }
}

fn secret_counts<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Vec<(Secret, u32)>, D::Error> {
    let map = Option::<BTreeMap<String, u32>>::deserialize(d)?.unwrap_or_default();
    Ok(map.into_iter().map(|(k, n)| (Secret::new(k), n)).collect())
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct KeyBody<'a> {
    key: &'a str,
}

/// A gossip key: base64 of 16, 24 or 32 bytes (what `consul keygen` prints).
fn check_key(key: &Secret) -> Result<()> {
    let decoded = base64::engine::general_purpose::STANDARD.decode(key.expose().trim());
    match decoded {
        Ok(bytes) if matches!(bytes.len(), 16 | 24 | 32) => Ok(()),
        _ => Err(Error::invalid(
            "gossip encryption key",
            "<redacted>",
            "must be base64 of 16, 24 or 32 bytes, as `consul keygen` prints",
        )),
    }
}

impl Operator {
    /// The Raft configuration (needs `operator:read`). Use `Consistency::Stale`
    /// to ask a follower when the leader is gone.
    pub async fn raft_configuration(&self, opts: &QueryOptions) -> Result<RaftConfiguration> {
        Ok(self.client.read(Request::get("/v1/operator/raft/configuration"), opts).await?.value)
    }

    /// Removes a Raft peer (needs `operator:write`): the way out for a
    /// server that died and will not come back. The target is checked
    /// against a fresh (stale-allowed) read of the configuration first, and
    /// refused before sending when it is not in it, or when it is the only
    /// server or the only voter left (removing it would leave no quorum).
    /// The DELETE names the peer exactly as given.
    ///
    /// ```no_run
    /// # async fn demo(consul: consul_client::ConsulClient) -> consul_client::Result<()> {
    /// use consul_client::RaftPeer;
    /// let removed = consul.operator().raft_remove_peer(RaftPeer::Address("10.0.0.3:8300"), &Default::default()).await?;
    /// println!("removed {} ({})", removed.node, removed.id);
    /// # Ok(()) }
    /// ```
    pub async fn raft_remove_peer(&self, peer: RaftPeer<'_>, opts: &WriteOptions) -> Result<RaftServer> {
        let (key, value) = match peer {
            RaftPeer::Address(a) => {
                if a.parse::<std::net::SocketAddr>().is_err() {
                    return Err(Error::invalid(
                        "Raft peer address",
                        a,
                        "must be ip:port, as the configuration lists it",
                    ));
                }
                ("address", a)
            }
            RaftPeer::Id(id) => {
                crate::validate::uuid("Raft peer ID", id)?;
                ("id", id)
            }
        };
        let config = self.raft_configuration(&read_options(opts).stale()).await?;
        let Some(target) = config.servers.iter().find(|s| peer.matches(s)).cloned() else {
            return Err(Error::invalid(
                "Raft peer",
                peer.to_string(),
                format!("is not in the Raft configuration; its servers are: {}", describe(&config)),
            ));
        };
        if config.servers.len() == 1 {
            return Err(Error::invalid(
                "Raft peer",
                peer.to_string(),
                format!("is {}, the only server of the cluster: removing it would leave no cluster", target.node),
            ));
        }
        if target.voter && config.servers.iter().filter(|s| s.voter).count() == 1 {
            return Err(Error::invalid(
                "Raft peer",
                peer.to_string(),
                format!("is {}, the only voter left: removing it would leave no quorum", target.node),
            ));
        }
        let request = opts.apply(Request::delete("/v1/operator/raft/peer").query(key, value))?;
        self.client.send(request).await?;
        Ok(target)
    }

    /// Autopilot's configuration, with the index to pass to [`Operator::autopilot_set_configuration`].
    pub async fn autopilot_configuration(&self, opts: &QueryOptions) -> Result<WithMeta<AutopilotConfiguration>> {
        self.client.read(Request::get("/v1/operator/autopilot/configuration"), opts).await
    }

    /// Sets autopilot's configuration. With `cas: Some(index)` it applies
    /// only if the configuration's `ModifyIndex` is still `index` and
    /// answers `false` otherwise; `None` sets it unconditionally.
    pub async fn autopilot_set_configuration(
        &self,
        config: &AutopilotConfiguration,
        cas: Option<u64>,
        opts: &WriteOptions,
    ) -> Result<bool> {
        let mut request = Request::put("/v1/operator/autopilot/configuration").json(config)?.query_opt("cas", cas);
        if cas.is_some() {
            request = request.idempotent(false);
        }
        self.client.write_bool(opts.apply(request)?).await
    }

    /// The gossip keyring of every pool (WAN and each LAN), from every node.
    pub async fn keyring_list(&self, opts: &QueryOptions) -> Result<Vec<KeyringPool>> {
        let request = opts.apply(Request::get("/v1/operator/keyring"))?;
        Ok(self.client.json::<Option<Vec<KeyringPool>>>(request).await?.unwrap_or_default())
    }

    /// Installs a new gossip key on every node (it is not used to encrypt
    /// until [`Operator::keyring_use`]).
    pub async fn keyring_install(&self, key: &Secret, opts: &WriteOptions) -> Result<()> {
        check_key(key)?;
        let request = opts.apply(Request::post("/v1/operator/keyring").json(&KeyBody { key: key.expose() })?)?;
        self.client.send(request.idempotent(true)).await.map(drop)
    }

    /// Makes an installed key the primary (encrypting) key on every node.
    /// A key not installed in every pool is refused before sending.
    pub async fn keyring_use(&self, key: &Secret, opts: &WriteOptions) -> Result<()> {
        check_key(key)?;
        let pools = self.keyring_list(&read_options(opts)).await?;
        if let Some(pool) = pools.iter().find(|p| !p.has_key(key)) {
            return Err(Error::invalid(
                "gossip encryption key",
                "<redacted>",
                format!("is not installed in the {} pool of {}; install it first", pool_name(pool), pool.datacenter),
            ));
        }
        let request = opts.apply(Request::put("/v1/operator/keyring").json(&KeyBody { key: key.expose() })?)?;
        self.client.send(request).await.map(drop)
    }

    /// Removes a gossip key from every node. Refused before sending, after a
    /// fresh keyring read: a key that is the primary key anywhere (in use:
    /// removing it would cut that node off), and a key not installed at all.
    pub async fn keyring_remove(&self, key: &Secret, opts: &WriteOptions) -> Result<()> {
        check_key(key)?;
        let pools = self.keyring_list(&read_options(opts)).await?;
        if let Some(pool) = pools.iter().find(|p| p.is_primary(key)) {
            return Err(Error::invalid(
                "gossip encryption key",
                "<redacted>",
                format!(
                    "is the primary key in use in the {} pool of {}: make another key primary with keyring_use first",
                    pool_name(pool),
                    pool.datacenter
                ),
            ));
        }
        if !pools.iter().any(|p| p.has_key(key)) {
            return Err(Error::invalid("gossip encryption key", "<redacted>", "is not installed on any node"));
        }
        let request = opts.apply(Request::delete("/v1/operator/keyring").json(&KeyBody { key: key.expose() })?)?;
        self.client.send(request).await.map(drop)
    }

    /// Autopilot's view of server health. Consul answers 429 when unhealthy,
    /// with the same body: both decode.
    pub async fn autopilot_health(&self, opts: &QueryOptions) -> Result<AutopilotHealth> {
        let request = opts.apply(Request::get("/v1/operator/autopilot/health"))?;
        // 429 is an answer here, not back-pressure: do not retry it.
        Ok(self.client.send(request.accept_status(&[429]).idempotent(false)).await?.json()?)
    }
}

impl Operator {
    /// Hands Raft leadership to `target` (a server ID from
    /// [`Operator::raft_configuration`]) or, with `None`, to a server Consul
    /// picks (needs `operator:write`, Consul 1.15+). Refused before sending,
    /// after a fresh read of the configuration: an unknown target, a target
    /// that does not vote or already leads, and a cluster with no other
    /// voter to take over.
    ///
    /// ```no_run
    /// # async fn demo(consul: consul_client::ConsulClient) -> consul_client::Result<()> {
    /// consul.operator().raft_transfer_leader(Some("09cfc046-e74a-ad49-1aad-c2161b7fe677"), &Default::default()).await?;
    /// # Ok(()) }
    /// ```
    pub async fn raft_transfer_leader(&self, target: Option<&str>, opts: &WriteOptions) -> Result<()> {
        if let Some(id) = target {
            crate::validate::uuid("Raft server ID", id)?;
        }
        let config = self.raft_configuration(&read_options(opts).stale()).await?;
        let others = config.servers.iter().filter(|s| s.voter && !s.leader).count();
        match target.map(|id| (id, config.servers.iter().find(|s| s.id == id))) {
            Some((id, None)) => {
                return Err(Error::invalid(
                    "Raft server ID",
                    id,
                    format!("is not in the Raft configuration; its servers are: {}", describe(&config)),
                ));
            }
            Some((id, Some(server))) if server.leader => {
                return Err(Error::invalid("Raft server ID", id, format!("is {}, already the leader", server.node)));
            }
            Some((id, Some(server))) if !server.voter => {
                return Err(Error::invalid(
                    "Raft server ID",
                    id,
                    format!("is {}, which does not vote and cannot lead", server.node),
                ));
            }
            None if others == 0 => {
                return Err(Error::invalid(
                    "Raft leadership transfer",
                    "",
                    format!("needs another voting server to take over; the servers are: {}", describe(&config)),
                ));
            }
            _ => {}
        }
        let request = Request::post("/v1/operator/raft/transfer-leader").query_opt("id", target).idempotent(false);
        let resp = self.client.send(opts.apply(request)?).await.map_err(|e| {
            newer_than_server(e, "Raft leadership transfer (/v1/operator/raft/transfer-leader)", "1.15")
        })?;
        let answer: TransferLeader = resp.json()?;
        if answer.success { Ok(()) } else { Err(Error::NotApplied { what: "the Raft leadership transfer".into() }) }
    }

    /// Autopilot's full view of the servers (needs `operator:read`, Consul
    /// 1.9+): health, failure tolerance, voters and, in Enterprise,
    /// redundancy zones, read replicas and upgrade progress.
    pub async fn autopilot_state(&self, opts: &QueryOptions) -> Result<AutopilotState> {
        let request = opts.apply(Request::get("/v1/operator/autopilot/state"))?;
        let resp = self
            .client
            .send(request)
            .await
            .map_err(|e| newer_than_server(e, "autopilot state (/v1/operator/autopilot/state)", "1.9"))?;
        Ok(resp.json()?)
    }

    /// Counts of services and instances per datacenter (needs
    /// `operator:read`, Consul 1.11+); `global`: every known datacenter,
    /// otherwise the local one. Supports blocking queries.
    pub async fn usage(&self, global: bool, opts: &QueryOptions) -> Result<WithMeta<OperatorUsage>> {
        let request = Request::get("/v1/operator/usage").flag("global", global);
        let read = self.client.read(request, opts).await;
        read.map_err(|e| newer_than_server(e, "usage counts (/v1/operator/usage)", "1.11"))
    }
}

/// An older server answers 404 for an endpoint it does not have: say which version has it.
fn newer_than_server(e: Error, what: &str, version: &str) -> Error {
    if client_core::ClientError::is_not_found(&e) {
        Error::Unsupported {
            what: what.to_owned(),
            reason: format!("not available in this Consul version; it needs Consul {version} or newer ({e})"),
        }
    } else {
        e
    }
}

fn describe(config: &RaftConfiguration) -> String {
    config.servers.iter().map(|s| format!("{} ({}, {})", s.node, s.address, s.id)).collect::<Vec<_>>().join(", ")
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TransferLeader {
    success: bool,
}

/// `/v1/operator/autopilot/state`: autopilot's full view of the servers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct AutopilotState {
    /// True when every server is healthy.
    pub healthy: bool,
    /// How many servers may fail without an outage.
    pub failure_tolerance: u32,
    /// How many may fail in the right order over time (Enterprise, redundancy zones).
    #[serde(default)]
    pub optimistic_failure_tolerance: u32,
    /// Each server by its ID.
    #[serde(default, deserialize_with = "crate::de::null_default")]
    pub servers: BTreeMap<String, AutopilotServerState>,
    /// The leader's server ID.
    #[serde(default)]
    pub leader: String,
    /// Server IDs of the voters.
    #[serde(default, deserialize_with = "crate::de::null_default")]
    pub voters: Vec<String>,
    /// Redundancy zones by name (Enterprise).
    #[serde(default, deserialize_with = "crate::de::null_default")]
    pub redundancy_zones: BTreeMap<String, AutopilotZone>,
    /// Server IDs of read replicas, never promoted (Enterprise).
    #[serde(default, deserialize_with = "crate::de::null_default")]
    pub read_replicas: Vec<String>,
    /// An automated upgrade's progress (Enterprise).
    #[serde(default)]
    pub upgrade: Option<AutopilotUpgrade>,
}

/// One server in [`AutopilotState::servers`]. Every field may be missing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
#[non_exhaustive]
pub struct AutopilotServerState {
    /// Raft ID.
    #[serde(rename = "ID")]
    pub id: String,
    /// Node name.
    pub name: String,
    /// Raft address.
    pub address: String,
    /// Serf health status (`alive`, `failed`, ...).
    pub node_status: String,
    /// Consul version.
    pub version: String,
    /// Time since the last leader contact, Go syntax (`1.321ms`).
    pub last_contact: String,
    /// Last Raft term it knows.
    pub last_term: u64,
    /// Index of its last committed log entry.
    pub last_index: u64,
    /// Healthy by the autopilot configuration.
    pub healthy: bool,
    /// Since when it has been in its current health state (RFC 3339).
    pub stable_since: String,
    /// Its redundancy zone (Enterprise).
    pub redundancy_zone: String,
    /// The version used for upgrade decisions (Enterprise).
    pub upgrade_version: String,
    /// True for a read replica (Enterprise).
    pub read_replica: bool,
    /// Raft status: `leader`, `voter`, `non-voter` or `staging`.
    pub status: String,
    /// Node metadata.
    #[serde(deserialize_with = "crate::de::null_default")]
    pub meta: BTreeMap<String, String>,
    /// The type autopilot wants it to have (`voter`; Enterprise adds `read-replica`, `zone-voter`...).
    pub node_type: String,
}

/// A redundancy zone in [`AutopilotState::redundancy_zones`] (Enterprise).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
#[non_exhaustive]
pub struct AutopilotZone {
    /// Server IDs in the zone.
    #[serde(deserialize_with = "crate::de::null_default")]
    pub servers: Vec<String>,
    /// Those that vote.
    #[serde(deserialize_with = "crate::de::null_default")]
    pub voters: Vec<String>,
    /// How many of its servers may fail before another zone's server is promoted.
    pub failure_tolerance: u32,
}

/// An automated upgrade's progress (Enterprise): [`AutopilotState::upgrade`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
#[non_exhaustive]
pub struct AutopilotUpgrade {
    /// `disabled`, `idle`, `await-new-voters`, `promoting`, `demoting`,
    /// `leader-transfer`, `await-new-servers` or `await-server-removal`.
    pub status: String,
    /// The version upgraded to.
    pub target_version: String,
    /// Server IDs on the target version that vote.
    #[serde(deserialize_with = "crate::de::null_default")]
    pub target_version_voters: Vec<String>,
    /// Server IDs on the target version that do not vote.
    #[serde(deserialize_with = "crate::de::null_default")]
    pub target_version_non_voters: Vec<String>,
    /// Read replicas on the target version.
    #[serde(deserialize_with = "crate::de::null_default")]
    pub target_version_read_replicas: Vec<String>,
    /// Server IDs on another version that vote.
    #[serde(deserialize_with = "crate::de::null_default")]
    pub other_version_voters: Vec<String>,
    /// Server IDs on another version that do not vote.
    #[serde(deserialize_with = "crate::de::null_default")]
    pub other_version_non_voters: Vec<String>,
    /// Read replicas on another version.
    #[serde(deserialize_with = "crate::de::null_default")]
    pub other_version_read_replicas: Vec<String>,
}

/// `/v1/operator/usage`: counts per datacenter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct OperatorUsage {
    /// Counts by datacenter name.
    #[serde(default, deserialize_with = "crate::de::null_default")]
    pub usage: BTreeMap<String, ServiceUsage>,
}

/// The counts of one datacenter in [`OperatorUsage::usage`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
#[non_exhaustive]
pub struct ServiceUsage {
    /// Distinct service names.
    pub services: u64,
    /// Service instances.
    pub service_instances: u64,
    /// Mesh instances by kind (`connect-proxy`, `mesh-gateway`, ...).
    #[serde(deserialize_with = "crate::de::null_default")]
    pub connect_service_instances: BTreeMap<String, u64>,
    /// Billable instances (Enterprise: instances without mesh or server instances).
    pub billable_service_instances: u64,
    /// Distinct service names by partition, then namespace (Enterprise).
    #[serde(deserialize_with = "crate::de::null_default")]
    pub partition_namespace_services: BTreeMap<String, BTreeMap<String, u64>>,
    /// Instances by partition, then namespace (Enterprise).
    #[serde(deserialize_with = "crate::de::null_default")]
    pub partition_namespace_service_instances: BTreeMap<String, BTreeMap<String, u64>>,
    /// Billable instances by partition, then namespace (Enterprise).
    #[serde(deserialize_with = "crate::de::null_default")]
    pub partition_namespace_billable_service_instances: BTreeMap<String, BTreeMap<String, u64>>,
    /// Mesh instances by partition, namespace, then kind (Enterprise).
    #[serde(deserialize_with = "crate::de::null_default")]
    pub partition_namespace_connect_service_instances: BTreeMap<String, BTreeMap<String, BTreeMap<String, u64>>>,
}

fn pool_name(pool: &KeyringPool) -> &'static str {
    if pool.wan { "WAN" } else { "LAN" }
}

/// The read a destructive write checks its target with: same datacenter and token.
fn read_options(opts: &WriteOptions) -> QueryOptions {
    QueryOptions { datacenter: opts.datacenter.clone(), token: opts.token.clone(), ..QueryOptions::default() }
}
