//! Purge a client node that is down for good, instead of waiting for the
//! garbage collector. Refuses nodes that are not down; dry run unless `--yes`.
//!
//! ```text
//! cargo run -p ops-sdk-nomad --example node_purge -- ea4c7b83 --yes
//! ```

mod support;

use std::process::ExitCode;

use anyhow::bail;
use nomad_client::{QueryOptions, WriteOptions};

#[derive(Debug, clap::Args)]
struct Args {
    /// Node ID or a unique prefix of it (an even number of hex digits, not empty).
    node: String,
    /// Really purge (otherwise only print what would happen).
    #[arg(long)]
    yes: bool,
}

fn main() -> ExitCode {
    support::main("Purge a down Nomad client node", |args: Args, conn| async move {
        let nomad = conn.client()?;
        let matches = nomad.nodes().list(&QueryOptions::new().prefix(args.node.clone())).await?.value;
        let node = match matches.as_slice() {
            [node] => node,
            [] => bail!("no node ID starts with {:?}", args.node),
            several => bail!("{} nodes start with {:?}; give more characters of the ID", several.len(), args.node),
        };
        if !node.is_down() {
            bail!("node {} ({}) is {}, not down; only down nodes are purged", node.id, node.name, node.status);
        }
        if !args.yes {
            let plan = serde_json::json!({ "node": node.id, "name": node.name, "status": node.status });
            let text = format!("would purge node {} ({}, down); re-run with --yes to do it", node.id, node.name);
            support::write_stdout(support::dry_run_output(conn.json, plan, &text)?.as_bytes())?;
            return Ok(ExitCode::SUCCESS);
        }
        let resp = nomad.nodes().purge(&node.id, &WriteOptions::new()).await?;
        if conn.json {
            support::print_json(&resp)?;
        } else {
            support::line(format_args!(
                "purged node {} ({}); {} evaluation(s) created",
                node.id,
                node.name,
                resp.eval_ids.map_or(0, |e| e.len())
            ))?;
        }
        Ok(ExitCode::SUCCESS)
    })
}
