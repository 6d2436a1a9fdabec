//! Writes a `service-defaults` config entry (protocol), with CAS so a
//! concurrent change is never overwritten.

mod common;

use anyhow::bail;
use clap::Parser;
use consul_client::{ConfigWriteOptions, ConsulClient, QueryOptions, ServiceDefaults};

/// Set the protocol of a service (service-defaults config entry).
#[derive(Parser)]
struct Args {
    /// Service name.
    service: String,
    /// Protocol: tcp, http, http2 or grpc.
    protocol: String,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    common::finish(run(Args::parse()).await)
}

async fn run(args: Args) -> anyhow::Result<()> {
    if !["tcp", "http", "http2", "grpc"].contains(&args.protocol.as_str()) {
        bail!("protocol {:?} is not one of tcp, http, http2, grpc", args.protocol);
    }
    let consul = ConsulClient::from_env()?;
    let entries = consul.config_entries();
    let current = entries.get::<ServiceDefaults>(&args.service, &QueryOptions::default()).await?.value;
    // Keep every other field of an existing entry; CAS on its index (0: create only).
    let cas = current.as_ref().map_or(0, |e| e.modify_index);
    let mut entry =
        current.unwrap_or_else(|| ServiceDefaults { name: args.service.clone(), ..ServiceDefaults::default() });
    entry.protocol = args.protocol;
    if !entries.put(&entry, &ConfigWriteOptions { cas: Some(cas), ..ConfigWriteOptions::default() }).await? {
        bail!("service-defaults {:?} changed while we wrote it; run again", args.service);
    }
    let written = entries.get::<ServiceDefaults>(&args.service, &QueryOptions::default()).await?.value;
    if args.json {
        return common::print_json(&written);
    }
    println!("service-defaults {}: protocol {}", entry.name, entry.protocol);
    Ok(())
}
