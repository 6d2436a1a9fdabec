//! Checks a Raft snapshot archive as it streams by, in constant memory.
//!
//! Consul, Nomad and Vault save their state as the same archive: a gzip
//! stream of a tar holding `meta.json` (the Raft snapshot's metadata),
//! `state.bin` (the state) and `SHA256SUMS` (the SHA-256 of the two), and
//! from Vault also `SHA256SUMS.sealed` (those sums encrypted by the seal).
//! The servers send `200 OK` before they write the archive, so a snapshot
//! cut short by the server (a seal error, a leader change, a crash) arrives
//! as a normal-looking response with a short body. `consul snapshot save`
//! and `nomad operator snapshot save` therefore read the archive back and
//! compare the sums before keeping the file, and the Vault Go client looks
//! for a non-empty `SHA256SUMS.sealed`. [`ArchiveCheck`] does both while the
//! bytes are written, so an operator never keeps a backup that cannot be
//! restored without being told.
//!
//! ```
//! use client_core::snapshot::{ArchiveCheck, ArchiveKind};
//! # let archive = test_archive();
//! let mut check = ArchiveCheck::new(ArchiveKind::Raft);
//! for chunk in archive.chunks(7) {
//!     check.update(chunk)?;
//! }
//! let meta = check.finish()?;
//! assert_eq!((meta.index, meta.term), (42, 3));
//!
//! // The same archive one byte short is refused.
//! let mut check = ArchiveCheck::new(ArchiveKind::Raft);
//! check.update(&archive[..archive.len() - 1])?;
//! assert!(check.finish().unwrap_err().to_string().contains("incomplete"));
//! # fn test_archive() -> Vec<u8> {
//! #     use std::io::Write;
//! #     use sha2::Digest;
//! #     let meta = br#"{"ID":"3-42-1","Index":42,"Term":3,"Size":5}"#;
//! #     let state = b"state";
//! #     let sums = format!("{}  meta.json\n{}  state.bin\n", hex::encode(sha2::Sha256::digest(meta)), hex::encode(sha2::Sha256::digest(state)));
//! #     let mut tar = Vec::new();
//! #     for (name, body) in [("meta.json", &meta[..]), ("state.bin", &state[..]), ("SHA256SUMS", sums.as_bytes())] {
//! #         let mut h = [0u8; 512];
//! #         h[..name.len()].copy_from_slice(name.as_bytes());
//! #         h[100..107].copy_from_slice(b"0000600");
//! #         h[124..135].copy_from_slice(format!("{:011o}", body.len()).as_bytes());
//! #         h[136..147].copy_from_slice(b"00000000000");
//! #         h[156] = b'0';
//! #         h[257..263].copy_from_slice(b"ustar\0");
//! #         h[263..265].copy_from_slice(b"00");
//! #         h[148..156].copy_from_slice(b"        ");
//! #         let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
//! #         h[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
//! #         tar.extend_from_slice(&h);
//! #         tar.extend_from_slice(body);
//! #         tar.resize(tar.len().div_ceil(512) * 512, 0);
//! #     }
//! #     tar.resize(tar.len() + 1024, 0);
//! #     let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
//! #     gz.write_all(&tar).unwrap();
//! #     gz.finish().unwrap()
//! # }
//! # Ok::<(), client_core::snapshot::ArchiveDamage>(())
//! ```

use std::collections::BTreeMap;
use std::io::{self, Write};

use sha2::{Digest, Sha256};

const BLOCK: usize = 512;
const META: &str = "meta.json";
const STATE: &str = "state.bin";
const SUMS: &str = "SHA256SUMS";
const SEALED: &str = "SHA256SUMS.sealed";
/// Larger small entries (metadata, sums, PAX headers) are refused rather than buffered.
const SMALL_ENTRY_LIMIT: u64 = 1 << 20;

/// Which server's archive is checked: what it must hold beyond the common part.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ArchiveKind {
    /// Consul's and Nomad's: `meta.json`, `state.bin` and a `SHA256SUMS` that matches them.
    Raft,
    /// Vault's: the same and a non-empty `SHA256SUMS.sealed`, the last entry,
    /// which the Go client (`Sys.RaftSnapshot`) requires too.
    VaultRaft,
}

/// Why a snapshot archive is not one that can be restored. The message says
/// what is wrong; the bytes already written are a damaged or partial
/// snapshot that must not be restored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ArchiveDamage(String);

impl ArchiveDamage {
    fn new(reason: impl Into<String>) -> Self {
        ArchiveDamage(reason.into())
    }

    /// The reason alone, for an error that names the snapshot itself.
    pub fn reason(&self) -> &str {
        &self.0
    }
}

/// What the archive's `meta.json` says about the snapshot (Raft's
/// `SnapshotMeta`), returned once the whole archive checked out.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[non_exhaustive]
pub struct ArchiveMeta {
    /// The snapshot's ID (`<term>-<index>-<time>`).
    #[serde(rename = "ID", default)]
    pub id: String,
    /// The last Raft index the snapshot includes.
    #[serde(rename = "Index", default)]
    pub index: u64,
    /// The Raft term of that index.
    #[serde(rename = "Term", default)]
    pub term: u64,
    /// The size of `state.bin` in bytes as Raft recorded it.
    #[serde(rename = "Size", default)]
    pub size: u64,
}

/// An incremental check of a snapshot archive: feed every byte of the body
/// to [`ArchiveCheck::update`] in order, then call [`ArchiveCheck::finish`].
/// Memory use does not grow with the snapshot: `state.bin` is hashed, not
/// kept. See the [module docs](self) for what is checked and why.
pub struct ArchiveCheck {
    gzip: flate2::write::GzDecoder<TarScan>,
    /// Bytes after the end of the gzip stream, ignored as the Go readers ignore them.
    trailing: u64,
}

impl std::fmt::Debug for ArchiveCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ArchiveCheck").field("kind", &self.gzip.get_ref().kind).finish_non_exhaustive()
    }
}

impl ArchiveCheck {
    /// A check for an archive of the given kind.
    pub fn new(kind: ArchiveKind) -> Self {
        ArchiveCheck { gzip: flate2::write::GzDecoder::new(TarScan::new(kind)), trailing: 0 }
    }

    /// Checks the next bytes of the archive; an error names the first damage seen.
    pub fn update(&mut self, mut chunk: &[u8]) -> Result<(), ArchiveDamage> {
        while !chunk.is_empty() {
            match self.gzip.write(chunk) {
                Ok(0) => {
                    self.trailing += chunk.len() as u64;
                    return Ok(());
                }
                Ok(n) => chunk = &chunk[n..],
                Err(e) => return Err(self.damage(&e)),
            }
        }
        Ok(())
    }

    /// Ends the check: the gzip stream must be complete with a matching
    /// CRC, and the archive must hold every entry its kind needs with the
    /// sums matching. Returns what `meta.json` says.
    pub fn finish(mut self) -> Result<ArchiveMeta, ArchiveDamage> {
        if let Err(e) = self.gzip.try_finish() {
            return Err(match self.gzip.get_ref().damage.clone() {
                Some(damage) => damage,
                None => ArchiveDamage::new(format!(
                    "the snapshot is incomplete: its gzip stream ends early or its checksum does not match ({e})"
                )),
            });
        }
        if self.trailing > 0 {
            tracing::debug!(bytes = self.trailing, "snapshot archive: bytes after the gzip stream ignored");
        }
        self.gzip.get_mut().conclude()
    }

    fn damage(&self, e: &io::Error) -> ArchiveDamage {
        self.gzip
            .get_ref()
            .damage
            .clone()
            .unwrap_or_else(|| ArchiveDamage::new(format!("the snapshot is not a valid gzip stream ({e})")))
    }
}

/// What [`save_checked`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Saved {
    /// Bytes written to the writer (the whole archive).
    pub bytes: u64,
    /// What the archive's `meta.json` says.
    pub archive: ArchiveMeta,
}

/// Why [`save_checked`] failed.
#[derive(Debug)]
pub enum SaveError {
    /// The body failed, or the archive is damaged or incomplete
    /// ([`crate::Error::SnapshotDamaged`]).
    Body(crate::Error),
    /// Writing to the caller's writer failed.
    Write(io::Error),
}

/// Copies a snapshot `body` into `writer` as it arrives (constant memory),
/// checking the archive on the way, and flushes the writer: the save loop
/// of every client. `each` sees every chunk too (e.g. Nomad's `Digest`
/// check). Damage found in the middle stops the copy at once; one found at
/// the end (a missing entry, a sum that does not match) is reported after
/// the flush. `method` and `path` name the request in the error.
pub async fn save_checked<W>(
    mut body: crate::ByteStream,
    writer: &mut W,
    kind: ArchiveKind,
    (method, path): (&str, &str),
    mut each: impl FnMut(&[u8]),
) -> Result<Saved, SaveError>
where
    W: tokio::io::AsyncWrite + Unpin + ?Sized,
{
    use futures::StreamExt as _;
    use tokio::io::AsyncWriteExt as _;
    let mut check = ArchiveCheck::new(kind);
    let mut bytes = 0u64;
    let damaged = |bytes: u64, damage: ArchiveDamage| {
        SaveError::Body(crate::Error::SnapshotDamaged {
            method: method.to_owned(),
            path: path.to_owned(),
            bytes,
            reason: damage.0,
        })
    };
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(SaveError::Body)?;
        let checked = check.update(&chunk);
        each(&chunk);
        writer.write_all(&chunk).await.map_err(SaveError::Write)?;
        bytes += chunk.len() as u64;
        if let Err(damage) = checked {
            writer.flush().await.map_err(SaveError::Write)?;
            return Err(damaged(bytes, damage));
        }
    }
    writer.flush().await.map_err(SaveError::Write)?;
    let archive = check.finish().map_err(|damage| damaged(bytes, damage))?;
    Ok(Saved { bytes, archive })
}

/// Reads an archive from `reader` to its end and checks it (what `consul
/// snapshot inspect` checks before anything else), e.g. a file before it is
/// restored. Memory use does not grow with the file.
pub async fn check_reader<R>(mut reader: R, kind: ArchiveKind) -> Result<ArchiveMeta, CheckReadError>
where
    R: tokio::io::AsyncRead + Unpin,
{
    use tokio::io::AsyncReadExt as _;
    let mut check = ArchiveCheck::new(kind);
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = reader.read(&mut buf).await.map_err(CheckReadError::Read)?;
        if n == 0 {
            break;
        }
        check.update(&buf[..n]).map_err(CheckReadError::Damaged)?;
    }
    check.finish().map_err(CheckReadError::Damaged)
}

/// Why [`check_reader`] failed.
#[derive(Debug, thiserror::Error)]
pub enum CheckReadError {
    /// Reading failed; nothing is known about the archive.
    #[error("reading the snapshot failed: {0}")]
    Read(#[source] io::Error),
    /// The archive is damaged or incomplete.
    #[error("{0}")]
    Damaged(#[source] ArchiveDamage),
}

/// A snapshot file that appears under its name only once it is complete:
/// bytes go to `<name>.partial` (created new: a second save to the same
/// name at the same time is refused), which [`PartialFile::commit`] syncs
/// to disk and renames over `<name>`. Dropped without a commit (an error, a
/// panic, a cancelled task), the partial file is removed, so neither a
/// half-written snapshot nor the loss of an older good one at that name can
/// follow from a failed save.
///
/// ```no_run
/// # async fn demo(consul: &str) -> Result<(), Box<dyn std::error::Error>> {
/// use client_core::snapshot::PartialFile;
/// let mut out = PartialFile::create("backup.snap").await?;
/// // consul.snapshot().save(out.file(), &Default::default()).await?;
/// out.commit().await?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct PartialFile {
    file: Option<tokio::fs::File>,
    partial: std::path::PathBuf,
    target: std::path::PathBuf,
}

impl PartialFile {
    /// Creates `<target>.partial`; fails if it exists.
    pub async fn create(target: impl AsRef<std::path::Path>) -> io::Result<Self> {
        let target = target.as_ref().to_path_buf();
        let mut partial = target.clone().into_os_string();
        partial.push(".partial");
        let partial = std::path::PathBuf::from(partial);
        let file = tokio::fs::File::create_new(&partial).await.map_err(|e| {
            io::Error::new(e.kind(), format!("cannot create {} (is another save running?): {e}", partial.display()))
        })?;
        Ok(PartialFile { file: Some(file), partial, target })
    }

    /// The file to write the snapshot into.
    pub fn file(&mut self) -> &mut tokio::fs::File {
        self.file.as_mut().expect("the file is there until commit")
    }

    /// Where the complete snapshot will be.
    pub fn target(&self) -> &std::path::Path {
        &self.target
    }

    /// Syncs the file to disk and renames it over the target.
    pub async fn commit(mut self) -> io::Result<std::path::PathBuf> {
        let file = self.file.take().expect("the file is there until commit");
        file.sync_all().await?;
        drop(file);
        tokio::fs::rename(&self.partial, &self.target).await?;
        Ok(std::mem::take(&mut self.target))
    }
}

impl Drop for PartialFile {
    fn drop(&mut self) {
        if self.file.take().is_some() {
            let _ = std::fs::remove_file(&self.partial);
        }
    }
}

/// The tar side: a writer taking the decompressed bytes.
struct TarScan {
    kind: ArchiveKind,
    state: Tar,
    /// Entry hashes by name, in archive order of completion.
    sums: BTreeMap<String, [u8; 32]>,
    meta: Option<Vec<u8>>,
    listed: Option<Vec<u8>>,
    sealed_len: Option<u64>,
    /// Names from PAX or GNU long-name entries, for the next header.
    next_name: Option<String>,
    next_size: Option<u64>,
    damage: Option<ArchiveDamage>,
    ended: bool,
}

enum Tar {
    Header { block: Box<[u8; BLOCK]>, have: usize },
    Body { entry: Entry, left: u64, pad: u64 },
    End,
}

struct Entry {
    name: String,
    kind: Body,
}

enum Body {
    /// A regular file: hashed, and kept when small and needed (`keep`).
    File { hash: Sha256, keep: Option<Vec<u8>>, len: u64 },
    /// A PAX extended header for the next entry.
    Pax(Vec<u8>),
    /// A GNU long name for the next entry.
    LongName(Vec<u8>),
    /// Anything else (directories, links, global headers): skipped.
    Skip,
}

impl TarScan {
    fn new(kind: ArchiveKind) -> Self {
        TarScan {
            kind,
            state: Tar::Header { block: Box::new([0; BLOCK]), have: 0 },
            sums: BTreeMap::new(),
            meta: None,
            listed: None,
            sealed_len: None,
            next_name: None,
            next_size: None,
            damage: None,
            ended: false,
        }
    }

    fn fail(&mut self, reason: String) -> io::Error {
        let damage = ArchiveDamage::new(reason);
        self.damage = Some(damage.clone());
        io::Error::new(io::ErrorKind::InvalidData, damage)
    }

    fn scan(&mut self, mut buf: &[u8]) -> Result<(), String> {
        while !buf.is_empty() {
            match &mut self.state {
                Tar::End => return Ok(()),
                Tar::Header { block, have } => {
                    let n = (BLOCK - *have).min(buf.len());
                    block[*have..*have + n].copy_from_slice(&buf[..n]);
                    *have += n;
                    buf = &buf[n..];
                    if *have == BLOCK {
                        let block = std::mem::replace(block, Box::new([0; BLOCK]));
                        self.header(&block)?;
                    }
                }
                Tar::Body { entry, left, pad } => {
                    if *left > 0 {
                        let n = (*left).min(buf.len() as u64) as usize;
                        entry.take(&buf[..n]);
                        *left -= n as u64;
                        buf = &buf[n..];
                    } else {
                        let n = (*pad).min(buf.len() as u64) as usize;
                        *pad -= n as u64;
                        buf = &buf[n..];
                    }
                    if *left == 0 && *pad == 0 {
                        let Tar::Body { entry, .. } =
                            std::mem::replace(&mut self.state, Tar::Header { block: Box::new([0; BLOCK]), have: 0 })
                        else {
                            unreachable!("matched as a body just above")
                        };
                        self.close(entry)?;
                    }
                }
            }
        }
        Ok(())
    }

    fn header(&mut self, block: &[u8; BLOCK]) -> Result<(), String> {
        if block.iter().all(|&b| b == 0) {
            self.ended = true;
            self.state = Tar::End;
            return Ok(());
        }
        check_header_sum(block)?;
        let short = field_str(&block[0..100]);
        let typeflag = block[156];
        let ustar = &block[257..263] == b"ustar\0";
        let prefix = if ustar { field_str(&block[345..500]) } else { String::new() };
        let header_name = if prefix.is_empty() { short } else { format!("{prefix}/{short}") };
        let name = self.next_name.take().unwrap_or(header_name);
        let size = match self.next_size.take() {
            Some(size) => size,
            None => parse_size(&block[124..136]).map_err(|e| format!("entry {name:?}: {e}"))?,
        };
        let kind = match typeflag {
            b'0' | 0 | b'7' => {
                let keep = match name.as_str() {
                    META | SUMS => Some(small(&name, size)?),
                    _ => None,
                };
                Body::File { hash: Sha256::new(), keep, len: 0 }
            }
            b'x' => Body::Pax(small(&name, size)?),
            b'L' => Body::LongName(small(&name, size)?),
            _ => Body::Skip,
        };
        let pad = (BLOCK as u64 - size % BLOCK as u64) % BLOCK as u64;
        let entry = Entry { name, kind };
        if size == 0 {
            self.state = Tar::Header { block: Box::new([0; BLOCK]), have: 0 };
            return self.close(entry);
        }
        self.state = Tar::Body { entry, left: size, pad };
        Ok(())
    }

    fn close(&mut self, entry: Entry) -> Result<(), String> {
        match entry.kind {
            Body::File { hash, keep, len } => {
                match entry.name.as_str() {
                    META => self.meta = keep,
                    SUMS => self.listed = keep,
                    SEALED => self.sealed_len = Some(len),
                    _ => {}
                }
                if self.sums.insert(entry.name.clone(), hash.finalize().into()).is_some() {
                    return Err(format!("the archive holds {:?} twice", entry.name));
                }
            }
            Body::Pax(records) => {
                let (path, size) = parse_pax(&records)?;
                self.next_name = path;
                self.next_size = size;
            }
            Body::LongName(name) => {
                self.next_name = Some(field_str(&name));
            }
            Body::Skip => {}
        }
        Ok(())
    }

    /// The checks that need the whole archive.
    fn conclude(&mut self) -> Result<ArchiveMeta, ArchiveDamage> {
        let incomplete =
            |what: &str| ArchiveDamage::new(format!("the snapshot is incomplete: {what}; it must not be restored"));
        if !self.ended {
            return Err(incomplete("the archive has no end-of-archive marker"));
        }
        let required: &[&str] = match self.kind {
            ArchiveKind::Raft => &[META, STATE, SUMS],
            ArchiveKind::VaultRaft => &[META, STATE, SUMS, SEALED],
        };
        for name in required {
            if !self.sums.contains_key(*name) {
                return Err(incomplete(&format!("the archive has no {name}")));
            }
        }
        if self.kind == ArchiveKind::VaultRaft && self.sealed_len == Some(0) {
            return Err(incomplete("its SHA256SUMS.sealed is empty (Vault could not seal the sums)"));
        }
        let listed = self.listed.take().unwrap_or_default();
        let listed = std::str::from_utf8(&listed).map_err(|_| ArchiveDamage::new("SHA256SUMS is not UTF-8 text"))?;
        let mut seen = Vec::new();
        for line in listed.lines().filter(|l| !l.trim().is_empty()) {
            let (hex_sum, file) = line
                .split_once("  ")
                .ok_or_else(|| ArchiveDamage::new(format!("SHA256SUMS line {line:?} is not `<sha256>  <file>`")))?;
            let want = hex::decode(hex_sum.trim())
                .ok()
                .filter(|b| b.len() == 32)
                .ok_or_else(|| ArchiveDamage::new(format!("SHA256SUMS line {line:?} has no SHA-256 in hex")))?;
            let file = file.trim_end();
            let got = self.sums.get(file).ok_or_else(|| {
                ArchiveDamage::new(format!("SHA256SUMS lists {file:?}, which the archive does not hold"))
            })?;
            if want != got[..] {
                return Err(ArchiveDamage::new(format!(
                    "the SHA-256 of {file} does not match SHA256SUMS: the snapshot is damaged and must not be restored"
                )));
            }
            seen.push(file.to_owned());
        }
        for name in [META, STATE] {
            if !seen.iter().any(|s| s == name) {
                return Err(ArchiveDamage::new(format!("SHA256SUMS has no sum for {name}")));
            }
        }
        let meta = self.meta.take().unwrap_or_default();
        serde_json::from_slice(&meta).map_err(|e| ArchiveDamage::new(format!("meta.json is not Raft metadata: {e}")))
    }
}

impl Write for TarScan {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if let Some(damage) = &self.damage {
            return Err(io::Error::new(io::ErrorKind::InvalidData, damage.clone()));
        }
        match self.scan(buf) {
            Ok(()) => Ok(buf.len()),
            Err(reason) => Err(self.fail(reason)),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Entry {
    fn take(&mut self, bytes: &[u8]) {
        match &mut self.kind {
            Body::File { hash, keep, len } => {
                hash.update(bytes);
                *len += bytes.len() as u64;
                if let Some(keep) = keep {
                    keep.extend_from_slice(bytes);
                }
            }
            Body::Pax(buf) | Body::LongName(buf) => buf.extend_from_slice(bytes),
            Body::Skip => {}
        }
    }
}

/// A buffer for an entry that is read whole, refused when implausibly large.
fn small(name: &str, size: u64) -> Result<Vec<u8>, String> {
    if size > SMALL_ENTRY_LIMIT {
        return Err(format!("entry {name:?} claims {size} bytes, more than a snapshot's metadata can hold"));
    }
    Ok(Vec::with_capacity(size as usize))
}

/// A NUL-terminated header field.
fn field_str(field: &[u8]) -> String {
    let end = field.iter().position(|&b| b == 0).unwrap_or(field.len());
    String::from_utf8_lossy(&field[..end]).into_owned()
}

/// A numeric header field: octal text, or base-256 when the high bit of the
/// first byte is set (GNU, for sizes past 8 GiB).
fn parse_size(field: &[u8]) -> Result<u64, String> {
    if field[0] & 0x80 != 0 {
        if field[0] != 0x80 || field[1..field.len() - 8].iter().any(|&b| b != 0) {
            return Err("its base-256 size does not fit in 64 bits".into());
        }
        return Ok(field[field.len() - 8..].iter().fold(0u64, |n, &b| (n << 8) | u64::from(b)));
    }
    let text = field_str(field);
    let text = text.trim_matches(|c: char| c == ' ' || c == '\0');
    if text.is_empty() {
        return Ok(0);
    }
    u64::from_str_radix(text, 8).map_err(|_| format!("its size field {text:?} is not octal"))
}

/// The header checksum (bytes 148..156): the sum of the block's bytes with
/// that field read as spaces. A block of other data fails it.
fn check_header_sum(block: &[u8; BLOCK]) -> Result<(), String> {
    let recorded = field_str(&block[148..156]);
    let recorded = recorded.trim_matches(|c: char| c == ' ' || c == '\0');
    let recorded = u32::from_str_radix(recorded, 8)
        .map_err(|_| "the snapshot's tar archive is damaged: a header has no checksum".to_owned())?;
    let sum: u32 =
        block.iter().enumerate().map(|(i, &b)| if (148..156).contains(&i) { 32 } else { u32::from(b) }).sum();
    if sum != recorded {
        return Err("the snapshot's tar archive is damaged: a header's checksum does not match".into());
    }
    Ok(())
}

/// The `path` and `size` records of a PAX extended header (`<len> <key>=<value>\n`).
fn parse_pax(records: &[u8]) -> Result<(Option<String>, Option<u64>), String> {
    let mut rest = records;
    let (mut path, mut size) = (None, None);
    while !rest.is_empty() {
        let bad = || "the snapshot's tar archive has a malformed PAX header".to_owned();
        let space = rest.iter().position(|&b| b == b' ').ok_or_else(bad)?;
        let len: usize = std::str::from_utf8(&rest[..space]).ok().and_then(|s| s.parse().ok()).ok_or_else(bad)?;
        if len <= space + 1 || len > rest.len() || rest[len - 1] != b'\n' {
            return Err(bad());
        }
        let record = std::str::from_utf8(&rest[space + 1..len - 1]).map_err(|_| bad())?;
        let (key, value) = record.split_once('=').ok_or_else(bad)?;
        match key {
            "path" => path = Some(value.to_owned()),
            "size" => size = Some(value.parse().map_err(|_| bad())?),
            _ => {}
        }
        rest = &rest[len..];
    }
    Ok((path, size))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_octal_and_base_256() {
        assert_eq!(parse_size(b"00000001750\0"), Ok(1000));
        assert_eq!(parse_size(b"           \0"), Ok(0));
        let mut big = [0u8; 12];
        big[0] = 0x80;
        big[4..].copy_from_slice(&(10u64 << 30).to_be_bytes());
        assert_eq!(parse_size(&big), Ok(10 << 30));
        assert!(parse_size(b"0000000175x\0").unwrap_err().contains("not octal"));
    }

    #[test]
    fn pax_records() {
        let records = b"29 path=a/very/long/name.bin\n20 size=12884901888\n";
        assert_eq!(parse_pax(records), Ok((Some("a/very/long/name.bin".into()), Some(12 << 30))));
        assert!(parse_pax(b"99 path=x\n").is_err());
        assert!(parse_pax(b"8 nope\n\n").is_err());
    }
}
