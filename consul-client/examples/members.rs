//! Lists the gossip members of the LAN (or WAN) pool with their status, like `consul members`.

mod common;

use clap::Parser;
use consul_client::ConsulClient;

/// List Consul gossip members.
#[derive(Parser)]
struct Args {
    /// The WAN pool (servers of every datacenter) instead of the LAN pool.
    #[arg(long)]
    wan: bool,
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
    let members = consul.agent().members(args.wan).await?;
    if args.json {
        return common::print_json(&members);
    }
    let rows: Vec<Vec<String>> = members
        .iter()
        .map(|m| {
            let role = if m.is_server() { "server" } else { "client" };
            let dc = m.tags.get("dc").cloned().unwrap_or_default();
            vec![
                m.name.clone(),
                format!("{}:{}", m.addr, m.port),
                m.status.to_string(),
                role.into(),
                m.version().unwrap_or("?").into(),
                dc,
            ]
        })
        .collect();
    common::print_table(&["NODE", "ADDRESS", "STATUS", "TYPE", "BUILD", "DC"], &rows);
    Ok(())
}
