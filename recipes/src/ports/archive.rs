//! Where the backup archive's state is read from.

use async_trait::async_trait;

use crate::Result;

/// Where the restore preflight reads the backup archive's state from.
#[async_trait]
pub trait ArchiveSource: Send + Sync {
    /// The archive of `namespace` as the walg planner needs it.
    async fn archive_state(&self, namespace: &str) -> Result<walg::ArchiveState>;
}
