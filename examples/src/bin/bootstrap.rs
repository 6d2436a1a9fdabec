//! Recipe `bootstrap` as a script: a new Patroni HA cluster in a Nomad
//! namespace (procedure 1 of the runbook guide, `docs/runbook.md`). The plan lists every preflight check
//! against the live systems (including every job file it will start);
//! `--yes` carries it out with a progress display. The job source is explicit:
//! `--job-dir` holds one Nomad JSON job file per job (`nomad job run -output`).
//!
//! ```text
//! bootstrap --namespace atala-testnet --job-dir ./jobs --skip-volume-check 'wiped (OPS-42)' --dry-run
//! bootstrap --namespace atala-testnet --job-dir ./jobs --skip-volume-check 'wiped (OPS-42)' --yes
//! bootstrap --namespace atala-testnet --job-dir ./jobs --skip-volume-check 'wiped (OPS-42)' --resume --yes
//! ```
//!
//! The run keeps a state file in `--state-dir` until it completes; `--resume`
//! continues only the run that file describes.

#[path = "shared/mod.rs"]
mod shared;

use std::path::PathBuf;
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
    /// Where the run keeps its state file (`bootstrap-<scope>.state.json`)
    /// until it completes; `--resume` reads it.
    #[arg(long, default_value = "bootstrap-state")]
    state_dir: PathBuf,
    /// Continue the interrupted run recorded in the state file (and only
    /// that run) instead of refusing its leftovers.
    #[arg(long)]
    resume: bool,
    /// The task running Patroni in each member's job.
    #[arg(long, default_value = "postgres-patroni")]
    member_task: String,
    #[command(flatten)]
    run: RunArgs,
    #[command(flatten)]
    out: OutputArgs,
}

fn main() -> ExitCode {
    output::run_main(run(Args::parse()))
}

async fn run(args: Args) -> anyhow::Result<()> {
    let opts =
        args.cluster.bootstrap_options().member_task(&args.member_task).state_dir(&args.state_dir).resume(args.resume);
    opts.validate()?;
    let caps = args.cluster.capabilities()?;
    if args.cluster.job_dir.is_none() {
        anyhow::bail!(
            "no job source: pass --job-dir <directory of Nomad JSON job files <job>.json> (the jobs are purged \
             before a bootstrap, so Nomad keeps no version of them to re-register)"
        );
    }
    let recipe = Bootstrap::new(opts, caps)?;
    let plan = recipe.plan().await?;
    if plan.is_noop() && args.run.mode() == output::Mode::Run && args.out.json {
        // `--yes --json` prints one `{plan, report}` document, with work or without.
        let report = recipe.run(recipes::Progress::none()).await?;
        return output::show_outcome(&plan, &report, output::report_text, args.out);
    }
    if !output::show_plan(&plan, output::plan_text, plan.is_noop(), args.run, args.out)? {
        return Ok(());
    }
    let report = progress::show_while(&format!("Bootstrapping {}", recipe.options().scope), |p| recipe.run(p)).await?;
    output::show_outcome(&plan, &report, output::report_text, args.out)
}
