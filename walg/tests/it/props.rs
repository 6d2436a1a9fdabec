//! Property tests: parsers never panic, and names and LSNs round-trip.

use proptest::prelude::*;
use walg::{ArchiveFile, BackupLabel, BackupListEntry, BackupName, Lsn, TimelineHistory, WalSegment, WalSegmentSize};

fn any_size() -> impl Strategy<Value = WalSegmentSize> {
    (0u32..=10).prop_map(|p| WalSegmentSize::from_mib(1 << p).unwrap())
}

proptest! {
    #[test]
    fn parsers_never_panic(s in "\\PC{0,64}") {
        let _ = s.parse::<Lsn>();
        let _ = s.parse::<WalSegment>();
        let _ = s.parse::<BackupName>();
        let _ = walg::parse_timestamp(&s);
        let _ = ArchiveFile::classify(&s);
        let _ = TimelineHistory::parse(7, &s);
        let _ = BackupLabel::parse(&s);
        let _ = BackupListEntry::parse_table(&s);
        let _ = BackupListEntry::parse_json(&s);
        let _ = walg::WalInventory::from_listing(&s);
        let _ = walg::log::LogLine::parse(&s);
    }

    #[test]
    fn near_miss_inputs_never_panic(s in "[0-9A-Fa-f/ \\t.+:TZ-]{0,40}") {
        let _ = s.parse::<Lsn>();
        let _ = s.parse::<WalSegment>();
        let _ = walg::parse_timestamp(&s);
        let _ = TimelineHistory::parse(u32::MAX, &s);
    }

    #[test]
    fn lsn_round_trips(v in any::<u64>()) {
        let lsn = Lsn(v);
        prop_assert_eq!(lsn.to_string().parse::<Lsn>().unwrap(), lsn);
        let padded = format!("{:X}/{:08X}", v >> 32, v & 0xFFFF_FFFF);
        prop_assert_eq!(padded.parse::<Lsn>().unwrap(), lsn);
        prop_assert_eq!(lsn.to_string().to_lowercase().parse::<Lsn>().unwrap(), lsn);
    }

    #[test]
    fn segment_name_round_trips(tli in 1u32.., log in any::<u32>(), seg in any::<u32>()) {
        let s = WalSegment { timeline: tli, log, seg };
        let name = s.to_string();
        prop_assert_eq!(name.len(), 24);
        prop_assert_eq!(name.parse::<WalSegment>().unwrap(), s);
        let backup = BackupName { segment: s, delta_from: Some(s.on_timeline(1)) };
        prop_assert_eq!(backup.to_string().parse::<BackupName>().unwrap(), backup);
    }

    #[test]
    fn lsn_segment_mapping(v in 0u64..(1 << 48), size in any_size(), tli in 1u32..0x100) {
        let lsn = Lsn(v);
        let seg = WalSegment::containing(tli, lsn, size);
        prop_assert!(seg.start_lsn(size).unwrap() <= lsn && lsn < seg.end_lsn(size).unwrap());
        prop_assert_eq!(WalSegment::from_segno(tli, seg.segno(size).unwrap(), size), seg);
        let prev = WalSegment::walfile_name(tli, lsn, size);
        if v > 0 {
            prop_assert!(prev.start_lsn(size).unwrap() < lsn && lsn <= prev.end_lsn(size).unwrap());
        }
    }

    #[test]
    fn history_round_trips(entries in proptest::collection::vec((1u32..50, any::<u64>(), "[a-z0-9 :\"+.-]{0,30}"), 0..6)) {
        let mut text = String::new();
        let mut parent = 0;
        for (step, lsn, reason) in &entries {
            parent += step;
            text.push_str(&format!("{parent}\t{}\t{}\n\n", Lsn(*lsn), reason.trim()));
        }
        let h = TimelineHistory::parse(parent + 1, &text).unwrap();
        prop_assert_eq!(h.entries.len(), entries.len());
        prop_assert_eq!(TimelineHistory::parse(parent + 1, &h.to_string()).unwrap(), h);
    }
}

/// A random archive: timelines 1..=3 (2 from 1, 3 from 2), random segments with increasing
/// times, random backups.
fn archive() -> impl Strategy<Value = walg::ArchiveState> {
    let size = prop_oneof![Just(1u64), Just(16), Just(64)].prop_map(|m| WalSegmentSize::from_mib(m).unwrap());
    (
        size,
        2u64..20,
        1u64..20,
        proptest::collection::vec((0u64..30, 0u64..30), 3),
        proptest::collection::btree_set((1u32..=3, 0u64..50), 0..3),
        proptest::collection::vec((1u32..=3, 0u64..50, 0i64..100), 0..4),
        any::<bool>(),
    )
        .prop_map(|(size, switch2, gap3, spans, holes, backups, with_times)| {
            let switch3 = switch2 + gap3;
            // Mostly contiguous WAL per timeline, with a few holes.
            let present: Vec<(u32, u64)> = (1u32..=3)
                .flat_map(|tli| {
                    let (start, len) = spans[tli as usize - 1];
                    (start..start + len).map(move |n| (tli, n))
                })
                .filter(|p| !holes.contains(p))
                .collect();
            let lsn = |segno: u64| Lsn(segno * size.bytes() + 0x28);
            let mut listing = String::new();
            for (tli, segno) in &present {
                let name = WalSegment::from_segno(*tli, *segno, size);
                if with_times {
                    let minute = segno + u64::from(*tli) * 5;
                    listing += &format!(
                        "-rw 1 pg pg 1 2026-05-01 {:02}:{:02}:00.0 +0000 {name}\n",
                        10 + minute / 60,
                        minute % 60
                    );
                } else {
                    listing += &format!("{name}\n");
                }
            }
            let backups = backups
                .into_iter()
                .map(|(tli, segno, minute)| walg::BackupInfo {
                    name: format!("base_{}", WalSegment::from_segno(tli, segno, size)),
                    start_segment: WalSegment::from_segno(tli, segno, size),
                    start_lsn: Some(lsn(segno)),
                    finish_lsn: Some(lsn(segno + 1)),
                    start_time: None,
                    finish_time: Some(walg::parse_timestamp(&format!("2026-05-01T10:{:02}:00Z", minute % 60)).unwrap()),
                })
                .collect();
            let h2 = format!("1\t{}\tx\n", lsn(switch2));
            let h3 = format!("{h2}\n2\t{}\ty\n", lsn(switch3));
            walg::ArchiveState {
                backups,
                wal: walg::WalInventory::from_listing(&listing),
                timelines: walg::TimelineTree::new([
                    TimelineHistory::parse(2, &h2).unwrap(),
                    TimelineHistory::parse(3, &h3).unwrap(),
                ]),
                segment_size: size,
            }
        })
}

proptest! {
    #[test]
    fn plans_only_name_present_wal(state in archive(), tli in 0u32..=4, minute in proptest::option::of(0u32..90)) {
        let mut target = if tli == 0 { walg::RestoreTarget::latest() } else { walg::RestoreTarget::timeline(tli) };
        if let Some(m) = minute {
            target = target.at(walg::parse_timestamp(&format!("2026-05-01T{:02}:{:02}:00Z", 10 + m / 60, m % 60)).unwrap());
        }
        match state.plan(&target) {
            Ok(plan) => {
                prop_assert!(state.backups.contains(&plan.backup));
                prop_assert!(!plan.wal.is_empty());
                prop_assert_eq!(plan.wal[0].first, plan.backup.start_segment);
                let mut last_tli = 0;
                for range in &plan.wal {
                    prop_assert!(range.timeline > last_tli, "ranges follow the timeline path upwards");
                    last_tli = range.timeline;
                    let (lo, hi) = (range.first.segno(state.segment_size).unwrap(), range.last.segno(state.segment_size).unwrap());
                    prop_assert_eq!(hi - lo + 1, range.count);
                    for n in lo..=hi {
                        prop_assert!(state.wal.has_segment(WalSegment::from_segno(range.timeline, n, state.segment_size)));
                    }
                }
                prop_assert!(last_tli <= plan.timeline);
                if last_tli < plan.timeline {
                    prop_assert!(plan.warnings.iter().any(|w| w.contains("before timeline")), "{:?}", plan.warnings);
                }
            }
            Err(refused) => prop_assert!(!refused.reasons.is_empty()),
        }
    }
}
