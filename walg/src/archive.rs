//! What is in a WAL archive: file names (from a directory, an `ls` listing or `wal-show`) and times.

use std::collections::BTreeMap;
use std::path::Path;

use crate::backup_label::{BackupLabel, backup_history_file_segment};
use crate::error::{Error, parse_error};
use crate::segment::{TimelineId, WalSegment, WalSegmentSize};
use crate::time::{Timestamp, parse_timestamp};
use crate::timeline::{TimelineHistory, history_file_timeline};

/// Extensions wal-g adds when it compresses a file (and the two it can only read).
const COMPRESSION_EXTENSIONS: [&str; 6] = ["lz4", "lzma", "zst", "br", "gz", "lzo"];

/// What one file in a WAL archive is, judged by its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArchiveFile {
    /// A complete WAL segment.
    Segment(WalSegment),
    /// A `.partial` segment (the last, incomplete segment of a timeline that ended).
    Partial(WalSegment),
    /// A timeline history file.
    History(TimelineId),
    /// A backup history file `<segment>.<offset>.backup`.
    BackupHistory(WalSegment, u32),
}

impl ArchiveFile {
    /// Classifies a file name (a path or a storage key is reduced to its last component; a
    /// compression extension is ignored). `None` for anything else (`.json` metadata, deltas...).
    ///
    /// ```
    /// use walg::ArchiveFile;
    /// assert!(matches!(ArchiveFile::classify("wal_005/000000010000000000000003.lz4"), Some(ArchiveFile::Segment(_))));
    /// assert_eq!(ArchiveFile::classify("00000002.history"), Some(ArchiveFile::History(2)));
    /// assert_eq!(ArchiveFile::classify("000000010000000000000003.json"), None);
    /// ```
    #[must_use]
    pub fn classify(name: &str) -> Option<Self> {
        let base = name.rsplit('/').next().unwrap_or(name);
        let base = strip_compression(base);
        if let Some(t) = history_file_timeline(base) {
            return Some(ArchiveFile::History(t));
        }
        if let Some((seg, off)) = backup_history_file_segment(base) {
            return Some(ArchiveFile::BackupHistory(seg, off));
        }
        if let Some(seg) = base.strip_suffix(".partial") {
            return seg.parse().ok().map(ArchiveFile::Partial);
        }
        base.parse().ok().map(ArchiveFile::Segment)
    }
}

/// Removes one compression extension (or the trailing dot old wal-g left with `none`).
fn strip_compression(name: &str) -> &str {
    if let Some((stem, ext)) = name.rsplit_once('.') {
        if ext.is_empty() || COMPRESSION_EXTENSIONS.contains(&ext) {
            return stem;
        }
    }
    name
}

/// The files of a WAL archive that matter for a restore, with their modification times when known.
#[derive(Debug, Clone, Default)]
pub struct WalInventory {
    segments: BTreeMap<WalSegment, Option<Timestamp>>,
    partials: BTreeMap<WalSegment, Option<Timestamp>>,
    histories: BTreeMap<TimelineId, Option<Timestamp>>,
    backup_histories: BTreeMap<String, (WalSegment, Option<Timestamp>)>,
}

impl WalInventory {
    /// Adds one file by name; returns what it was, or `None` when the name was ignored.
    pub fn add(&mut self, name: &str, modified: Option<Timestamp>) -> Option<ArchiveFile> {
        let file = ArchiveFile::classify(name)?;
        match file {
            ArchiveFile::Segment(s) => {
                self.segments.insert(s, modified);
            }
            ArchiveFile::Partial(s) => {
                self.partials.insert(s, modified);
            }
            ArchiveFile::History(t) => {
                self.histories.insert(t, modified);
            }
            ArchiveFile::BackupHistory(s, _) => {
                let base = name.rsplit('/').next().unwrap_or(name);
                self.backup_histories.insert(strip_compression(base).to_owned(), (s, modified));
            }
        }
        Some(file)
    }

    /// Reads a directory listing: bare names one per line, or `ls -l` output. Times are kept only
    /// when they carry a zone (`ls -l --time-style=full-iso` or `--full-time`); plain `ls -l`
    /// times have neither year nor zone and are ignored rather than guessed.
    ///
    /// ```
    /// use walg::WalInventory;
    /// let inv = WalInventory::from_listing(
    ///     "-rw------- 1 pg pg 16777216 2026-11-22 04:43:37.000000000 +0000 000000010000000000000001\n",
    /// );
    /// assert_eq!(inv.segments().count(), 1);
    /// assert!(inv.segments().next().unwrap().1.is_some());
    /// ```
    #[must_use]
    pub fn from_listing(text: &str) -> Self {
        let mut inv = Self::default();
        for line in text.lines() {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let Some(name) = fields.last() else { continue };
            let modified = match fields.len() {
                n if n >= 4 => {
                    let stamp = fields[n - 4..n - 1].join(" ");
                    parse_timestamp(&stamp).ok()
                }
                _ => None,
            };
            inv.add(name, modified);
        }
        inv
    }

    /// Lists a local archive directory (e.g. the `archive_command` target or a `WALG_FILE_PREFIX`'s
    /// `wal_005`), with file modification times.
    pub fn from_dir(dir: &Path) -> Result<Self, Error> {
        let mut inv = Self::default();
        let entries = std::fs::read_dir(dir).map_err(|e| io_error(dir, &e))?;
        for entry in entries {
            let entry = entry.map_err(|e| io_error(dir, &e))?;
            let modified = entry.metadata().ok().and_then(|m| m.modified().ok()).map(Timestamp::from);
            inv.add(&entry.file_name().to_string_lossy(), modified);
        }
        Ok(inv)
    }

    /// Builds the inventory from `wal-show --detailed-json`: each timeline's range minus its
    /// missing segments (no times: wal-show does not print them).
    pub fn from_wal_show(timelines: &[crate::models::WalShowTimeline], size: WalSegmentSize) -> Result<Self, Error> {
        let mut inv = Self::default();
        for tl in timelines {
            let missing: std::collections::BTreeSet<&str> = tl.missing_segments.iter().map(String::as_str).collect();
            let start: WalSegment = tl.start_segment.parse()?;
            let end: WalSegment = tl.end_segment.parse()?;
            for segno in start.segno(size)?..=end.segno(size)? {
                let seg = WalSegment::from_segno(tl.id, segno, size);
                if !missing.contains(seg.to_string().as_str()) {
                    inv.segments.insert(seg, None);
                }
            }
            if tl.parent_id != 0 {
                inv.histories.insert(tl.id, None);
            }
        }
        Ok(inv)
    }

    /// Complete segments with their times, in order.
    pub fn segments(&self) -> impl Iterator<Item = (WalSegment, Option<Timestamp>)> + '_ {
        self.segments.iter().map(|(s, t)| (*s, *t))
    }

    /// True when this complete segment is archived.
    #[must_use]
    pub fn has_segment(&self, segment: WalSegment) -> bool {
        self.segments.contains_key(&segment)
    }

    /// The archive time of a complete segment, when known.
    #[must_use]
    pub fn segment_time(&self, segment: WalSegment) -> Option<Timestamp> {
        self.segments.get(&segment).copied().flatten()
    }

    /// Partial segments with their times.
    pub fn partials(&self) -> impl Iterator<Item = (WalSegment, Option<Timestamp>)> + '_ {
        self.partials.iter().map(|(s, t)| (*s, *t))
    }

    /// Timelines with a history file in the archive, with the file's time when known.
    pub fn history_files(&self) -> impl Iterator<Item = (TimelineId, Option<Timestamp>)> + '_ {
        self.histories.iter().map(|(t, m)| (*t, *m))
    }

    /// The archive time of a timeline's history file (about when the timeline began).
    #[must_use]
    pub fn history_time(&self, timeline: TimelineId) -> Option<Timestamp> {
        self.histories.get(&timeline).copied().flatten()
    }

    /// Backup history files (`<segment>.<offset>.backup`) by name.
    pub fn backup_history_files(&self) -> impl Iterator<Item = (&str, WalSegment, Option<Timestamp>)> + '_ {
        self.backup_histories.iter().map(|(n, (s, t))| (n.as_str(), *s, *t))
    }

    /// Every timeline with a segment, partial segment or history file.
    #[must_use]
    pub fn timelines(&self) -> Vec<TimelineId> {
        let mut all: Vec<TimelineId> = self
            .segments
            .keys()
            .chain(self.partials.keys())
            .map(|s| s.timeline)
            .chain(self.histories.keys().copied())
            .collect();
        all.sort_unstable();
        all.dedup();
        all
    }

    /// The highest complete segment archived on a timeline.
    #[must_use]
    pub fn last_segment(&self, timeline: TimelineId) -> Option<WalSegment> {
        self.segments.keys().rev().find(|s| s.timeline == timeline).copied()
    }

    /// The latest archive time of a complete segment of a timeline. Partial segments do not
    /// count: `restore_command` never fetches them, so their WAL is not replayable on this timeline.
    #[must_use]
    pub fn last_archived_at(&self, timeline: TimelineId) -> Option<(WalSegment, Timestamp)> {
        self.segments
            .iter()
            .filter(|(s, _)| s.timeline == timeline)
            .filter_map(|(s, t)| t.map(|t| (*s, t)))
            .max_by_key(|(_, t)| *t)
    }

    /// True when at least one segment time is known.
    #[must_use]
    pub fn has_times(&self) -> bool {
        self.segments.values().any(Option::is_some)
    }
}

fn io_error(path: &Path, e: &std::io::Error) -> Error {
    client_core::Error::invalid("archive directory", path.display().to_string(), format!("cannot be read: {e}")).into()
}

/// Everything a local archive directory holds for planning: the inventory, the (uncompressed)
/// history files and backup labels.
#[derive(Debug, Clone, Default)]
pub struct LocalArchive {
    /// File names and times.
    pub inventory: WalInventory,
    /// Parsed `.history` files.
    pub histories: Vec<TimelineHistory>,
    /// Parsed `.backup` files with their file names.
    pub labels: Vec<(String, BackupLabel)>,
}

impl LocalArchive {
    /// Reads a local archive directory. Compressed history and label files are listed but not
    /// read (their content needs wal-g to decompress).
    pub fn read(dir: &Path) -> Result<Self, Error> {
        let inventory = WalInventory::from_dir(dir)?;
        let mut archive = LocalArchive { inventory, ..Self::default() };
        let read = |name: &str| {
            let path = dir.join(name);
            std::fs::read_to_string(&path).map_err(|e| io_error(&path, &e))
        };
        for (tli, _) in archive.inventory.history_files() {
            let name = format!("{tli:08X}.history");
            if dir.join(&name).is_file() {
                archive.histories.push(TimelineHistory::parse(tli, &read(&name)?)?);
            }
        }
        let labels: Vec<String> = archive.inventory.backup_history_files().map(|(n, _, _)| n.to_owned()).collect();
        for name in labels {
            if dir.join(&name).is_file() {
                let label = BackupLabel::parse(&read(&name)?)
                    .map_err(|e| parse_error("backup label file", &name, e.to_string()))?;
                archive.labels.push((name, label));
            }
        }
        Ok(archive)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_names() {
        let seg = |s: &str| s.parse::<WalSegment>().unwrap();
        assert_eq!(
            ArchiveFile::classify("000000010000000000000004.partial"),
            Some(ArchiveFile::Partial(seg("000000010000000000000004")))
        );
        assert_eq!(
            ArchiveFile::classify("000000010000000000000004.partial.zst"),
            Some(ArchiveFile::Partial(seg("000000010000000000000004")))
        );
        assert_eq!(
            ArchiveFile::classify("000000010000000000000004."),
            Some(ArchiveFile::Segment(seg("000000010000000000000004")))
        );
        assert_eq!(ArchiveFile::classify("000000010000000000000004_delta.lz4"), None);
        assert_eq!(ArchiveFile::classify("."), None);
        assert_eq!(ArchiveFile::classify("total"), None);
    }
}
