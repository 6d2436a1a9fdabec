//! Tail and follow the logs of a task of a job's running allocation.
//!
//! ```text
//! cargo run -p nomad-client --example logs -- dbHA1 database postgres-patroni --tail-lines 50
//! cargo run -p nomad-client --example logs -- dbHA1 database postgres-patroni --stderr --follow
//! ```

mod support;

use std::io::Write as _;
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
    /// Show the last N lines (default 20 unless --follow).
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
            let lines = args.tail_lines.unwrap_or(if args.follow { 0 } else { 20 });
            let opts = LogsOptions { log_type, ..LogsOptions::default() };
            let tail = allocs.tail_lines(&alloc.id, &args.task, lines, &opts).await?;
            if conn.json {
                support::print_json(&tail)?;
            } else {
                for line in &tail {
                    println!("{line}");
                }
            }
            if args.follow {
                // Only what is written from now on: the tail above covers the past.
                let follow = LogsOptions::tail(log_type, 0, true);
                let mut stream = std::pin::pin!(allocs.logs(&alloc.id, &args.task, &follow).await?);
                let mut stdout = std::io::stdout();
                while let Some(chunk) = stream.next().await {
                    let chunk = chunk?;
                    if conn.json {
                        support::print_json(&serde_json::json!({ "data": String::from_utf8_lossy(&chunk) }))?;
                    } else {
                        stdout.write_all(&chunk)?;
                        stdout.flush()?;
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        },
    )
}
