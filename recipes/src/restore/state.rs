//! The state file of a restore in progress: which phase the last run completed.

use serde::{Deserialize, Serialize};

use super::{Restore, RestoreMode};
use crate::Result;
use crate::ports::DatabaseSettings;

/// Progress of a restore, kept in the state file between runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// The original settings are saved.
    Recorded,
    /// The restore method is set.
    MethodSet,
    /// The database jobs are stopped and purged.
    JobsStopped,
    /// The scope's Consul state is saved and removed.
    ScopeRemoved,
    /// The cluster was bootstrapped with the restore method.
    Bootstrapped,
}

/// The state file of a restore in progress.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RestoreState {
    /// What is being restored.
    pub mode: RestoreMode,
    /// The settings before the restore, put back by [`Restore::abort`].
    pub original_settings: DatabaseSettings,
    /// The last completed phase.
    pub phase: Phase,
}

impl Restore {
    pub(super) fn state_name(&self) -> String {
        format!("restore-{}.state.json", self.ns())
    }

    /// The state of a restore in progress, if any.
    pub async fn state(&self) -> Result<Option<RestoreState>> {
        self.backups.read_state(&self.state_name()).await
    }

    pub(super) async fn advance(&self, state: &mut RestoreState, phase: Phase) -> Result<()> {
        state.phase = phase;
        self.backups.write_state(&self.state_name(), state).await.map(drop)
    }
}
