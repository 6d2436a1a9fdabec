//! Plan a job file (HCL, parsed by the server, or JSON) and print what would
//! change, like `nomad job plan`, without registering anything.
//!
//! ```text
//! cargo run -p ops-sdk-nomad --example job_plan -- dbHA1.nomad
//! ```

mod support;

use std::process::ExitCode;

use anyhow::Context as _;
use nomad_client::{Job, PlanOptions, WriteOptions};

#[derive(Debug, clap::Args)]
struct Args {
    /// Job file: HCL (`.nomad`, `.hcl`) or JSON (`.json`, either the job or `{"Job": ...}`).
    file: std::path::PathBuf,
}

fn main() -> ExitCode {
    support::main("Show the diff between a job file and the running job", |args: Args, conn| async move {
        let nomad = conn.client()?;
        let text =
            std::fs::read_to_string(&args.file).with_context(|| format!("cannot read {}", args.file.display()))?;
        let job: Job = if args.file.extension().is_some_and(|e| e == "json") {
            let value: serde_json::Value = serde_json::from_str(&text).context("the file is not valid JSON")?;
            serde_json::from_value(value.get("Job").cloned().unwrap_or(value)).context("the JSON is not a Nomad job")?
        } else {
            nomad.jobs().parse(&text, &WriteOptions::new()).await?
        };
        let plan = nomad.jobs().plan(&job, &PlanOptions::default()).await?;
        if conn.json {
            support::print_json(&plan)?;
            return Ok(ExitCode::SUCCESS);
        }
        match &plan.diff {
            Some(diff) if !diff.is_empty() => support::write_stdout(diff.render().as_bytes())?,
            _ => support::line("no changes")?,
        }
        if let Some(failed) = plan.failed_tg_allocs.as_ref().filter(|f| !f.is_empty()) {
            support::line(format_args!(
                "\nplacement failures in: {}",
                failed.keys().cloned().collect::<Vec<_>>().join(", ")
            ))?;
        }
        if !plan.warnings.is_empty() {
            support::line(format_args!("\nwarnings: {}", plan.warnings))?;
        }
        support::line(format_args!(
            "\nregister exactly this plan with RegisterOptions::new().enforce_index({})",
            plan.job_modify_index
        ))?;
        Ok(ExitCode::SUCCESS)
    })
}
