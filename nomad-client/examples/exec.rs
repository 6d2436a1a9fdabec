//! Run a command in a task of a job's running allocation (what `nomad alloc exec`
//! does): stdin is forwarded (a pipe to its end, a terminal as typed), output is
//! printed as it comes, and the process exits with the command's exit code.
//!
//! ```text
//! cargo run -p ops-sdk-nomad --example exec -- dbHA1 database postgres-patroni -- psql -c 'select 1'
//! cargo run -p ops-sdk-nomad --example exec -- dbHA1 database postgres-patroni -- psql < migrate.sql
//! cargo run -p ops-sdk-nomad --example exec -- --tty dbHA1 database postgres-patroni -- /bin/sh
//! ```
//!
//! With `--tty` and a terminal on stdin, the local terminal is in raw mode while the
//! session runs (restored however it ends): keys go out as typed, the remote
//! terminal echoes them, Ctrl-C reaches the remote command (this program ends when
//! it does, with its exit code), and the window size is sent at the start and on
//! every change. SIGTERM or SIGHUP to this program restores the terminal and exits
//! with 128 + the signal number.

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
    /// Allocate a pseudo-terminal, sized like the local terminal (else from LINES and
    /// COLUMNS); with a terminal on stdin, that terminal is in raw mode meanwhile.
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
            let raw = args.tty && std::io::stdin().is_terminal();
            let size = |name: &str| std::env::var(name).ok().and_then(|v| v.parse::<u16>().ok());
            let tty_size = support::tty::terminal_size().or_else(|| size("LINES").zip(size("COLUMNS")));
            let opts = ExecOptions { tty: args.tty, tty_size: tty_size.filter(|_| args.tty), ..ExecOptions::default() };
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
            } else if raw {
                let session = allocs.exec(&alloc_id, &args.task, &args.command, &opts).await?;
                let resizes = support::tty::window_changes()?;
                // Raw from here to the end of this block, on every way out of it.
                let _raw = support::tty::RawMode::enable(support::tty::Crossterm)?;
                let (stdin, stdout, stderr) = (tokio::io::stdin(), tokio::io::stdout(), tokio::io::stderr());
                tokio::select! {
                    code = support::tty::attach_raw(session, stdin, stdout, stderr, resizes) => code?,
                    signal = support::tty::terminated() => 128 + signal,
                }
            } else {
                let session = allocs.exec(&alloc_id, &args.task, &args.command, &opts).await?;
                session.attach(tokio::io::stdin(), tokio::io::stdout(), tokio::io::stderr()).await?
            };
            Ok(ExitCode::from(support::exit_status(code)))
        },
    )
}
