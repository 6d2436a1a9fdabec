//! The sandbox demo: starts a real Consul and a 2-member PostgreSQL 15 +
//! Patroni cluster on loopback, then drives them with the SDK's recipes and
//! clients: bootstrap, cluster table, switchover, a raised `max_connections` applied by
//! `restart`, a planted ghost service
//! cleaned up by `ghost_cleanup`, Patroni's state in Consul; then stops
//! everything it started.
//!
//! ```text
//! cargo run --release -p ops-examples --bin demo            # the tour, then stop
//! cargo run --release -p ops-examples --bin demo -- --keep  # ... and keep it running
//! ```

mod ghost;
mod stack;
mod tour;

use std::process::ExitCode;

use clap::Parser;
use ops_examples::output::{self, OutputArgs};
use ops_examples::progress::Progress;

use crate::stack::Stack;

/// Start a sandbox (Consul + PostgreSQL 15 + Patroni on loopback) and drive
/// it with the ops SDK's recipes, then stop everything it started.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Keep the sandbox running after the tour and print its addresses and
    /// environment variables, until Ctrl-C.
    #[arg(long)]
    keep: bool,
    /// Name of the demo namespace (the Patroni scope is `<namespace>-database`).
    #[arg(long, default_value = "demo")]
    namespace: String,
    #[command(flatten)]
    out: OutputArgs,
}

fn main() -> ExitCode {
    output::run_main(run(Args::parse()))
}

async fn run(args: Args) -> anyhow::Result<()> {
    recipes::input::validate_namespace(&args.namespace)?;
    let progress = Progress::stderr();
    let scope = recipes::input::default_scope(&args.namespace);

    progress.section("Start the sandbox");
    let stack = Stack::start(&progress, &args.namespace, &scope, 2)
        .await
        .inspect_err(|_| progress.failed("failed (the reason is the last line)"))?;

    let (outcome, reports) = match tour::Tour::new(&stack, &args.namespace, &progress, args.out.json) {
        Ok(mut tour) => {
            let outcome = tokio::select! {
                r = tour.run() => r,
                _ = tokio::signal::ctrl_c() => Err(anyhow::anyhow!("interrupted by Ctrl-C")),
            };
            (outcome, tour.into_reports())
        }
        Err(e) => (Err(e), tour::Reports::default()),
    };
    if outcome.is_err() {
        progress.failed("failed (the reason is the last line)");
    } else if args.keep {
        keep_running(&stack, &progress, args.out.json).await;
    }

    progress.section("Stop everything the demo started");
    stack.stop(&progress).await;
    progress.finish();
    outcome?;
    if args.out.json {
        output::print_json(&reports)?;
    }
    Ok(())
}

/// Prints what a person needs to use the sandbox, then waits for Ctrl-C.
async fn keep_running(stack: &Stack, progress: &Progress, json: bool) {
    let exports: String = stack.env_lines().iter().map(|l| format!("  {l}\n")).collect();
    let tries: String = stack.try_lines().iter().map(|l| format!("  {l}\n")).collect();
    tour::show(
        progress,
        json,
        &format!(
            "\nThe sandbox keeps running. In another shell:\n\n{exports}\nthen try the other examples, e.g.\n\n{tries}\n\
             Press Ctrl-C to stop the sandbox.\n"
        ),
    );
    let _ = tokio::signal::ctrl_c().await;
}
