//! Read Nomad and Consul credentials for a role (`nomad/creds/<role>`,
//! `consul/creds/<role>`) and show their accessors and leases. The tokens
//! themselves are printed only with `--show-secrets`, as shell exports.
//!
//! ```text
//! cargo run -p vault-client --example creds -- --role developer
//! ```

#[path = "common/mod.rs"]
mod common;

use std::process::ExitCode;

use clap::Parser;
use vault_client::Lease;

/// Read Nomad and Consul tokens for a role from Vault.
#[derive(Debug, Parser)]
struct Args {
    #[command(flatten)]
    connection: common::Connection,
    /// Vault role of both engines (e.g. admin, developer).
    #[arg(long)]
    role: String,
    /// Mount of the Nomad secrets engine.
    #[arg(long, default_value = "nomad")]
    nomad_mount: String,
    /// Mount of the Consul secrets engine.
    #[arg(long, default_value = "consul")]
    consul_mount: String,
    /// Print the tokens (as NOMAD_TOKEN / CONSUL_HTTP_TOKEN exports).
    #[arg(long)]
    show_secrets: bool,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

#[tokio::main]
async fn main() -> ExitCode {
    common::finish(run(Args::parse()).await)
}

fn lease_json(lease: &Lease) -> serde_json::Value {
    serde_json::json!({ "id": lease.id, "duration_seconds": lease.duration.as_secs(), "renewable": lease.renewable })
}

async fn run(args: Args) -> anyhow::Result<()> {
    let vault = args.connection.client()?;
    let secrets = vault.secrets();
    let nomad = secrets.nomad_creds_at(&args.nomad_mount, &args.role).await?;
    let consul = secrets.consul_creds_at(&args.consul_mount, &args.role).await?;
    if args.json {
        let mut out = serde_json::json!({
            "nomad": { "accessor_id": nomad.data.accessor_id, "lease": lease_json(&nomad.lease) },
            "consul": { "accessor": consul.data.accessor, "lease": lease_json(&consul.lease) },
        });
        if args.show_secrets {
            out["nomad"]["secret_id"] = nomad.data.secret_id.expose().into();
            out["consul"]["token"] = consul.data.token.expose().into();
        }
        return common::print_json(&out);
    }
    println!(
        "nomad  accessor {}  lease {} ({}s, renewable: {})",
        nomad.data.accessor_id,
        nomad.lease.id,
        nomad.lease.duration.as_secs(),
        nomad.lease.renewable
    );
    println!(
        "consul accessor {}  lease {} ({}s, renewable: {})",
        consul.data.accessor,
        consul.lease.id,
        consul.lease.duration.as_secs(),
        consul.lease.renewable
    );
    if args.show_secrets {
        println!("export NOMAD_TOKEN={}", nomad.data.secret_id.expose());
        println!("export CONSUL_HTTP_TOKEN={}", consul.data.token.expose());
    } else {
        println!("(tokens hidden; --show-secrets prints them as exports)");
    }
    Ok(())
}
