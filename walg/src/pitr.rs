//! Point-in-time restore planning: can this archive restore to that target, and how?

use std::fmt;

use crate::archive::{LocalArchive, WalInventory};
use crate::backup_label::BackupLabel;
use crate::lsn::Lsn;
use crate::models::{BackupListEntry, WalShowTimeline};
use crate::segment::{TimelineId, WalSegment, WalSegmentSize};
use crate::time::{Timestamp, format_pg_timestamp};
use crate::timeline::{TimelineHistory, TimelineSpan, TimelineTree};

/// A base backup as far as planning is concerned.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BackupInfo {
    /// What to pass to `backup-fetch` (or the label file name for a plain `pg_basebackup` archive).
    pub name: String,
    /// The WAL file of the backup's start LSN; replay starts here.
    pub start_segment: WalSegment,
    /// Exact start LSN, when known.
    pub start_lsn: Option<Lsn>,
    /// LSN replay must reach before the copy is consistent, when known.
    pub finish_lsn: Option<Lsn>,
    /// When the backup started, when known.
    pub start_time: Option<Timestamp>,
    /// When the backup finished (or its sentinel was written), when known.
    pub finish_time: Option<Timestamp>,
}

impl BackupInfo {
    /// The timeline the backup was taken on.
    #[must_use]
    pub fn timeline(&self) -> TimelineId {
        self.start_segment.timeline
    }

    /// From a `backup-list` entry; `None` when its WAL file name is not a segment name.
    #[must_use]
    pub fn from_list_entry(entry: &BackupListEntry) -> Option<Self> {
        let start_segment = entry
            .wal_file_name
            .parse()
            .ok()
            .or_else(|| entry.backup_name.parse::<crate::BackupName>().ok().map(|n| n.segment))?;
        Some(BackupInfo {
            name: entry.backup_name.clone(),
            start_segment,
            // wal-g prints 0 for LSNs of backups without metadata.
            start_lsn: entry.start_lsn.filter(|l| *l != Lsn::ZERO),
            finish_lsn: entry.finish_lsn.filter(|l| *l != Lsn::ZERO),
            start_time: entry.start_time,
            finish_time: entry.finish_time.or(entry.time),
        })
    }

    /// From a backup history (`.backup`) file.
    #[must_use]
    pub fn from_label(name: &str, label: &BackupLabel) -> Self {
        BackupInfo {
            name: name.to_owned(),
            start_segment: label.start_segment,
            start_lsn: Some(label.start_lsn),
            finish_lsn: label.stop_lsn,
            start_time: label.start_time,
            finish_time: label.stop_time,
        }
    }
}

/// Which timeline to restore to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetTimeline {
    /// The highest timeline in the archive (`recovery_target_timeline = 'latest'`).
    Latest,
    /// A specific timeline.
    Id(TimelineId),
}

/// What to restore to: a timeline and optionally a moment on it (otherwise: all WAL there is).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct RestoreTarget {
    /// The timeline.
    pub timeline: TargetTimeline,
    /// The moment (`recovery_target_time`); `None` restores to the end of the archived WAL.
    pub time: Option<Timestamp>,
}

impl RestoreTarget {
    /// The end of the WAL on the highest timeline.
    #[must_use]
    pub fn latest() -> Self {
        RestoreTarget { timeline: TargetTimeline::Latest, time: None }
    }

    /// The end of the WAL on a given timeline.
    #[must_use]
    pub fn timeline(id: TimelineId) -> Self {
        RestoreTarget { timeline: TargetTimeline::Id(id), time: None }
    }

    /// The same timeline, at a given moment. Parse text with [`crate::parse_timestamp`], which
    /// rejects timestamps without a zone.
    #[must_use]
    pub fn at(self, time: Timestamp) -> Self {
        RestoreTarget { time: Some(time), ..self }
    }
}

impl fmt::Display for RestoreTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.timeline {
            TargetTimeline::Latest => f.write_str("the latest timeline")?,
            TargetTimeline::Id(t) => write!(f, "timeline {t}")?,
        }
        match self.time {
            Some(t) => write!(f, " at {}", t.to_rfc3339()),
            None => f.write_str(" (end of archived WAL)"),
        }
    }
}

/// Segments that must be in the archive, on one timeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct WalRange {
    /// The timeline.
    pub timeline: TimelineId,
    /// First segment needed.
    pub first: WalSegment,
    /// Last segment needed.
    pub last: WalSegment,
    /// Number of segments from first to last.
    pub count: u64,
}

impl fmt::Display for WalRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "timeline {}: {}..{} ({})", self.timeline, self.first, self.last, segments(self.count))
    }
}

/// "1 segment", "2 segments".
fn segments(count: u64) -> String {
    if count == 1 { "1 segment".to_owned() } else { format!("{count} segments") }
}

/// A restore that is possible: what to fetch and what WAL it replays.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RestorePlan {
    /// The target as asked.
    pub target: RestoreTarget,
    /// The timeline restored to (`Latest` resolved).
    pub timeline: TimelineId,
    /// The base backup to fetch (the newest that can reach the target).
    pub backup: BackupInfo,
    /// The WAL that must be present, per timeline, in replay order: from the backup's start to
    /// the first segment archived after the target time (or the end of the archive). It is a
    /// minimum: PostgreSQL stops at the first commit after the target time, so in a quiet
    /// database it reads on into later segments, which `restore_command` fetches when present.
    pub wal: Vec<WalRange>,
    /// Things the plan could not check (e.g. no archive times known).
    pub warnings: Vec<String>,
}

impl RestorePlan {
    /// The PostgreSQL recovery settings for this plan (`restore_command` is the caller's).
    #[must_use]
    pub fn recovery_settings(&self) -> Vec<(&'static str, String)> {
        let mut out = vec![("recovery_target_timeline", self.timeline.to_string())];
        if let Some(t) = &self.target.time {
            out.push(("recovery_target_time", format_pg_timestamp(t)));
        }
        out.push(("recovery_target_action", "promote".to_owned()));
        out
    }
}

impl fmt::Display for RestorePlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "restore to {} is possible:", self.target)?;
        writeln!(
            f,
            "  fetch base backup {} (timeline {}, starts in {})",
            self.backup.name,
            self.backup.timeline(),
            self.backup.start_segment
        )?;
        for range in &self.wal {
            writeln!(f, "  replay WAL {range}")?;
        }
        for (k, v) in self.recovery_settings() {
            writeln!(f, "  {k} = '{v}'")?;
        }
        for w in &self.warnings {
            writeln!(f, "  warning: {w}")?;
        }
        Ok(())
    }
}

/// One reason a restore to the target is impossible.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Refusal {
    /// Neither WAL, history files nor backups were found.
    EmptyArchive,
    /// The requested timeline appears nowhere in the archive.
    UnknownTimeline {
        /// The timeline asked for.
        requested: TimelineId,
        /// Timelines that do exist.
        known: Vec<TimelineId>,
    },
    /// The timeline's history file is missing, so its ancestry (and PostgreSQL's recovery) is unknown.
    MissingHistory {
        /// The timeline.
        timeline: TimelineId,
    },
    /// There is no base backup at all.
    NoBaseBackup,
    /// No base backup on the target timeline's history finished before the target time.
    NoBackupBeforeTarget {
        /// The target time.
        target_time: Timestamp,
        /// The earliest usable backup and when it finished, if any.
        earliest: Option<(String, Timestamp)>,
        /// Backups on the path whose finish time is unknown.
        undated: Vec<String>,
    },
    /// Backups exist, but the target timeline does not descend from their timeline (or
    /// branched off before they were taken).
    NotDescendedFromBackup {
        /// The target timeline.
        timeline: TimelineId,
        /// Backups that are on another branch, with their timelines.
        backups: Vec<(String, TimelineId)>,
    },
    /// Segments needed for replay are missing from the archive.
    WalGap {
        /// Timeline of the missing segments.
        timeline: TimelineId,
        /// First missing segment.
        first: WalSegment,
        /// Last missing segment.
        last: WalSegment,
        /// Number of missing segments.
        count: u64,
    },
    /// The target time is before the target timeline began.
    BeforeTimelineBegan {
        /// The target timeline.
        timeline: TimelineId,
        /// The target time.
        target_time: Timestamp,
        /// When the timeline began (its history file was archived).
        began_at: Timestamp,
    },
    /// The target time is after the target timeline ended (a successor took over).
    AfterTimelineEnded {
        /// The target timeline.
        timeline: TimelineId,
        /// The target time.
        target_time: Timestamp,
        /// When it had ended at the latest (a successor's history file or first backup).
        ended_at: Timestamp,
        /// Timelines that branched off it.
        successors: Vec<TimelineId>,
    },
    /// The target time is after the last archived WAL of the timeline: the WAL for it is not in storage (yet).
    AfterArchivedWal {
        /// The target timeline.
        timeline: TimelineId,
        /// The target time.
        target_time: Timestamp,
        /// The last segment archived.
        last_segment: WalSegment,
        /// When it was archived.
        archived_at: Timestamp,
    },
    /// The chosen backup is a delta whose base backup is not in storage.
    DeltaBaseMissing {
        /// The delta backup.
        backup: String,
        /// The WAL file in the name of the backup it is based on.
        base: WalSegment,
    },
    /// A name in the archive cannot exist with the configured segment size.
    SegmentSizeMismatch {
        /// The offending segment.
        segment: WalSegment,
        /// The configured size.
        size_mib: u64,
    },
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ts = |t: &Timestamp| t.to_rfc3339();
        match self {
            Refusal::EmptyArchive => f.write_str("the archive holds no WAL, no history files and no backups"),
            Refusal::UnknownTimeline { requested, known } => {
                write!(f, "timeline {requested} is not in the archive (known timelines: {known:?})")
            }
            Refusal::MissingHistory { timeline } => write!(
                f,
                "the history file {timeline:08X}.history of timeline {timeline} was not found or not readable (a compressed copy needs wal-g to read it), so its ancestry is unknown; PostgreSQL needs it to follow this timeline"
            ),
            Refusal::NoBaseBackup => f.write_str("there is no base backup in storage"),
            Refusal::NoBackupBeforeTarget { target_time, earliest, undated } => {
                write!(f, "no base backup finished before {}", ts(target_time))?;
                if let Some((name, t)) = earliest {
                    write!(f, " (the earliest usable one, {name}, finished at {})", ts(t))?;
                }
                if !undated.is_empty() {
                    write!(f, "; finish time unknown for {}", undated.join(", "))?;
                }
                Ok(())
            }
            Refusal::NotDescendedFromBackup { timeline, backups } => {
                let list: Vec<String> = backups.iter().map(|(n, t)| format!("{n} (timeline {t})")).collect();
                write!(f, "timeline {timeline} does not descend from the timeline of backups {}", list.join(", "))
            }
            Refusal::WalGap { timeline, first, last, count } => {
                write!(f, "WAL is missing on timeline {timeline}: {first}..{last} ({})", segments(*count))
            }
            Refusal::BeforeTimelineBegan { timeline, target_time, began_at } => write!(
                f,
                "{} is before timeline {timeline} began at {} (restore on its parent timeline instead)",
                ts(target_time),
                ts(began_at)
            ),
            Refusal::AfterTimelineEnded { timeline, target_time, ended_at, successors } => write!(
                f,
                "{} is after timeline {timeline} ended (by {}; continued on timeline(s) {successors:?})",
                ts(target_time),
                ts(ended_at)
            ),
            Refusal::AfterArchivedWal { timeline, target_time, last_segment, archived_at } => write!(
                f,
                "{} is after the last archived WAL of timeline {timeline} ({last_segment}, archived at {})",
                ts(target_time),
                ts(archived_at)
            ),
            Refusal::DeltaBaseMissing { backup, base } => {
                write!(f, "{backup} is a delta of a backup starting in {base}, which is not in storage")
            }
            Refusal::SegmentSizeMismatch { segment, size_mib } => {
                write!(f, "segment {segment} cannot exist with {size_mib} MiB segments; check WALG_PG_WAL_SIZE")
            }
        }
    }
}

/// A restore that is impossible, with every reason found.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, thiserror::Error)]
#[error("cannot restore to {target}: {}", join(reasons))]
pub struct Refused {
    /// The target as asked.
    pub target: RestoreTarget,
    /// Every reason, most fundamental first.
    pub reasons: Vec<Refusal>,
}

fn join(reasons: &[Refusal]) -> String {
    reasons.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
}

/// The history of a wal-show timeline, from the parent links of all wal-show timelines.
fn history_from_wal_show(timeline: &WalShowTimeline, all: &[WalShowTimeline]) -> TimelineHistory {
    let mut entries = Vec::new();
    let mut current = Some(timeline);
    while let Some(tl) = current.filter(|t| t.parent_id != 0 && t.parent_id < t.id) {
        let reason = "(from wal-show; history file not read)".to_owned();
        entries.push(crate::timeline::HistoryEntry { parent: tl.parent_id, switchpoint: tl.switch_point_lsn, reason });
        current = all.iter().find(|t| t.id == tl.parent_id);
    }
    entries.reverse();
    TimelineHistory { timeline: timeline.id, entries }
}

/// What the planner knows about the archive.
#[derive(Debug, Clone, Default)]
pub struct ArchiveState {
    /// Base backups.
    pub backups: Vec<BackupInfo>,
    /// WAL files present.
    pub wal: WalInventory,
    /// Timeline histories.
    pub timelines: TimelineTree,
    /// The cluster's WAL segment size.
    pub segment_size: WalSegmentSize,
}

impl ArchiveState {
    /// From a local archive directory read with [`LocalArchive::read`]: backups come from its
    /// `.backup` label files.
    #[must_use]
    pub fn from_local(archive: LocalArchive, segment_size: WalSegmentSize) -> Self {
        ArchiveState {
            backups: archive.labels.iter().map(|(n, l)| BackupInfo::from_label(n, l)).collect(),
            wal: archive.inventory,
            timelines: TimelineTree::new(archive.histories),
            segment_size,
        }
    }

    /// From wal-g's own view: `backup-list --detail --json`, `wal-show --detailed-json` (whose
    /// per-timeline backups are merged in) and the history files' contents when at hand.
    ///
    /// Without a history file, a timeline's ancestry is rebuilt from wal-show's `parent_id` and
    /// `switch_point_lsn` (wal-show read them from the history files in storage); the reasons are
    /// then unknown, and a chain stops at a parent that has no WAL left in storage.
    pub fn from_walg(
        backups: &[BackupListEntry],
        wal_show: &[WalShowTimeline],
        histories: impl IntoIterator<Item = TimelineHistory>,
        segment_size: WalSegmentSize,
    ) -> crate::Result<Self> {
        let mut infos: Vec<BackupInfo> = Vec::new();
        for entry in backups.iter().chain(wal_show.iter().flat_map(|t| &t.backups)) {
            if let Some(info) = BackupInfo::from_list_entry(entry) {
                if !infos.iter().any(|b| b.name == info.name) {
                    infos.push(info);
                }
            }
        }
        let mut timelines = TimelineTree::new(histories);
        for tl in wal_show.iter().filter(|t| t.parent_id != 0) {
            if timelines.history(tl.id).is_none() {
                timelines.insert(history_from_wal_show(tl, wal_show));
            }
        }
        Ok(ArchiveState {
            backups: infos,
            wal: WalInventory::from_wal_show(wal_show, segment_size)?,
            timelines,
            segment_size,
        })
    }

    /// Decides whether a restore to `target` is possible.
    ///
    /// ```
    /// use walg::{ArchiveState, BackupInfo, RestoreTarget, TimelineTree, WalInventory, WalSegmentSize};
    /// let wal = WalInventory::from_listing("000000010000000000000002\n000000010000000000000003\n");
    /// let backup = BackupInfo {
    ///     name: "base_000000010000000000000002".into(),
    ///     start_segment: "000000010000000000000002".parse().unwrap(),
    ///     start_lsn: None, finish_lsn: None, start_time: None, finish_time: None,
    /// };
    /// let state = ArchiveState { backups: vec![backup], wal, timelines: TimelineTree::default(), segment_size: WalSegmentSize::default() };
    /// let plan = state.plan(&RestoreTarget::latest()).unwrap();
    /// assert_eq!(plan.backup.name, "base_000000010000000000000002");
    /// assert_eq!(plan.wal[0].count, 2);
    /// ```
    pub fn plan(&self, target: &RestoreTarget) -> Result<RestorePlan, Refused> {
        let refuse = |reasons: Vec<Refusal>| Refused { target: *target, reasons };
        let mut tree = self.timelines.clone();
        for t in self.wal.timelines() {
            tree.note_timeline(t);
        }
        for b in &self.backups {
            tree.note_timeline(b.timeline());
        }
        let timeline = match target.timeline {
            TargetTimeline::Id(t) if tree.contains(t) => t,
            TargetTimeline::Id(t) => {
                return Err(refuse(vec![Refusal::UnknownTimeline { requested: t, known: tree.timelines() }]));
            }
            TargetTimeline::Latest => tree.latest().ok_or_else(|| refuse(vec![Refusal::EmptyArchive]))?,
        };
        let path = tree.path_to(timeline).ok_or_else(|| refuse(vec![Refusal::MissingHistory { timeline }]))?;
        let size = self.segment_size;
        let names = self.backups.iter().map(|b| b.start_segment).chain(self.wal.segments().map(|(s, _)| s));
        if let Some(segment) = names.into_iter().find(|s| s.segno(size).is_err()) {
            return Err(refuse(vec![Refusal::SegmentSizeMismatch { segment, size_mib: size.mib() }]));
        }

        let mut reasons = Vec::new();
        let mut warnings = Vec::new();
        if let Some(t) = target.time {
            self.check_time_bounds(&tree, timeline, t, &mut reasons, &mut warnings);
        }
        let successors = tree.children(timeline);
        if !successors.is_empty() {
            // Replay stops where this timeline's archived WAL ends; WAL only in its `.partial`
            // last segment (between the last complete segment and the switch) is not replayed.
            let last = self.wal.last_segment(timeline).map_or_else(|| "none".to_owned(), |s| s.to_string());
            warnings.push(format!(
                "timeline {timeline} continued as timeline(s) {successors:?}; replay on it ends with its last complete archived segment ({last})"
            ));
        }
        let backup = match self.choose_backup(&path, timeline, target.time) {
            Ok(b) => Some(b),
            Err(mut r) => {
                reasons.append(&mut r);
                None
            }
        };
        let mut wal = Vec::new();
        if let Some(backup) = backup {
            if let Some(missing) = self.missing_delta_base(backup) {
                reasons.push(missing);
            }
            match self.wal_ranges(&path, backup, target.time) {
                Ok((ranges, mut gaps)) => {
                    wal = ranges;
                    reasons.append(&mut gaps);
                }
                Err(r) => reasons.push(r),
            }
        }
        if let Some(last) = wal.last().filter(|r| r.timeline != timeline) {
            warnings.push(format!(
                "the target time is reached in the WAL of timeline {}, before timeline {timeline} began; the restore ends on timeline {}",
                last.timeline, last.timeline
            ));
        }
        match backup {
            Some(b) if reasons.is_empty() => {
                Ok(RestorePlan { target: *target, timeline, backup: b.clone(), wal, warnings })
            }
            _ => Err(refuse(reasons)),
        }
    }

    fn check_time_bounds(
        &self,
        tree: &TimelineTree,
        timeline: TimelineId,
        t: Timestamp,
        reasons: &mut Vec<Refusal>,
        warnings: &mut Vec<String>,
    ) {
        if timeline > 1 {
            match self.wal.history_time(timeline) {
                Some(began_at) if t < began_at => {
                    reasons.push(Refusal::BeforeTimelineBegan { timeline, target_time: t, began_at });
                }
                Some(_) => {}
                None => warnings.push(format!("when timeline {timeline} began is unknown; not checked")),
            }
        }
        let successors = tree.children(timeline);
        // A successor's history file, or any backup taken on a successor, shows this timeline had ended.
        let successor_backups = self
            .backups
            .iter()
            .filter(|b| successors.contains(&b.timeline()))
            .filter_map(|b| b.start_time.or(b.finish_time));
        let ended_at = successors.iter().filter_map(|c| self.wal.history_time(*c)).chain(successor_backups).min();
        match ended_at {
            Some(ended_at) if t > ended_at => {
                reasons.push(Refusal::AfterTimelineEnded { timeline, target_time: t, ended_at, successors });
                return;
            }
            None if !successors.is_empty() => {
                warnings.push(format!("when timeline {timeline} ended is unknown; not checked"));
            }
            _ => {}
        }
        match self.wal.last_archived_at(timeline) {
            Some((last_segment, archived_at)) if t > archived_at => {
                reasons.push(Refusal::AfterArchivedWal { timeline, target_time: t, last_segment, archived_at });
            }
            Some(_) => {}
            None => warnings.push(format!(
                "archive times of timeline {timeline} are unknown: whether its WAL reaches {} is not checked",
                t.to_rfc3339()
            )),
        }
    }

    /// For a delta backup, a refusal when the backup it is based on is not in the list
    /// (`backup-fetch` needs the whole chain).
    fn missing_delta_base(&self, backup: &BackupInfo) -> Option<Refusal> {
        let base = backup.name.parse::<crate::BackupName>().ok()?.delta_from?;
        let present =
            self.backups.iter().filter_map(|b| b.name.parse::<crate::BackupName>().ok()).any(|n| n.segment == base);
        (!present).then(|| Refusal::DeltaBaseMissing { backup: backup.name.clone(), base })
    }

    /// The newest backup on `path` that finished before `time`; otherwise every reason why not.
    fn choose_backup(
        &self,
        path: &[TimelineSpan],
        timeline: TimelineId,
        time: Option<Timestamp>,
    ) -> Result<&BackupInfo, Vec<Refusal>> {
        if self.backups.is_empty() {
            return Err(vec![Refusal::NoBaseBackup]);
        }
        let size = self.segment_size;
        let mut off_path = Vec::new();
        let mut on_path = Vec::new();
        for b in &self.backups {
            let start = b.start_lsn.or_else(|| b.start_segment.start_lsn(size).ok());
            let descends = path.iter().any(|span| {
                span.timeline == b.timeline() && start.is_some_and(|s| span.ends_at.is_none_or(|end| s < end))
            });
            if descends { on_path.push(b) } else { off_path.push((b.name.clone(), b.timeline())) }
        }
        let mut usable: Vec<&BackupInfo> = on_path.clone();
        let mut undated = Vec::new();
        if let Some(t) = time {
            usable.retain(|b| match b.finish_time.or(b.start_time) {
                Some(done) => done <= t,
                None => {
                    undated.push(b.name.clone());
                    false
                }
            });
        }
        let key = |b: &&BackupInfo| (b.start_segment.segno(size).unwrap_or(0), b.start_lsn, b.finish_time);
        if let Some(best) = usable.into_iter().max_by_key(key) {
            return Ok(best);
        }
        let mut reasons = Vec::new();
        if !off_path.is_empty() {
            reasons.push(Refusal::NotDescendedFromBackup { timeline, backups: off_path });
        }
        if let (Some(t), false) = (time, on_path.is_empty()) {
            let earliest = on_path
                .iter()
                .filter_map(|b| b.finish_time.or(b.start_time).map(|f| (b.name.clone(), f)))
                .min_by_key(|(_, f)| *f);
            reasons.push(Refusal::NoBackupBeforeTarget { target_time: t, earliest, undated });
        }
        Err(reasons)
    }

    /// The WAL ranges to replay from `backup` along `path`, and a refusal per gap.
    fn wal_ranges(
        &self,
        path: &[TimelineSpan],
        backup: &BackupInfo,
        time: Option<Timestamp>,
    ) -> Result<(Vec<WalRange>, Vec<Refusal>), Refusal> {
        let size = self.segment_size;
        let segno = |s: WalSegment| {
            s.segno(size).map_err(|_| Refusal::SegmentSizeMismatch { segment: s, size_mib: size.mib() })
        };
        let start = segno(backup.start_segment)?;
        let consistent = backup.finish_lsn.map_or(start, |l| size.segno_before(l)).max(start);
        let first_span = path.iter().position(|s| s.timeline == backup.timeline()).unwrap_or(0);
        let path = &path[first_span..];
        let target = path[path.len() - 1];
        // Segments below a child's first segment are read from the parent (PostgreSQL picks,
        // per segment, the newest timeline that had begun by then).
        let bounds: Vec<(TimelineId, u64, Option<u64>)> = path
            .iter()
            .enumerate()
            .map(|(i, span)| {
                let lo = if i == 0 { start } else { size.segno_containing(span.begins_at) };
                let hi = span.ends_at.map(|e| size.segno_containing(e).saturating_sub(1));
                (span.timeline, lo, hi)
            })
            .collect();
        let end =
            match time.and_then(|t| self.first_segment_after(&bounds, t).or_else(|| self.backup_bound(&bounds, t))) {
                Some(end) => end,
                None => match self.wal.last_segment(target.timeline) {
                    Some(last) => segno(last)?,
                    None => bounds[bounds.len() - 1].1,
                },
            }
            .max(consistent);

        let mut ranges = Vec::new();
        let mut gaps = Vec::new();
        for (tli, lo, hi) in bounds {
            let hi = hi.map_or(end, |h| h.min(end));
            if lo > hi {
                continue;
            }
            let seg = |n| WalSegment::from_segno(tli, n, size);
            ranges.push(WalRange { timeline: tli, first: seg(lo), last: seg(hi), count: hi - lo + 1 });
            let mut n = lo;
            while n <= hi {
                if self.wal.has_segment(seg(n)) {
                    n += 1;
                    continue;
                }
                let gap_start = n;
                while n <= hi && !self.wal.has_segment(seg(n)) {
                    n += 1;
                }
                gaps.push(Refusal::WalGap {
                    timeline: tli,
                    first: seg(gap_start),
                    last: seg(n - 1),
                    count: n - gap_start,
                });
            }
        }
        Ok((ranges, gaps))
    }

    /// Without archive times, backups on the path bound where `t` lies in the WAL: one that
    /// started at or after `t` began in a segment at or after `t`'s WAL; one that finished at
    /// or after `t` ended in such a segment.
    fn backup_bound(&self, bounds: &[(TimelineId, u64, Option<u64>)], t: Timestamp) -> Option<u64> {
        let size = self.segment_size;
        let on_path = |b: &&BackupInfo| bounds.iter().any(|(tli, _, _)| *tli == b.timeline());
        self.backups
            .iter()
            .filter(on_path)
            .filter_map(|b| {
                if b.start_time.is_some_and(|s| s >= t) {
                    return b.start_segment.segno(size).ok();
                }
                match (b.finish_time, b.finish_lsn) {
                    (Some(f), Some(lsn)) if f >= t => Some(size.segno_before(lsn)),
                    _ => None,
                }
            })
            .min()
    }

    /// The first segment on the path archived at or after `t` (it holds the WAL written at `t`).
    fn first_segment_after(&self, bounds: &[(TimelineId, u64, Option<u64>)], t: Timestamp) -> Option<u64> {
        let size = self.segment_size;
        bounds.iter().find_map(|(tli, lo, hi)| {
            self.wal
                .segments()
                .filter(|(s, _)| s.timeline == *tli)
                .filter_map(|(s, m)| Some((s.segno(size).ok()?, m?)))
                .filter(|(n, m)| *n >= *lo && hi.is_none_or(|h| *n <= h) && *m >= t)
                .map(|(n, _)| n)
                .min()
        })
    }
}
