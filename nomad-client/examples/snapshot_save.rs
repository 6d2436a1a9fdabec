//! Save a snapshot of the Nomad servers' state to a file (what `nomad
//! operator snapshot save` does), streamed to disk and checked against the
//! server's digest and the archive's own sums. The file is written under
//! `<file>.partial` and renamed only when complete and verified, so a failed
//! save never leaves a file that looks restorable.
//!
//! ```text
//! cargo run -p ops-sdk-nomad --example snapshot_save -- backup.snap
//! cargo run -p ops-sdk-nomad --example snapshot_save -- backup.snap --stale
//! ```

mod support;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use client_core::snapshot::PartialFile;
use nomad_client::QueryOptions;

#[derive(Debug, clap::Args)]
struct Args {
    /// Where to write the snapshot (refused if it exists).
    file: PathBuf,
    /// Let any server answer, not only the leader (works without a leader).
    #[arg(long)]
    stale: bool,
}

fn main() -> ExitCode {
    support::main("Save a Nomad snapshot to a file", |args: Args, conn| async move {
        let nomad = conn.client()?;
        if args.file.exists() {
            anyhow::bail!("{} exists; choose another file (a snapshot is never overwritten)", args.file.display());
        }
        let mut out = PartialFile::create(&args.file).await?;
        let opts = if args.stale { QueryOptions::new().stale() } else { QueryOptions::new() };
        // On an error `out` is dropped, which removes the partial file.
        let saved = nomad.operator().snapshot_save(out.file(), &opts).await?;
        out.commit().await.context("cannot sync the snapshot and move it into place")?;
        if conn.json {
            let doc = serde_json::json!({
                "file": args.file, "bytes": saved.bytes, "digest": saved.digest, "verified": saved.verified,
                "index": saved.archive.index, "term": saved.archive.term,
            });
            support::print_json(&doc)?;
        } else {
            let check = if saved.verified { "archive and digest verified" } else { "archive verified, no digest" };
            let (bytes, index, file) = (saved.bytes, saved.archive.index, args.file.display());
            support::line(format_args!("saved {bytes} bytes at raft index {index} to {file} ({check})"))?;
        }
        Ok(ExitCode::SUCCESS)
    })
}
