//! What wal-g prints: `backup-list`, `wal-show --detailed-json` and `wal-verify --json` results.

use serde::{Deserialize, Deserializer, Serialize};

use crate::error::{Error, parse_error};
use crate::lsn::Lsn;
use crate::segment::TimelineId;
use crate::time::{Timestamp, parse_timestamp};

/// One backup as `backup-list` prints it (`--json`, `--detail` or the plain table).
///
/// Fields only `--detail` prints are `None` without it. Unknown keys are kept in `extra`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BackupListEntry {
    /// The backup name, e.g. `base_000000010000000000000002`.
    pub backup_name: String,
    /// When the backup's sentinel was written (its storage modification time).
    #[serde(default, deserialize_with = "opt_time")]
    pub time: Option<Timestamp>,
    /// The WAL file of the backup's start LSN.
    #[serde(default)]
    pub wal_file_name: String,
    /// The storage holding the backup (wal-g 3.0+, `default` without multi-storage).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_name: Option<String>,
    /// When the backup started (`--detail`).
    #[serde(default, deserialize_with = "opt_time", skip_serializing_if = "Option::is_none")]
    pub start_time: Option<Timestamp>,
    /// When the backup finished (`--detail`).
    #[serde(default, deserialize_with = "opt_time", skip_serializing_if = "Option::is_none")]
    pub finish_time: Option<Timestamp>,
    /// Host the backup was taken on (`--detail`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    /// PGDATA of the backed-up server (`--detail`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<String>,
    /// PostgreSQL version number, e.g. 150004 (`--detail`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pg_version: Option<u32>,
    /// LSN where the backup started (`--detail`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_lsn: Option<Lsn>,
    /// LSN where the backup finished; replay must reach it (`--detail`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finish_lsn: Option<Lsn>,
    /// Permanent backups are never deleted by retention (`--detail`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_permanent: Option<bool>,
    /// The cluster's system identifier (`--detail`; beyond 2^53, hence u64).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_identifier: Option<u64>,
    /// Size before compression in bytes (`--detail`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uncompressed_size: Option<i64>,
    /// Size in storage in bytes (`--detail`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compressed_size: Option<i64>,
    /// User data attached with `--add-user-data`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_data: Option<serde_json::Value>,
    /// Keys this crate does not model.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// Reads an RFC 3339 time; wal-g's zero time (`0001-01-01T00:00:00Z`, metadata missing) is `None`.
fn opt_time<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Timestamp>, D::Error> {
    match Option::<String>::deserialize(d)? {
        None => Ok(None),
        Some(s) => table_time(&s).map_err(serde::de::Error::custom),
    }
}

/// A time cell: `-` or the zero time mean "unknown".
fn table_time(s: &str) -> Result<Option<Timestamp>, Error> {
    if s == "-" || s.is_empty() || s.starts_with("0001-01-01") {
        return Ok(None);
    }
    parse_timestamp(s).map(Some)
}

impl BackupListEntry {
    /// An entry with only a name (the rest unknown).
    #[must_use]
    pub fn named(name: impl Into<String>) -> Self {
        BackupListEntry {
            backup_name: name.into(),
            time: None,
            wal_file_name: String::new(),
            storage_name: None,
            start_time: None,
            finish_time: None,
            hostname: None,
            data_dir: None,
            pg_version: None,
            start_lsn: None,
            finish_lsn: None,
            is_permanent: None,
            system_identifier: None,
            uncompressed_size: None,
            compressed_size: None,
            user_data: None,
            extra: serde_json::Map::new(),
        }
    }

    /// Parses `backup-list --json` output (with or without `--detail`). Empty output is an empty
    /// list (wal-g before 3.0.8 prints nothing when there are no backups).
    pub fn parse_json(stdout: &str) -> Result<Vec<Self>, Error> {
        if stdout.trim().is_empty() {
            return Ok(Vec::new());
        }
        serde_json::from_str(stdout.trim()).map_err(|e| parse_error("backup-list JSON", stdout, e.to_string()))
    }

    /// Parses the plain `backup-list [--detail]` table of wal-g 2.x (`name modified
    /// wal_segment_backup_start ...`) or 3.x (`backup_name modified wal_file_name storage_name ...`),
    /// choosing columns by the header. Empty output is an empty list.
    pub fn parse_table(stdout: &str) -> Result<Vec<Self>, Error> {
        let mut lines = stdout.lines().filter(|l| !l.trim().is_empty());
        let Some(header) = lines.next() else { return Ok(Vec::new()) };
        let columns: Vec<&str> = header.split_whitespace().collect();
        if !matches!(columns.first(), Some(&"name" | &"backup_name")) {
            return Err(parse_error(
                "backup-list table header",
                header,
                "expected it to start with `name` or `backup_name`",
            ));
        }
        let mut out = Vec::new();
        for line in lines {
            let cells: Vec<&str> = line.split_whitespace().collect();
            if cells.len() != columns.len() {
                return Err(parse_error(
                    "backup-list table row",
                    line,
                    format!("expected {} columns like the header `{}`", columns.len(), header.trim()),
                ));
            }
            let mut entry = BackupListEntry::named(cells[0]);
            for (col, cell) in columns.iter().zip(&cells).skip(1) {
                let cell = *cell;
                let bad = |reason: &str| parse_error("backup-list table row", line, format!("column {col}: {reason}"));
                let text = (cell != "-").then(|| cell.to_owned());
                match *col {
                    "modified" => entry.time = table_time(cell)?,
                    "wal_segment_backup_start" | "wal_file_name" => entry.wal_file_name = cell.to_owned(),
                    "storage_name" => entry.storage_name = text,
                    "start_time" => entry.start_time = table_time(cell)?,
                    "finish_time" => entry.finish_time = table_time(cell)?,
                    "hostname" => entry.hostname = text,
                    "data_dir" => entry.data_dir = text,
                    "pg_version" => entry.pg_version = Some(cell.parse().map_err(|_| bad("expected a number"))?),
                    "start_lsn" => entry.start_lsn = Some(cell.parse()?),
                    "finish_lsn" => entry.finish_lsn = Some(cell.parse()?),
                    "is_permanent" => {
                        entry.is_permanent = Some(cell.parse().map_err(|_| bad("expected true or false"))?);
                    }
                    other => {
                        entry.extra.insert(other.to_owned(), serde_json::Value::String(cell.to_owned()));
                    }
                }
            }
            out.push(entry);
        }
        Ok(out)
    }
}

/// One timeline of `wal-show --detailed-json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WalShowTimeline {
    /// Timeline ID.
    pub id: TimelineId,
    /// Parent timeline, 0 when there is no history file.
    #[serde(default)]
    pub parent_id: TimelineId,
    /// Where the parent ended (0 when none).
    #[serde(default)]
    pub switch_point_lsn: Lsn,
    /// First segment found.
    pub start_segment: String,
    /// Last segment found.
    pub end_segment: String,
    /// Segments found.
    #[serde(default)]
    pub segments_count: u64,
    /// Segments missing between start and end.
    #[serde(default)]
    pub missing_segments: Vec<String>,
    /// Backups taken on this timeline (absent with `--without-backups`).
    #[serde(default)]
    pub backups: Vec<BackupListEntry>,
    /// `end - start + 1`.
    #[serde(default)]
    pub segment_range_size: u64,
    /// `OK` or `LOST_SEGMENTS`.
    #[serde(default)]
    pub status: String,
}

impl WalShowTimeline {
    /// Parses `wal-show --detailed-json` output (empty output: no WAL at all).
    pub fn parse_json(stdout: &str) -> Result<Vec<Self>, Error> {
        if stdout.trim().is_empty() {
            return Ok(Vec::new());
        }
        serde_json::from_str(stdout.trim()).map_err(|e| parse_error("wal-show JSON", stdout, e.to_string()))
    }
}

/// Status of one `wal-verify` check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CheckStatus {
    /// Nothing wrong.
    Ok,
    /// Something could not be determined or is about to go wrong.
    Warning,
    /// WAL is lost or the cluster is not on the highest timeline in storage.
    Failure,
    /// A status this crate does not know.
    #[serde(other)]
    Unknown,
}

/// Status of a run of segments in the integrity check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SegmentStatus {
    /// In storage.
    Found,
    /// Missing, but recent enough that archiving may be delayed.
    MissingDelayed,
    /// Missing, but possibly still uploading.
    MissingUploading,
    /// Missing for good: point-in-time recovery past it is impossible.
    MissingLost,
    /// A status this crate does not know.
    #[serde(other)]
    Unknown,
}

/// One run of segments with the same status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntegrityRange {
    /// Timeline.
    pub timeline_id: TimelineId,
    /// First segment of the run.
    pub start_segment: String,
    /// Last segment of the run.
    pub end_segment: String,
    /// Segments in the run.
    pub segments_count: u64,
    /// Their status.
    pub status: SegmentStatus,
}

/// The `integrity` check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntegrityCheck {
    /// Overall status (FAILURE iff any segment is lost).
    pub status: CheckStatus,
    /// Runs of segments.
    #[serde(default)]
    pub details: Vec<IntegrityRange>,
}

/// Details of the `timeline` check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineDetails {
    /// The cluster's timeline.
    pub current_timeline_id: TimelineId,
    /// The highest timeline in storage.
    pub highest_storage_timeline_id: TimelineId,
}

/// The `timeline` check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineCheck {
    /// FAILURE when the cluster is not on the highest timeline in storage.
    pub status: CheckStatus,
    /// The timelines compared.
    pub details: Option<TimelineDetails>,
}

/// `wal-verify ... --json` output. wal-g exits 0 even on FAILURE: look at [`WalVerifyReport::status`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WalVerifyReport {
    /// The integrity check, when requested.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub integrity: Option<IntegrityCheck>,
    /// The timeline check, when requested.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeline: Option<TimelineCheck>,
}

impl WalVerifyReport {
    /// Parses `wal-verify --json` output.
    pub fn parse_json(stdout: &str) -> Result<Self, Error> {
        serde_json::from_str(stdout.trim()).map_err(|e| parse_error("wal-verify JSON", stdout, e.to_string()))
    }

    /// The worst status of the checks present: FAILURE beats WARNING beats OK; an unknown
    /// status counts as a warning; no check at all is a warning.
    #[must_use]
    pub fn status(&self) -> CheckStatus {
        let statuses: Vec<CheckStatus> =
            self.integrity.iter().map(|c| c.status).chain(self.timeline.iter().map(|c| c.status)).collect();
        if statuses.contains(&CheckStatus::Failure) {
            CheckStatus::Failure
        } else if statuses.is_empty() || statuses.iter().any(|s| *s != CheckStatus::Ok) {
            CheckStatus::Warning
        } else {
            CheckStatus::Ok
        }
    }

    /// Runs of segments lost for good.
    pub fn lost_ranges(&self) -> impl Iterator<Item = &IntegrityRange> {
        self.integrity.iter().flat_map(|c| &c.details).filter(|r| r.status == SegmentStatus::MissingLost)
    }
}
