//! Shows the instances of a service with their checks (`/v1/health/service/<name>`).

mod common;

use clap::Parser;
use consul_client::{ConsulClient, QueryOptions, ServiceHealthOptions};

/// Show the health of a Consul service.
#[derive(Parser)]
struct Args {
    /// Service name.
    service: String,
    /// Only instances whose checks all pass.
    #[arg(long)]
    passing: bool,
    /// Only instances with this tag (repeatable).
    #[arg(long)]
    tag: Vec<String>,
    /// Datacenter.
    #[arg(long)]
    dc: Option<String>,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    common::finish(run(Args::parse()).await)
}

async fn run(args: Args) -> anyhow::Result<()> {
    let consul = ConsulClient::from_env()?;
    let which = ServiceHealthOptions { passing: args.passing, tags: args.tag };
    let opts = QueryOptions { datacenter: args.dc, ..QueryOptions::default() };
    let entries = consul.health().service(&args.service, &which, &opts).await?.value;
    if args.json {
        return common::print_json(&entries);
    }
    let rows: Vec<Vec<String>> = entries
        .iter()
        .map(|e| {
            let checks: Vec<String> = e.checks.iter().map(|c| format!("{}={}", c.name, c.status)).collect();
            vec![
                e.node.node.clone(),
                e.service.id.clone(),
                format!("{}:{}", e.service.effective_address(&e.node.address), e.service.port),
                e.service.tags.join(","),
                e.aggregated_status().to_string(),
                checks.join(" "),
            ]
        })
        .collect();
    common::print_table(&["NODE", "SERVICE ID", "ADDRESS", "TAGS", "STATUS", "CHECKS"], &rows);
    Ok(())
}
