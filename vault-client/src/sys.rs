//! `sys/` endpoints: health, seal status, leader, mounts, auth methods,
//! policies, metrics, host information and the sanitized configuration
//! (init/unseal/seal/step-down in [`crate::seal`], leases in
//! [`crate::leases`], response wrapping in [`crate::wrapping`], audit
//! devices in [`crate::audit`], raft storage in [`crate::raft`]).

use std::collections::BTreeMap;

use client_core::Method;
use client_core::path::validate_name;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::client::{VaultClient, decode, missing_as_none};
use crate::error::Result;
pub use crate::raft::{RaftConfiguration, RaftServer};

/// The `sys/` API.
#[derive(Debug, Clone)]
pub struct Sys {
    pub(crate) client: VaultClient,
}

impl VaultClient {
    /// The `sys/` endpoints.
    #[must_use]
    pub fn sys(&self) -> Sys {
        Sys { client: self.clone() }
    }
}

/// What `sys/health` says about a node, from its status code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HealthState {
    /// 200: initialized, unsealed, active.
    Active,
    /// 429: unsealed standby.
    Standby,
    /// 473: performance standby (Enterprise).
    PerformanceStandby,
    /// 472: disaster-recovery secondary (Enterprise).
    DrSecondary,
    /// 501: not initialized.
    Uninitialized,
    /// 503: sealed.
    Sealed,
    /// Any other code (e.g. a custom `activecode`).
    Other(u16),
}

/// The answer of `sys/health`, with the node's state.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Health {
    /// The state derived from the HTTP status (not part of Vault's body).
    #[serde(skip, default = "unknown_state")]
    pub state: HealthState,
    /// Whether the node is initialized.
    #[serde(default)]
    pub initialized: bool,
    /// Whether the node is sealed.
    #[serde(default)]
    pub sealed: bool,
    /// Whether the node is a standby.
    #[serde(default)]
    pub standby: bool,
    /// Whether the node is a performance standby.
    #[serde(default)]
    pub performance_standby: bool,
    /// Performance replication mode.
    #[serde(default)]
    pub replication_performance_mode: Option<String>,
    /// DR replication mode.
    #[serde(default)]
    pub replication_dr_mode: Option<String>,
    /// Server time (Unix seconds).
    #[serde(default)]
    pub server_time_utc: i64,
    /// Vault version.
    #[serde(default)]
    pub version: String,
    /// Cluster name (empty while sealed).
    #[serde(default)]
    pub cluster_name: Option<String>,
    /// Cluster ID (empty while sealed).
    #[serde(default)]
    pub cluster_id: Option<String>,
}

fn unknown_state() -> HealthState {
    HealthState::Other(0)
}

/// `sys/seal-status`.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct SealStatus {
    /// Seal type (`shamir`, `awskms`, ...).
    #[serde(rename = "type", default)]
    pub seal_type: String,
    /// Whether the node is initialized.
    #[serde(default)]
    pub initialized: bool,
    /// Whether the node is sealed.
    pub sealed: bool,
    /// Key shares needed to unseal.
    #[serde(rename = "t", default)]
    pub threshold: u32,
    /// Total key shares.
    #[serde(rename = "n", default)]
    pub shares: u32,
    /// Key shares entered so far.
    #[serde(default)]
    pub progress: u32,
    /// Nonce of the unseal attempt in progress.
    #[serde(default)]
    pub nonce: String,
    /// Vault version.
    #[serde(default)]
    pub version: String,
    /// Whether a seal migration is in progress.
    #[serde(default)]
    pub migration: bool,
    /// Cluster name.
    #[serde(default)]
    pub cluster_name: Option<String>,
    /// Cluster ID.
    #[serde(default)]
    pub cluster_id: Option<String>,
    /// Whether recovery keys are used.
    #[serde(default)]
    pub recovery_seal: bool,
    /// Storage backend (`raft`, `consul`, `inmem`, ...).
    #[serde(default)]
    pub storage_type: Option<String>,
}

/// `sys/leader`.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Leader {
    /// Whether HA is enabled.
    pub ha_enabled: bool,
    /// Whether the answering node is the active one.
    #[serde(default)]
    pub is_self: bool,
    /// When the active node became active.
    #[serde(default)]
    pub active_time: Option<String>,
    /// API address of the active node.
    #[serde(default)]
    pub leader_address: String,
    /// Cluster address of the active node.
    #[serde(default)]
    pub leader_cluster_address: String,
    /// Whether the answering node is a performance standby.
    #[serde(default)]
    pub performance_standby: bool,
    /// Last WAL index seen by a performance standby.
    #[serde(default)]
    pub performance_standby_last_remote_wal: u64,
    /// Raft commit index (raft storage only).
    #[serde(default)]
    pub raft_committed_index: Option<u64>,
    /// Raft applied index (raft storage only).
    #[serde(default)]
    pub raft_applied_index: Option<u64>,
}

/// One secrets engine or auth method mount (`sys/mounts`, `sys/auth`, `sys/internal/ui/mounts`).
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct MountInfo {
    /// Engine type (`kv`, `nomad`, `consul`, `github`, ...).
    #[serde(rename = "type")]
    pub engine_type: String,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// Mount accessor.
    #[serde(default)]
    pub accessor: String,
    /// Engine options (`version` for KV).
    #[serde(default)]
    pub options: Option<BTreeMap<String, String>>,
    /// Whether the mount is local to this cluster.
    #[serde(default)]
    pub local: bool,
    /// Whether seal wrapping is on.
    #[serde(default)]
    pub seal_wrap: bool,
    /// The mount path (only in `sys/internal/ui/mounts`).
    #[serde(default)]
    pub path: Option<String>,
    /// Mount configuration (TTLs, ...), kept as sent.
    #[serde(default)]
    pub config: serde_json::Map<String, serde_json::Value>,
    /// Fields not modelled here.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl MountInfo {
    /// The KV version (1 or 2) when this is a KV mount.
    #[must_use]
    pub fn kv_version(&self) -> Option<u8> {
        if !matches!(self.engine_type.as_str(), "kv" | "generic") {
            return None;
        }
        match self.options.as_ref().and_then(|o| o.get("version")).map(String::as_str) {
            Some("2") => Some(2),
            _ => Some(1),
        }
    }
}

/// An ACL policy.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Policy {
    /// Policy name.
    pub name: String,
    /// Policy text (HCL).
    pub policy: String,
}

impl Sys {
    /// `sys/health`: every documented status (standby, performance standby,
    /// DR secondary, sealed, uninitialized) is a [`HealthState`], not an error.
    pub async fn health(&self) -> Result<Health> {
        let path = "sys/health";
        let req = self.client.request(Method::GET, "Vault path", path)?;
        let resp = self.client.send_raw_accepting(req, path, &[429, 472, 473, 501, 503]).await?;
        let mut health: Health = decode(&resp)?;
        health.state = match resp.status.as_u16() {
            200 => HealthState::Active,
            429 => HealthState::Standby,
            472 => HealthState::DrSecondary,
            473 => HealthState::PerformanceStandby,
            501 => HealthState::Uninitialized,
            503 => HealthState::Sealed,
            other => HealthState::Other(other),
        };
        Ok(health)
    }

    /// `sys/seal-status`.
    pub async fn seal_status(&self) -> Result<SealStatus> {
        self.get_plain("sys/seal-status").await
    }

    /// `sys/leader`.
    pub async fn leader(&self) -> Result<Leader> {
        self.get_plain("sys/leader").await
    }

    async fn get_plain<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        let req = self.client.request(Method::GET, "Vault path", path)?;
        decode(&self.client.send(req, path, &[]).await?)
    }

    /// `sys/mounts`: secrets engines keyed by path (`secret/`, `nomad/`, ...).
    pub async fn mounts(&self) -> Result<BTreeMap<String, MountInfo>> {
        let req = self.client.request(Method::GET, "Vault path", "sys/mounts")?;
        self.client.send_data(req, "sys/mounts", &[]).await
    }

    /// `sys/auth`: auth methods keyed by path (`token/`, `github-employees/`, ...).
    pub async fn auth_methods(&self) -> Result<BTreeMap<String, MountInfo>> {
        let req = self.client.request(Method::GET, "Vault path", "sys/auth")?;
        self.client.send_data(req, "sys/auth", &[]).await
    }

    /// `sys/internal/ui/mounts/<path>`: the mount holding `path` (used to detect KV versions).
    pub async fn mount_info(&self, path: &str) -> Result<MountInfo> {
        let full = format!("sys/internal/ui/mounts/{path}");
        let req = self.client.request(Method::GET, "mount", &full)?;
        self.client.send_data(req, &full, &[]).await
    }

    /// `sys/storage/raft/configuration`: the raft peers (integrated storage only;
    /// other storage answers 404 "unsupported path"). The same as
    /// [`Raft::configuration`](crate::raft::Raft::configuration).
    pub async fn raft_configuration(&self) -> Result<RaftConfiguration> {
        self.raft().configuration().await
    }

    /// `sys/policies/acl/<name>`; `None` when there is no such policy.
    pub async fn policy(&self, name: &str) -> Result<Option<Policy>> {
        validate_name("policy name", name, 128)?;
        // One path segment: no '/', '.' or '..' (Vault would clean the path into another one).
        client_core::path::check_segment("policy name", name)?;
        let path = format!("sys/policies/acl/{name}");
        let req = self.client.request(Method::GET, "Vault path", &path)?;
        Ok(missing_as_none(self.client.send_json(req, &path, &[]).await)?.and_then(|r| r.data))
    }

    /// `sys/policies/acl`: policy names.
    pub async fn policies(&self) -> Result<Vec<String>> {
        self.client.list("sys/policies/acl").await
    }
}

/// What [`Sys::enable_mount`] mounts.
#[derive(Debug, Clone, Serialize)]
pub struct MountRequest {
    /// The engine type (`kv`, `database`, `pki`, `transit`, ...).
    #[serde(rename = "type")]
    pub engine_type: String,
    /// Description.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Engine options (`{"version": "2"}` for KV v2).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub options: BTreeMap<String, String>,
    /// Mount configuration (`default_lease_ttl`, `max_lease_ttl`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub config: Option<MountTune>,
}

impl MountRequest {
    /// A mount of engine `engine_type` with Vault's defaults.
    pub fn new(engine_type: impl Into<String>) -> Self {
        Self { engine_type: engine_type.into(), description: String::new(), options: BTreeMap::new(), config: None }
    }
}

/// What [`Sys::tune_mount`] changes; unset fields are left as they are.
#[derive(Debug, Clone, Default, Serialize)]
pub struct MountTune {
    /// Default lease TTL of the mount.
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "crate::response::seconds::serialize_opt")]
    pub default_lease_ttl: Option<std::time::Duration>,
    /// Longest lease TTL of the mount.
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "crate::response::seconds::serialize_opt")]
    pub max_lease_ttl: Option<std::time::Duration>,
    /// Description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// Mounts Vault itself owns: disabling or replacing them is refused before sending.
const SYSTEM_MOUNTS: [&str; 3] = ["sys", "cubbyhole", "identity"];

/// Policies Vault itself owns.
const BUILTIN_POLICIES: [&str; 2] = ["root", "default"];

impl Sys {
    fn mount_path(path: &str) -> Result<String> {
        let mount = crate::kv::mount_name(path)?;
        if SYSTEM_MOUNTS.contains(&mount.as_str()) {
            return Err(crate::Error::invalid(
                "mount",
                &mount,
                "is one of Vault's own mounts (sys, cubbyhole, identity); it cannot be enabled, tuned or disabled here",
            ));
        }
        Ok(format!("sys/mounts/{mount}"))
    }

    /// Enables a secrets engine at `path` (`POST sys/mounts/<path>`).
    /// Vault refuses a path already in use, or inside another mount.
    pub async fn enable_mount(&self, path: &str, request: &MountRequest) -> Result<()> {
        let full = Self::mount_path(path)?;
        let req = self.client.request(Method::POST, "mount", &full)?.json(request)?;
        self.client.send(req, &full, &[]).await.map(drop)
    }

    /// Disables the secrets engine at exactly `path` (`DELETE
    /// sys/mounts/<path>`): **every secret stored in it is deleted and its
    /// leases are revoked.** Vault's own mounts are refused before sending.
    pub async fn disable_mount(&self, path: &str) -> Result<()> {
        let full = Self::mount_path(path)?;
        let req = self.client.request(Method::DELETE, "mount", &full)?;
        self.client.send(req, &full, &[]).await.map(drop)
    }

    /// Tunes the mount at `path` (`POST sys/mounts/<path>/tune`).
    pub async fn tune_mount(&self, path: &str, tune: &MountTune) -> Result<()> {
        let full = format!("{}/tune", Self::mount_path(path)?);
        let req = self.client.request(Method::POST, "mount", &full)?.json(tune)?;
        self.client.send(req, &full, &[]).await.map(drop)
    }

    fn policy_path(name: &str) -> Result<String> {
        validate_name("policy name", name, 128)?;
        client_core::path::check_segment("policy name", name)?;
        if BUILTIN_POLICIES.contains(&name) {
            return Err(crate::Error::invalid(
                "policy name",
                name,
                "is one of Vault's built-in policies (root, default); write or delete a policy of your own",
            ));
        }
        Ok(format!("sys/policies/acl/{name}"))
    }

    /// Writes ACL policy `name` from its HCL text (`PUT
    /// sys/policies/acl/<name>`); Vault checks the HCL. Refused before
    /// sending: empty HCL, and the built-in `root` and `default` policies.
    pub async fn write_policy(&self, name: &str, hcl: &str) -> Result<()> {
        let path = Self::policy_path(name)?;
        if hcl.trim().is_empty() {
            return Err(crate::Error::invalid("policy HCL", name, "is empty; a policy needs at least one path block"));
        }
        let req = self.client.request(Method::PUT, "Vault path", &path)?.json(&serde_json::json!({ "policy": hcl }))?;
        self.client.send(req, &path, &[]).await.map(drop)
    }

    /// Deletes ACL policy `name` (tokens holding it lose its capabilities);
    /// the built-in `root` and `default` are refused before sending.
    pub async fn delete_policy(&self, name: &str) -> Result<()> {
        let path = Self::policy_path(name)?;
        let req = self.client.request(Method::DELETE, "Vault path", &path)?;
        self.client.send(req, &path, &[]).await.map(drop)
    }
}
