//! [`ArchiveSource`] over a local archive directory.

use std::path::PathBuf;

use async_trait::async_trait;

use crate::ports::ArchiveSource;
use crate::{Error, Result};

/// An archive in a local directory (`WALG_FILE_PREFIX`-style, or PostgreSQL's own
/// `archive_command` target as in the sandbox).
#[derive(Debug, Clone)]
pub struct LocalArchiveSource {
    dir: PathBuf,
}

impl LocalArchiveSource {
    /// Reads the archive in `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }
}

#[async_trait]
impl ArchiveSource for LocalArchiveSource {
    async fn archive_state(&self, _namespace: &str) -> Result<walg::ArchiveState> {
        let dir = self.dir.clone();
        let archive = tokio::task::spawn_blocking(move || walg::LocalArchive::read(&dir))
            .await
            .map_err(|e| Error::backend_step("archive", "the reading task", e))?
            .map_err(|e| Error::backend_step(format!("archive {}", self.dir.display()), "reading the archive", e))?;
        Ok(walg::ArchiveState::from_local(archive, walg::WalSegmentSize::default()))
    }
}
