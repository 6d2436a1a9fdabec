//! Removes a dead server from the Raft configuration, like
//! `consul operator raft remove-peer -address=..` / `-id=..`. The peer is
//! checked against the configuration first: an unknown peer, the only server
//! and the only voter are refused before anything is sent.

mod common;

use clap::Parser;
use consul_client::{ConsulClient, RaftPeer, WriteOptions};

/// Remove a Consul Raft peer (needs operator:write).
#[derive(Parser)]
#[command(group = clap::ArgGroup::new("peer").required(true))]
struct Args {
    /// The peer's Raft address, exactly as `raft_peers` lists it (10.0.0.3:8300).
    #[arg(long, group = "peer")]
    address: Option<String>,
    /// The peer's server ID.
    #[arg(long, group = "peer")]
    id: Option<String>,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    common::finish(run(Args::parse()).await)
}

async fn run(args: Args) -> anyhow::Result<()> {
    let consul = ConsulClient::from_env()?;
    let peer = match (&args.address, &args.id) {
        (Some(address), _) => RaftPeer::Address(address),
        (None, Some(id)) => RaftPeer::Id(id),
        (None, None) => anyhow::bail!("name the peer with --address or --id"),
    };
    let removed = consul.operator().raft_remove_peer(peer, &WriteOptions::default()).await?;
    println!("removed {} ({}, {}) from the Raft configuration", removed.node, removed.address, removed.id);
    Ok(())
}
