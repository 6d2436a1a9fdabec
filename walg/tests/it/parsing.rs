//! Parsers on the real files PostgreSQL wrote in the sandbox (a Patroni switchover).

use walg::{
    ArchiveFile, BackupLabel, BackupName, Lsn, TimelineHistory, TimelineTree, WalInventory, WalSegment, WalSegmentSize,
};

use crate::fixture;

#[test]
fn real_history_file_after_switchover() {
    let h = TimelineHistory::parse_file("00000002.history", &fixture("00000002.history")).unwrap();
    assert_eq!(h.timeline, 2);
    assert_eq!(h.entries.len(), 1);
    assert_eq!(h.entries[0].parent, 1);
    assert_eq!(h.entries[0].switchpoint, "0/40000A0".parse::<Lsn>().unwrap());
    assert_eq!(h.entries[0].reason, "no recovery target specified");
    // Rendering gives back the file byte for byte.
    assert_eq!(h.to_string(), fixture("00000002.history"));
    // The switchpoint lies in segment 4: timeline 2 starts with 000000020000000000000004.
    let first = WalSegment::containing(2, h.begins_at().unwrap(), WalSegmentSize::default());
    assert_eq!(first.to_string(), "000000020000000000000004");
    let tree = TimelineTree::new([h]);
    assert_eq!(tree.parent(2), Some((1, Lsn(0x0400_00A0))));
    assert_eq!(tree.children(1), vec![2]);
}

#[test]
fn real_backup_label() {
    let label = BackupLabel::parse(&fixture("000000010000000000000002.00000028.backup")).unwrap();
    assert_eq!(label.start_lsn.to_string(), "0/2000028");
    assert_eq!(label.start_segment.to_string(), "000000010000000000000002");
    assert_eq!(label.stop_lsn.unwrap().to_string(), "0/2000100");
    assert_eq!(label.checkpoint_lsn.unwrap().to_string(), "0/2000060");
    assert_eq!(label.method.as_deref(), Some("streamed"));
    assert_eq!(label.from.as_deref(), Some("primary"));
    assert_eq!(label.label.as_deref(), Some("pg_basebackup base backup"));
    assert_eq!(label.start_timeline, 1);
    assert_eq!(label.stop_timeline, Some(1));
    assert_eq!(label.start_time.unwrap().to_rfc3339(), "2026-11-22T04:43:37+00:00");
    assert_eq!(label.stop_time.unwrap().to_rfc3339(), "2026-11-22T04:43:37+00:00");
    // The file name encodes the start segment and offset, matching the content.
    let size = WalSegmentSize::default();
    assert_eq!(WalSegment::containing(1, label.start_lsn, size), label.start_segment);
    // wal-g would name this backup after pg_walfile_name(start_lsn).
    assert_eq!(BackupName::for_start(1, label.start_lsn, size).to_string(), "base_000000010000000000000002");
}

#[test]
fn real_archive_listing() {
    let inv = WalInventory::from_listing(&fixture("archive-listing.txt"));
    let names: Vec<String> = inv.segments().map(|(s, _)| s.to_string()).collect();
    assert_eq!(names, ["000000010000000000000001", "000000010000000000000002", "000000010000000000000003"]);
    let partials: Vec<String> = inv.partials().map(|(s, _)| s.to_string()).collect();
    assert_eq!(partials, ["000000010000000000000004"]);
    assert_eq!(inv.history_files().collect::<Vec<_>>(), vec![(2, None)]);
    let labels: Vec<&str> = inv.backup_history_files().map(|(n, _, _)| n).collect();
    assert_eq!(labels, ["000000010000000000000002.00000028.backup"]);
    // `ls -l` times have no year and no zone: they are not guessed.
    assert!(!inv.has_times());
    assert_eq!(inv.timelines(), vec![1, 2]);
}

#[test]
fn listing_with_zoned_times_and_compressed_names() {
    let text = "\
-rw------- 1 pg pg 100 2026-11-22 04:43:37.000000000 +0000 000000010000000000000001.lz4
-rw------- 1 pg pg 100 2026-11-22 06:54:00.000000000 +0200 000000010000000000000002.zst
-rw------- 1 pg pg 41 2026-11-22 04:54:01.000000000 +0000 00000002.history.br
000000020000000000000003.json
";
    let inv = WalInventory::from_listing(text);
    let times: Vec<String> = inv.segments().map(|(_, t)| t.unwrap().to_rfc3339()).collect();
    assert_eq!(times, ["2026-11-22T04:43:37+00:00", "2026-11-22T04:54:00+00:00"]);
    assert_eq!(inv.history_time(2).unwrap().to_rfc3339(), "2026-11-22T04:54:01+00:00");
    assert_eq!(ArchiveFile::classify("000000020000000000000003.json"), None);
}

#[test]
fn local_archive_directory() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["00000002.history", "000000010000000000000002.00000028.backup"] {
        std::fs::write(dir.path().join(name), fixture(name)).unwrap();
    }
    for name in ["000000010000000000000002", "000000010000000000000003", "000000010000000000000004.partial"] {
        std::fs::write(dir.path().join(name), b"").unwrap();
    }
    let archive = walg::LocalArchive::read(dir.path()).unwrap();
    assert_eq!(archive.histories.len(), 1);
    assert_eq!(archive.labels.len(), 1);
    assert_eq!(archive.labels[0].0, "000000010000000000000002.00000028.backup");
    assert!(archive.inventory.has_times(), "file modification times are known");
    let missing = walg::LocalArchive::read(&dir.path().join("nope")).unwrap_err().to_string();
    assert!(missing.contains("cannot be read"), "{missing}");
}
