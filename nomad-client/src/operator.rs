//! `/v1/operator`: Raft configuration and peer removal, autopilot, scheduler
//! configuration, keyring (1.4+), and snapshots streamed in constant memory.

use base64::Engine as _;
use client_core::path::PathBuf;
use client_core::snapshot::{ArchiveKind, SaveError, save_checked};
use client_core::{Request, WithMeta};
use serde::Deserialize;
use sha2::Digest as _;
use tokio::io::{AsyncRead, AsyncWrite};

use crate::client::NomadClient;
use crate::error::{Error, Result};
use crate::models::{
    AutopilotConfiguration, AutopilotHealth, KeyringKey, RaftConfiguration, SchedulerConfiguration,
    SchedulerSetResponse, SnapshotSaved,
};
use crate::options::{QueryOptions, WriteOptions};
use crate::validate;

/// Longest a snapshot restore may take to upload and apply.
pub const RESTORE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(600);

/// Handler for operator calls; get it with [`NomadClient::operator`].
#[derive(Debug, Clone)]
pub struct Operator {
    client: NomadClient,
}

impl NomadClient {
    /// Operator: Raft, autopilot, scheduler configuration, keyring, snapshots.
    #[must_use]
    pub fn operator(&self) -> Operator {
        Operator { client: self.clone() }
    }
}

/// A Raft peer to remove, named the way `nomad operator raft remove-peer` names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RaftPeer {
    /// By Raft ID (`-peer-id`).
    Id(String),
    /// By Raft address `IP:port` (`-peer-address`).
    Address(String),
}

impl RaftPeer {
    fn matches(&self, server: &crate::models::RaftServer) -> bool {
        match self {
            Self::Id(id) => server.id == *id,
            Self::Address(address) => server.address == *address,
        }
    }

    fn describe(&self) -> String {
        match self {
            Self::Id(id) => format!("Raft peer with ID {id:?}"),
            Self::Address(address) => format!("Raft peer at {address:?}"),
        }
    }
}

impl Operator {
    /// `GET /v1/operator/raft/configuration` (`stale` allowed; no index headers).
    pub async fn raft_configuration(&self, opts: &QueryOptions) -> Result<RaftConfiguration> {
        let req = self.client.query_global(Request::get("/v1/operator/raft/configuration"), opts)?;
        self.client.json(req).await
    }

    /// `DELETE /v1/operator/raft/peer?id=|address=`: removes a stale peer.
    ///
    /// The configuration is read first, and refused before anything is sent:
    /// a peer that is not in it (a typo would otherwise be Nomad's error at
    /// best), and the last voter (removing it leaves a cluster without quorum).
    pub async fn remove_raft_peer(&self, peer: &RaftPeer, opts: &WriteOptions) -> Result<()> {
        let (key, value) = match peer {
            RaftPeer::Id(id) => ("id", id),
            RaftPeer::Address(address) => ("address", address),
        };
        validate::name(&format!("Raft peer {key}"), value)?;
        let query = QueryOptions { region: opts.region.clone(), token: opts.token.clone(), ..QueryOptions::default() };
        let config = self.raft_configuration(&query).await?;
        let refuse = |reason: String| Err(Error::Refused { action: format!("remove the {}", peer.describe()), reason });
        let Some(target) = config.servers.iter().find(|s| peer.matches(s)) else {
            let known: Vec<String> = config.servers.iter().map(|s| format!("{} ({})", s.id, s.address)).collect();
            return refuse(format!("it is not in the Raft configuration; its peers are {}", known.join(", ")));
        };
        let voters = config.servers.iter().filter(|s| s.voter).count();
        if target.voter && voters <= 1 {
            return refuse(format!("{} ({}) is the last voter: removing it leaves no quorum", target.id, target.node));
        }
        let req = Request::delete("/v1/operator/raft/peer").query(key, value);
        self.client.send_empty(self.client.write_global(req, opts)?).await
    }

    /// `GET /v1/operator/autopilot/configuration`.
    pub async fn autopilot_configuration(&self, opts: &QueryOptions) -> Result<AutopilotConfiguration> {
        let req = self.client.query_global(Request::get("/v1/operator/autopilot/configuration"), opts)?;
        self.client.json(req).await
    }

    /// `PUT /v1/operator/autopilot/configuration[?cas=N]`. With `cas`, only if
    /// the configuration is still at that modify index: answers whether it
    /// was written (`false`: someone changed it first). Without, always `true`.
    pub async fn set_autopilot_configuration(
        &self,
        config: &AutopilotConfiguration,
        cas: Option<u64>,
        opts: &WriteOptions,
    ) -> Result<bool> {
        let req = Request::put("/v1/operator/autopilot/configuration").json(config)?.query_opt("cas", cas);
        self.client.json(self.client.write_global(req, opts)?).await
    }

    /// `GET /v1/operator/autopilot/health`. An unhealthy cluster is an answer
    /// (Nomad sends it with HTTP 429), not an error: see [`AutopilotHealth::healthy`].
    pub async fn autopilot_health(&self, opts: &QueryOptions) -> Result<AutopilotHealth> {
        // 429 is the answer, not a rate limit: accepted, and not retried.
        let req = Request::get("/v1/operator/autopilot/health").accept_status(&[429]).idempotent(false);
        self.client.json(self.client.query_global(req, opts)?).await
    }

    /// `GET /v1/operator/scheduler/configuration`.
    pub async fn scheduler_configuration(&self, opts: &QueryOptions) -> Result<WithMeta<SchedulerConfiguration>> {
        #[derive(Deserialize)]
        struct Answer {
            #[serde(rename = "SchedulerConfig")]
            scheduler_config: SchedulerConfiguration,
        }
        let req = self.client.query_global(Request::get("/v1/operator/scheduler/configuration"), opts)?;
        let answer: WithMeta<Answer> = self.client.get_meta(req).await?;
        Ok(WithMeta { value: answer.value.scheduler_config, meta: answer.meta })
    }

    /// `PUT /v1/operator/scheduler/configuration[?cas=N]`: with `cas`,
    /// [`SchedulerSetResponse::updated`] says whether the write won.
    /// An invalid configuration is Nomad's 400.
    ///
    /// ```no_run
    /// # async fn demo(nomad: nomad_client::NomadClient) -> nomad_client::Result<()> {
    /// use nomad_client::{QueryOptions, WriteOptions};
    /// let op = nomad.operator();
    /// let mut config = op.scheduler_configuration(&QueryOptions::new()).await?.value;
    /// config.scheduler_algorithm = "spread".into();
    /// let set = op.set_scheduler_configuration(&config, Some(config.modify_index), &WriteOptions::new()).await?;
    /// assert!(set.updated, "someone changed the configuration in between; read it again");
    /// # Ok(()) }
    /// ```
    pub async fn set_scheduler_configuration(
        &self,
        config: &SchedulerConfiguration,
        cas: Option<u64>,
        opts: &WriteOptions,
    ) -> Result<SchedulerSetResponse> {
        let req = Request::put("/v1/operator/scheduler/configuration").json(config)?.query_opt("cas", cas);
        self.client.json(self.client.write_global(req, opts)?).await
    }

    /// `GET /v1/operator/keyring/keys` (1.4+): key metadata, never key material.
    pub async fn keyring_keys(&self, opts: &QueryOptions) -> Result<WithMeta<Vec<KeyringKey>>> {
        self.client.get_meta(self.client.query_global(Request::get("/v1/operator/keyring/keys"), opts)?).await
    }

    /// `PUT /v1/operator/keyring/rotate[?full=true]` (1.4+): a new active
    /// key; with `full`, every variable is re-encrypted with it. Not retried.
    pub async fn rotate_keyring(&self, full: bool, opts: &WriteOptions) -> Result<KeyringKey> {
        #[derive(Deserialize)]
        struct Answer {
            #[serde(rename = "Key")]
            key: KeyringKey,
        }
        let mut req = Request::put("/v1/operator/keyring/rotate").idempotent(false);
        if full {
            req = req.query("full", "true");
        }
        let answer: Answer = self.client.json(self.client.write_global(req, opts)?).await?;
        Ok(answer.key)
    }

    /// `DELETE /v1/operator/keyring/key/:key_id` (1.4+) of a key read from
    /// [`Operator::keyring_keys`]. The keyring is read again first: a key no
    /// longer there and the active key are refused before sending (data
    /// encrypted with a deleted key cannot be read). `force` (1.9+) lets
    /// Nomad delete a key that still encrypts variables.
    pub async fn delete_keyring_key(&self, key: &KeyringKey, force: bool, opts: &WriteOptions) -> Result<()> {
        validate::uuid("keyring key ID", &key.key_id)?;
        let query = QueryOptions { region: opts.region.clone(), token: opts.token.clone(), ..QueryOptions::default() };
        let keys = self.keyring_keys(&query).await?.value;
        let action = format!("delete keyring key {}", key.key_id);
        match keys.iter().find(|k| k.key_id == key.key_id) {
            None => return Err(Error::Refused { action, reason: "it is not in the keyring (any more)".into() }),
            Some(k) if k.state == "active" => {
                return Err(Error::Refused {
                    action,
                    reason: "it is the active key; rotate the keyring first (Operator::rotate_keyring)".into(),
                });
            }
            Some(_) => {}
        }
        let path = PathBuf::new("/v1/operator/keyring/key").segment("keyring key ID", &key.key_id)?.finish();
        let mut req = Request::delete(path);
        if force {
            req = req.query("force", "true");
        }
        self.client.send_empty(self.client.write_global(req, opts)?).await
    }

    /// `GET /v1/operator/snapshot`: streams the servers' state (a gzipped
    /// archive) into `writer` as it arrives, in constant memory, and checks
    /// it against the `Digest` header as the Go client does. `opts.stale()`
    /// lets a follower answer.
    ///
    /// The archive itself is checked as it streams, as `nomad operator
    /// snapshot save` checks its file ([`client_core::snapshot`]): one Nomad
    /// cut short, or damaged on the way (gzip CRC, tar headers, the SHA-256
    /// of `meta.json` and `state.bin` against `SHA256SUMS`), is
    /// [`client_core::Error::SnapshotDamaged`], with or without a `Digest`
    /// header. On any error `writer` holds a partial or damaged snapshot that
    /// must not be restored.
    ///
    /// ```no_run
    /// # async fn demo(nomad: nomad_client::NomadClient) -> nomad_client::Result<()> {
    /// let mut file = tokio::fs::File::create("nomad.snap").await.unwrap();
    /// let saved = nomad.operator().snapshot_save(&mut file, &Default::default()).await?;
    /// println!("{} bytes, digest verified: {}", saved.bytes, saved.verified);
    /// # Ok(()) }
    /// ```
    pub async fn snapshot_save<W: AsyncWrite + Unpin + ?Sized>(
        &self,
        writer: &mut W,
        opts: &QueryOptions,
    ) -> Result<SnapshotSaved> {
        let req = self.client.query_global(Request::get("/v1/operator/snapshot"), opts)?;
        let live = self.client.http().stream(req).await?;
        let digest = live.headers().get("Digest").and_then(|v| v.to_str().ok()).map(str::to_owned);
        let mut check = digest.as_deref().map(DigestCheck::new).transpose()?.flatten();
        let request = ("GET", "/v1/operator/snapshot");
        let saved = save_checked(live.bytes(), writer, ArchiveKind::Raft, request, |chunk| {
            if let Some(check) = &mut check {
                check.update(chunk);
            }
        })
        .await
        .map_err(|e| match e {
            SaveError::Body(e) => Error::from(e),
            SaveError::Write(source) => write_error(source),
        })?;
        let verified = check.is_some();
        if let Some(check) = check {
            check.finish(digest.as_deref().unwrap_or_default())?;
        }
        Ok(SnapshotSaved { bytes: saved.bytes, digest, verified, archive: saved.archive })
    }

    /// `PUT /v1/operator/snapshot`: restores the servers' state from a
    /// snapshot read from `reader`, streamed as it is read. **Everything
    /// written since the snapshot is lost** (jobs, ACLs, variables...).
    ///
    /// Refused before sending: an empty reader, and one that does not start
    /// like a snapshot (gzip, `1f 8b`). Never retried; the upload may take up
    /// to [`RESTORE_TIMEOUT`].
    pub async fn snapshot_restore<R: AsyncRead + Send + Unpin + 'static>(
        &self,
        reader: R,
        opts: &WriteOptions,
    ) -> Result<()> {
        let body = client_core::stream::gzip_upload(
            reader,
            "a Nomad snapshot (what `nomad operator snapshot save` and Operator::snapshot_save write)",
        )
        .await
        .map_err(upload_refused)?;
        let req = Request::put("/v1/operator/snapshot")
            .header("Content-Type", "application/octet-stream")
            .body_stream(body)
            .timeout(RESTORE_TIMEOUT);
        self.client.send_empty(self.client.write_global(req, opts)?).await
    }
}

/// A running hash of the bytes against a `Digest` header.
enum DigestCheck {
    Sha256(sha2::Sha256),
    Sha512(sha2::Sha512),
}

impl DigestCheck {
    /// The check a `<algo>=<base64>` header asks for; `None` for an algorithm
    /// this client does not check (the bytes are then written unchecked).
    fn new(header: &str) -> Result<Option<Self>> {
        let Some((algo, _)) = header.split_once('=') else {
            return Err(Error::stream("snapshot", format!("the Digest header {header:?} is not <algorithm>=<base64>")));
        };
        Ok(match algo.to_ascii_lowercase().as_str() {
            "sha-256" => Some(Self::Sha256(sha2::Sha256::new())),
            "sha-512" => Some(Self::Sha512(sha2::Sha512::new())),
            _ => None,
        })
    }

    fn update(&mut self, chunk: &[u8]) {
        match self {
            Self::Sha256(h) => h.update(chunk),
            Self::Sha512(h) => h.update(chunk),
        }
    }

    fn finish(self, header: &str) -> Result<()> {
        let sum = match self {
            Self::Sha256(h) => h.finalize().to_vec(),
            Self::Sha512(h) => h.finalize().to_vec(),
        };
        let found = base64::engine::general_purpose::STANDARD.encode(sum);
        let expected = header.split_once('=').map(|(_, b64)| b64).unwrap_or_default();
        if found == expected {
            return Ok(());
        }
        Err(Error::stream(
            "snapshot",
            format!(
                "its bytes do not match the Digest header ({header}, computed {found}); the file written is damaged and must not be restored"
            ),
        ))
    }
}

fn write_error(source: std::io::Error) -> Error {
    Error::Io { what: "write the snapshot (what was written is partial and must not be restored)", source }
}

fn upload_refused(refused: client_core::stream::UploadRefused) -> Error {
    match refused {
        client_core::stream::UploadRefused::Read(source) => {
            Error::Io { what: "read the snapshot to restore (nothing was sent)", source }
        }
        client_core::stream::UploadRefused::NotGzip(e) => e.into(),
    }
}
