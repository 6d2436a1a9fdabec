//! Recipe `ghost_cleanup` as a script: find what dead nodes and stopped
//! allocations left in Consul (and Nomad: down clients, and Nomad-native
//! service registrations of gone allocations or nodes), show the evidence,
//! and remove exactly that with `--yes`.
//!
//! ```text
//! ghost_cleanup --dry-run                         # the plan, nothing changes
//! ghost_cleanup --service-pattern 'atala-*' --yes # remove what the plan lists
//! ```

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use clap::Parser;
use ops_examples::output::{self, OutputArgs, RunArgs};
use ops_examples::progress;
use recipes::BackupDir;
use recipes::adapters::consul::ConsulCatalog;
use recipes::adapters::nomad::NomadGhosts;
use recipes::ghost::{GhostCleanup, GhostOptions};
use recipes::ports::NomadWorld;

/// Find ghost nodes, services and members in Consul (and down Nomad nodes and
/// stale Nomad-native service registrations), print the plan with the
/// evidence, and remove exactly what it lists.
#[derive(Debug, Parser)]
#[command(version, after_help = output::ENV_HELP)]
struct Args {
    /// Only this namespace's services, by exact name: Consul services named
    /// `<namespace>` or `<namespace>-...` (`atala-testnet` never selects
    /// `atala-testnet2-api` or `old-atala-testnet-api`) and Nomad-native
    /// registrations of exactly this Nomad namespace (nodes and members are
    /// cluster-wide and are then left out).
    #[arg(long)]
    namespace: Option<String>,
    /// Only services whose name matches this glob (`*` wildcard).
    #[arg(long)]
    service_pattern: Option<String>,
    /// Only nodes and members whose name matches this glob.
    #[arg(long)]
    node_pattern: Option<String>,
    /// Refuse to act on more findings than this...
    #[arg(long, default_value_t = 20)]
    max_actions: usize,
    /// ...unless this is given.
    #[arg(long)]
    override_max_actions: bool,
    /// A Nomad client down for longer than this is a ghost (`90s`, `30m`, `24h`, `2d`).
    #[arg(long, default_value = "24h", value_parser = output::parse_duration)]
    nomad_node_down_for: Duration,
    /// How many removals run at once.
    #[arg(long, default_value_t = 4)]
    parallelism: usize,
    /// Where the catalog entries, Nomad registrations, failed members and down
    /// Nomad nodes are saved before they are removed.
    #[arg(long, default_value = "ghost-cleanup-backups")]
    backup_dir: std::path::PathBuf,
    /// Do not look at Nomad (task services, Nomad nodes and Nomad-native
    /// service registrations are then not checked, and the plan says so).
    #[arg(long)]
    skip_nomad: bool,
    /// Plan even when the Nomad given does not know the task services' nodes or
    /// allocations (the plan otherwise refuses: a wrong NOMAD_ADDR or region).
    #[arg(long)]
    override_cluster_check: bool,
    #[command(flatten)]
    run: RunArgs,
    #[command(flatten)]
    out: OutputArgs,
}

fn main() -> ExitCode {
    output::run_main(run(Args::parse()))
}

async fn run(args: Args) -> anyhow::Result<()> {
    let consul = consul_client::ConsulClient::from_env().context("cannot configure the Consul client")?;
    let mut opts = GhostOptions::default()
        .max_actions(args.max_actions)
        .override_max_actions(args.override_max_actions)
        .nomad_node_down_for(args.nomad_node_down_for)
        .parallelism(args.parallelism)
        .override_cluster_check(args.override_cluster_check);
    if let Some(ns) = &args.namespace {
        opts = opts.namespace(ns);
    }
    if let Some(p) = &args.service_pattern {
        opts = opts.service_pattern(p);
    }
    if let Some(p) = &args.node_pattern {
        opts = opts.node_pattern(p);
    }
    let nomad: Option<Arc<dyn NomadWorld>> = if args.skip_nomad {
        None
    } else {
        let nomad = nomad_client::NomadClient::from_env().context("cannot configure the Nomad client")?;
        Some(Arc::new(NomadGhosts::new(nomad)))
    };
    let cleanup =
        GhostCleanup::new(opts, Arc::new(ConsulCatalog::new(consul)), nomad, BackupDir::new(&args.backup_dir))?;

    let plan = cleanup.plan().await?;
    if !output::show_plan(&plan, output::ghost_plan_text, plan.findings.is_empty(), args.run, args.out)? {
        return Ok(());
    }
    let report = progress::show_while("Removing the ghosts the plan listed", |p| cleanup.run(&plan, p)).await?;
    output::show_outcome(&plan, &report, output::ghost_report_text, args.out)
}
