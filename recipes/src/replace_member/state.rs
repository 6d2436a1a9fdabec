//! The state file of a replacement in progress: the member, its backup, the step it passed.
//!
//! A run writes it before it stops the member's job and removes it once the member streams
//! again; a run that finds it resumes that member instead of refusing the cluster it left
//! one member short.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::ReplaceMember;
use crate::Result;

/// How far the replacement of [`ReplaceState::member`] got.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Its state is saved; the stop and purge of its job may have begun.
    Stopping,
    /// Its job is stopped and purged.
    Purged,
    /// Its volume is cleared.
    Cleared,
    /// Its job was started again and runs; it has not streamed yet.
    Started,
}

impl std::fmt::Display for Phase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Stopping => "its state was saved (the stop of its job may have begun)",
            Self::Purged => "its job was stopped and purged",
            Self::Cleared => "its volume was cleared",
            Self::Started => "its job was started again",
        })
    }
}

/// The state file of a replacement in progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplaceState {
    /// The member being replaced.
    pub member: String,
    /// The last step it passed.
    pub phase: Phase,
    /// The volume location the run was to clear, if any.
    pub volume: Option<String>,
    /// The backup of its state saved before its job was stopped.
    pub backup: PathBuf,
}

/// What is left of one member's replacement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Todo {
    /// Stop and purge its job.
    pub(super) stop: bool,
    /// Clear its volume.
    pub(super) clear: bool,
    /// Start its job again.
    pub(super) start: bool,
}

impl Todo {
    /// A replacement from the start.
    pub(super) fn whole(clear: bool) -> Self {
        Self { stop: true, clear, start: true }
    }

    /// What a resumed replacement still has to do, from where the last run stopped and
    /// whether the member's job runs now: a running job is stopped again before its volume
    /// is cleared, and a stopped one is started.
    pub(super) fn left(state: &ReplaceState, clear: bool, running: bool) -> Self {
        let stop = state.phase == Phase::Stopping || (clear && running);
        Self { stop, clear, start: stop || !running }
    }
}

impl ReplaceMember {
    pub(super) fn state_name(&self) -> String {
        format!("replace-member-{}.state.json", self.opts.scope)
    }

    /// The replacement a previous run left midway, if any (from the backup directory).
    pub async fn state(&self) -> Result<Option<ReplaceState>> {
        self.caps.backups.read_state(&self.state_name()).await
    }

    pub(super) async fn record(&self, state: &ReplaceState) -> Result<()> {
        self.caps.backups.write_state(&self.state_name(), state).await.map(drop)
    }

    pub(super) async fn advance(&self, state: &mut ReplaceState, phase: Phase) -> Result<()> {
        state.phase = phase;
        self.record(state).await
    }

    pub(super) async fn finish(&self) -> Result<()> {
        self.caps.backups.remove_state(&self.state_name()).await
    }
}
