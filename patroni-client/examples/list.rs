//! Lists a Patroni cluster like `patronictl list`.
//!
//! ```text
//! cargo run -p ops-sdk-patroni --example list -- --member http://127.0.0.1:8008 [--member ...] [--json]
//! ```

use clap::Parser;
use patroni_client::ClusterView;

/// List a Patroni cluster's members, roles, states and lag.
#[derive(Parser)]
struct Args {
    /// A member's REST API URL (repeat for several; the first that answers is used).
    #[arg(long = "member", env = "PATRONI_URL", required = true)]
    members: Vec<String>,
    /// Print the `/cluster` JSON instead of a table.
    #[arg(long)]
    json: bool,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let view = ClusterView::new(&args.members)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&view.cluster().await?)?);
        return Ok(());
    }
    print!("{}", view.table().await?);
    Ok(())
}
