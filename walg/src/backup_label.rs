//! Backup history files (`<segment>.<offset>.backup`) that PostgreSQL archives after a base backup.

use crate::error::{Error, parse_error};
use crate::lsn::Lsn;
use crate::segment::{TimelineId, WalSegment};
use crate::time::{Timestamp, parse_timestamp};

/// A parsed backup history file (the `backup_label` content plus stop information).
///
/// ```
/// use walg::BackupLabel;
/// let text = "START WAL LOCATION: 0/2000028 (file 000000010000000000000002)\n\
///             STOP WAL LOCATION: 0/2000100 (file 000000010000000000000002)\n\
///             START TIME: 2026-11-22 04:43:37 UTC\nSTART TIMELINE: 1\n";
/// let label = BackupLabel::parse(text).unwrap();
/// assert_eq!(label.start_lsn.to_string(), "0/2000028");
/// assert_eq!(label.start_segment.to_string(), "000000010000000000000002");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BackupLabel {
    /// `START WAL LOCATION`: where replay must begin.
    pub start_lsn: Lsn,
    /// The file named beside the start location.
    pub start_segment: WalSegment,
    /// `STOP WAL LOCATION`: replay must reach this LSN before the copy is consistent.
    pub stop_lsn: Option<Lsn>,
    /// The file named beside the stop location.
    pub stop_segment: Option<WalSegment>,
    /// `CHECKPOINT LOCATION`.
    pub checkpoint_lsn: Option<Lsn>,
    /// `BACKUP METHOD` (`streamed`, `pg_start_backup`).
    pub method: Option<String>,
    /// `BACKUP FROM` (`primary`, `standby`).
    pub from: Option<String>,
    /// `START TIME`.
    pub start_time: Option<Timestamp>,
    /// `STOP TIME`.
    pub stop_time: Option<Timestamp>,
    /// `LABEL`.
    pub label: Option<String>,
    /// `START TIMELINE` (defaults to the start file's timeline).
    pub start_timeline: TimelineId,
    /// `STOP TIMELINE`.
    pub stop_timeline: Option<TimelineId>,
}

/// Parses `0/2000028 (file 000000010000000000000002)`.
fn location(value: &str, line: &str) -> Result<(Lsn, WalSegment), Error> {
    let expected = "expected `X/Y (file <24 hex digits>)`";
    let (lsn, rest) = value.split_once(' ').ok_or_else(|| parse_error("backup label line", line, expected))?;
    let file = rest
        .trim()
        .strip_prefix("(file ")
        .and_then(|r| r.strip_suffix(')'))
        .ok_or_else(|| parse_error("backup label line", line, expected))?;
    Ok((lsn.parse()?, file.parse()?))
}

impl BackupLabel {
    /// Parses the text of a backup history file or `backup_label`. Unknown lines are ignored.
    pub fn parse(text: &str) -> Result<Self, Error> {
        let mut start: Option<(Lsn, WalSegment)> = None;
        let mut label = BackupLabel {
            start_lsn: Lsn::ZERO,
            start_segment: WalSegment { timeline: 1, log: 0, seg: 0 },
            stop_lsn: None,
            stop_segment: None,
            checkpoint_lsn: None,
            method: None,
            from: None,
            start_time: None,
            stop_time: None,
            label: None,
            start_timeline: 0,
            stop_timeline: None,
        };
        for line in text.lines() {
            let Some((key, value)) = line.split_once(": ") else { continue };
            let value = value.trim();
            let timeline = |v: &str| {
                v.parse::<TimelineId>()
                    .map_err(|_| parse_error("backup label line", line, "expected a decimal timeline"))
            };
            match key.trim() {
                "START WAL LOCATION" => start = Some(location(value, line)?),
                "STOP WAL LOCATION" => {
                    let (lsn, seg) = location(value, line)?;
                    label.stop_lsn = Some(lsn);
                    label.stop_segment = Some(seg);
                }
                "CHECKPOINT LOCATION" => label.checkpoint_lsn = Some(value.parse()?),
                "BACKUP METHOD" => label.method = Some(value.to_owned()),
                "BACKUP FROM" => label.from = Some(value.to_owned()),
                "START TIME" => label.start_time = Some(parse_timestamp(value)?),
                "STOP TIME" => label.stop_time = Some(parse_timestamp(value)?),
                "LABEL" => label.label = Some(value.to_owned()),
                "START TIMELINE" => label.start_timeline = timeline(value)?,
                "STOP TIMELINE" => label.stop_timeline = Some(timeline(value)?),
                _ => {}
            }
        }
        let (start_lsn, start_segment) =
            start.ok_or_else(|| parse_error("backup label", text, "the START WAL LOCATION line is missing"))?;
        label.start_lsn = start_lsn;
        label.start_segment = start_segment;
        if label.start_timeline == 0 {
            label.start_timeline = start_segment.timeline;
        }
        Ok(label)
    }
}

/// The parts of a backup history file name `<segment>.<8 hex offset>.backup[.<ext>]`.
#[must_use]
pub fn backup_history_file_segment(name: &str) -> Option<(WalSegment, u32)> {
    let (seg, rest) = name.split_at_checked(24)?;
    let rest = rest.strip_prefix('.')?;
    let (offset, rest) = rest.split_at_checked(8)?;
    let ok = rest == ".backup" || rest.strip_prefix(".backup.").is_some_and(|e| !e.is_empty());
    if !ok || !offset.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    Some((seg.parse().ok()?, u32::from_str_radix(offset, 16).ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn needs_a_start_location() {
        let e = BackupLabel::parse("LABEL: x\n").unwrap_err().to_string();
        assert!(e.contains("START WAL LOCATION"), "{e}");
        let e = BackupLabel::parse("START WAL LOCATION: 0/2000028 000000010000000000000002\n").unwrap_err();
        assert!(e.to_string().contains("(file"), "{e}");
    }

    #[test]
    fn history_file_names() {
        let (seg, off) = backup_history_file_segment("000000010000000000000002.00000028.backup").unwrap();
        assert_eq!((seg.seg, off), (2, 0x28));
        assert!(backup_history_file_segment("000000010000000000000002.00000028.backup.lz4").is_some());
        assert!(backup_history_file_segment("000000010000000000000002.0000028.backup").is_none());
        assert!(backup_history_file_segment("000000010000000000000002.partial").is_none());
    }
}
