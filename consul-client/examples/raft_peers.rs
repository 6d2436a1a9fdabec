//! Lists the Raft peers, like `consul operator raft list-peers` (with `--stale` when the leader is gone).

mod common;

use clap::Parser;
use consul_client::{ConsulClient, QueryOptions};

/// List Consul Raft peers.
#[derive(Parser)]
struct Args {
    /// Ask any server, even without a leader.
    #[arg(long)]
    stale: bool,
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
    let opts = if args.stale { QueryOptions::new().stale() } else { QueryOptions::new() };
    let raft = consul.operator().raft_configuration(&opts).await?;
    if args.json {
        return common::print_json(&raft);
    }
    let rows: Vec<Vec<String>> = raft
        .servers
        .iter()
        .map(|s| {
            let state = if s.leader { "leader" } else { "follower" };
            vec![s.node.clone(), s.id.clone(), s.address.clone(), state.into(), s.voter.to_string()]
        })
        .collect();
    common::print_table(&["NODE", "ID", "ADDRESS", "STATE", "VOTER"], &rows);
    Ok(())
}
