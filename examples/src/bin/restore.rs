//! Recipe `restore` as a script: re-create a namespace's cluster from wal-g
//! backups, to the end of a timeline or to a point in time (procedure 2 of the
//! runbook guide, `docs/runbook.md`). The plan runs the walg planner on the live archive and
//! refuses, listing every reason, when the target cannot be reached.
//!
//! ```text
//! restore --namespace atala-testnet --timeline 2 --archive-dir /mnt/wal --dry-run
//! restore --namespace atala-testnet --timeline 2 --at 2026-11-22T05:12:00Z --archive-dir /mnt/wal --yes
//! restore --namespace atala-testnet --timeline 2 --archive-dir /mnt/wal --abort --yes
//! ```

#[path = "shared/mod.rs"]
mod shared;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use ops_examples::output::{self, OutputArgs, RunArgs};
use ops_examples::progress;
use recipes::BackupDir;
use recipes::adapters::local::LocalArchiveSource;
use recipes::restore::{Restore, RestoreMode, RestoreOptions};

/// Restore a namespace's PostgreSQL HA cluster from wal-g backups into a
/// fresh cluster: record the settings, set the restore method, stop and
/// purge the jobs, save and remove the scope's Consul state, bootstrap,
/// verify, set the method back to initdb. Running it again continues.
#[derive(Debug, Parser)]
#[command(version, after_help = output::ENV_HELP)]
struct Args {
    #[command(flatten)]
    cluster: shared::ClusterArgs,
    /// The timeline to restore (its end, or the one holding `--at`).
    #[arg(long)]
    timeline: u32,
    /// Restore to this moment (RFC 3339 with a time zone, e.g.
    /// `2026-11-22T05:12:00Z`) instead of the end of the timeline.
    #[arg(long, value_name = "TIMESTAMP")]
    at: Option<String>,
    /// The backup archive as a directory (wal-g's file storage).
    #[arg(long, env = "WALG_FILE_PREFIX")]
    archive_dir: PathBuf,
    /// Where settings, Consul state and the restore's progress are saved.
    #[arg(long, default_value = "restore-backups")]
    backup_dir: PathBuf,
    /// Put the recorded settings back and forget the restore in progress.
    #[arg(long)]
    abort: bool,
    #[command(flatten)]
    run: RunArgs,
    #[command(flatten)]
    out: OutputArgs,
}

fn main() -> ExitCode {
    output::run_main(run(Args::parse()))
}

async fn run(args: Args) -> anyhow::Result<()> {
    let mode = match &args.at {
        Some(at) => RestoreMode::point_in_time(args.timeline, at)?,
        None => RestoreMode::timeline(args.timeline)?,
    };
    let opts = RestoreOptions::new(args.cluster.bootstrap_options(), mode);
    let archive = Arc::new(LocalArchiveSource::new(&args.archive_dir));
    let restore = Restore::new(opts, args.cluster.capabilities()?, archive, BackupDir::new(&args.backup_dir))?;
    if args.abort {
        return abort(&restore, &args).await;
    }
    let plan = restore.plan().await?;
    if !output::show_plan(&plan, output::plan_text, plan.is_noop(), args.run, args.out)? {
        return Ok(());
    }
    let report =
        progress::show_while(&format!("Restoring {} to {}", args.cluster.scope.namespace, target(&args)), |p| {
            restore.run(p)
        })
        .await?;
    output::show_outcome(&plan, &report, output::report_text, args.out)
}

fn target(args: &Args) -> String {
    match &args.at {
        Some(at) => format!("{at} on timeline {}", args.timeline),
        None => format!("the end of timeline {}", args.timeline),
    }
}

/// Shows the restore in progress; with `--yes`, puts its settings back.
async fn abort(restore: &Restore, args: &Args) -> anyhow::Result<()> {
    let Some(state) = restore.state().await? else {
        anyhow::bail!(
            "no restore of {} is in progress (no state file in {})",
            args.cluster.scope.namespace,
            args.backup_dir.display()
        );
    };
    let text = |s: &recipes::restore::RestoreState| {
        format!(
            "Restore in progress: {:?}, last completed phase {:?}.\nAbort puts these settings back: {}\n",
            s.mode,
            s.phase,
            serde_json::to_string(&s.original_settings).unwrap_or_default()
        )
    };
    if !output::show_plan(&state, text, false, args.run, args.out)? {
        return Ok(());
    }
    let report = restore.abort().await?;
    output::show_outcome(&state, &report, output::report_text, args.out)
}
