//! Switches the leader role over to a replica, after confirmation.
//!
//! ```text
//! cargo run -p ops-sdk-patroni --example switchover -- --member http://127.0.0.1:8008 \
//!     [--candidate dbHA2] [--username patroni] [--yes]
//! ```
//! The REST API password is read from `PATRONI_PASSWORD` (never a flag, so
//! it stays out of shell history and `ps`).

use std::io::Write as _;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::Parser;
use patroni_client::{ClusterView, LeaderIs, PatroniClient, Switchover};

/// Switch a Patroni cluster's leader over to a replica.
#[derive(Parser)]
struct Args {
    /// A member's REST API URL (repeat for several).
    #[arg(long = "member", env = "PATRONI_URL", required = true)]
    members: Vec<String>,
    /// The new leader; default: the healthiest replica, as Patroni picks it.
    #[arg(long)]
    candidate: Option<String>,
    /// REST API user (with the password from `PATRONI_PASSWORD`).
    #[arg(long, env = "PATRONI_USERNAME")]
    username: Option<String>,
    /// Do not ask for confirmation.
    #[arg(long)]
    yes: bool,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let password = std::env::var("PATRONI_PASSWORD").ok();
    let clients = args
        .members
        .iter()
        .map(|url| {
            let mut builder = PatroniClient::builder().address(url);
            if let (Some(user), Some(pw)) = (&args.username, &password) {
                builder = builder.basic_auth(user, pw.as_str());
            }
            builder.build()
        })
        .collect::<Result<Vec<_>, _>>()?;
    let view = ClusterView::from_clients(clients)?;
    print!("{}", view.table().await?);
    let cluster = view.cluster().await?;
    let leader = cluster.leader().context("the cluster has no leader: use a failover, not a switchover")?;
    if let Some(candidate) = &args.candidate {
        if cluster.member(candidate).is_none() {
            bail!("{candidate:?} is not a member of this cluster");
        }
    }
    let target = args.candidate.as_deref().unwrap_or("the best replica (Patroni picks)");
    if !args.yes {
        print!("Switch over from {} to {target}? Type 'yes' to proceed: ", leader.name);
        std::io::stdout().flush()?;
        let mut answer = String::new();
        std::io::stdin().read_line(&mut answer)?;
        if answer.trim() != "yes" {
            bail!("aborted: nothing was changed");
        }
    }
    let mut request = Switchover::from_leader(&leader.name);
    if let Some(candidate) = &args.candidate {
        request = request.to(candidate);
    }
    let outcome = view.leader_client().await?.switchover(&request).await?;
    println!("{}", outcome.message);
    if let Some(candidate) = &args.candidate {
        view.wait_until(&LeaderIs(candidate.clone()), Duration::from_secs(60)).await?;
        print!("{}", view.table().await?);
    }
    Ok(())
}
