//! "Can I restore to <time> on timeline N?" Prints the plan (base backup, WAL ranges, recovery
//! settings) or every reason it is impossible. Exit status: 0 possible, 3 impossible, 1 error (2 is
//! clap's exit status for bad arguments).
//!
//! Sources, pick one:
//! - a local archive directory (the `archive_command` target): `--archive-dir /var/lib/pg/archive`
//! - a listing (`ls -l --time-style=full-iso` or bare names) plus history and `.backup` files:
//!   `--listing archive-listing.txt --history 00000002.history --label 0000...0002.00000028.backup`
//! - saved wal-g output: `--backup-list-json backups.json --wal-show-json wal-show.json --history ...`
//! - live wal-g (settings from the environment; history files fetched with `wal-fetch`): `--wal-g wal-g`
//!
//! ```text
//! cargo run -p ops-sdk-walg --example pitr_check -- --archive-dir /tmp/archive --timeline 2 --time '2026-11-22 04:50:00+00'
//! ```

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use clap::Parser;
use walg::{
    ArchiveState, BackupInfo, BackupLabel, BackupListEntry, BackupListOptions, LocalArchive, LocalRunner,
    RestoreTarget, TimelineHistory, TimelineTree, WalG, WalInventory, WalSegmentSize, WalShowTimeline, WalgConfig,
};

/// Check whether a point-in-time restore is possible.
#[derive(Parser)]
struct Args {
    /// Timeline to restore to: a number (decimal, or hex with 0x) or `latest`.
    #[arg(long, default_value = "latest")]
    timeline: String,
    /// Moment to restore to, with a time zone (e.g. `2024-05-01 12:00:00+00`); default: end of WAL.
    #[arg(long)]
    time: Option<String>,
    /// WAL segment size in MiB.
    #[arg(long, default_value_t = 16)]
    segment_size_mib: u64,
    /// A local archive directory.
    #[arg(long, conflicts_with_all = ["listing", "backup_list_json", "wal_g"])]
    archive_dir: Option<PathBuf>,
    /// A listing of the archive directory.
    #[arg(long, conflicts_with_all = ["backup_list_json", "wal_g"])]
    listing: Option<PathBuf>,
    /// Saved `wal-g backup-list --detail --json` output.
    #[arg(long, requires = "wal_show_json", conflicts_with = "wal_g")]
    backup_list_json: Option<PathBuf>,
    /// Saved `wal-g wal-show --detailed-json` output.
    #[arg(long, requires = "backup_list_json")]
    wal_show_json: Option<PathBuf>,
    /// Ask this wal-g binary (configured from the environment).
    #[arg(long)]
    wal_g: Option<String>,
    /// Timeline history files (`00000002.history`).
    #[arg(long)]
    history: Vec<PathBuf>,
    /// Backup history files (`<segment>.<offset>.backup`), for a listing.
    #[arg(long)]
    label: Vec<PathBuf>,
    /// Print the plan or the reasons as JSON.
    #[arg(long)]
    json: bool,
}

fn read(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
}

fn file_name(path: &Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}

fn histories(paths: &[PathBuf]) -> anyhow::Result<Vec<TimelineHistory>> {
    paths.iter().map(|p| Ok(TimelineHistory::parse_file(&file_name(p), &read(p)?)?)).collect()
}

fn parse_timeline(text: &str) -> anyhow::Result<RestoreTarget> {
    if text.eq_ignore_ascii_case("latest") {
        return Ok(RestoreTarget::latest());
    }
    let id = match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => u32::from_str_radix(hex, 16),
        None => text.parse(),
    };
    match id {
        Ok(id) if id > 0 => Ok(RestoreTarget::timeline(id)),
        _ => bail!("--timeline {text:?}: expected `latest` or a timeline number like 2 or 0x11"),
    }
}

/// History files of every timeline above 1 that wal-show reports, fetched with `wal-fetch`.
async fn fetch_histories(walg: &WalG, timelines: &[WalShowTimeline]) -> anyhow::Result<Vec<TimelineHistory>> {
    let dir = std::env::temp_dir().join(format!("pitr-check-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let mut out = Vec::new();
    for t in timelines.iter().filter(|t| t.id > 1) {
        let name = format!("{:08X}.history", t.id);
        let dest = dir.join(&name);
        let _ = std::fs::remove_file(&dest);
        match walg.wal_fetch(&name, &dest.display().to_string()).await {
            Ok(()) => out.push(TimelineHistory::parse(t.id, &read(&dest)?)?),
            Err(walg::Error::NotFound { .. }) => {} // The planner reports the missing history.
            Err(e) => return Err(e.into()),
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(out)
}

async fn state(args: &Args, size: WalSegmentSize) -> anyhow::Result<ArchiveState> {
    if let Some(dir) = &args.archive_dir {
        let mut state = ArchiveState::from_local(LocalArchive::read(dir)?, size);
        for h in histories(&args.history)? {
            state.timelines.insert(h);
        }
        return Ok(state);
    }
    if let Some(listing) = &args.listing {
        let mut backups = Vec::new();
        for p in &args.label {
            backups.push(BackupInfo::from_label(&file_name(p), &BackupLabel::parse(&read(p)?)?));
        }
        return Ok(ArchiveState {
            backups,
            wal: WalInventory::from_listing(&read(listing)?),
            timelines: TimelineTree::new(histories(&args.history)?),
            segment_size: size,
        });
    }
    if let (Some(list), Some(show)) = (&args.backup_list_json, &args.wal_show_json) {
        let backups = BackupListEntry::parse_json(&read(list)?)?;
        let wal = WalShowTimeline::parse_json(&read(show)?)?;
        return Ok(ArchiveState::from_walg(&backups, &wal, histories(&args.history)?, size)?);
    }
    if let Some(program) = &args.wal_g {
        let config = WalgConfig::from_vars(std::env::vars()).context("wal-g configuration from the environment")?;
        let walg = WalG::new(LocalRunner::new(program), config);
        let backups = walg.backup_list(&BackupListOptions { detail: true, ..BackupListOptions::default() }).await?;
        let wal = walg.wal_show().await?;
        let mut hist = fetch_histories(&walg, &wal).await?;
        hist.extend(histories(&args.history)?);
        return Ok(ArchiveState::from_walg(&backups, &wal, hist, size)?);
    }
    bail!(
        "say where the archive is: --archive-dir, --listing, --backup-list-json/--wal-show-json or --wal-g (see --help)"
    )
}

async fn run(args: Args) -> anyhow::Result<bool> {
    let size = WalSegmentSize::from_mib(args.segment_size_mib)?;
    let mut target = parse_timeline(&args.timeline)?;
    if let Some(t) = &args.time {
        target = target.at(walg::parse_timestamp(t).context("--time")?);
    }
    let state = state(&args, size).await?;
    let outcome = state.plan(&target);
    if args.json {
        let value = match &outcome {
            Ok(plan) => {
                serde_json::json!({ "possible": true, "plan": plan, "recovery_settings": plan.recovery_settings() })
            }
            Err(refused) => {
                serde_json::json!({ "possible": false, "target": refused.target, "reasons": refused.reasons,
                "messages": refused.reasons.iter().map(ToString::to_string).collect::<Vec<_>>() })
            }
        };
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        match &outcome {
            Ok(plan) => print!("{plan}"),
            Err(refused) => {
                println!("restore to {} is NOT possible:", refused.target);
                for r in &refused.reasons {
                    println!("  - {r}");
                }
            }
        }
    }
    Ok(outcome.is_ok())
}

#[tokio::main]
async fn main() -> ExitCode {
    match run(Args::parse()).await {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(3),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}
