//! Stop a job and purge it. Purging deletes the job and its history for good,
//! so without `--yes-purge` this only prints what would happen.
//!
//! ```text
//! cargo run -p ops-sdk-nomad --example job_stop -- dbHA1 -n atala-testnet
//! cargo run -p ops-sdk-nomad --example job_stop -- dbHA1 -n atala-testnet --yes-purge
//! ```

mod support;

use std::process::ExitCode;

use nomad_client::{QueryOptions, StopOptions};

#[derive(Debug, clap::Args)]
struct Args {
    /// Job ID (exact; no prefix matching).
    job: String,
    /// Really stop and purge. Irreversible: the job and its versions are deleted.
    #[arg(long)]
    yes_purge: bool,
}

fn main() -> ExitCode {
    support::main("Stop and purge a job (dry run unless --yes-purge)", |args: Args, conn| async move {
        let nomad = conn.client()?;
        let q = QueryOptions::new();
        let job = nomad.jobs().get(&args.job, &q).await?.value;
        let allocs = nomad.jobs().allocations(&args.job, false, &q).await?.value;
        let running = allocs.iter().filter(|a| a.is_running()).count();
        let namespace = job.namespace.clone().unwrap_or_else(|| "default".into());
        let status = job.status.clone().unwrap_or_default();
        if !args.yes_purge {
            let plan = serde_json::json!({
                "job": args.job, "namespace": namespace, "status": status,
                "running_allocations": running, "version": job.version,
            });
            let text = format!(
                "would stop and purge job {:?} in namespace {namespace:?} (status {status}, version {}, {running} running \
                 allocation(s)); purge is irreversible. Re-run with --yes-purge to do it.",
                args.job,
                job.version.unwrap_or_default()
            );
            support::write_stdout(support::dry_run_output(conn.json, plan, &text)?.as_bytes())?;
            return Ok(ExitCode::SUCCESS);
        }
        let resp = nomad.jobs().stop(&args.job, &StopOptions::new().purge()).await?;
        if conn.json {
            support::print_json(&resp)?;
        } else {
            support::line(format_args!(
                "stopped and purged job {:?} in namespace {namespace:?} (evaluation {})",
                args.job, resp.eval_id
            ))?;
        }
        Ok(ExitCode::SUCCESS)
    })
}
