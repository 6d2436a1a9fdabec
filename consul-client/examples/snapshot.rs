//! Saves a snapshot to a file or restores one, like `consul snapshot save` /
//! `consul snapshot restore`, streaming (memory does not grow with the size).
//! A save is checked as it streams and appears under its name only when
//! complete (an older file there is kept if the save fails); a restore
//! checks the file first, then asks for `--yes`: it rewinds the whole
//! cluster to the snapshot.

mod common;

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use client_core::snapshot::{ArchiveKind, PartialFile, check_reader};
use consul_client::{ConsulClient, QueryOptions, WriteOptions};

/// Save or restore a Consul snapshot (needs a management token with ACLs).
#[derive(Parser)]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Write a snapshot of the servers' state to FILE.
    Save {
        /// Where to write it (replaced only once the new snapshot is complete and checked).
        file: PathBuf,
        /// Let a follower answer when there is no leader.
        #[arg(long)]
        stale: bool,
    },
    /// Restore the servers' state from FILE: everything written since is lost.
    Restore {
        /// A file written by `save` or `consul snapshot save`.
        file: PathBuf,
        /// Confirm: the cluster is rewound to the snapshot.
        #[arg(long)]
        yes: bool,
    },
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    common::finish(run(Args::parse()).await)
}

async fn run(args: Args) -> anyhow::Result<()> {
    let consul = ConsulClient::from_env()?;
    match args.command {
        Command::Save { file, stale } => {
            let opts = if stale { QueryOptions::new().stale() } else { QueryOptions::new() };
            let mut out = PartialFile::create(&file).await?;
            let saved = consul.snapshot().save(out.file(), &opts).await?;
            out.commit().await?;
            println!(
                "saved {} bytes at index {} (term {}, archive checked) to {}",
                saved.bytes,
                saved.index,
                saved.archive.term,
                file.display()
            );
        }
        Command::Restore { file, yes } => {
            let meta = check_reader(tokio::fs::File::open(&file).await?, ArchiveKind::Raft).await?;
            println!("{}: a complete snapshot at index {} (term {})", file.display(), meta.index, meta.term);
            anyhow::ensure!(yes, "restoring rewinds the whole cluster to the snapshot: pass --yes to confirm");
            let reader = tokio::fs::File::open(&file).await?;
            consul.snapshot().restore(reader, &WriteOptions::default()).await?;
            println!("restored {}", file.display());
        }
    }
    Ok(())
}
