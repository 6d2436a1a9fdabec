//! wal-g backup names: `base_<segment>` and deltas `base_<segment>_D_<base segment>`.

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, parse_error};
use crate::lsn::Lsn;
use crate::segment::{TimelineId, WalSegment, WalSegmentSize};

/// A wal-g backup name.
///
/// The segment is `pg_walfile_name(start_lsn)` of the backup; a delta backup appends `_D_` and
/// the segment of the backup it is based on.
///
/// ```
/// use walg::BackupName;
/// let n: BackupName = "base_000000010000000100000072_D_000000010000000100000063".parse().unwrap();
/// assert_eq!(n.timeline(), 1);
/// assert!(n.is_delta());
/// assert_eq!(n.to_string(), "base_000000010000000100000072_D_000000010000000100000063");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BackupName {
    /// The WAL file of the backup's start LSN.
    pub segment: WalSegment,
    /// For a delta backup, the WAL file in the name of the backup it is based on.
    pub delta_from: Option<WalSegment>,
}

impl BackupName {
    /// The name wal-g gives a full backup started at `start_lsn` on `timeline`.
    #[must_use]
    pub fn for_start(timeline: TimelineId, start_lsn: Lsn, size: WalSegmentSize) -> Self {
        BackupName { segment: WalSegment::walfile_name(timeline, start_lsn, size), delta_from: None }
    }

    /// The timeline the backup was taken on.
    #[must_use]
    pub fn timeline(&self) -> TimelineId {
        self.segment.timeline
    }

    /// True for a delta (incremental) backup.
    #[must_use]
    pub fn is_delta(&self) -> bool {
        self.delta_from.is_some()
    }
}

impl fmt::Display for BackupName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "base_{}", self.segment)?;
        if let Some(from) = self.delta_from {
            write!(f, "_D_{from}")?;
        }
        Ok(())
    }
}

impl FromStr for BackupName {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let expected = "expected base_<24 hex digits>, optionally followed by _D_<24 hex digits>";
        let rest = s.strip_prefix("base_").ok_or_else(|| parse_error("backup name", s, expected))?;
        let (seg, delta) = match rest.split_once("_D_") {
            Some((seg, from)) => (seg, Some(from)),
            None => (rest, None),
        };
        let segment = seg.parse().map_err(|_| parse_error("backup name", s, expected))?;
        let delta_from =
            delta.map(|d| d.parse::<WalSegment>()).transpose().map_err(|_| parse_error("backup name", s, expected))?;
        Ok(BackupName { segment, delta_from })
    }
}

impl serde::Serialize for BackupName {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_and_delta_names() {
        let full: BackupName = "base_000000010000000000000002".parse().unwrap();
        assert!(!full.is_delta());
        assert_eq!(full, BackupName::for_start(1, "0/2000028".parse().unwrap(), WalSegmentSize::default()));
        // A backup starting exactly on a boundary is named after the previous file.
        let b = BackupName::for_start(0x10, "0/3000000".parse().unwrap(), WalSegmentSize::default());
        assert_eq!(b.to_string(), "base_000000100000000000000002");
        for bad in [
            "base_",
            "000000010000000000000002",
            "base_000000010000000000000002_D_",
            "base_x_D_000000010000000000000002",
            "base_000000010000000000000002_D_000000010000000000000001_D_000000010000000000000001",
        ] {
            assert!(bad.parse::<BackupName>().is_err(), "{bad}");
        }
    }
}
