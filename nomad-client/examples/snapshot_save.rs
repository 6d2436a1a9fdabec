//! Save a snapshot of the Nomad servers' state to a file (what `nomad
//! operator snapshot save` does), streamed to disk and checked against the
//! server's digest. The file is written under a temporary name and renamed
//! only when complete and verified, so a failed save never leaves a file
//! that looks restorable.
//!
//! ```text
//! cargo run -p ops-sdk-nomad --example snapshot_save -- backup.snap
//! cargo run -p ops-sdk-nomad --example snapshot_save -- backup.snap --stale
//! ```

mod support;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
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
        let partial = args.file.with_extension("partial");
        let mut out = tokio::fs::File::create_new(&partial)
            .await
            .with_context(|| format!("cannot create {}", partial.display()))?;
        let opts = if args.stale { QueryOptions::new().stale() } else { QueryOptions::new() };
        let saved = match nomad.operator().snapshot_save(&mut out, &opts).await {
            Ok(saved) => saved,
            Err(e) => {
                drop(out);
                let _ = tokio::fs::remove_file(&partial).await;
                return Err(e.into());
            }
        };
        out.sync_all().await.context("cannot sync the snapshot to disk")?;
        drop(out);
        tokio::fs::rename(&partial, &args.file).await.context("cannot move the snapshot into place")?;
        if conn.json {
            let doc = serde_json::json!({
                "file": args.file, "bytes": saved.bytes, "digest": saved.digest, "verified": saved.verified,
            });
            support::print_json(&doc)?;
        } else {
            let check = if saved.verified { "digest verified" } else { "no digest to verify" };
            support::line(format_args!("saved {} bytes to {} ({check})", saved.bytes, args.file.display()))?;
        }
        Ok(ExitCode::SUCCESS)
    })
}
