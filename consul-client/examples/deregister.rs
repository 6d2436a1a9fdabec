//! Removes a ghost service instance: deregisters it on the Consul agent that
//! owns it (node name) through the catalog, after showing what it is.
//! Does nothing without `--yes`.

mod common;

use anyhow::bail;
use clap::Parser;
use consul_client::{CatalogDeregistration, ConsulClient, QueryOptions};

/// Deregister one service instance (a ghost) from the Consul catalog.
#[derive(Parser)]
struct Args {
    /// Consul node the instance is registered on (see service_health).
    node: String,
    /// Service ID, e.g. _nomad-task-<alloc>-<task>-<service>-<port>.
    service_id: String,
    /// Really do it (without this flag, only show what would happen).
    #[arg(long)]
    yes: bool,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    common::finish(run(Args::parse()).await)
}

async fn run(args: Args) -> anyhow::Result<()> {
    let consul = ConsulClient::from_env()?;
    let node = consul.catalog().node(&args.node, &QueryOptions::default()).await?.value;
    let Some(node) = node else { bail!("node {:?} is not in the catalog", args.node) };
    let Some(service) = node.services.get(&args.service_id) else {
        bail!("service ID {:?} is not registered on node {:?}", args.service_id, args.node);
    };
    if args.yes {
        consul.catalog().deregister(&CatalogDeregistration::service(&args.node, &args.service_id)).await?;
    }
    if args.json {
        return common::print_json(&serde_json::json!({
            "node": args.node, "service_id": args.service_id, "service": service.service, "applied": args.yes,
        }));
    }
    let done = if args.yes {
        "deregistered (if its agent is alive and still has it, anti-entropy will put it back: deregister it there)"
    } else {
        "dry run: pass --yes to deregister"
    };
    println!("{} ({}) on {}: {done}", args.service_id, service.service, args.node);
    Ok(())
}
