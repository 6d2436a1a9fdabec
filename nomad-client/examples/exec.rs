//! Run a command in a task of a job's running allocation (what the UI's Exec does)
//! and exit with the command's exit code.
//!
//! ```text
//! cargo run -p nomad-client --example exec -- dbHA1 database postgres-patroni -- psql -c 'select 1'
//! ```

mod support;

use std::io::Write as _;
use std::process::ExitCode;

use nomad_client::{ExecOptions, QueryOptions};

#[derive(Debug, clap::Args)]
struct Args {
    /// Job ID.
    job: String,
    /// Task group.
    group: String,
    /// Task.
    task: String,
    /// The command and its arguments (after `--`).
    #[arg(last = true, required = true)]
    command: Vec<String>,
    /// Use this allocation instead of looking up the running one.
    #[arg(long)]
    alloc: Option<String>,
}

fn main() -> ExitCode {
    support::main("Run a command in a task and print its output", |args: Args, conn| async move {
        let nomad = conn.client()?;
        let allocs = nomad.allocations();
        let alloc_id = match args.alloc {
            Some(id) => id,
            None => allocs.find_running(&args.job, &args.group, &QueryOptions::new()).await?.id,
        };
        let out = allocs.exec_output(&alloc_id, &args.task, &args.command, &ExecOptions::default()).await?;
        if conn.json {
            support::print_json(&serde_json::json!({
                "allocation": alloc_id,
                "exit_code": out.exit_code,
                "stdout": String::from_utf8_lossy(&out.stdout),
                "stderr": String::from_utf8_lossy(&out.stderr),
            }))?;
        } else {
            std::io::stdout().write_all(&out.stdout)?;
            std::io::stderr().write_all(&out.stderr)?;
        }
        // Exit codes outside 1..=255 (signals show as negative) still mean failure.
        Ok(match out.exit_code {
            0 => ExitCode::SUCCESS,
            code => ExitCode::from(u8::try_from(code).ok().filter(|c| *c != 0).unwrap_or(1)),
        })
    })
}
