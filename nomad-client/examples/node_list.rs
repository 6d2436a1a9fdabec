//! List client nodes with their resources (what `nomad node status -verbose` shows).
//!
//! ```text
//! cargo run -p ops-sdk-nomad --example node_list
//! ```

mod support;

use std::process::ExitCode;

use nomad_client::QueryOptions;

#[derive(Debug, clap::Args)]
struct Args {
    /// Only nodes whose ID starts with this prefix.
    #[arg(long)]
    prefix: Option<String>,
}

fn main() -> ExitCode {
    support::main("List Nomad client nodes", |args: Args, conn| async move {
        let nomad = conn.client()?;
        let mut q = QueryOptions::new();
        q.prefix = args.prefix;
        let nodes = nomad.nodes().list_with_resources(&q).await?.value;
        if conn.json {
            support::print_json(&nodes)?;
            return Ok(ExitCode::SUCCESS);
        }
        support::line(format_args!(
            "{:<8}  {:<20} {:<6} {:<8} {:<11} {:<6} {:<8} {:>9} {:>9}",
            "ID", "NAME", "DC", "STATUS", "ELIGIBILITY", "DRAIN", "VERSION", "CPU MHZ", "MEM MB"
        ))?;
        for n in &nodes {
            let resources = n.extra.get("NodeResources");
            let cpu = resources.and_then(|r| r.pointer("/Cpu/CpuShares")).and_then(serde_json::Value::as_u64);
            let mem = resources.and_then(|r| r.pointer("/Memory/MemoryMB")).and_then(serde_json::Value::as_u64);
            let show = |v: Option<u64>| v.map_or_else(|| "-".to_owned(), |v| v.to_string());
            support::line(format_args!(
                "{:<8}  {:<20} {:<6} {:<8} {:<11} {:<6} {:<8} {:>9} {:>9}",
                n.id.get(..8).unwrap_or(&n.id),
                n.name,
                n.datacenter,
                n.status,
                n.scheduling_eligibility,
                n.drain,
                n.version,
                show(cpu),
                show(mem)
            ))?;
        }
        Ok(ExitCode::SUCCESS)
    })
}
