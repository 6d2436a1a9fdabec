//! Recipe `restore_database` as a script: one database back from a dump on
//! the current leader, the cluster kept (procedure 7 of the runbook guide, `docs/runbook.md`). The plan finds
//! the leader in the DCS, checks that `--user` is a superuser, that the
//! database exists (and is no system database) and that `pg_restore --list`
//! reads the dump; `--yes` keeps applications out (`CONNECTION LIMIT 0`) and
//! cuts their connections, takes a safety dump (so it holds exactly what is
//! dropped), blocks and cuts connections again,
//! drops and re-creates the database with the same owner, encoding,
//! tablespace, comment, privileges, database settings and per-role settings
//! in it but `CONNECTION LIMIT 0` (only superusers, the restore itself, can
//! connect: applications are refused while `pg_restore` runs), restores the
//! dump and allows connections again with the connection limit it had (on
//! failure before the drop, the limit goes back; after it, the safety dump
//! goes back the same way).
//!
//! ```text
//! PGPASSWORD=... restore_database --namespace atala-testnet --database wallet --dump wallet.dump --dry-run
//! PGPASSWORD=... restore_database --namespace atala-testnet --database wallet --dump wallet.dump --yes --json
//! ```
//!
//! It connects to the leader's `conn_url` as `--user` (a superuser) with
//! `PGPASSWORD`, and runs `pg_dump`/`pg_restore` from `--bin-dir`.

#[path = "shared/mod.rs"]
#[allow(dead_code, reason = "this script takes only the scope arguments and store")]
mod shared;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use clap::Parser;
use ops_examples::output::{self, OutputArgs, RunArgs};
use ops_examples::progress;
use recipes::adapters::postgres::PostgresServer;
use recipes::restore_database::{Capabilities, RestoreDatabase, RestoreDatabaseOptions};

/// Restore one database of a Patroni cluster from a `pg_dump -Fc` dump, on
/// the leader, after a safety dump.
#[derive(Debug, Parser)]
#[command(version, after_help = output::ENV_HELP)]
struct Args {
    #[command(flatten)]
    cluster: shared::ScopeArgs,
    /// The database to restore, named exactly.
    #[arg(long)]
    database: String,
    /// The dump to restore (`pg_dump -Fc`).
    #[arg(long)]
    dump: PathBuf,
    /// Where the safety dump is written.
    #[arg(long, default_value = "restore-database-backups")]
    safety_dir: PathBuf,
    /// The PostgreSQL superuser to connect as (password from `PGPASSWORD`).
    #[arg(long, default_value = "postgres")]
    user: String,
    /// Directory of the PostgreSQL 15 client binaries.
    #[arg(long, default_value = "/usr/lib/postgresql/15/bin")]
    bin_dir: PathBuf,
    #[command(flatten)]
    run: RunArgs,
    #[command(flatten)]
    out: OutputArgs,
}

fn main() -> ExitCode {
    output::run_main(run(Args::parse()))
}

async fn run(args: Args) -> anyhow::Result<()> {
    let mut opts =
        RestoreDatabaseOptions::new(&args.cluster.namespace, &args.database, &args.dump).safety_dir(&args.safety_dir);
    if let Some(scope) = &args.cluster.scope {
        opts = opts.scope(scope);
    }
    opts.validate()?;
    let password = std::env::var("PGPASSWORD").context("PGPASSWORD must hold the password of --user")?;
    let store = args.cluster.store()?;
    let caps = Capabilities {
        scope_store: Arc::new(store),
        server: Arc::new(PostgresServer::new(&args.user, password).bin_dir(&args.bin_dir)),
    };
    let recipe = RestoreDatabase::new(opts, caps)?;
    let plan = recipe.plan().await?;
    if !output::show_plan(&plan, output::plan_text, false, args.run, args.out)? {
        return Ok(());
    }
    let report = progress::show_while(&format!("Restoring {}", recipe.options().database), |p| recipe.run(p)).await?;
    output::show_outcome(&plan, &report, report_text, args.out)
}

fn report_text(r: &recipes::restore_database::DatabaseRestoreReport) -> String {
    let mut text = output::report_text(&r.report);
    let safety = r.safety_dump.as_ref().map_or_else(String::new, |p| p.display().to_string());
    text.push_str(&format!(
        "database {} on {}: {} -> {} bytes; dump {} bytes; safety dump {safety} ({} bytes); {} backend(s) cut\n",
        r.database,
        r.leader,
        r.size_before_bytes,
        r.size_after_bytes,
        r.dump_bytes,
        r.safety_dump_bytes,
        r.backends_terminated
    ));
    for (step, ms) in &r.step_millis {
        text.push_str(&format!("  {step}: {ms} ms\n"));
    }
    text
}
