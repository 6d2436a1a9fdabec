//! Recipe `deploy` as a script: `nomad job plan` then `nomad job run
//! -check-index`, made safe. The plan prints the diff and the scheduler's dry
//! run the way `nomad job plan` does and refuses on failed placements; `--yes`
//! registers exactly what was planned (Nomad refuses if the job changed since),
//! follows the deployment per group, and on failure leaves it or, with
//! `--auto-revert`, goes back to the last stable version and shows the diff.
//!
//! ```text
//! deploy jobs/dbHA1.hcl --dry-run            # the diff and the dry run, nothing changes
//! deploy jobs/dbHA1.json --yes --auto-revert # register, follow, revert on failure
//! ```

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use clap::Parser;
use ops_examples::output::{self, OutputArgs, RunArgs};
use ops_examples::progress;
use recipes::adapters::nomad::NomadDeployer;
use recipes::deploy::{Deploy, DeployOptions, DeployPlan, DeployReport, JobFile, render_diff, render_plan};

/// Plan a Nomad job against what runs (diff and scheduler dry run, as `nomad
/// job plan` prints them), then with `--yes` register exactly that plan and
/// follow its deployment until it succeeds, fails or times out.
#[derive(Debug, Parser)]
#[command(version, after_help = output::ENV_HELP)]
struct Args {
    /// The job file: HCL (parsed by Nomad's `jobs/parse`) or Nomad JSON (the
    /// job, or `{"Job": ...}` as `nomad job run -output` prints it).
    job_file: PathBuf,
    /// The namespace (default: the one the job names, else NOMAD_NAMESPACE).
    #[arg(long)]
    namespace: Option<String>,
    /// When the deployment fails, register the last stable version again
    /// (only if the job is still at the failed version) and show the diff.
    #[arg(long)]
    auto_revert: bool,
    /// How long the deployment is followed (`90s`, `10m`, `1h`).
    #[arg(long, default_value = "10m", value_parser = output::parse_duration)]
    deployment_timeout: Duration,
    #[command(flatten)]
    run: RunArgs,
    #[command(flatten)]
    out: OutputArgs,
}

fn main() -> ExitCode {
    output::run_main(run(Args::parse()))
}

async fn run(args: Args) -> anyhow::Result<()> {
    let nomad = nomad_client::NomadClient::from_env().context("cannot configure the Nomad client")?;
    let mut opts = DeployOptions::new(JobFile::read(&args.job_file)?)
        .auto_revert(args.auto_revert)
        .deployment_timeout(args.deployment_timeout);
    if let Some(ns) = &args.namespace {
        opts = opts.namespace(ns);
    }
    let deploy = Deploy::new(opts, Arc::new(NomadDeployer::new(nomad)))?;
    let plan = deploy.plan().await?;
    if !output::show_plan(&plan, plan_text, plan.is_noop(), args.run, args.out)? {
        return Ok(());
    }
    let title = format!("Deploying job {} in {}", plan.job_id, plan.namespace);
    let report = progress::show_while(&title, |p| deploy.run(&plan, p)).await?;
    output::show_outcome(&plan, &report, report_text, args.out)?;
    if report.outcome.is_success() {
        return Ok(());
    }
    let seen = report.deployment.as_ref().map_or_else(String::new, |d| format!(": {} ({})", d.description, d.health()));
    anyhow::bail!("the deployment of job {} did not succeed ({:?}){seen}", plan.job_id, report.outcome)
}

/// `nomad job plan`'s output, then the recipe's checks and steps.
fn plan_text(plan: &DeployPlan) -> String {
    format!("{}\n{}", render_plan(&plan.dry_run, plan.is_system()), output::plan_text(&plan.plan))
}

/// How the deploy ended, the deployment's groups, the revert with its diff,
/// then the generic report.
fn report_text(report: &DeployReport) -> String {
    let mut text = format!("Deploy of job {} in {}: {:?}\n", report.job_id, report.namespace, report.outcome);
    if let Some(r) = &report.registered {
        text.push_str(&format!("  registered  JobModifyIndex {}, evaluation {}\n", r.job_modify_index, r.eval_id));
    }
    if let Some(d) = &report.deployment {
        text.push_str(&format!(
            "  deployment  {} of version {}: {} ({})\n",
            d.id, d.job_version, d.status, d.description
        ));
        for (group, health) in &d.groups {
            text.push_str(&format!("    {group}: {health}\n"));
        }
    }
    if let Some(r) = &report.revert {
        text.push_str(&format!(
            "  reverted    version {} -> {} (evaluation {})\n",
            r.from_version, r.to_version, r.eval_id
        ));
        if let Some(diff) = &r.diff {
            text.push_str(&format!("{}\n", render_diff(diff)));
        }
    }
    text.push_str(&output::report_text(&report.report));
    text
}
