//! Forces a failed member out of the gossip pool (`consul force-leave [-prune]`).
//! Refuses an alive member, and does nothing without `--yes`.

mod common;

use anyhow::bail;
use clap::Parser;
use consul_client::{ConsulClient, MemberStatus};

/// Force a failed Consul member to leave.
#[derive(Parser)]
struct Args {
    /// Node name as `consul members` shows it.
    node: String,
    /// Also remove it from the member list at once.
    #[arg(long)]
    prune: bool,
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
    let members = consul.agent().members(false).await?;
    let Some(member) = members.iter().find(|m| m.name == args.node) else {
        bail!("node {:?} is not a LAN member of this agent's datacenter", args.node);
    };
    if member.status == MemberStatus::Alive {
        bail!("node {:?} is alive; force-leave is for failed members only", args.node);
    }
    let action = if args.prune { "force-leave and prune" } else { "force-leave" };
    if args.yes {
        consul.agent().force_leave(&args.node, args.prune).await?;
    }
    let done = if args.yes { "done" } else { "dry run: pass --yes to do it" };
    if args.json {
        return common::print_json(&serde_json::json!({
            "node": args.node, "status_before": member.status.to_string(), "action": action, "applied": args.yes,
        }));
    }
    println!("{action} {} (status {}): {done}", args.node, member.status);
    Ok(())
}
