//! Operator: `/v1/operator` — the Raft configuration and peer removal,
//! autopilot's configuration and view of server health, and the gossip
//! keyring. Destructive calls check their target against a fresh read and
//! refuse an unsafe one before sending anything.

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
        let read =
            QueryOptions { datacenter: opts.datacenter.clone(), token: opts.token.clone(), ..QueryOptions::default() }
                .stale();
        let config = self.raft_configuration(&read).await?;
        let Some(target) = config.servers.iter().find(|s| peer.matches(s)).cloned() else {
            let known =
                config.servers.iter().map(|s| format!("{} ({}, {})", s.node, s.address, s.id)).collect::<Vec<_>>();
            return Err(Error::invalid(
                "Raft peer",
                peer.to_string(),
                format!("is not in the Raft configuration; its servers are: {}", known.join(", ")),
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

fn pool_name(pool: &KeyringPool) -> &'static str {
    if pool.wan { "WAN" } else { "LAN" }
}

/// The read a destructive write checks its target with: same datacenter and token.
fn read_options(opts: &WriteOptions) -> QueryOptions {
    QueryOptions { datacenter: opts.datacenter.clone(), token: opts.token.clone(), ..QueryOptions::default() }
}
