//! Log in to Vault with a GitHub personal access token, then show what the
//! new token is (policies, TTL, accessor).
//!
//! ```text
//! GITHUB_TOKEN=ghp_... cargo run -p ops-sdk-vault --example github_login -- --mount github-employees
//! ```

#[path = "common/mod.rs"]
mod common;

use std::process::ExitCode;

use clap::Parser;
use vault_client::Secret;

/// Log in to Vault with GitHub and print the resulting token's lookup.
#[derive(Debug, Parser)]
struct Args {
    #[command(flatten)]
    connection: common::Connection,
    /// Mount path of the GitHub auth method.
    #[arg(long, default_value = "github-employees")]
    mount: String,
    /// Environment variable holding the GitHub token (never pass a token as an argument).
    #[arg(long, default_value = "GITHUB_TOKEN")]
    github_token_env: String,
    /// Also print `export VAULT_TOKEN=...` for the new token.
    #[arg(long)]
    show_token: bool,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

#[tokio::main]
async fn main() -> ExitCode {
    common::finish(run(Args::parse()).await)
}

async fn run(args: Args) -> anyhow::Result<()> {
    let github_token = std::env::var(&args.github_token_env)
        .ok()
        .filter(|t| !t.trim().is_empty())
        .map(|t| Secret::new(t.trim()))
        .ok_or_else(|| {
            anyhow::anyhow!("{} is not set; export your GitHub personal access token", args.github_token_env)
        })?;
    let vault = args.connection.client()?;
    let login = vault.auth().github(&args.mount)?.login(&github_token).await?;
    let info = login.client.auth().token().lookup_self().await?;
    if args.json {
        let mut out = serde_json::json!({
            "accessor": info.accessor,
            "display_name": info.display_name,
            "policies": info.policies,
            "ttl_seconds": info.ttl,
            "renewable": info.renewable,
            "expire_time": info.expire_time,
            "metadata": info.meta,
        });
        if args.show_token {
            out["token"] = login.auth.client_token.expose().into();
        }
        return common::print_json(&out);
    }
    println!("logged in as {} via auth/{}", info.display_name, args.mount);
    println!("  accessor  {}", info.accessor);
    println!("  policies  {}", info.policies.join(", "));
    println!("  ttl       {}s (renewable: {})", info.ttl, info.renewable);
    if let Some(expire) = &info.expire_time {
        println!("  expires   {expire}");
    }
    if args.show_token {
        println!("export VAULT_TOKEN={}", login.auth.client_token.expose());
    }
    Ok(())
}
