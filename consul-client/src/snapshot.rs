//! Snapshots: `/v1/snapshot` — save the servers' state to a writer and
//! restore it from a reader, both streamed (constant memory whatever the size).

use std::time::Duration;

use client_core::snapshot::{ArchiveKind, ArchiveMeta, SaveError, save_checked};
use client_core::{QueryMeta, Request};
use tokio::io::{AsyncRead, AsyncWrite};

use crate::client::{ConsulClient, meta};
use crate::error::{Error, Result};
use crate::options::{QueryOptions, WriteOptions};

/// How long a restore may take to upload and apply (the client's ordinary
/// timeout is for small answers).
pub const RESTORE_TIMEOUT: Duration = Duration::from_secs(600);

/// What [`Snapshot::save`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotSaved {
    /// The Raft index the snapshot was taken at (`X-Consul-Index`).
    pub index: u64,
    /// Bytes written to the writer.
    pub bytes: u64,
    /// What the archive's own `meta.json` says (Raft index and term of the
    /// state it holds), read while it was checked.
    pub archive: ArchiveMeta,
    /// The answer's metadata (leader contact, known leader).
    pub meta: QueryMeta,
}

/// The snapshot handler: `consul.snapshot()` (needs a management token with ACLs).
#[derive(Debug, Clone)]
pub struct Snapshot {
    client: ConsulClient,
}

impl ConsulClient {
    /// Snapshots of the servers' state (save and restore).
    #[must_use]
    pub fn snapshot(&self) -> Snapshot {
        Snapshot { client: self.clone() }
    }
}

impl Snapshot {
    /// Saves a snapshot (a gzipped tar archive, what `consul snapshot save`
    /// writes) to `writer` as it arrives: memory use does not grow with the
    /// snapshot. Returns its Raft index. `opts.stale()` lets a follower
    /// answer when there is no leader. The writer is flushed, not closed.
    ///
    /// The archive is checked as it streams, as `consul snapshot save`
    /// checks its file ([`client_core::snapshot`]): a snapshot Consul cut
    /// short or that was damaged on the way (gzip CRC, tar headers, the
    /// SHA-256 of `meta.json` and `state.bin` against `SHA256SUMS`) is
    /// [`client_core::Error::SnapshotDamaged`]. On any error the writer holds
    /// a partial snapshot that must not be restored.
    ///
    /// ```no_run
    /// # async fn demo(consul: consul_client::ConsulClient) -> consul_client::Result<()> {
    /// let mut file = tokio::fs::File::create("backup.snap").await.expect("writable");
    /// let saved = consul.snapshot().save(&mut file, &Default::default()).await?;
    /// println!("{} bytes at index {} (term {})", saved.bytes, saved.index, saved.archive.term);
    /// # Ok(()) }
    /// ```
    pub async fn save<W: AsyncWrite + Unpin + ?Sized>(
        &self,
        writer: &mut W,
        opts: &QueryOptions,
    ) -> Result<SnapshotSaved> {
        let request = opts.apply(Request::get("/v1/snapshot"))?;
        let live = self.client.stream(request).await?;
        let query_meta = QueryMeta::from_headers(live.headers(), "X-Consul");
        let saved = save_checked(live.bytes(), writer, ArchiveKind::Raft, ("GET", "/v1/snapshot"), |_| {})
            .await
            .map_err(|e| match e {
                SaveError::Body(e) => Error::from(e),
                SaveError::Write(source) => write_error(source),
            })?;
        Ok(SnapshotSaved { index: query_meta.last_index, bytes: saved.bytes, archive: saved.archive, meta: query_meta })
    }

    /// Restores the servers' state from a snapshot read from `reader`,
    /// streamed to Consul as it is read. **Everything written since the
    /// snapshot is lost** (KV, catalog, ACLs, sessions…).
    ///
    /// Refused before sending: an empty reader, and one that does not start
    /// like a snapshot (a gzip stream, `1f 8b`) — a wrong file is never
    /// uploaded. Consul checks the rest (a damaged archive is its 500 error,
    /// and nothing is restored). Never retried; the upload may take up to
    /// [`RESTORE_TIMEOUT`].
    pub async fn restore<R: AsyncRead + Send + Unpin + 'static>(&self, reader: R, opts: &WriteOptions) -> Result<()> {
        let body = client_core::stream::gzip_upload(
            reader,
            "a Consul snapshot (what `consul snapshot save` and Snapshot::save write)",
        )
        .await
        .map_err(upload_refused)?;
        let request = Request::put("/v1/snapshot").body_stream(body).timeout(RESTORE_TIMEOUT);
        let response = self.client.send(opts.apply(request)?).await?;
        tracing::info!(index = meta(&response).last_index, "snapshot restored");
        Ok(())
    }
}

fn write_error(source: std::io::Error) -> Error {
    Error::Io {
        what: "writing the snapshot failed; what was written is partial and must not be restored".into(),
        source,
    }
}

fn upload_refused(refused: client_core::stream::UploadRefused) -> Error {
    match refused {
        client_core::stream::UploadRefused::Read(source) => {
            Error::Io { what: "reading the snapshot to restore failed before anything was sent".into(), source }
        }
        client_core::stream::UploadRefused::NotGzip(e) => e.into(),
    }
}
