//! Shows the ACL token in use (`CONSUL_HTTP_TOKEN` / `CONSUL_HTTP_TOKEN_FILE`): its accessor, description and policies.
//! The secret itself is never printed.

mod common;

use clap::Parser;
use consul_client::{ConsulClient, QueryOptions};

/// Describe the Consul ACL token this environment uses.
#[derive(Parser)]
struct Args {
    /// Print JSON instead of a table (the secret is omitted).
    #[arg(long)]
    json: bool,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    common::finish(run(Args::parse()).await)
}

async fn run(args: Args) -> anyhow::Result<()> {
    let consul = ConsulClient::from_env()?;
    let mut token = consul.acl().token_self(&QueryOptions::default()).await?.value;
    token.secret_id = None;
    if args.json {
        return common::print_json(&token);
    }
    let policies: Vec<&str> = token.policies.iter().map(|p| p.name.as_str()).collect();
    common::print_table(
        &["ACCESSOR", "DESCRIPTION", "POLICIES", "LOCAL", "CREATED"],
        &[vec![
            token.accessor_id.clone(),
            token.description.clone(),
            policies.join(","),
            token.local.to_string(),
            token.create_time.clone(),
        ]],
    );
    Ok(())
}
