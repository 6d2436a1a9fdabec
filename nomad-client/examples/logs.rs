//! Tail and follow the logs of a task of a job's running allocation.
//!
//! ```text
//! cargo run -p ops-sdk-nomad --example logs -- dbHA1 database postgres-patroni --tail-lines 50
//! cargo run -p ops-sdk-nomad --example logs -- dbHA1 database postgres-patroni --stderr --follow
//! ```

mod support;

use std::process::ExitCode;

use futures::StreamExt;
use nomad_client::{LogType, LogsOptions, QueryOptions};

#[derive(Debug, clap::Args)]
struct Args {
    /// Job ID.
    job: String,
    /// Task group.
    group: String,
    /// Task.
    task: String,
    /// Show stderr instead of stdout.
    #[arg(long)]
    stderr: bool,
    /// Show the last N lines (default 20; with --follow, default 0: only new output).
    #[arg(long)]
    tail_lines: Option<usize>,
    /// Keep printing new output until interrupted.
    #[arg(long, short = 'f')]
    follow: bool,
}

fn main() -> ExitCode {
    support::main(
        "Show the stdout or stderr of a task of the running allocation of a job's task group",
        |args: Args, conn| async move {
            let nomad = conn.client()?;
            let allocs = nomad.allocations();
            let alloc = allocs.find_running(&args.job, &args.group, &QueryOptions::new()).await?;
            let log_type = if args.stderr { LogType::Stderr } else { LogType::Stdout };
            let opts = LogsOptions { log_type, ..LogsOptions::default() };
            if !args.follow {
                let tail = allocs.tail_lines(&alloc.id, &args.task, args.tail_lines.unwrap_or(20), &opts).await?;
                if conn.json {
                    support::print_json(&tail)?;
                } else {
                    for line in &tail {
                        support::line(line)?;
                    }
                }
                return Ok(ExitCode::SUCCESS);
            }
            // Exactly the last N lines (none by default), then only new output, in one
            // stream so nothing is printed twice or lost in between, across rotations.
            let lines = args.tail_lines.unwrap_or(0);
            let mut stream = std::pin::pin!(allocs.follow_lines(&alloc.id, &args.task, lines, &opts).await?);
            while let Some(chunk) = stream.next().await {
                let chunk = chunk?;
                if conn.json {
                    support::print_json(&serde_json::json!({ "data": String::from_utf8_lossy(&chunk) }))?;
                } else {
                    support::write_stdout(&chunk)?;
                }
            }
            Ok(ExitCode::SUCCESS)
        },
    )
}
