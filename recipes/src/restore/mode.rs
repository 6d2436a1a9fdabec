//! What a restore restores to, and the inputs of [`Restore`](super::Restore).

use serde::{Deserialize, Serialize};

use crate::bootstrap::BootstrapOptions;
use crate::ports::{BootstrapMethod, DatabaseSettings};
use crate::{Error, Result, input};

/// What to restore to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum RestoreMode {
    /// The end of the archived WAL on a timeline (`walg_timeline`).
    Timeline {
        /// The timeline.
        timeline: u32,
    },
    /// A moment on a timeline (`walg_pitr`).
    PointInTime {
        /// The timeline holding the moment.
        timeline: u32,
        /// The moment, RFC 3339 with its zone.
        timestamp: String,
    },
}

impl RestoreMode {
    /// A timeline restore; the timeline must be 1 or more.
    pub fn timeline(timeline: u32) -> Result<Self> {
        input::validate_timeline(timeline)?;
        Ok(Self::Timeline { timeline })
    }

    /// A point-in-time restore; the timestamp must carry its zone.
    pub fn point_in_time(timeline: u32, timestamp: &str) -> Result<Self> {
        input::validate_timeline(timeline)?;
        let parsed = input::parse_timestamp(timestamp)?;
        Ok(Self::PointInTime { timeline, timestamp: parsed.to_rfc3339() })
    }

    /// The timeline restored from.
    #[must_use]
    pub fn source_timeline(&self) -> u32 {
        match self {
            Self::Timeline { timeline } | Self::PointInTime { timeline, .. } => *timeline,
        }
    }

    /// The bootstrap method this mode sets.
    #[must_use]
    pub fn method(&self) -> BootstrapMethod {
        match self {
            Self::Timeline { .. } => BootstrapMethod::WalgTimeline,
            Self::PointInTime { .. } => BootstrapMethod::WalgPitr,
        }
    }

    pub(super) fn validate(&self) -> Result<()> {
        match self {
            Self::Timeline { timeline } => input::validate_timeline(*timeline),
            Self::PointInTime { timeline, timestamp } => {
                input::validate_timeline(*timeline)?;
                input::parse_timestamp(timestamp).map(drop)
            }
        }
    }

    pub(super) fn walg_target(&self) -> Result<walg::RestoreTarget> {
        let base = walg::RestoreTarget::timeline(self.source_timeline());
        Ok(match self {
            Self::Timeline { .. } => base,
            Self::PointInTime { timestamp, .. } => base.at(walg::parse_timestamp(timestamp)
                .map_err(|e| Error::invalid("recovery timestamp", timestamp, e.to_string()))?),
        })
    }

    /// `settings` with this mode's method and keys set.
    pub(super) fn apply(&self, settings: &DatabaseSettings) -> DatabaseSettings {
        let mut s = settings.clone();
        s.bootstrap_method = Some(self.method());
        match self {
            Self::Timeline { timeline } => s.walg_timeline = Some(*timeline),
            Self::PointInTime { timeline, timestamp } => {
                s.walg_pitr_timeline = Some(*timeline);
                s.walg_pitr_timestamp = Some(timestamp.clone());
            }
        }
        s
    }
}

/// Inputs of [`Restore`](super::Restore).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RestoreOptions {
    /// The cluster to re-create (namespace, scope, members, timeouts). Its method is set by
    /// the restore.
    pub bootstrap: BootstrapOptions,
    /// What to restore to.
    pub mode: RestoreMode,
}

impl RestoreOptions {
    /// Restores the cluster of `bootstrap` to `mode`.
    #[must_use]
    pub fn new(bootstrap: BootstrapOptions, mode: RestoreMode) -> Self {
        Self { bootstrap, mode }
    }
}
