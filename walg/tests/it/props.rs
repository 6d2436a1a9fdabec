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
