//! Creates an ACL token linked to existing policies (by name), like
//! `consul acl token create -description .. -policy-name ..`, and prints its
//! accessor. The secret is printed only with `--show-secret`.

mod common;

use clap::Parser;
use consul_client::{AclLink, AclTokenRequest, ConsulClient, WriteOptions};

/// Create a Consul ACL token (needs a token with acl:write in CONSUL_HTTP_TOKEN).
#[derive(Parser)]
struct Args {
    /// What the token is for.
    #[arg(long)]
    description: String,
    /// A policy to link, by name (repeatable).
    #[arg(long = "policy-name", required = true)]
    policies: Vec<String>,
    /// Lifetime, Go syntax (`1h`); none: never expires.
    #[arg(long)]
    ttl: Option<String>,
    /// Print the secret too (it is the credential: keep it out of logs).
    #[arg(long)]
    show_secret: bool,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    common::finish(run(Args::parse()).await)
}

async fn run(args: Args) -> anyhow::Result<()> {
    let consul = ConsulClient::from_env()?;
    let mut request = AclTokenRequest::new(args.description);
    for policy in args.policies {
        request = request.policy(AclLink::name(policy));
    }
    if let Some(ttl) = args.ttl {
        request = request.expiration_ttl(ttl);
    }
    let token = consul.acl().token_create(&request, &WriteOptions::default()).await?;
    let policies: Vec<&str> = token.policies.iter().map(|p| p.name.as_str()).collect();
    common::print_table(
        &["ACCESSOR", "DESCRIPTION", "POLICIES", "EXPIRES"],
        &[vec![
            token.accessor_id.clone(),
            token.description.clone(),
            policies.join(","),
            token.expiration_time.clone().unwrap_or_else(|| "never".into()),
        ]],
    );
    if args.show_secret {
        if let Some(secret) = &token.secret_id {
            println!("secret: {}", secret.expose());
        }
    }
    Ok(())
}
