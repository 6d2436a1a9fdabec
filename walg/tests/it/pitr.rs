//! The PITR planner on the real switchover archive and on synthetic archives.

use walg::{
    ArchiveState, BackupInfo, BackupLabel, Refusal, Refused, RestorePlan, RestoreTarget, TimelineHistory, TimelineTree,
    WalInventory, WalSegmentSize, parse_timestamp,
};

use crate::fixture;

fn ts(s: &str) -> walg::Timestamp {
    parse_timestamp(s).unwrap()
}

/// The archive the sandbox's Patroni switchover produced.
fn real_state() -> ArchiveState {
    let label_name = "000000010000000000000002.00000028.backup";
    let label = BackupLabel::parse(&fixture(label_name)).unwrap();
    ArchiveState {
        backups: vec![BackupInfo::from_label(label_name, &label)],
        wal: WalInventory::from_listing(&fixture("archive-listing.txt")),
        timelines: TimelineTree::new([
            TimelineHistory::parse_file("00000002.history", &fixture("00000002.history")).unwrap()
        ]),
        segment_size: WalSegmentSize::default(),
    }
}

fn ranges(plan: &RestorePlan) -> Vec<String> {
    plan.wal.iter().map(|r| format!("{}..{}", r.first, r.last)).collect()
}

#[test]
fn real_archive_restores_timeline_1() {
    let plan = real_state().plan(&RestoreTarget::timeline(1)).unwrap();
    assert_eq!(plan.timeline, 1);
    assert_eq!(plan.backup.name, "000000010000000000000002.00000028.backup");
    assert_eq!(ranges(&plan), ["000000010000000000000002..000000010000000000000003"]);
    // WAL between the last complete segment and the switch (in 000000010000000000000004.partial) is not replayed.
    assert_eq!(
        plan.warnings,
        [
            "timeline 1 continued as timeline(s) [2]; replay on it ends with its last complete archived segment (000000010000000000000003)"
        ]
    );
    assert_eq!(plan.recovery_settings()[0], ("recovery_target_timeline", "1".to_owned()));
    assert!(
        plan.to_string()
            .contains("replay WAL timeline 1: 000000010000000000000002..000000010000000000000003 (2 segments)")
    );
}

#[test]
fn real_archive_refuses_timeline_2_without_its_first_segment() {
    // After the switchover only the history file of timeline 2 was archived: its first segment
    // (holding 0/4000000..0/40000A0, only in the old timeline's .partial) is not in the archive.
    let refused = real_state().plan(&RestoreTarget::latest()).unwrap_err();
    assert_eq!(
        refused.reasons,
        vec![Refusal::WalGap {
            timeline: 2,
            first: "000000020000000000000004".parse().unwrap(),
            last: "000000020000000000000004".parse().unwrap(),
            count: 1
        }]
    );
    assert_eq!(
        refused.to_string(),
        "cannot restore to the latest timeline (end of archived WAL): WAL is missing on timeline 2: \
         000000020000000000000004..000000020000000000000004 (1 segment)"
    );
}

#[test]
fn real_archive_target_before_the_backup() {
    let refused = real_state().plan(&RestoreTarget::timeline(1).at(ts("2026-11-22T04:40:00Z"))).unwrap_err();
    assert_eq!(refused.reasons.len(), 1);
    let Refusal::NoBackupBeforeTarget { earliest, .. } = &refused.reasons[0] else { panic!("{refused}") };
    assert_eq!(earliest.as_ref().unwrap().1, ts("2026-11-22 04:43:37 UTC"));
    // After the backup it works, with a warning that archive times are unknown in `ls -l` output.
    let plan = real_state().plan(&RestoreTarget::timeline(1).at(ts("2026-11-22T04:50:00+00:00"))).unwrap();
    assert!(plan.warnings.iter().any(|w| w.contains("archive times of timeline 1 are unknown")), "{:?}", plan.warnings);
    assert!(plan.recovery_settings().contains(&("recovery_target_time", "2026-11-22 04:50:00+00".to_owned())));
}

#[test]
fn unknown_timeline_and_missing_history() {
    let refused = real_state().plan(&RestoreTarget::timeline(3)).unwrap_err();
    assert_eq!(refused.reasons, vec![Refusal::UnknownTimeline { requested: 3, known: vec![1, 2] }]);
    let mut state = real_state();
    state.timelines = TimelineTree::default();
    let refused = state.plan(&RestoreTarget::timeline(2)).unwrap_err();
    assert_eq!(refused.reasons, vec![Refusal::MissingHistory { timeline: 2 }]);
    assert!(refused.to_string().contains("00000002.history"));
    let empty = ArchiveState::default().plan(&RestoreTarget::latest()).unwrap_err();
    assert_eq!(empty.reasons, vec![Refusal::EmptyArchive]);
}

fn backup(name_seg: &str, finished: &str) -> BackupInfo {
    BackupInfo {
        name: format!("base_{name_seg}"),
        start_segment: name_seg.parse().unwrap(),
        start_lsn: None,
        finish_lsn: None,
        start_time: None,
        finish_time: Some(ts(finished)),
    }
}

/// Timelines 0x10 (from 1) and 0x11 (from 0x10 at 0/6000000), with archive times.
fn synthetic() -> ArchiveState {
    let line = |time: &str, name: &str| format!("-rw------- 1 pg pg 1 2026-05-01 {time}.000000000 +0000 {name}\n");
    let mut listing = String::new();
    for (time, seg) in [("09:00:00", 1), ("10:05:00", 2), ("11:00:00", 3), ("12:05:00", 4), ("13:00:00", 5)] {
        listing += &line(time, &format!("0000001000000000000000{seg:02X}"));
    }
    listing += &line("13:30:00", "000000100000000000000006.partial");
    listing += &line("13:31:00", "00000011.history");
    listing += &line("08:00:00", "00000010.history");
    for (time, seg) in [("14:00:00", 6), ("15:00:00", 7), ("16:00:00", 9)] {
        listing += &line(time, &format!("0000001100000000000000{seg:02X}"));
    }
    ArchiveState {
        backups: vec![
            backup("000000100000000000000002", "2026-05-01T10:00:00Z"),
            backup("000000100000000000000005", "2026-05-01T12:00:00Z"),
        ],
        wal: WalInventory::from_listing(&listing),
        timelines: TimelineTree::new([
            TimelineHistory::parse(0x10, "1\t0/1000000\tno recovery target specified\n").unwrap(),
            TimelineHistory::parse(
                0x11,
                "1\t0/1000000\tno recovery target specified\n\n16\t0/6000000\tno recovery target specified\n",
            )
            .unwrap(),
        ]),
        segment_size: WalSegmentSize::default(),
    }
}

#[test]
fn follows_a_timeline_switch_to_a_time() {
    let plan = synthetic().plan(&RestoreTarget::timeline(0x11).at(ts("2026-05-01T14:30:00Z"))).unwrap();
    assert_eq!(plan.backup.name, "base_000000100000000000000005", "the newest backup before the target");
    assert_eq!(
        ranges(&plan),
        ["000000100000000000000005..000000100000000000000005", "000000110000000000000006..000000110000000000000007"]
    );
    assert!(plan.warnings.is_empty(), "{:?}", plan.warnings);
    assert_eq!(plan.recovery_settings()[0], ("recovery_target_timeline", "17".to_owned()));
}

#[test]
fn gap_after_the_backup() {
    let refused = synthetic().plan(&RestoreTarget::latest()).unwrap_err();
    assert_eq!(refused.reasons.len(), 1, "{refused}");
    assert!(
        matches!(&refused.reasons[0], Refusal::WalGap { timeline: 0x11, count: 1, first, .. } if first.to_string() == "000000110000000000000008")
    );
}

#[test]
fn every_reason_is_reported() {
    // After the last archived WAL, and the gap before it.
    let refused = synthetic().plan(&RestoreTarget::timeline(0x11).at(ts("2026-05-01T17:00:00Z"))).unwrap_err();
    assert!(matches!(refused.reasons[0], Refusal::AfterArchivedWal { timeline: 0x11, .. }), "{refused}");
    assert!(matches!(refused.reasons[1], Refusal::WalGap { timeline: 0x11, .. }), "{refused}");
    assert_eq!(refused.reasons.len(), 2);
    assert!(refused.to_string().contains("after the last archived WAL of timeline 17 (000000110000000000000009, archived at 2026-05-01T16:00:00+00:00)"), "{refused}");
}

#[test]
fn time_outside_the_timeline() {
    let before = synthetic().plan(&RestoreTarget::timeline(0x11).at(ts("2026-05-01T12:30:00Z"))).unwrap_err();
    assert!(matches!(before.reasons[0], Refusal::BeforeTimelineBegan { timeline: 0x11, .. }), "{before}");
    assert!(before.to_string().contains("before timeline 17 began at 2026-05-01T13:31:00+00:00"), "{before}");
    let after = synthetic().plan(&RestoreTarget::timeline(0x10).at(ts("2026-05-01T14:00:00Z"))).unwrap_err();
    assert_eq!(
        after.reasons,
        vec![Refusal::AfterTimelineEnded {
            timeline: 0x10,
            target_time: ts("2026-05-01T14:00:00Z"),
            ended_at: ts("2026-05-01T13:31:00Z"),
            successors: vec![0x11]
        }]
    );
    let early = synthetic().plan(&RestoreTarget::timeline(0x10).at(ts("2026-05-01T09:30:00Z"))).unwrap_err();
    assert!(
        matches!(&early.reasons[..], [Refusal::NoBackupBeforeTarget { earliest: Some((name, _)), .. }] if name == "base_000000100000000000000002"),
        "{early}"
    );
}

#[test]
fn branch_that_forked_before_the_backup() {
    let mut state = synthetic();
    // Timeline 0x12 branched off 0x10 at 0/3000000: the backup of segment 5 is on another branch.
    state
        .timelines
        .insert(TimelineHistory::parse(0x12, "1\t0/1000000\tx\n16\t0/3000000\tbefore 2026-05-01 10:30:00+00").unwrap());
    state.wal.add("000000120000000000000003", None);
    let plan = state.plan(&RestoreTarget::timeline(0x12)).unwrap();
    assert_eq!(plan.backup.name, "base_000000100000000000000002");
    assert_eq!(
        ranges(&plan),
        ["000000100000000000000002..000000100000000000000002", "000000120000000000000003..000000120000000000000003"]
    );
    state.backups.remove(0);
    let refused: Refused = state.plan(&RestoreTarget::timeline(0x12)).unwrap_err();
    assert_eq!(
        refused.reasons,
        vec![Refusal::NotDescendedFromBackup {
            timeline: 0x12,
            backups: vec![("base_000000100000000000000005".into(), 0x10)]
        }]
    );
}

fn wrap_state(size_mib: u64, names: &[&str]) -> ArchiveState {
    ArchiveState {
        backups: vec![BackupInfo { finish_time: None, ..backup(names[0], "2026-05-01T10:00:00Z") }],
        wal: WalInventory::from_listing(&names.join("\n")),
        timelines: TimelineTree::default(),
        segment_size: WalSegmentSize::from_mib(size_mib).unwrap(),
    }
}

#[test]
fn log_wrap_with_1_and_64_mib_segments() {
    let one = wrap_state(1, &["000000010000000000000FFE", "000000010000000000000FFF", "000000010000000100000000"]);
    let plan = one.plan(&RestoreTarget::latest()).unwrap();
    assert_eq!(plan.wal[0].count, 3);
    assert_eq!(ranges(&plan), ["000000010000000000000FFE..000000010000000100000000"]);
    let sixty_four =
        wrap_state(64, &["00000001000000000000003E", "00000001000000000000003F", "000000010000000100000000"]);
    assert_eq!(sixty_four.plan(&RestoreTarget::latest()).unwrap().wal[0].count, 3);
    // A gap across the wrap.
    let gap = wrap_state(64, &["00000001000000000000003E", "000000010000000100000000"]);
    let refused = gap.plan(&RestoreTarget::latest()).unwrap_err();
    assert!(
        matches!(&refused.reasons[..], [Refusal::WalGap { first, count: 1, .. }] if first.to_string() == "00000001000000000000003F")
    );
    // 1 MiB names read with the default 16 MiB size are impossible, and said so.
    let mut wrong = wrap_state(1, &["000000010000000000000FFE"]);
    wrong.segment_size = WalSegmentSize::default();
    let refused = wrong.plan(&RestoreTarget::latest()).unwrap_err();
    assert!(refused.to_string().contains("cannot exist with 16 MiB segments; check WALG_PG_WAL_SIZE"), "{refused}");
}

#[test]
fn plans_from_wal_g_output() {
    let backups = walg::BackupListEntry::parse_json(&fixture("walg/backup-list-detail.json")).unwrap();
    let wal_show = walg::WalShowTimeline::parse_json(&fixture("walg/wal-show.json")).unwrap();
    let history = TimelineHistory::parse_file("00000002.history", &fixture("00000002.history")).unwrap();
    let state = ArchiveState::from_walg(&backups, &wal_show, [history], WalSegmentSize::default()).unwrap();
    assert_eq!(state.backups.len(), 2);
    assert_eq!(state.backups[1].start_lsn, None, "wal-g's 0 means unknown");
    // Latest: the delta on timeline 2 is newest, but segment 7 is lost.
    let refused = state.plan(&RestoreTarget::latest()).unwrap_err();
    assert!(
        matches!(&refused.reasons[..], [Refusal::WalGap { timeline: 2, first, count: 1, .. }] if first.to_string() == "000000020000000000000007"),
        "{refused}"
    );
    // Timeline 1 (where the old primary stopped): the full backup and segments 2..3.
    let plan = state.plan(&RestoreTarget::timeline(1)).unwrap();
    assert_eq!(plan.backup.name, "base_000000010000000000000002");
    assert_eq!(plan.backup.finish_lsn.unwrap().to_string(), "0/2000100");
    assert_eq!(ranges(&plan), ["000000010000000000000002..000000010000000000000003"]);
    // Timeline 2 at a time after the full backup but with no times for WAL: planned with a warning,
    // through the timeline's end, which crosses the lost segment.
    let at = state.plan(&RestoreTarget::timeline(2).at(ts("2026-11-22T05:00:00Z"))).unwrap_err();
    assert!(at.reasons.iter().all(|r| matches!(r, Refusal::WalGap { .. })), "{at}");
    // A backup taken on timeline 2 at 05:10:02 proves timeline 1 had ended by then.
    let late = state.plan(&RestoreTarget::timeline(1).at(ts("2026-11-22T05:20:00Z"))).unwrap_err();
    assert!(
        late.to_string()
            .contains("is after timeline 1 ended (by 2026-11-22T05:10:02.500+00:00; continued on timeline(s) [2])"),
        "{late}"
    );
}

#[test]
fn delta_needs_its_base() {
    let mut state = synthetic();
    let delta = BackupInfo {
        name: "base_000000100000000000000004_D_000000100000000000000003".into(),
        ..backup("000000100000000000000004", "2026-05-01T11:30:00Z")
    };
    state.backups = vec![delta.clone()];
    let refused = state.plan(&RestoreTarget::timeline(0x10).at(ts("2026-05-01T12:30:00Z"))).unwrap_err();
    assert_eq!(
        refused.reasons,
        vec![Refusal::DeltaBaseMissing {
            backup: delta.name.clone(),
            base: "000000100000000000000003".parse().unwrap()
        }]
    );
    assert!(
        refused
            .to_string()
            .contains("is a delta of a backup starting in 000000100000000000000003, which is not in storage")
    );
    state.backups.push(backup("000000100000000000000003", "2026-05-01T10:45:00Z"));
    assert_eq!(
        state.plan(&RestoreTarget::timeline(0x10).at(ts("2026-05-01T12:30:00Z"))).unwrap().backup.name,
        delta.name
    );
}

#[test]
fn timeline_ancestry_from_wal_show_alone() {
    let backups = walg::BackupListEntry::parse_json(&fixture("walg/backup-list-detail.json")).unwrap();
    let wal_show = walg::WalShowTimeline::parse_json(&fixture("walg/wal-show.json")).unwrap();
    let state = ArchiveState::from_walg(&backups, &wal_show, [], WalSegmentSize::default()).unwrap();
    let h = state.timelines.history(2).unwrap();
    assert_eq!((h.entries[0].parent, h.entries[0].switchpoint.to_string()), (1, "0/40000A0".to_owned()));
    let with_file = ArchiveState::from_walg(
        &backups,
        &wal_show,
        [TimelineHistory::parse_file("00000002.history", &fixture("00000002.history")).unwrap()],
        WalSegmentSize::default(),
    )
    .unwrap();
    for target in [RestoreTarget::latest(), RestoreTarget::timeline(1), RestoreTarget::timeline(2)] {
        assert_eq!(state.plan(&target), with_file.plan(&target), "{target}");
    }
}

#[test]
fn backups_bound_the_wal_needed_without_archive_times() {
    let backups = walg::BackupListEntry::parse_json(&fixture("walg/backup-list-detail.json")).unwrap();
    let wal_show = walg::WalShowTimeline::parse_json(&fixture("walg/wal-show.json")).unwrap();
    let mut state = ArchiveState::from_walg(&backups, &wal_show, [], WalSegmentSize::default()).unwrap();
    let target = RestoreTarget::timeline(2).at(ts("2026-11-22T05:00:00Z"));
    // The delta's metadata is missing: nothing says where 05:00 lies, so the lost segment 7 counts.
    assert!(matches!(&state.plan(&target).unwrap_err().reasons[..], [Refusal::WalGap { .. }]));
    // Once it is known to have started at 05:05 in segment 6, WAL after segment 6 is not needed.
    state.backups[1].start_time = Some(ts("2026-11-22T05:05:00Z"));
    let plan = state.plan(&target).unwrap();
    assert_eq!(plan.backup.name, "base_000000010000000000000002");
    assert_eq!(
        ranges(&plan),
        ["000000010000000000000002..000000010000000000000003", "000000020000000000000004..000000020000000000000006"]
    );
}
