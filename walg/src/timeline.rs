//! Timeline history files (`00000002.history`) and the tree of timelines they describe.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::error::{Error, parse_error};
use crate::lsn::Lsn;
use crate::segment::TimelineId;

/// One line of a history file: the ancestor `parent` ended at `switchpoint`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct HistoryEntry {
    /// The ancestor timeline.
    pub parent: TimelineId,
    /// The LSN where `parent` ended and its successor began.
    pub switchpoint: Lsn,
    /// Free-text reason (`no recovery target specified`, `before 2024-05-01 12:00:00+00`, ...).
    pub reason: String,
}

/// A parsed `<TLI>.history` file: every ancestor of `timeline`, oldest first.
///
/// ```
/// use walg::TimelineHistory;
/// let h = TimelineHistory::parse(2, "1\t0/40000A0\tno recovery target specified\n").unwrap();
/// assert_eq!(h.parent(), Some(1));
/// assert_eq!(h.entries[0].switchpoint.to_string(), "0/40000A0");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TimelineHistory {
    /// The timeline this file belongs to.
    pub timeline: TimelineId,
    /// Ancestors, oldest first; the last one is the direct parent.
    pub entries: Vec<HistoryEntry>,
}

impl TimelineHistory {
    /// Parses the content of the history file of `timeline`.
    ///
    /// Blank lines and `#` comments are skipped (PostgreSQL writes blank lines between copied
    /// and appended content). Fields are separated by a TAB, or by whitespace in hand-written
    /// files; everything after the LSN is the reason. Ancestor IDs must be strictly increasing
    /// and below `timeline`, as PostgreSQL requires.
    pub fn parse(timeline: TimelineId, text: &str) -> Result<Self, Error> {
        let what = "timeline history line";
        let mut entries: Vec<HistoryEntry> = Vec::new();
        for raw in text.lines() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (tli, rest) = split_field(line);
            let (lsn, reason) = split_field(rest);
            let parent: TimelineId = tli
                .parse()
                .map_err(|_| parse_error(what, raw, "expected a decimal timeline ID, a TAB and an LSN X/Y"))?;
            let switchpoint: Lsn =
                lsn.parse().map_err(|_| parse_error(what, raw, "expected an LSN X/Y after the timeline ID"))?;
            if let Some(prev) = entries.last() {
                if parent <= prev.parent {
                    return Err(parse_error(what, raw, "timeline IDs must increase from line to line"));
                }
            }
            if parent >= timeline {
                return Err(parse_error(
                    what,
                    raw,
                    format!("an ancestor of timeline {timeline} must have a lower ID, not {parent}"),
                ));
            }
            entries.push(HistoryEntry { parent, switchpoint, reason: reason.trim().to_owned() });
        }
        Ok(TimelineHistory { timeline, entries })
    }

    /// Parses a history file given its file name (`00000002.history`, optionally with a
    /// compression extension) and content.
    pub fn parse_file(file_name: &str, text: &str) -> Result<Self, Error> {
        let base = file_name.rsplit('/').next().unwrap_or(file_name);
        let timeline = history_file_timeline(base)
            .ok_or_else(|| parse_error("history file name", file_name, "expected <8 hex digits>.history"))?;
        Self::parse(timeline, text)
    }

    /// The direct parent, if this timeline has any ancestor.
    #[must_use]
    pub fn parent(&self) -> Option<TimelineId> {
        self.entries.last().map(|e| e.parent)
    }

    /// The LSN where this timeline began (the parent's switchpoint).
    #[must_use]
    pub fn begins_at(&self) -> Option<Lsn> {
        self.entries.last().map(|e| e.switchpoint)
    }

    /// The standard file name, `%08X.history`.
    #[must_use]
    pub fn file_name(&self) -> String {
        format!("{:08X}.history", self.timeline)
    }
}

impl fmt::Display for TimelineHistory {
    /// Renders the file the way PostgreSQL writes it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for e in &self.entries {
            writeln!(f, "{}\t{}\t{}", e.parent, e.switchpoint, e.reason)?;
        }
        Ok(())
    }
}

/// Splits off the first field (TAB-separated, or whitespace when there is no TAB).
fn split_field(s: &str) -> (&str, &str) {
    let s = s.trim_start();
    let end = s.find('\t').or_else(|| s.find(char::is_whitespace)).unwrap_or(s.len());
    (&s[..end], s[end..].strip_prefix('\t').unwrap_or(&s[end..]))
}

/// The timeline of a history file name (`0000001A.history` -> 26), ignoring a compression extension.
#[must_use]
pub fn history_file_timeline(name: &str) -> Option<TimelineId> {
    let (hex, rest) = name.split_at_checked(8)?;
    let ok = rest == ".history" || rest.strip_prefix(".history.").is_some_and(|ext| !ext.is_empty());
    if !ok || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(hex, 16).ok().filter(|t| *t > 0)
}

/// Where one timeline lies on the way to a target timeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct TimelineSpan {
    /// The timeline.
    pub timeline: TimelineId,
    /// First LSN of this timeline on the path (`0/0` for the root).
    pub begins_at: Lsn,
    /// Where the path leaves this timeline for the next one (`None` for the target itself).
    pub ends_at: Option<Lsn>,
}

/// Every timeline known from history files (and any extra IDs seen in WAL names), with parents.
///
/// ```
/// use walg::{TimelineHistory, TimelineTree};
/// let mut tree = TimelineTree::default();
/// tree.insert(TimelineHistory::parse(2, "1\t0/40000A0\tno recovery target specified").unwrap());
/// tree.insert(TimelineHistory::parse(3, "1\t0/40000A0\tx\n\n2\t0/9000000\ty").unwrap());
/// assert!(tree.is_ancestor_or_self(1, 3));
/// let path = tree.path_to(3).unwrap();
/// assert_eq!(path.iter().map(|s| s.timeline).collect::<Vec<_>>(), vec![1, 2, 3]);
/// ```
#[derive(Debug, Clone, Default)]
pub struct TimelineTree {
    histories: BTreeMap<TimelineId, TimelineHistory>,
    seen: BTreeSet<TimelineId>,
}

impl TimelineTree {
    /// Builds a tree from history files.
    #[must_use]
    pub fn new(histories: impl IntoIterator<Item = TimelineHistory>) -> Self {
        let mut tree = Self::default();
        for h in histories {
            tree.insert(h);
        }
        tree
    }

    /// Adds a history file (replacing an earlier one for the same timeline).
    pub fn insert(&mut self, history: TimelineHistory) {
        self.seen.insert(history.timeline);
        self.seen.extend(history.entries.iter().map(|e| e.parent));
        self.histories.insert(history.timeline, history);
    }

    /// Records a timeline seen elsewhere (a WAL segment or backup name).
    pub fn note_timeline(&mut self, timeline: TimelineId) {
        self.seen.insert(timeline);
    }

    /// Every timeline known, ascending.
    #[must_use]
    pub fn timelines(&self) -> Vec<TimelineId> {
        self.seen.iter().copied().collect()
    }

    /// True when the timeline appeared in a history file, a WAL name or a backup.
    #[must_use]
    pub fn contains(&self, timeline: TimelineId) -> bool {
        self.seen.contains(&timeline)
    }

    /// The highest known timeline (what `recovery_target_timeline = 'latest'` looks for).
    #[must_use]
    pub fn latest(&self) -> Option<TimelineId> {
        self.seen.last().copied()
    }

    /// The history file of a timeline, if one was given.
    #[must_use]
    pub fn history(&self, timeline: TimelineId) -> Option<&TimelineHistory> {
        self.histories.get(&timeline)
    }

    /// The direct parent of a timeline and the LSN where the timeline began.
    #[must_use]
    pub fn parent(&self, timeline: TimelineId) -> Option<(TimelineId, Lsn)> {
        self.histories.get(&timeline).and_then(|h| h.entries.last()).map(|e| (e.parent, e.switchpoint))
    }

    /// Timelines whose direct parent is `timeline`.
    #[must_use]
    pub fn children(&self, timeline: TimelineId) -> Vec<TimelineId> {
        self.histories.values().filter(|h| h.parent() == Some(timeline)).map(|h| h.timeline).collect()
    }

    /// The path from the root timeline to `target`, oldest first, as PostgreSQL follows it when
    /// recovering to `target` (read from `target`'s own history file).
    ///
    /// `None` when `target` is above 1 and its history file is missing: PostgreSQL refuses such
    /// a `recovery_target_timeline` too.
    #[must_use]
    pub fn path_to(&self, target: TimelineId) -> Option<Vec<TimelineSpan>> {
        let entries: &[HistoryEntry] = match self.histories.get(&target) {
            Some(h) => &h.entries,
            None if target == 1 => &[],
            None => return None,
        };
        let mut path = Vec::with_capacity(entries.len() + 1);
        let mut begins_at = Lsn::ZERO;
        for e in entries {
            path.push(TimelineSpan { timeline: e.parent, begins_at, ends_at: Some(e.switchpoint) });
            begins_at = e.switchpoint;
        }
        path.push(TimelineSpan { timeline: target, begins_at, ends_at: None });
        Some(path)
    }

    /// True when `ancestor` is `descendant` itself or on its history.
    #[must_use]
    pub fn is_ancestor_or_self(&self, ancestor: TimelineId, descendant: TimelineId) -> bool {
        self.path_to(descendant).is_some_and(|p| p.iter().any(|s| s.timeline == ancestor))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_blank_lines_comments_and_free_text() {
        let text = "# copied\n1\t0/40000A0\tno recovery target specified\n\n  \n2\t1/A0000028\tbefore 2024-05-01 12:00:00.123+00\n3 2/0 at restore point \"x y\"\n";
        let h = TimelineHistory::parse(0x10, text).unwrap();
        assert_eq!(h.entries.len(), 3);
        assert_eq!(h.entries[1].reason, "before 2024-05-01 12:00:00.123+00");
        assert_eq!(h.entries[2].reason, "at restore point \"x y\"");
        assert_eq!(h.parent(), Some(3));
        assert_eq!(h.file_name(), "00000010.history");
    }

    #[test]
    fn rejects_bad_lines() {
        for bad in ["x\t0/1\tr", "1\tnope\tr", "2\t0/1\ta\n1\t0/2\tb", "5\t0/1\tr", "1"] {
            let e = TimelineHistory::parse(5, bad).unwrap_err().to_string();
            assert!(e.contains("timeline history line"), "{e}");
        }
    }

    #[test]
    fn file_names() {
        assert_eq!(history_file_timeline("00000002.history"), Some(2));
        assert_eq!(history_file_timeline("0000001A.history.lz4"), Some(26));
        assert_eq!(history_file_timeline("00000000.history"), None);
        assert_eq!(history_file_timeline("00000002.history."), None);
        assert_eq!(history_file_timeline("000000010000000000000002"), None);
        assert_eq!(history_file_timeline("é0000001.history"), None);
    }

    #[test]
    fn tree_paths_and_children() {
        let tree = TimelineTree::new([
            TimelineHistory::parse(2, "1\t0/5000000\ta").unwrap(),
            TimelineHistory::parse(3, "1\t0/5000000\ta\n2\t0/9000000\tb").unwrap(),
            TimelineHistory::parse(4, "1\t0/7000000\tfork").unwrap(),
        ]);
        assert_eq!(tree.children(1), vec![2, 4]);
        assert!(!tree.is_ancestor_or_self(2, 4));
        assert!(tree.is_ancestor_or_self(4, 4));
        assert_eq!(tree.path_to(1).unwrap().len(), 1);
        assert_eq!(tree.path_to(7), None);
        let p = tree.path_to(3).unwrap();
        assert_eq!(p[1], TimelineSpan { timeline: 2, begins_at: Lsn(0x500_0000), ends_at: Some(Lsn(0x900_0000)) });
        assert_eq!(tree.latest(), Some(4));
    }
}
