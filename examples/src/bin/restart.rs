//! Recipe `restart` as a script: apply PostgreSQL settings that need a restart
//! (procedure 6 of the runbook guide, `docs/runbook.md`). After a `PATCH /config` (e.g. `max_connections`),
//! Patroni marks members `pending_restart`; the plan lists each member, the
//! cluster's health and the restarts in order (replicas first, then a
//! switchover and the former leader); `--yes` carries it out one member at a
//! time, waiting until each runs and streams again.
//!
//! ```text
//! restart --namespace atala-testnet --dry-run
//! restart --namespace atala-testnet --yes
//! restart --namespace atala-testnet --yes --json
//! ```
//!
//! Patroni's REST API credentials and TLS come from the same environment as
//! `patronictl` (`PATRONI_CTL_USERNAME`/`PATRONI_CTL_PASSWORD`, ...); each
//! member's address comes from the DCS.

#[path = "shared/mod.rs"]
#[allow(dead_code, reason = "this script takes only the scope arguments and store")]
mod shared;

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use clap::Parser;
use ops_examples::output::{self, OutputArgs, RunArgs};
use ops_examples::progress;
use recipes::adapters::patroni::{PatroniControl, PatroniMemberApi};
use recipes::restart::{Capabilities, Restart, RestartOptions};

/// Restart the members of a Patroni cluster that have a restart pending, one
/// at a time: replicas first, then a switchover and the former leader.
#[derive(Debug, Parser)]
#[command(version, after_help = output::ENV_HELP)]
struct Args {
    #[command(flatten)]
    cluster: shared::ScopeArgs,
    /// Bound of the wait for each restarted member to run and stream again.
    #[arg(long, default_value = "5m", value_parser = output::parse_duration)]
    member_timeout: Duration,
    /// Bound of the wait for the switchover's new leader.
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
    let mut opts = RestartOptions::new(&args.cluster.namespace)
        .timeouts(args.member_timeout, args.switchover_timeout)
        .max_lag_bytes(args.max_lag_bytes);
    if let Some(scope) = &args.cluster.scope {
        opts = opts.scope(scope);
    }
    let store = args.cluster.store()?;
    let template = patroni_client::PatroniClient::from_env().context("cannot configure the Patroni client")?;
    let caps = Capabilities {
        scope_store: Arc::new(store),
        control: Arc::new(PatroniControl::with_template(template)),
        member_api: Arc::new(PatroniMemberApi::new()),
    };
    let recipe = Restart::new(opts, caps)?;
    let plan = recipe.plan().await?;
    if plan.is_noop() && args.run.mode() == output::Mode::Run && args.out.json {
        let report = recipe.run(recipes::Progress::none()).await?;
        return output::show_outcome(&plan, &report, output::report_text, args.out);
    }
    if !output::show_plan(&plan, output::plan_text, plan.is_noop(), args.run, args.out)? {
        return Ok(());
    }
    let report = progress::show_while(&format!("Restarting {}", recipe.options().scope), |p| recipe.run(p)).await?;
    output::show_outcome(&plan, &report, output::report_text, args.out)
}
