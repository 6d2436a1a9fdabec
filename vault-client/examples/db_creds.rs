//! Read PostgreSQL credentials for a role of the database secrets engine
//! (`database/creds/<role>`) and print a connection URL with the lease's
//! TTL. The password is shown as `REDACTED` unless `--show-password` asks
//! for it. The lease is left to run (the user lives until it expires or is
//! revoked with `vault lease revoke <id>`).
//!
//! ```text
//! cargo run -p ops-sdk-vault --example db_creds -- --role readonly \
//!     --host pg.service.consul --database app
//! ```

#[path = "common/mod.rs"]
mod common;

use std::process::ExitCode;

use clap::Parser;

/// Print a PostgreSQL connection URL for a Vault database role.
#[derive(Debug, Parser)]
struct Args {
    #[command(flatten)]
    connection: common::Connection,
    /// Role of the database secrets engine.
    #[arg(long)]
    role: String,
    /// Mount of the database secrets engine.
    #[arg(long, default_value = "database")]
    mount: String,
    /// PostgreSQL host to put in the URL.
    #[arg(long, default_value = "localhost")]
    host: String,
    /// PostgreSQL port.
    #[arg(long, default_value_t = 5432)]
    port: u16,
    /// Database name.
    #[arg(long, default_value = "postgres")]
    database: String,
    /// Print the password in the URL (else REDACTED).
    #[arg(long)]
    show_password: bool,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

#[tokio::main]
async fn main() -> ExitCode {
    common::finish(run(Args::parse()).await)
}

async fn run(args: Args) -> anyhow::Result<()> {
    let vault = args.connection.client()?;
    let creds = vault.database(&args.mount)?.creds(&args.role).await?;
    let url = if args.show_password {
        creds.data.postgres_url(&args.host, args.port, &args.database)?.expose().to_owned()
    } else {
        creds.data.postgres_url_redacted(&args.host, args.port, &args.database)?
    };
    let lease = &creds.lease;
    if args.json {
        return common::print_json(&serde_json::json!({
            "url": url,
            "username": creds.data.username,
            "lease": { "id": lease.id, "ttl_seconds": lease.duration.as_secs(), "renewable": lease.renewable },
        }));
    }
    println!("{url}");
    println!("lease {} (ttl {}s, renewable: {})", lease.id, lease.duration.as_secs(), lease.renewable);
    if !args.show_password {
        println!("(password hidden; --show-password prints it)");
    }
    Ok(())
}
