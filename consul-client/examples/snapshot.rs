//! Saves a snapshot to a file or restores one, like `consul snapshot save` /
//! `consul snapshot restore`, streaming (memory does not grow with the size).
//! A restore asks for `--yes`: it rewinds the whole cluster to the snapshot.

mod common;

use std::path::PathBuf;

use clap::{Parser, Subcommand};
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
        /// Where to write it (created or truncated).
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
            let mut out = tokio::fs::File::create(&file).await?;
            let saved = consul.snapshot().save(&mut out, &opts).await?;
            out.sync_all().await?;
            println!("saved {} bytes at index {} to {}", saved.bytes, saved.index, file.display());
        }
        Command::Restore { file, yes } => {
            anyhow::ensure!(yes, "restoring rewinds the whole cluster to the snapshot: pass --yes to confirm");
            let reader = tokio::fs::File::open(&file).await?;
            consul.snapshot().restore(reader, &WriteOptions::default()).await?;
            println!("restored {}", file.display());
        }
    }
    Ok(())
}
