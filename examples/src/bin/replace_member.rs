//! Recipe `replace_member` as a script: destroy and re-deploy one HA member
//! at a time (procedure 5 of the runbook guide, `docs/runbook.md`). The plan checks the cluster's health, the
//! floor of healthy members, the exact member and its job; `--yes` switches
//! over first when the member leads, saves its state, stops and purges its
//! job, starts it again from `--job-dir` and waits until it streams.
//!
//! ```text
//! replace_member --namespace atala-testnet --member dbHA2 --job-dir ./jobs --min-healthy 1 --dry-run
//! replace_member --namespace atala-testnet --member dbHA2 --job-dir ./jobs --min-healthy 1 --yes
//! replace_member --namespace atala-testnet --all --job-dir ./jobs --min-healthy 1 --yes --json
//! ```
//!
//! `--clear-volume` needs a volume probe that clears the member's exact
//! volume. Nomad's does not (the volume path is the same on every client and
//! the member's client is not derived from the names), so with Nomad this
//! script's plan refuses the flag with that reason: clear the volume by hand,
//! then run without it. The sandbox's local probe clears (see the e2e tests).
//!
//! A run stopped midway (killed, or a member that did not come back) leaves
//! a state file in `--backup-dir`; the next run for that member (or `--all`)
//! resumes it from the step it stopped at.

#[path = "shared/mod.rs"]
#[allow(dead_code, reason = "this script takes only the scope arguments and store")]
mod shared;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use clap::Parser;
use ops_examples::output::{self, OutputArgs, RunArgs};
use ops_examples::progress;
use recipes::BackupDir;
use recipes::adapters::local::DirJobSource;
use recipes::adapters::nomad::{NomadScheduler, NomadVolumeProbe};
use recipes::adapters::patroni::{PatroniControl, PatroniMemberApi};
use recipes::replace_member::{Capabilities, ReplaceMember, ReplaceOptions, Target};

/// Replace one member of a Patroni HA cluster (or every member in turn):
/// switch over when it leads, stop and purge its job, start it again, wait
/// until it streams.
#[derive(Debug, Parser)]
#[command(version, after_help = output::ENV_HELP)]
struct Args {
    #[command(flatten)]
    cluster: shared::ScopeArgs,
    /// The member to replace, named exactly (its job has the same name).
    #[arg(long, required_unless_present = "all", conflicts_with = "all")]
    member: Option<String>,
    /// Replace every member in turn: replicas first, the leader last.
    #[arg(long)]
    all: bool,
    /// Fewest healthy members the cluster may have at any moment of the run.
    #[arg(long)]
    min_healthy: usize,
    /// Clear the member's volume before starting it again (through the volume probe).
    #[arg(long)]
    clear_volume: bool,
    /// Directory of Nomad JSON job files `<job>.json` (a purged job keeps no
    /// version in Nomad to start again).
    #[arg(long)]
    job_dir: PathBuf,
    /// Where the member's state is saved before its job is purged.
    #[arg(long, default_value = "replace-member-backups")]
    backup_dir: PathBuf,
    /// Bound of the wait for the job to run.
    #[arg(long, default_value = "5m", value_parser = output::parse_duration)]
    job_timeout: Duration,
    /// Bound of the wait for the member to stream again.
    #[arg(long, default_value = "10m", value_parser = output::parse_duration)]
    member_timeout: Duration,
    /// Bound of the wait for a switchover's new leader.
    #[arg(long, default_value = "2m", value_parser = output::parse_duration)]
    switchover_timeout: Duration,
    /// Largest replica lag accepted, in bytes.
    #[arg(long, default_value_t = 16 << 20)]
    max_lag_bytes: u64,
    #[command(flatten)]
    run: RunArgs,
    #[command(flatten)]
    out: OutputArgs,
}

fn main() -> ExitCode {
    output::run_main(run(Args::parse()))
}

async fn run(args: Args) -> anyhow::Result<()> {
    let target = match &args.member {
        Some(m) => Target::Member(m.clone()),
        None => Target::All,
    };
    let mut opts = ReplaceOptions::new(&args.cluster.namespace, target)
        .min_healthy(args.min_healthy)
        .clear_volume(args.clear_volume)
        .timeouts(args.job_timeout, args.member_timeout, args.switchover_timeout)
        .max_lag_bytes(args.max_lag_bytes);
    if let Some(scope) = &args.cluster.scope {
        opts = opts.scope(scope);
    }
    opts.validate()?;
    let nomad = nomad_client::NomadClient::from_env().context("cannot configure the Nomad client")?;
    // Only for its refusal of --clear-volume (with the reason); no probe job is contacted.
    let volumes = NomadVolumeProbe::new(nomad.clone(), "volume-probe", "probe");
    let store = args.cluster.store()?;
    let template = patroni_client::PatroniClient::from_env().context("cannot configure the Patroni client")?;
    let caps = Capabilities {
        scheduler: Arc::new(NomadScheduler::new(nomad, Arc::new(DirJobSource::new(&args.job_dir)))),
        scope_store: Arc::new(store),
        control: Arc::new(PatroniControl::with_template(template)),
        member_api: Arc::new(PatroniMemberApi::new()),
        volumes: Some(Arc::new(volumes)),
        backups: BackupDir::new(&args.backup_dir),
    };
    let recipe = ReplaceMember::new(opts, caps)?;
    let plan = recipe.plan().await?;
    if !output::show_plan(&plan, output::plan_text, plan.is_noop(), args.run, args.out)? {
        return Ok(());
    }
    let report = progress::show_while(&format!("Replacing in {}", recipe.options().scope), |p| recipe.run(p)).await?;
    output::show_outcome(&plan, &report, output::report_text, args.out)
}
