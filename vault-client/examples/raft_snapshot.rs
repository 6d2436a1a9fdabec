//! Saves a Vault raft snapshot to a file or restores one, like `vault
//! operator raft snapshot save|restore`, streaming (memory does not grow
//! with the size). A save is checked as it streams and appears under its
//! name only when complete (an older file there is kept if the save fails).
//! A restore checks the file first, then asks for `--yes`: it rewinds all
//! of Vault's storage to the snapshot.
//!
//! ```text
//! cargo run -p ops-sdk-vault --example raft_snapshot -- save vault.snap
//! cargo run -p ops-sdk-vault --example raft_snapshot -- restore vault.snap --yes
//! ```

#[path = "common/mod.rs"]
#[allow(dead_code)] // print_json: this script prints text only
mod common;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use client_core::snapshot::{ArchiveKind, PartialFile, check_reader};

/// Save or restore a Vault raft snapshot (needs a token with sudo on sys/storage/raft/snapshot).
#[derive(Debug, Parser)]
struct Args {
    #[command(flatten)]
    connection: common::Connection,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Write a snapshot of Vault's storage to FILE.
    Save {
        /// Where to write it (replaced only once the new snapshot is complete and checked).
        file: PathBuf,
    },
    /// Restore Vault's storage from FILE: everything written since is lost.
    Restore {
        /// A file written by `save` or `vault operator raft snapshot save`.
        file: PathBuf,
        /// Restore even if the snapshot comes from a cluster with other keys.
        #[arg(long)]
        force: bool,
        /// Confirm: the storage is rewound to the snapshot.
        #[arg(long)]
        yes: bool,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    common::finish(run(Args::parse()).await)
}

async fn run(args: Args) -> anyhow::Result<()> {
    let vault = args.connection.client()?;
    let raft = vault.sys().raft();
    match args.command {
        Command::Save { file } => {
            let mut out = PartialFile::create(&file).await?;
            let saved = raft.snapshot_save(out.file()).await?;
            out.commit().await?;
            println!(
                "saved {} bytes at raft index {} (archive and sealed sums checked) to {}",
                saved.bytes,
                saved.archive.index,
                file.display()
            );
        }
        Command::Restore { file, force, yes } => {
            let meta = check_reader(tokio::fs::File::open(&file).await?, ArchiveKind::VaultRaft).await?;
            println!("{}: a complete snapshot at raft index {} (term {})", file.display(), meta.index, meta.term);
            anyhow::ensure!(yes, "restoring rewinds all of Vault's storage to the snapshot: pass --yes to confirm");
            let reader = tokio::fs::File::open(&file).await?;
            if force {
                raft.snapshot_restore_force(reader).await?;
            } else {
                raft.snapshot_restore(reader).await?;
            }
            println!("restored {}", file.display());
        }
    }
    Ok(())
}
