//! List wal-g backups, oldest first (the last one is LATEST).
//!
//! wal-g's settings come from the environment (exactly one `WALG_*_PREFIX`, credentials, ...).
//!
//! ```text
//! WALG_FILE_PREFIX=/backups/db cargo run -p ops-sdk-walg --example backup_list -- --detail
//! cargo run -p ops-sdk-walg --example backup_list -- --table --json      # read wal-g 2.x's plain table
//! ```

use std::process::ExitCode;

use anyhow::Context as _;
use clap::Parser;
use walg::{BackupListOptions, ListFormat, LocalRunner, WalG, WalgConfig};

/// List wal-g backups.
#[derive(Parser)]
struct Args {
    /// The wal-g binary.
    #[arg(long, default_value = "wal-g")]
    wal_g: String,
    /// Ask for start/finish times, LSNs, host and permanence (`--detail`).
    #[arg(long)]
    detail: bool,
    /// Read wal-g's plain table instead of its JSON (older versions).
    #[arg(long)]
    table: bool,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
    /// Give up after this many seconds.
    #[arg(long, default_value_t = 120)]
    timeout_secs: u64,
}

async fn run(args: Args) -> anyhow::Result<()> {
    let config = WalgConfig::from_vars(std::env::vars()).context("wal-g configuration from the environment")?;
    let runner = LocalRunner::new(&args.wal_g).timeout(std::time::Duration::from_secs(args.timeout_secs));
    let walg = WalG::new(runner, config);
    let format = if args.table { ListFormat::Table } else { ListFormat::Json };
    let backups = walg.backup_list(&BackupListOptions { detail: args.detail, format }).await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&backups)?);
        return Ok(());
    }
    if backups.is_empty() {
        println!("no backups in storage");
        return Ok(());
    }
    let time =
        |t: Option<walg::Timestamp>| t.map_or_else(|| "-".to_owned(), |t| t.format("%Y-%m-%d %H:%M:%SZ").to_string());
    println!("{:<58} {:<21} {:<21} {:<12} {:<9}", "NAME", "MODIFIED", "FINISHED", "START LSN", "PERMANENT");
    for b in &backups {
        let lsn = b.start_lsn.filter(|l| l.as_u64() != 0).map_or_else(|| "-".to_owned(), |l| l.to_string());
        let permanent = b.is_permanent.map_or("-", |p| if p { "yes" } else { "no" });
        println!("{:<58} {:<21} {:<21} {:<12} {:<9}", b.backup_name, time(b.time), time(b.finish_time), lsn, permanent);
    }
    println!("{} backup(s); LATEST is {}", backups.len(), backups[backups.len() - 1].backup_name);
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    match run(Args::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}
