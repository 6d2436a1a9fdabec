//! Remove one Patroni scope's state from Consul, with a backup first: what a
//! bootstrap's refusal ("Consul state ... holds N keys") asks for, and the
//! recovery of an interrupted first bootstrap.
//!
//! ```text
//! scope_remove --scope atala-testnet-database --dry-run
//! scope_remove --scope atala-testnet-database --yes
//! ```
//!
//! Only exactly `<patroni namespace>/<scope>/` is removed (a neighbour such as
//! `<scope>-old/` is listed and left alone), each key only if it is still as
//! the backup saved it. A scope whose `leader` or `members/*` keys exist is
//! refused: Patroni still runs there, or its sessions have not expired yet
//! (about 30 s after the jobs were stopped and purged).

#[path = "shared/mod.rs"]
#[allow(dead_code, reason = "this script takes only the scope store")]
mod shared;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Parser;
use ops_examples::output::{self, OutputArgs, RunArgs};
use recipes::ports::ScopeStore;
use recipes::{BackupDir, Check, Plan, Report, Step};

/// Save a Patroni scope's Consul state to a backup file, then remove exactly
/// that scope (conditionally: a key that changed since the backup is kept).
#[derive(Debug, Parser)]
#[command(version, after_help = output::ENV_HELP)]
struct Args {
    /// The scope (cluster name), e.g. `atala-testnet-database`.
    #[arg(long)]
    scope: String,
    /// Patroni's `namespace` setting: the KV folder holding the scopes
    /// (default `/service/`).
    #[arg(long, value_name = "FOLDER")]
    patroni_namespace: Option<String>,
    /// Where the backup of the removed keys is written.
    #[arg(long, default_value = "scope-backups")]
    backup_dir: PathBuf,
    #[command(flatten)]
    run: RunArgs,
    #[command(flatten)]
    out: OutputArgs,
}

fn main() -> ExitCode {
    output::run_main(run(Args::parse()))
}

async fn run(args: Args) -> anyhow::Result<()> {
    recipes::input::validate_scope(&args.scope)?;
    let store = shared::scope_store(args.patroni_namespace.as_deref())?;
    let snapshot = store.snapshot(&args.scope).await?;
    let mut checks = Vec::new();
    let name = format!("Consul state {}", snapshot.prefix);
    let status = snapshot.cluster_status();
    if snapshot.is_empty() {
        checks.push(Check::passed(name, "empty: nothing to remove"));
    } else if status.leader.is_some() || !status.members.is_empty() {
        let members: Vec<&str> = status.members.iter().map(|m| m.name.as_str()).collect();
        checks.push(Check::failed(
            name,
            format!(
                "Patroni is live there (leader {}, member keys {}): stop and purge the member jobs and wait for \
                 their sessions to expire (about 30 s) before removing it",
                status.leader.as_deref().unwrap_or("none"),
                if members.is_empty() { "none".to_owned() } else { members.join(", ") }
            ),
        ));
    } else {
        let keys: Vec<&str> = snapshot.entries.iter().map(|e| e.key.as_str()).collect();
        checks.push(Check::passed(name, format!("{} keys: {}", keys.len(), keys.join(", "))));
    }
    let look_alikes = store.look_alikes(&args.scope).await?;
    if !look_alikes.is_empty() {
        checks.push(Check::passed("neighbouring scopes", format!("{} are not touched", look_alikes.join(", "))));
    }
    let steps = if snapshot.is_empty() {
        Vec::new()
    } else {
        vec![
            Step::new(
                "save backup",
                format!("write every key of {} to {}", snapshot.prefix, args.backup_dir.display()),
            ),
            Step::new(
                "remove scope state",
                format!("delete exactly those keys of {}, each only if unchanged", snapshot.prefix),
            ),
        ]
    };
    let plan = Plan::from_checks("scope remove", checks, steps)?;
    let mut report = Report::new(&plan);
    if plan.is_noop() && args.run.mode() == output::Mode::Run && args.out.json {
        // `--yes --json` prints one `{plan, report}` document, with work or without.
        report
            .skipped
            .push(recipes::Skipped { step: "remove scope state".into(), reason: "the scope is empty".into() });
        return output::show_outcome(&plan, &report, output::report_text, args.out);
    }
    if !output::show_plan(&plan, output::plan_text, plan.is_noop(), args.run, args.out)? {
        return Ok(());
    }
    let backup = BackupDir::new(&args.backup_dir).save(&format!("scope-{}", args.scope), &snapshot).await?;
    report.done.push("save backup".into());
    report.backups.push(backup.clone());
    store.delete_scope(&args.scope, &snapshot).await.with_context(|| {
        format!("removing {} (the backup of every saved key is {})", snapshot.prefix, backup.display())
    })?;
    report.done.push("remove scope state".into());
    output::show_outcome(&plan, &report, output::report_text, args.out)
}
