//! Bench: saving a Vault raft snapshot (`GET /v1/sys/storage/raft/snapshot`)
//! through `vault_client` `Raft::snapshot_save` — the resident memory it
//! grows by while a 2 GiB body streams through it, and its throughput.
//!
//! The server is a plain thread on a blocking socket that answers one
//! HTTP/1.1 request with a real Vault archive (gzip of a tar: `meta.json`,
//! `state.bin`, `SHA256SUMS`, `SHA256SUMS.sealed`, written by
//! `test_support::snapshot::ArchiveWriter`), generated on the fly from one
//! 1 MiB block and sent with chunked framing, so the server holds about
//! 2 MiB whatever the size (an HTTP framework or wiremock would hold or copy
//! the whole body). The client checks the whole archive as it streams (gzip
//! CRC, tar, SHA-256 sums), so the figures include that check.

use std::io::{BufWriter, Read, Write};
use std::time::Instant;

use test_support::snapshot::ArchiveWriter;

use crate::Sizes;
use crate::machine;
use crate::report::Section;

/// The generated state's block (how well it compresses matters little: the
/// check's cost is per decompressed byte).
fn block() -> Vec<u8> {
    (0..1usize << 20).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect()
}

/// HTTP/1.1 chunked framing over a writer: one chunk per write.
struct Chunked<W: Write>(W);

impl<W: Write> Write for Chunked<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        write!(self.0, "{:x}\r\n", buf.len())?;
        self.0.write_all(buf)?;
        self.0.write_all(b"\r\n")?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

/// Serves one request with an archive whose `state.bin` holds `state` bytes;
/// returns the port and a handle that yields the bytes of body sent.
fn serve(state: u64) -> anyhow::Result<(u16, std::thread::JoinHandle<anyhow::Result<u64>>)> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let port = listener.local_addr()?.port();
    let handle = std::thread::spawn(move || {
        let (mut socket, _) = listener.accept()?;
        // Read the request head (no body: a GET).
        let mut head = Vec::new();
        let mut buf = [0u8; 4096];
        while !head.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = socket.read(&mut buf)?;
            anyhow::ensure!(n > 0, "the client closed before sending its request");
            head.extend_from_slice(&buf[..n]);
        }
        let head = String::from_utf8_lossy(&head);
        anyhow::ensure!(head.starts_with("GET /v1/sys/storage/raft/snapshot "), "unexpected request: {head}");
        socket.write_all(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n",
        )?;
        let counted = Counted { inner: Chunked(&mut socket), bytes: 0 };
        let mut archive = ArchiveWriter::new(BufWriter::with_capacity(1 << 20, counted), 7, 2, state)?;
        let block = block();
        let mut left = state;
        while left > 0 {
            let n = left.min(block.len() as u64) as usize;
            archive.write_all(&block[..n])?;
            left -= n as u64;
        }
        let counted = archive.finish(Some(b"sealed sums"))?.into_inner().map_err(|e| e.into_error())?;
        let sent = counted.bytes;
        socket.write_all(b"0\r\n\r\n")?;
        socket.flush()?;
        Ok(sent)
    });
    Ok((port, handle))
}

/// Counts the body bytes on their way to the framing.
struct Counted<W: Write> {
    inner: W,
    bytes: u64,
}

impl<W: Write> Write for Counted<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Runs the snapshot streaming benchmark.
pub async fn run(sizes: &Sizes) -> anyhow::Result<Section> {
    let mut section = Section::new("snapshot");
    let state = sizes.snapshot_bytes;
    let mib = |b: u64| b as f64 / (1024.0 * 1024.0);
    let (port, server) = serve(state)?;
    let vault = vault_client::VaultClient::builder()
        .address(&format!("http://127.0.0.1:{port}"))
        .token("bench-token")
        .build()?;
    let rss_before = machine::current_rss().unwrap_or(0);
    let reset = machine::reset_peak_rss();
    let start = Instant::now();
    // A sink: the figure is the client's memory, not the page cache of a 2 GiB file.
    let saved = vault.sys().raft().snapshot_save(&mut tokio::io::sink()).await?;
    let secs = start.elapsed().as_secs_f64();
    let peak = machine::peak_rss().unwrap_or(0);
    let sent = server.join().map_err(|_| anyhow::anyhow!("the snapshot server thread panicked"))??;
    anyhow::ensure!(saved.bytes == sent, "saved {} of {sent} bytes", saved.bytes);
    anyhow::ensure!(saved.archive.size == state, "checked a state of {} bytes, not {state}", saved.archive.size);
    let growth = mib(peak.saturating_sub(rss_before));
    section.figure("snapshot state.bin size", mib(state), "MiB");
    section.figure("snapshot archive size (gzip)", mib(sent), "MiB");
    section.figure("ops-sdk: elapsed (server's compression included)", secs, "s");
    section.figure("ops-sdk: throughput of state checked", state as f64 / 1e6 / secs, "MB/s");
    section.figure("ops-sdk: process RSS before (VmRSS)", mib(rss_before), "MiB");
    section.figure("ops-sdk: process peak RSS during the save (VmHWM)", mib(peak), "MiB");
    section.figure("ops-sdk: peak RSS growth during the save", growth, "MiB");
    section.ratio("ops-sdk snapshot save peak RSS growth MiB / 32 MiB budget", growth / 32.0, "<= 1.0", growth <= 32.0);
    if !reset {
        section.note("the kernel refused to reset the peak RSS: the peak covers the whole run so far");
    }
    section.note(
        "vault_client Raft::snapshot_save into tokio::io::sink() from a plain TCP server thread that writes a real Vault \
         archive from one 1 MiB block as it sends it (gzip level 1, chunked framing); the client checks gzip CRC, tar \
         and SHA-256 sums on the way; RSS is the whole process, server included",
    );
    Ok(section)
}
