//! What every example shares: the connection flags, the client, a main that
//! turns an error into one line on stderr and a non-zero exit, and stdout
//! helpers. Examples print through [`line`], [`write_stdout`] and [`print_json`],
//! never `println!`: `println!` panics with a backtrace when stdout is a closed
//! pipe (`example | head`), while these return the error and [`main`] then exits
//! quietly with success, as the reader wanted no more.

// Every example compiles this module and uses its own part of it.
#![allow(dead_code)]

use std::future::Future;
use std::io::{ErrorKind, Write as _};
use std::process::ExitCode;

use nomad_client::NomadClient;

pub mod tty;

/// Connection flags; the environment (`NOMAD_ADDR`, `NOMAD_TOKEN`, ...) fills the rest.
#[derive(Debug, clap::Args)]
pub struct Connection {
    /// Nomad namespace (default: NOMAD_NAMESPACE, else "default").
    #[arg(long, short = 'n')]
    pub namespace: Option<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

impl Connection {
    /// The client from the environment, with `--namespace` applied.
    pub fn client(&self) -> anyhow::Result<NomadClient> {
        let client = NomadClient::from_env()?;
        Ok(match &self.namespace {
            Some(ns) => client.with_namespace(ns)?,
            None => client,
        })
    }
}

/// An example's own arguments plus the shared connection flags.
#[derive(Debug, clap::Parser)]
struct Cli<A: clap::Args> {
    #[command(flatten)]
    args: A,
    #[command(flatten)]
    conn: Connection,
}

/// Parses the arguments (`about` is the `--help` summary) and runs `body`;
/// an error becomes one `error: <reason>` line on stderr and exit code 1.
pub fn main<A, F, Fut>(about: &'static str, body: F) -> ExitCode
where
    A: clap::Args + std::fmt::Debug,
    F: FnOnce(A, Connection) -> Fut,
    Fut: Future<Output = anyhow::Result<ExitCode>>,
{
    use clap::{CommandFactory as _, FromArgMatches as _};
    let matches = Cli::<A>::command().about(about).get_matches();
    let cli = Cli::<A>::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    run(body(cli.args, cli.conn))
}

fn run<F: Future<Output = anyhow::Result<ExitCode>>>(body: F) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(body);
    // A read of a terminal's stdin (exec) cannot be cancelled; do not wait for it.
    runtime.shutdown_background();
    match result {
        Ok(code) => code,
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            let reason = e.chain().map(ToString::to_string).collect::<Vec<_>>().join(": ");
            eprintln!("error: {reason}");
            ExitCode::FAILURE
        }
    }
}

/// The process exit status for a remote command's exit code: 0 and 1..=255 as they
/// are, anything else (a signal shows as negative, codes above 255) 1, so a failure
/// never reads as success.
pub fn exit_status(code: i32) -> u8 {
    u8::try_from(code).unwrap_or(1)
}

/// True when `err` comes from writing to a stdout whose reader is gone (`| head`).
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| cause.downcast_ref::<std::io::Error>().is_some_and(|e| e.kind() == ErrorKind::BrokenPipe))
}

/// Writes `bytes` on stdout and flushes.
pub fn write_stdout(bytes: &[u8]) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)?;
    out.flush()?;
    Ok(())
}

/// Writes `text` and a newline on stdout.
pub fn line(text: impl std::fmt::Display) -> anyhow::Result<()> {
    write_stdout(format!("{text}\n").as_bytes())
}

/// What a dry run shows: under `--json` the `plan` object with `"dry_run": true`
/// added, else `text` and a newline.
pub fn dry_run_output(json: bool, mut plan: serde_json::Value, text: &str) -> anyhow::Result<String> {
    if !json {
        return Ok(format!("{text}\n"));
    }
    if let Some(fields) = plan.as_object_mut() {
        fields.insert("dry_run".to_owned(), true.into());
    }
    Ok(format!("{}\n", serde_json::to_string_pretty(&plan)?))
}

/// Prints `value` as pretty JSON on stdout.
pub fn print_json<T: serde::Serialize>(value: &T) -> anyhow::Result<()> {
    line(serde_json::to_string_pretty(value)?)
}
