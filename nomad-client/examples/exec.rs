//! Run a command in a task of a job's running allocation (what `nomad alloc exec`
//! does): stdin is forwarded (a pipe to its end, a terminal as typed), output is
//! printed as it comes, and the process exits with the command's exit code.
//!
//! ```text
//! cargo run -p nomad-client --example exec -- dbHA1 database postgres-patroni -- psql -c 'select 1'
//! cargo run -p nomad-client --example exec -- dbHA1 database postgres-patroni -- psql < migrate.sql
//! cargo run -p nomad-client --example exec -- --tty dbHA1 database postgres-patroni -- /bin/sh
//! ```
//!
//! The local terminal is not switched to raw mode (the workspace forbids `unsafe`
//! and has no terminal crate): with `--tty`, typed lines go out on Enter and are
//! echoed twice, and Ctrl-C stops this program rather than the remote command.

mod support;

use std::io::IsTerminal as _;
use std::process::ExitCode;

use nomad_client::{ExecOptions, QueryOptions};
use tokio::io::AsyncReadExt as _;

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
    /// Allocate a pseudo-terminal (sized from LINES and COLUMNS when they are set).
    #[arg(long, short = 't')]
    tty: bool,
}

fn main() -> ExitCode {
    support::main(
        "Run a command in a task, forwarding stdin, and exit with its exit code",
        |args: Args, conn| async move {
            let nomad = conn.client()?;
            let allocs = nomad.allocations();
            let alloc_id = match args.alloc {
                Some(id) => id,
                None => allocs.find_running(&args.job, &args.group, &QueryOptions::new()).await?.id,
            };
            let size = |name: &str| std::env::var(name).ok().and_then(|v| v.parse::<u16>().ok());
            let tty_size = size("LINES").zip(size("COLUMNS")).filter(|_| args.tty);
            let opts = ExecOptions { tty: args.tty, tty_size, ..ExecOptions::default() };
            let code = if conn.json {
                // One JSON document at the end: a piped stdin is read whole and sent first.
                let mut stdin = Vec::new();
                if !std::io::stdin().is_terminal() {
                    tokio::io::stdin().read_to_end(&mut stdin).await?;
                }
                let opts = ExecOptions { stdin: Some(stdin), ..opts };
                let out = allocs.exec_output(&alloc_id, &args.task, &args.command, &opts).await?;
                support::print_json(&serde_json::json!({
                    "allocation": alloc_id,
                    "exit_code": out.exit_code,
                    "stdout": String::from_utf8_lossy(&out.stdout),
                    "stderr": String::from_utf8_lossy(&out.stderr),
                }))?;
                out.exit_code
            } else {
                let session = allocs.exec(&alloc_id, &args.task, &args.command, &opts).await?;
                session.attach(tokio::io::stdin(), tokio::io::stdout(), tokio::io::stderr()).await?
            };
            Ok(ExitCode::from(support::exit_status(code)))
        },
    )
}
