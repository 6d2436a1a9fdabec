//! "Is PostgreSQL data left for this namespace on any client?"

use std::sync::Arc;

use async_trait::async_trait;

use crate::Result;

/// Looks for leftover PostgreSQL data in the namespace's host volumes.
#[async_trait]
pub trait VolumeProbe: Send + Sync {
    /// Where data was found, one human-readable location per entry
    /// (e.g. `client-3:/var/lib/nomad-volumes/atala-testnet/postgres-atala/PG_VERSION`).
    /// Empty means no data is left anywhere.
    async fn leftover_data(&self, namespace: &str) -> Result<Vec<String>>;

    /// The exact location of `member`'s data volume in `namespace` (e.g. the sandbox's
    /// `/tmp/.../dbHA2/data`), derived from the two names only; `Err` with the reason when
    /// this probe cannot clear it (the default: it cannot clear volumes at all).
    fn member_volume(&self, namespace: &str, member: &str) -> std::result::Result<String, String> {
        Err(format!("this volume probe cannot clear volumes, so not the one of {member} in {namespace}"))
    }

    /// Removes the PostgreSQL data of `member`'s volume at `location`, which must be exactly
    /// [`Self::member_volume`] for the same names: any other location is refused before
    /// anything is removed. The member must be stopped. The default refuses (no probe clears
    /// volumes unless it says how).
    async fn clear_member_volume(&self, namespace: &str, member: &str, location: &str) -> Result<()> {
        Err(crate::Error::invalid(
            "volume location",
            location,
            format!("this volume probe cannot clear the volume of {member} in {namespace}"),
        ))
    }
}

/// How a recipe checks host volumes: with a probe, or skipped explicitly with a reason
/// that the plan repeats. There is no default: the caller has to choose.
#[derive(Clone)]
pub enum VolumeCheck {
    /// Run this probe.
    Probe(Arc<dyn VolumeProbe>),
    /// Do not check; the reason appears in the plan's checks as "skipped".
    Skip {
        /// Why the caller skips the check.
        reason: String,
    },
}

impl std::fmt::Debug for VolumeCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Probe(_) => f.write_str("VolumeCheck::Probe"),
            Self::Skip { reason } => f.debug_struct("VolumeCheck::Skip").field("reason", reason).finish(),
        }
    }
}

impl VolumeCheck {
    /// Skips the check for the given reason.
    pub fn skip(reason: impl Into<String>) -> Self {
        Self::Skip { reason: reason.into() }
    }
}
