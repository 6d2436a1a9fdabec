//! Bootstrap a machine's AppRole login: create (or update) a role with
//! policies, print its role ID, generate a secret ID and print its
//! accessor. The secret ID itself is printed only with `--show-secret`
//! (hand it to the machine over a channel you trust; revoke it with
//! `vault write auth/approle/role/<role>/secret-id-accessor/destroy
//! secret_id_accessor=<accessor>`).
//!
//! ```text
//! cargo run -p ops-sdk-vault --example approle_bootstrap -- --role patroni \
//!     --policy db-read --token-ttl 1h --secret-id-ttl 24h
//! ```

#[path = "common/mod.rs"]
mod common;

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use vault_client::auth::{AppRoleSettings, SecretIdRequest, TokenParams};

/// Create an AppRole role and a secret ID for it.
#[derive(Debug, Parser)]
struct Args {
    #[command(flatten)]
    connection: common::Connection,
    /// The AppRole role to create or update.
    #[arg(long)]
    role: String,
    /// Policy of the role's tokens (repeat for several).
    #[arg(long = "policy", required = true)]
    policies: Vec<String>,
    /// Mount of the AppRole method.
    #[arg(long, default_value = "approle")]
    mount: String,
    /// TTL of the tokens a login gets (Go syntax: 30m, 1h; default: the mount's).
    #[arg(long, value_parser = parse_duration)]
    token_ttl: Option<Duration>,
    /// Lifetime of the secret IDs (default: the role's, which is unlimited unless set).
    #[arg(long, value_parser = parse_duration)]
    secret_id_ttl: Option<Duration>,
    /// Print the secret ID (else only its accessor).
    #[arg(long)]
    show_secret: bool,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    client_core::config::parse_duration_seconds("duration", text).map_err(|e| e.to_string())
}

#[tokio::main]
async fn main() -> ExitCode {
    common::finish(run(Args::parse()).await)
}

async fn run(args: Args) -> anyhow::Result<()> {
    let vault = args.connection.client()?;
    let approle = vault.auth().approle(&args.mount)?;
    let settings = AppRoleSettings {
        secret_id_ttl: args.secret_id_ttl,
        token: TokenParams { token_ttl: args.token_ttl, ..TokenParams::with_policies(&args.policies) },
        ..AppRoleSettings::default()
    };
    approle.write_role(&args.role, &settings).await?;
    let role_id = approle.role_id(&args.role).await?;
    let secret_id = approle.generate_secret_id(&args.role, &SecretIdRequest::default()).await?;
    let shown = args.show_secret.then(|| secret_id.secret_id.expose().to_owned());
    if args.json {
        return common::print_json(&serde_json::json!({
            "role": args.role,
            "role_id": role_id,
            "secret_id_accessor": secret_id.secret_id_accessor,
            "secret_id_ttl_seconds": secret_id.secret_id_ttl.as_secs(),
            "secret_id": shown,
        }));
    }
    println!("role {} (policies {})", args.role, args.policies.join(", "));
    println!("role-id {role_id}");
    println!("secret-id accessor {} (ttl {}s)", secret_id.secret_id_accessor, secret_id.secret_id_ttl.as_secs());
    match shown {
        Some(secret) => println!("secret-id {secret}"),
        None => println!("(secret-id hidden; --show-secret prints it)"),
    }
    Ok(())
}
