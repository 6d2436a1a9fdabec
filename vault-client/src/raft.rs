//! Integrated storage (raft) under `sys/storage/raft` (`vault operator
//! raft ...`): the peers, remove-peer, autopilot state and configuration,
//! and snapshots saved and restored as streams in constant memory.
//!
//! Every call needs raft storage; another backend answers 404 `unsupported
//! path`.

use std::collections::BTreeMap;
use std::time::Duration;

use client_core::snapshot::{ArchiveKind, SaveError, save_checked};
use client_core::{Method, Request};
use serde::{Deserialize, Serialize, Serializer};
use tokio::io::{AsyncRead, AsyncWrite};

use crate::client::VaultClient;
use crate::error::{Error, Result};
use crate::sys::Sys;

/// Longest a snapshot restore may take to upload and apply.
pub const RESTORE_TIMEOUT: Duration = Duration::from_secs(600);

impl Sys {
    /// Integrated storage (raft) operations.
    #[must_use]
    pub fn raft(&self) -> Raft {
        Raft { client: self.client.clone() }
    }
}

/// `sys/storage/raft/*`.
#[derive(Debug, Clone)]
pub struct Raft {
    client: VaultClient,
}

/// `sys/storage/raft/configuration`: the raft peers.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct RaftConfiguration {
    /// Raft index of this configuration.
    #[serde(default)]
    pub index: u64,
    /// The peers.
    #[serde(default)]
    pub servers: Vec<RaftServer>,
}

/// One raft peer.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct RaftServer {
    /// Node ID.
    pub node_id: String,
    /// Cluster address (`host:8201`).
    pub address: String,
    /// Whether this peer is the leader.
    #[serde(default)]
    pub leader: bool,
    /// Whether this peer votes.
    #[serde(default)]
    pub voter: bool,
    /// Raft protocol version.
    #[serde(default)]
    pub protocol_version: String,
}

#[derive(Deserialize)]
struct RaftData {
    config: RaftConfiguration,
}

/// `sys/storage/raft/autopilot/state` (Vault 1.7+): the cluster's health as
/// autopilot sees it.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[non_exhaustive]
pub struct AutopilotState {
    /// Whether every server is healthy.
    pub healthy: bool,
    /// How many voters can fail without losing quorum.
    #[serde(default)]
    pub failure_tolerance: u32,
    /// Node ID of the leader.
    #[serde(default)]
    pub leader: String,
    /// Node IDs of the voters.
    #[serde(default)]
    pub voters: Vec<String>,
    /// Node IDs of the non-voters.
    #[serde(default)]
    pub non_voters: Vec<String>,
    /// Every server by node ID.
    #[serde(default)]
    pub servers: BTreeMap<String, AutopilotServer>,
}

/// One server in [`AutopilotState`].
#[derive(Debug, Clone, Deserialize, Serialize)]
#[non_exhaustive]
pub struct AutopilotServer {
    /// Node ID.
    pub id: String,
    /// Node name.
    #[serde(default)]
    pub name: String,
    /// Cluster address.
    #[serde(default)]
    pub address: String,
    /// `alive`, `left`, `failed`...
    #[serde(default)]
    pub node_status: String,
    /// `leader`, `voter`, `non-voter`, `staging`...
    #[serde(default)]
    pub status: String,
    /// Whether autopilot considers it healthy.
    #[serde(default)]
    pub healthy: bool,
    /// Time since the leader last heard from it (`"678.62575ms"` on the wire).
    #[serde(default, deserialize_with = "crate::response::seconds::deserialize_opt")]
    pub last_contact: Option<Duration>,
    /// Last raft term it saw.
    #[serde(default)]
    pub last_term: u64,
    /// Last raft index it stored.
    #[serde(default)]
    pub last_index: u64,
    /// Since when it has been stable (RFC 3339).
    #[serde(default)]
    pub stable_since: String,
    /// `voter` or `read-replica` (newer Vaults).
    #[serde(default)]
    pub node_type: Option<String>,
    /// Vault version of the node (newer Vaults).
    #[serde(default)]
    pub version: Option<String>,
}

/// `sys/storage/raft/autopilot/configuration` (Vault 1.7+). Read it, change
/// fields, write it back with [`Raft::set_autopilot_config`].
#[derive(Debug, Clone, Deserialize, Serialize)]
#[non_exhaustive]
pub struct AutopilotConfig {
    /// Remove dead servers automatically (needs `min_quorum` ≥ 3).
    #[serde(default)]
    pub cleanup_dead_servers: bool,
    /// How long without contact before a server counts as unhealthy.
    #[serde(deserialize_with = "crate::response::seconds::deserialize", serialize_with = "go_duration")]
    pub last_contact_threshold: Duration,
    /// How long without contact before a dead server may be removed.
    #[serde(deserialize_with = "crate::response::seconds::deserialize", serialize_with = "go_duration")]
    pub dead_server_last_contact_threshold: Duration,
    /// Log entries a server may lag behind before it counts as unhealthy.
    #[serde(default)]
    pub max_trailing_logs: u64,
    /// Voters that dead-server cleanup never goes below.
    #[serde(default)]
    pub min_quorum: u32,
    /// How long a new server must be healthy before it is promoted to voter.
    #[serde(deserialize_with = "crate::response::seconds::deserialize", serialize_with = "go_duration")]
    pub server_stabilization_time: Duration,
    /// Enterprise: no automated upgrade migrations.
    #[serde(default)]
    pub disable_upgrade_migration: bool,
}

/// A duration as Go's `time.ParseDuration` reads it: whole seconds, or milliseconds.
fn go_duration<S: Serializer>(d: &Duration, s: S) -> std::result::Result<S::Ok, S::Error> {
    if d.subsec_nanos() == 0 {
        s.serialize_str(&format!("{}s", d.as_secs()))
    } else {
        s.serialize_str(&format!("{}ms", d.as_millis()))
    }
}

/// What [`Raft::snapshot_save`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SnapshotSaved {
    /// Bytes written.
    pub bytes: u64,
    /// What the archive's own `meta.json` says (Raft index and term of the
    /// state it holds), read while the archive was checked.
    pub archive: client_core::snapshot::ArchiveMeta,
}

const SNAPSHOT: &str = "sys/storage/raft/snapshot";

impl Raft {
    /// `GET sys/storage/raft/configuration`: the raft peers.
    pub async fn configuration(&self) -> Result<RaftConfiguration> {
        let path = "sys/storage/raft/configuration";
        let req = self.client.request(Method::GET, "Vault path", path)?;
        Ok(self.client.send_data::<RaftData>(req, path, &[]).await?.config)
    }

    /// `POST sys/storage/raft/remove-peer`: removes the peer with node ID
    /// `server_id` (`vault operator raft remove-peer`). The configuration is
    /// read first, and refused before sending: an ID that is not a peer
    /// (IDs are matched exactly), the only server, and the last voter
    /// (removing it would leave no quorum).
    pub async fn remove_peer(&self, server_id: &str) -> Result<()> {
        if server_id.trim().is_empty() {
            return Err(Error::invalid(
                "raft server ID",
                server_id,
                "is empty; name a node ID from the raft configuration",
            ));
        }
        let config = self.configuration().await?;
        let Some(peer) = config.servers.iter().find(|s| s.node_id == server_id) else {
            let ids: Vec<&str> = config.servers.iter().map(|s| s.node_id.as_str()).collect();
            return Err(Error::invalid(
                "raft server ID",
                server_id,
                &format!("is not a peer of this cluster (its node IDs: {})", ids.join(", ")),
            ));
        };
        if config.servers.len() == 1 {
            return Err(Error::invalid("raft server ID", server_id, "is the only server of the cluster"));
        }
        if peer.voter && config.servers.iter().filter(|s| s.voter).count() == 1 {
            return Err(Error::invalid(
                "raft server ID",
                server_id,
                "is the last voter: removing it would leave the cluster without quorum",
            ));
        }
        let path = "sys/storage/raft/remove-peer";
        let req = self
            .client
            .request(Method::POST, "Vault path", path)?
            .json(&serde_json::json!({ "server_id": server_id }))?;
        self.client.send(req, path, &[]).await.map(drop)
    }

    /// `GET sys/storage/raft/autopilot/state` (Vault 1.7+).
    pub async fn autopilot_state(&self) -> Result<AutopilotState> {
        let path = "sys/storage/raft/autopilot/state";
        let req = self.client.request(Method::GET, "Vault path", path)?;
        self.client.send_data(req, path, &[]).await
    }

    /// `GET sys/storage/raft/autopilot/configuration` (Vault 1.7+).
    pub async fn autopilot_config(&self) -> Result<AutopilotConfig> {
        let path = "sys/storage/raft/autopilot/configuration";
        let req = self.client.request(Method::GET, "Vault path", path)?;
        self.client.send_data(req, path, &[]).await
    }

    /// `POST sys/storage/raft/autopilot/configuration`: writes every field
    /// of `config`. Dead-server cleanup with `min_quorum` below 3 is
    /// refused before sending, as Vault refuses it.
    pub async fn set_autopilot_config(&self, config: &AutopilotConfig) -> Result<()> {
        if config.cleanup_dead_servers && config.min_quorum < 3 {
            return Err(Error::invalid(
                "autopilot min_quorum",
                &config.min_quorum.to_string(),
                "must be at least 3 when cleanup_dead_servers is on",
            ));
        }
        let path = "sys/storage/raft/autopilot/configuration";
        let req = self.client.request(Method::POST, "Vault path", path)?.json(config)?;
        self.client.send(req, path, &[]).await.map(drop)
    }

    /// `GET sys/storage/raft/snapshot`: streams a snapshot of the whole
    /// storage (a gzip archive) into `writer` as it arrives, in constant
    /// memory (`vault operator raft snapshot save`).
    ///
    /// Vault answers `200 OK` before it writes the archive, so a snapshot
    /// that failed midway (a seal that could not encrypt the sums, a leader
    /// change) looks like a normal answer. As the Go client does, the
    /// archive must end with a non-empty `SHA256SUMS.sealed`; beyond it,
    /// the whole archive is checked as it streams ([`client_core::snapshot`]:
    /// gzip CRC, tar headers, the SHA-256 of `meta.json` and `state.bin`
    /// against `SHA256SUMS`). Either failing is
    /// [`client_core::Error::SnapshotDamaged`]. On any error `writer` holds a
    /// partial snapshot that must not be restored.
    ///
    /// ```no_run
    /// # async fn demo(vault: vault_client::VaultClient) -> vault_client::Result<()> {
    /// let mut file = tokio::fs::File::create("vault.snap").await.unwrap();
    /// let saved = vault.sys().raft().snapshot_save(&mut file).await?;
    /// println!("{} bytes at raft index {}", saved.bytes, saved.archive.index);
    /// # Ok(()) }
    /// ```
    pub async fn snapshot_save<W: AsyncWrite + Unpin + ?Sized>(&self, writer: &mut W) -> Result<SnapshotSaved> {
        let req = self.client.request(Method::GET, "Vault path", SNAPSHOT)?;
        let body = self.client.stream(req, SNAPSHOT).await?.bytes();
        let request = ("GET", "/v1/sys/storage/raft/snapshot");
        let saved = save_checked(body, writer, ArchiveKind::VaultRaft, request, |_| {}).await.map_err(|e| match e {
            SaveError::Body(e) => Error::from(e),
            SaveError::Write(source) => Error::Io { what: "write the raft snapshot", source },
        })?;
        Ok(SnapshotSaved { bytes: saved.bytes, archive: saved.archive })
    }

    /// `POST sys/storage/raft/snapshot`: restores the storage from a
    /// snapshot read from `reader`, streamed as it is read. **Everything
    /// written since the snapshot is lost.** Vault refuses a snapshot of
    /// another cluster (other keys); see [`Raft::snapshot_restore_force`].
    ///
    /// Refused before sending: an empty reader and one that does not start
    /// like a snapshot (gzip, `1f 8b`). Never retried; the upload may take up
    /// to [`RESTORE_TIMEOUT`].
    pub async fn snapshot_restore<R: AsyncRead + Send + Unpin + 'static>(&self, reader: R) -> Result<()> {
        self.restore("sys/storage/raft/snapshot", reader).await
    }

    /// `POST sys/storage/raft/snapshot-force`: [`Raft::snapshot_restore`]
    /// even when the snapshot's keys do not match this cluster's (`vault
    /// operator raft snapshot restore -force`), e.g. a snapshot of a cluster
    /// that was rebuilt. The cluster must then be unsealed with the keys of
    /// the cluster the snapshot came from.
    pub async fn snapshot_restore_force<R: AsyncRead + Send + Unpin + 'static>(&self, reader: R) -> Result<()> {
        self.restore("sys/storage/raft/snapshot-force", reader).await
    }

    async fn restore<R: AsyncRead + Send + Unpin + 'static>(&self, path: &str, reader: R) -> Result<()> {
        let body = client_core::stream::gzip_upload(
            reader,
            "a Vault raft snapshot (what `vault operator raft snapshot save` and Raft::snapshot_save write)",
        )
        .await
        .map_err(|refused| match refused {
            client_core::stream::UploadRefused::Read(source) => {
                Error::Io { what: "read the snapshot to restore (nothing was sent)", source }
            }
            client_core::stream::UploadRefused::NotGzip(e) => e.into(),
        })?;
        let req: Request = self
            .client
            .request(Method::POST, "Vault path", path)?
            .header("Content-Type", "application/octet-stream")
            .body_stream(body)
            .timeout(RESTORE_TIMEOUT)
            .idempotent(false);
        self.client.send(req, path, &[]).await.map(drop)
    }
}
