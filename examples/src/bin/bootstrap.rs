//! Recipe `bootstrap` as a script: a new Patroni HA cluster in a Nomad
//! namespace (RUNBOOK procedure 1). The plan lists every preflight check
//! against the live systems; `--yes` carries it out with a progress display.
//!
//! ```text
//! bootstrap --namespace atala-testnet --job-dir ./jobs --dry-run
//! bootstrap --namespace atala-testnet --job-dir ./jobs --yes
//! ```

#[path = "shared/mod.rs"]
mod shared;

use std::process::ExitCode;

use clap::Parser;
use ops_examples::output::{self, OutputArgs, RunArgs};
use ops_examples::progress;
use recipes::bootstrap::Bootstrap;

/// Bootstrap a new PostgreSQL HA cluster (Patroni on Nomad, state in Consul):
/// preflight, start the first member, wait for it to lead, start the others,
/// wait for them to stream, start the backup job.
#[derive(Debug, Parser)]
#[command(version, after_help = output::ENV_HELP)]
struct Args {
    #[command(flatten)]
    cluster: shared::ClusterArgs,
    /// Continue an interrupted bootstrap instead of refusing its leftovers.
    #[arg(long)]
    resume: bool,
    #[command(flatten)]
    run: RunArgs,
    #[command(flatten)]
    out: OutputArgs,
}

fn main() -> ExitCode {
    output::run_main(run(Args::parse()))
}

async fn run(args: Args) -> anyhow::Result<()> {
    let opts = args.cluster.bootstrap_options().resume(args.resume);
    let recipe = Bootstrap::new(opts, args.cluster.capabilities()?)?;
    let plan = recipe.plan().await?;
    if !output::show_plan(&plan, output::plan_text, plan.is_noop(), args.run, args.out)? {
        return Ok(());
    }
    let report = progress::show_while(&format!("Bootstrapping {}", recipe.options().scope), |p| recipe.run(p)).await?;
    output::show_outcome(&plan, &report, output::report_text, args.out)
}
