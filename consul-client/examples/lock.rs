//! Takes a lock on a KV key (a session renewed in the background), holds it
//! for a while, then releases it. Shows who holds it when it is taken.

mod common;

use std::time::Duration;

use clap::Parser;
use consul_client::{ConsulClient, LockOptions};

/// Hold a Consul lock for a while.
#[derive(Parser)]
struct Args {
    /// Lock key, e.g. locks/maintenance.
    key: String,
    /// Seconds to wait for the current holder to let go.
    #[arg(long, default_value_t = 0)]
    wait: u64,
    /// Seconds to hold the lock.
    #[arg(long, default_value_t = 10)]
    hold: u64,
    /// Value written to the key while held.
    #[arg(long, default_value = "ops-sdk example")]
    holder: String,
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
    let opts = LockOptions {
        value: args.holder.clone().into_bytes(),
        session_name: format!("lock example: {}", args.holder),
        wait: Duration::from_secs(args.wait),
        ..LockOptions::default()
    };
    let mut guard = consul.sessions().lock(&args.key, &opts).await?;
    let session = guard.session_id().to_owned();
    if !args.json {
        println!("holding {} with session {session} for {}s", args.key, args.hold);
    }
    let lost = tokio::select! {
        () = tokio::time::sleep(Duration::from_secs(args.hold)) => false,
        () = guard.lost() => true,
    };
    if lost {
        anyhow::bail!("the lock on {} was lost while held (session {session} invalidated)", args.key);
    }
    guard.release().await?;
    if args.json {
        return common::print_json(&serde_json::json!({ "key": args.key, "session": session, "released": true }));
    }
    println!("released {}", args.key);
    Ok(())
}
