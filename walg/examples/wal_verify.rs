//! Check that the WAL archive is complete and that the cluster is on the newest timeline.
//!
//! wal-g exits 0 even when a check fails; this example exits 3 on FAILURE, 1 on errors (2 is
//! clap's exit status for bad arguments).
//!
//! ```text
//! WALG_S3_PREFIX=s3://backups/db cargo run -p ops-sdk-walg --example wal_verify -- --timeline 2 --lsn 0/A000000
//! ```

use std::process::ExitCode;

use anyhow::Context as _;
use clap::Parser;
use walg::{CheckStatus, LocalRunner, Lsn, WalG, WalVerifyOptions, WalgConfig};

/// Verify WAL integrity and timeline with wal-g.
#[derive(Parser)]
struct Args {
    /// The wal-g binary.
    #[arg(long, default_value = "wal-g")]
    wal_g: String,
    /// The cluster's current timeline (with --lsn; otherwise wal-g asks PostgreSQL via PG* settings).
    #[arg(long, requires = "lsn")]
    timeline: Option<u32>,
    /// The cluster's current LSN, X/Y.
    #[arg(long, requires = "timeline")]
    lsn: Option<Lsn>,
    /// Print wal-g's report as JSON.
    #[arg(long)]
    json: bool,
}

async fn run(args: Args) -> anyhow::Result<CheckStatus> {
    let config = WalgConfig::from_vars(std::env::vars()).context("wal-g configuration from the environment")?;
    let walg = WalG::new(LocalRunner::new(&args.wal_g), config);
    let opts = WalVerifyOptions { current: args.timeline.zip(args.lsn), ..WalVerifyOptions::default() };
    let report = walg.wal_verify(&opts).await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(report.status());
    }
    if let Some(integrity) = &report.integrity {
        println!("integrity: {:?}", integrity.status);
        for r in &integrity.details {
            println!(
                "  timeline {:>3}  {}..{}  {:>6} segment(s)  {:?}",
                r.timeline_id, r.start_segment, r.end_segment, r.segments_count, r.status
            );
        }
    }
    if let Some(timeline) = &report.timeline {
        println!("timeline: {:?}", timeline.status);
        if let Some(d) = &timeline.details {
            println!(
                "  cluster on timeline {}, highest in storage {}",
                d.current_timeline_id, d.highest_storage_timeline_id
            );
        }
    }
    for lost in report.lost_ranges() {
        println!(
            "LOST: timeline {} {}..{}: point-in-time restore past this point is impossible",
            lost.timeline_id, lost.start_segment, lost.end_segment
        );
    }
    println!("overall: {:?}", report.status());
    Ok(report.status())
}

#[tokio::main]
async fn main() -> ExitCode {
    match run(Args::parse()).await {
        Ok(CheckStatus::Failure) => ExitCode::from(3),
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}
