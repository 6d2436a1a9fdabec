//! `ops-benches`: runs the benchmarks, prints the table, writes JSON to `bench-results/`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use ops_benches::{Bench, Sizes};

/// Benchmarks of the ops SDK against raw reqwest and the peer crates.
#[derive(Parser)]
#[command(version, about)]
struct Args {
    /// `all`, or one of: overhead, decode, logs, watch, ghost, wait.
    #[arg(default_value = "all", value_parser = Bench::parse_selection)]
    bench: Selection,
    /// Small sizes that run in seconds (not representative).
    #[arg(long)]
    quick: bool,
    /// Where to write the JSON report.
    #[arg(long, default_value = "bench-results")]
    out: PathBuf,
}

/// The benchmarks to run.
type Selection = Vec<Bench>;

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let sizes = if args.quick { Sizes::quick() } else { Sizes::full() };
    let report = ops_benches::run(&args.bench, &sizes).await;
    println!("{}", report.table());
    match report.write_json(&args.out) {
        Ok(path) => eprintln!("JSON written to {}", path.display()),
        Err(e) => eprintln!("could not write the JSON report to {}: {e:#}", args.out.display()),
    }
    let errors = report.errors();
    for e in &errors {
        eprintln!("error: {e}");
    }
    if errors.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}
