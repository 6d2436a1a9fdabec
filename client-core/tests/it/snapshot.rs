//! The snapshot archive check against whole, cut, damaged and odd archives.

use std::io::Write;

use client_core::snapshot::{ArchiveCheck, ArchiveKind, check_reader};
use test_support::snapshot::{ArchiveWriter, header, raft_archive, vault_archive};

fn check(archive: &[u8], kind: ArchiveKind, chunk: usize) -> Result<client_core::snapshot::ArchiveMeta, String> {
    let mut check = ArchiveCheck::new(kind);
    for piece in archive.chunks(chunk) {
        check.update(piece).map_err(|e| e.to_string())?;
    }
    check.finish().map_err(|e| e.to_string())
}

fn gzip(tar: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(tar).unwrap();
    gz.finish().unwrap()
}

fn gunzip(archive: &[u8]) -> Vec<u8> {
    let mut out = flate2::write::GzDecoder::new(Vec::new());
    out.write_all(archive).unwrap();
    out.finish().unwrap()
}

/// A state that does not compress away, so cuts land inside state.bin too.
fn state(len: usize) -> Vec<u8> {
    let mut x = 0x2545_f491_4f6c_dd1du64;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

#[test]
fn whole_archives_pass_in_any_chunking() {
    let raft = raft_archive(&state(5000), 42, 3);
    for chunk in [1, 7, 511, 512, 513, 4096, raft.len()] {
        let meta = check(&raft, ArchiveKind::Raft, chunk).unwrap();
        assert_eq!((meta.index, meta.term, meta.size), (42, 3, 5000), "chunk {chunk}");
        assert_eq!(meta.id, "3-42-1700000000000");
    }
    let vault = vault_archive(&state(3000), b"sealed-sums");
    assert_eq!(check(&vault, ArchiveKind::VaultRaft, 100).unwrap().size, 3000);
    // Vault's extra entry is allowed in a plain Raft check.
    assert!(check(&vault, ArchiveKind::Raft, 100).is_ok());
    // An empty state is a valid snapshot.
    assert!(check(&raft_archive(b"", 1, 1), ArchiveKind::Raft, 64).is_ok());
}

#[test]
fn every_cut_is_refused() {
    let raft = raft_archive(&state(2000), 9, 2);
    for cut in 0..raft.len() {
        let result = check(&raft[..cut], ArchiveKind::Raft, 97);
        assert!(result.is_err(), "an archive cut at {cut} of {} bytes passed", raft.len());
    }
    let vault = vault_archive(&state(700), b"s");
    for cut in 0..vault.len() {
        assert!(check(&vault[..cut], ArchiveKind::VaultRaft, 64).is_err(), "Vault archive cut at {cut}");
    }
}

#[test]
fn a_cut_says_incomplete() {
    let raft = raft_archive(&state(2000), 9, 2);
    let e = check(&raft[..raft.len() / 2], ArchiveKind::Raft, 512).unwrap_err();
    assert!(e.contains("incomplete"), "{e}");
    // Cut at the very end of the tar (before the gzip trailer): still incomplete.
    let e = check(&raft[..raft.len() - 4], ArchiveKind::Raft, 512).unwrap_err();
    assert!(e.contains("incomplete"), "{e}");
}

#[test]
fn a_well_formed_archive_missing_the_sums_is_incomplete() {
    // What a server that stopped after state.bin but closed the streams cleanly leaves.
    let meta = test_support::snapshot::meta_json(5, 1, 3);
    let mut tar = Vec::new();
    for (name, body) in [("meta.json", &meta[..]), ("state.bin", b"abc")] {
        tar.extend_from_slice(&header(name, body.len() as u64));
        tar.extend_from_slice(body);
        tar.resize(tar.len().div_ceil(512) * 512, 0);
    }
    tar.resize(tar.len() + 1024, 0);
    let e = check(&gzip(&tar), ArchiveKind::Raft, 512).unwrap_err();
    assert!(e.contains("incomplete") && e.contains("SHA256SUMS"), "{e}");
}

#[test]
fn vault_needs_non_empty_sealed_sums() {
    let e = check(&raft_archive(b"state", 1, 1), ArchiveKind::VaultRaft, 64).unwrap_err();
    assert!(e.contains("SHA256SUMS.sealed"), "{e}");
    let e = check(&vault_archive(b"state", b""), ArchiveKind::VaultRaft, 64).unwrap_err();
    assert!(e.contains("SHA256SUMS.sealed is empty"), "{e}");
}

#[test]
fn damage_inside_the_tar_is_named() {
    let whole = raft_archive(&state(3000), 9, 2);
    let tar = gunzip(&whole);
    // A flipped byte in state.bin: the gzip stream is fine, the sum is not.
    let mut flipped = tar.clone();
    flipped[1536 + 100] ^= 0x01; // meta.json is blocks 0-1, state.bin's header block 2
    let e = check(&gzip(&flipped), ArchiveKind::Raft, 512).unwrap_err();
    assert!(e.contains("SHA-256 of state.bin does not match"), "{e}");
    // A flipped byte in a header: its checksum fails.
    let mut bad_header = tar;
    bad_header[3] ^= 0x20;
    let e = check(&gzip(&bad_header), ArchiveKind::Raft, 512).unwrap_err();
    assert!(e.contains("checksum does not match"), "{e}");
    // A flipped byte in the compressed stream: gzip's CRC or inflate refuses it.
    let mut compressed = whole;
    let at = compressed.len() / 2;
    compressed[at] ^= 0x55;
    assert!(check(&compressed, ArchiveKind::Raft, 512).is_err());
}

#[test]
fn what_is_not_a_snapshot_is_refused() {
    assert!(check(b"", ArchiveKind::Raft, 1).unwrap_err().contains("incomplete"));
    let e = check(b"PK\x03\x04 a zip file, not a snapshot", ArchiveKind::Raft, 8).unwrap_err();
    assert!(e.contains("not a valid gzip stream"), "{e}");
    // gzip of something that is not a tar.
    let e = check(&gzip(&[b'x'; 2048]), ArchiveKind::Raft, 300).unwrap_err();
    assert!(e.contains("tar archive is damaged"), "{e}");
    // A sums file that lists a file the archive lacks.
    let mut w = ArchiveWriter::new(Vec::new(), 1, 1, 1).unwrap();
    w.write_all(b"x").unwrap();
    let tar = gunzip(&w.finish(None).unwrap());
    let text = String::from_utf8_lossy(&tar).into_owned();
    let at = text.find("  state.bin\n").unwrap();
    let mut renamed = tar;
    renamed[at + 2..at + 11].copy_from_slice(b"state.bak");
    let e = check(&gzip(&renamed), ArchiveKind::Raft, 512).unwrap_err();
    assert!(e.contains("\"state.bak\"") && e.contains("does not hold"), "{e}");
}

#[test]
fn pax_headers_as_go_writes_for_big_or_long_entries() {
    // Go's archive/tar switches to PAX for a name over 100 bytes or a size
    // over 8 GiB; the check takes path and size from the extended header.
    let mut builder = tar::Builder::new(Vec::new());
    let meta = test_support::snapshot::meta_json(11, 4, 6);
    // One name split into the USTAR prefix field, one too long for it.
    let split = format!("{}/extra.json", "d".repeat(120));
    let long = "e".repeat(200);
    for (name, body) in [
        (split.as_str(), &meta[..]),
        (long.as_str(), &meta[..]),
        ("meta.json", &meta[..]),
        ("state.bin", &b"sixsix"[..]),
    ] {
        let mut h = tar::Header::new_ustar();
        h.set_size(body.len() as u64);
        h.set_mode(0o600);
        h.set_entry_type(tar::EntryType::Regular);
        builder.append_data(&mut h, name, body).unwrap();
    }
    // The sums name both long entries: a name read wrong is an entry the archive "does not hold".
    let meta_sum = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&meta));
    let sums = format!(
        "{meta_sum}  meta.json\n{}  state.bin\n{meta_sum}  {split}\n{meta_sum}  {long}\n",
        hex::encode(<sha2::Sha256 as sha2::Digest>::digest(b"sixsix"))
    );
    let mut h = tar::Header::new_ustar();
    h.set_size(sums.len() as u64);
    h.set_entry_type(tar::EntryType::Regular);
    // The size and the name come from the PAX header, not the USTAR one.
    builder.append_pax_extensions([("size", sums.len().to_string().as_bytes()), ("path", &b"SHA256SUMS"[..])]).unwrap();
    builder.append_data(&mut h, "not-the-name", sums.as_bytes()).unwrap();
    let tar = builder.into_inner().unwrap();
    assert!(tar.windows(13).any(|w| w == b"././@LongLink"), "the long name is in a GNU long-name entry");
    let meta = check(&gzip(&tar), ArchiveKind::Raft, 333).unwrap();
    assert_eq!((meta.index, meta.term), (11, 4));
}

#[test]
fn duplicate_entries_are_refused() {
    let meta = test_support::snapshot::meta_json(5, 1, 1);
    let mut tar = Vec::new();
    for (name, body) in [("meta.json", &meta[..]), ("state.bin", b"a"), ("state.bin", b"b")] {
        tar.extend_from_slice(&header(name, body.len() as u64));
        tar.extend_from_slice(body);
        tar.resize(tar.len().div_ceil(512) * 512, 0);
    }
    tar.resize(tar.len() + 1024, 0);
    let e = check(&gzip(&tar), ArchiveKind::Raft, 512).unwrap_err();
    assert!(e.contains("\"state.bin\" twice"), "{e}");
}

#[tokio::test]
async fn a_file_is_checked_from_a_reader() {
    let archive = raft_archive(&state(70_000), 3, 1);
    let meta = check_reader(&archive[..], ArchiveKind::Raft).await.unwrap();
    assert_eq!(meta.index, 3);
    let e = check_reader(&archive[..archive.len() - 1], ArchiveKind::Raft).await.unwrap_err();
    assert!(e.to_string().contains("incomplete"), "{e}");
}

#[tokio::test]
async fn a_failed_save_never_replaces_a_good_snapshot() {
    use client_core::snapshot::PartialFile;
    use tokio::io::AsyncWriteExt as _;
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("backup.snap");
    std::fs::write(&target, b"yesterday's good snapshot").unwrap();
    let partial = dir.path().join("backup.snap.partial");

    // A save that fails midway (dropped without commit): the old file stays, the partial goes.
    let mut out = PartialFile::create(&target).await.unwrap();
    out.file().write_all(b"half of today's").await.unwrap();
    assert!(partial.exists());
    // A second save to the same name while one runs is refused.
    let err = PartialFile::create(&target).await.unwrap_err();
    assert!(err.to_string().contains("another save running"), "{err}");
    drop(out);
    assert!(!partial.exists(), "the partial file is removed");
    assert_eq!(std::fs::read(&target).unwrap(), b"yesterday's good snapshot");

    // A save that completes replaces it.
    let mut out = PartialFile::create(&target).await.unwrap();
    out.file().write_all(b"today's snapshot").await.unwrap();
    assert_eq!(out.commit().await.unwrap(), target);
    assert_eq!(std::fs::read(&target).unwrap(), b"today's snapshot");
    assert!(!partial.exists());
}
