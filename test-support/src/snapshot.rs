//! Raft snapshot archives as Consul, Nomad and Vault write them (a gzip
//! stream of a USTAR tar: `meta.json`, `state.bin`, `SHA256SUMS`, and from
//! Vault `SHA256SUMS.sealed`), for tests and benchmarks of the snapshot calls.
//!
//! ```
//! let whole = test_support::snapshot::raft_archive(b"state", 42, 3);
//! assert_eq!(&whole[..2], [0x1f, 0x8b]);
//! ```

use std::io::{self, Write};

use sha2::{Digest, Sha256};

/// A complete Consul/Nomad snapshot of `state` at Raft `index` and `term`.
pub fn raft_archive(state: &[u8], index: u64, term: u64) -> Vec<u8> {
    archive(state, index, term, None)
}

/// A complete Vault raft snapshot of `state`, with `sealed` as its
/// `SHA256SUMS.sealed` (an empty one is what a failed seal leaves).
pub fn vault_archive(state: &[u8], sealed: &[u8]) -> Vec<u8> {
    archive(state, 7, 2, Some(sealed))
}

fn archive(state: &[u8], index: u64, term: u64, sealed: Option<&[u8]>) -> Vec<u8> {
    let mut w = ArchiveWriter::new(Vec::new(), index, term, state.len() as u64).expect("in memory");
    w.write_all(state).expect("in memory");
    w.finish(sealed).expect("in memory")
}

/// The `meta.json` of a snapshot (Raft's `SnapshotMeta`, as Consul 1.8 writes it).
pub fn meta_json(index: u64, term: u64, size: u64) -> Vec<u8> {
    format!(
        "{{\"Version\":1,\"ID\":\"{term}-{index}-1700000000000\",\"Index\":{index},\"Term\":{term},\"Peers\":\"ka8xMjcuMC4wLjE6ODMwMA==\",\"Configuration\":{{\"Servers\":[{{\"Suffrage\":0,\"ID\":\"7b1f\",\"Address\":\"127.0.0.1:8300\"}}]}},\"ConfigurationIndex\":1,\"Size\":{size}}}\n"
    )
    .into_bytes()
}

/// Writes a snapshot archive as it goes, hashing `state.bin` on the way, so a
/// benchmark can serve gigabytes without holding them: `meta.json` and the
/// `state.bin` header are written by [`ArchiveWriter::new`], the state by
/// [`Write`], the sums (and Vault's sealed sums) by [`ArchiveWriter::finish`].
/// Compression is the fastest level, as the servers use.
pub struct ArchiveWriter<W: Write> {
    gz: flate2::write::GzEncoder<W>,
    meta_sum: [u8; 32],
    state_hash: Sha256,
    state_left: u64,
    state_size: u64,
}

impl<W: Write> ArchiveWriter<W> {
    /// Starts an archive whose `state.bin` will hold exactly `state_size` bytes.
    pub fn new(out: W, index: u64, term: u64, state_size: u64) -> io::Result<Self> {
        let mut gz = flate2::write::GzEncoder::new(out, flate2::Compression::fast());
        let meta = meta_json(index, term, state_size);
        entry(&mut gz, "meta.json", &meta)?;
        gz.write_all(&header("state.bin", state_size))?;
        Ok(ArchiveWriter {
            gz,
            meta_sum: Sha256::digest(&meta).into(),
            state_hash: Sha256::new(),
            state_left: state_size,
            state_size,
        })
    }

    /// Ends `state.bin` (all of it must have been written), writes
    /// `SHA256SUMS`, then `SHA256SUMS.sealed` when given, the end-of-archive
    /// blocks and the gzip trailer.
    pub fn finish(mut self, sealed: Option<&[u8]>) -> io::Result<W> {
        assert_eq!(self.state_left, 0, "state.bin is shorter than announced");
        self.gz.write_all(&vec![0u8; padding(self.state_size)])?;
        let sums = format!(
            "{}  meta.json\n{}  state.bin\n",
            hex::encode(self.meta_sum),
            hex::encode(self.state_hash.finalize())
        );
        entry(&mut self.gz, "SHA256SUMS", sums.as_bytes())?;
        if let Some(sealed) = sealed {
            entry(&mut self.gz, "SHA256SUMS.sealed", sealed)?;
        }
        self.gz.write_all(&[0u8; 1024])?;
        self.gz.finish()
    }
}

impl<W: Write> Write for ArchiveWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = (buf.len() as u64).min(self.state_left) as usize;
        assert!(n > 0 || buf.is_empty(), "state.bin is longer than announced");
        self.gz.write_all(&buf[..n])?;
        self.state_hash.update(&buf[..n]);
        self.state_left -= n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.gz.flush()
    }
}

/// One whole entry: header, body, padding.
fn entry(out: &mut impl Write, name: &str, body: &[u8]) -> io::Result<()> {
    out.write_all(&header(name, body.len() as u64))?;
    out.write_all(body)?;
    out.write_all(&vec![0u8; padding(body.len() as u64)])
}

/// A USTAR header as Go's `archive/tar` writes it for these entries.
pub fn header(name: &str, size: u64) -> [u8; 512] {
    let mut h = tar::Header::new_ustar();
    h.set_path(name).expect("short name");
    h.set_size(size);
    h.set_mode(0o600);
    h.set_mtime(1_700_000_000);
    h.set_entry_type(tar::EntryType::Regular);
    h.set_cksum();
    *h.as_bytes()
}

fn padding(size: u64) -> usize {
    ((512 - size % 512) % 512) as usize
}
