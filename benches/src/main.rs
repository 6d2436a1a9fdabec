//! `ops-benches`: runs the benchmarks, prints the table, writes JSON to `bench-results/`.
//! With `driver` as its first argument it is the callgrind driver instead
//! (`ops_benches::driver`), so the instruction counts always measure this very build.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use ops_benches::{Bench, Options, Sizes, driver};

/// Benchmarks of the ops SDK against raw reqwest and the peer crates.
#[derive(Parser)]
#[command(version, about)]
struct Args {
    /// `all`, or one of: overhead, decode, logs, snapshot, watch, ghost, wait, callgrind (only the
    /// instruction counts of overhead).
    #[arg(default_value = "all", value_parser = Bench::parse_selection)]
    bench: Selection,
    /// Small sizes that run in seconds (not representative).
    #[arg(long)]
    quick: bool,
    /// Pin every thread of the bench to one CPU (default 0) once the Consul agent it starts
    /// runs (the agent is not pinned); the local server shares that CPU with the client.
    #[arg(long, value_name = "CPU", num_args = 0..=1, default_missing_value = "0")]
    pin: Option<usize>,
    /// Where to write the JSON report (and the callgrind files, under `callgrind/`).
    #[arg(long, default_value = "bench-results")]
    out: PathBuf,
}

/// The benchmarks to run.
type Selection = Vec<Bench>;

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().collect();
    if argv.get(1).is_some_and(|a| a == driver::SUBCOMMAND) {
        return driver::cli(&argv[2..]);
    }
    let args = Args::parse();
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    if args.pin.is_some() {
        // One core: one worker, as a runtime sized by the CPUs it may use would have.
        runtime.worker_threads(1);
    }
    let runtime = match runtime.enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(bench(args))
}

async fn bench(args: Args) -> ExitCode {
    let sizes = if args.quick { Sizes::quick() } else { Sizes::full() };
    let options = Options { pin: args.pin, out: Some(args.out.clone()) };
    let report = ops_benches::run(&args.bench, &sizes, &options).await;
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
