//! Read Nomad and Consul credentials for a role (`nomad/creds/<role>`,
//! `consul/creds/<role>`) and show their accessors and leases. The tokens
//! themselves are printed only with `--show-secrets`, as shell exports.
//! With `--verify`, a NomadClient and a ConsulClient are built from the new
//! tokens (addresses from NOMAD_ADDR / CONSUL_HTTP_ADDR) and each asks its
//! server who the token is.
//!
//! ```text
//! cargo run -p ops-sdk-vault --example creds -- --role developer --verify
//! ```

#[path = "common/mod.rs"]
mod common;

use std::process::ExitCode;

use clap::Parser;
use consul_client::ConsulClient;
use nomad_client::NomadClient;
use vault_client::{ConsulCreds, Lease, Leased, NomadCreds};

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
    /// Build Nomad and Consul clients from the tokens and look each token up.
    #[arg(long)]
    verify: bool,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

/// What Nomad and Consul say about the new tokens.
struct Verified {
    nomad: String,
    consul: String,
}

/// Builds a NomadClient and a ConsulClient sending the new tokens and asks each server about its token.
async fn verify(nomad: &Leased<NomadCreds>, consul: &Leased<ConsulCreds>) -> anyhow::Result<Verified> {
    let nomad_token = nomad.data.secret_id.expose().to_owned();
    let nomad_client = NomadClient::from_lookup(|name| {
        if name == "NOMAD_TOKEN" { Some(nomad_token.clone()) } else { std::env::var(name).ok() }
    })?;
    let me = nomad_client.acl().token_self(&nomad_client::QueryOptions::new()).await?;
    let nomad_policies = me.policies.unwrap_or_default().join(", ");
    let consul_client = ConsulClient::from_env()?.with_token(consul.data.token.clone());
    let token = consul_client.acl().token_self(&consul_client::QueryOptions::default()).await?.value;
    let consul_policies: Vec<&str> = token.policies.iter().map(|p| p.name.as_str()).collect();
    Ok(Verified {
        nomad: format!("{} token {:?} (policies: {nomad_policies})", me.token_type, me.name),
        consul: format!("token {:?} (policies: {})", token.description, consul_policies.join(", ")),
    })
}

#[tokio::main]
async fn main() -> ExitCode {
    common::finish(run(Args::parse()).await)
}

/// Revokes the leases of credentials nobody will get, and returns `error`
/// with what happened to them.
async fn revoke_after_failure(
    vault: &vault_client::VaultClient,
    leases: &[&Lease],
    error: anyhow::Error,
) -> anyhow::Error {
    let mut failed = Vec::new();
    for lease in leases {
        if let Err(e) = vault.sys().leases().revoke(&lease.id).await {
            failed.push(format!("{}: {e}", lease.id));
        }
    }
    if failed.is_empty() {
        error.context("the leases already obtained were revoked")
    } else {
        error.context(format!("and the leases could not be revoked ({}); revoke them by hand", failed.join("; ")))
    }
}

fn lease_json(lease: &Lease) -> serde_json::Value {
    serde_json::json!({ "id": lease.id, "duration_seconds": lease.duration.as_secs(), "renewable": lease.renewable })
}

async fn run(args: Args) -> anyhow::Result<()> {
    let vault = args.connection.client()?;
    let secrets = vault.secrets();
    // The tokens are meant to outlive this program (they are printed for export),
    // but not when it fails: then nobody holds them, so their leases are revoked
    // (the Nomad one by nomad_and_consul_creds when the Consul read fails).
    let (nomad, consul) = secrets.nomad_and_consul_creds(&args.nomad_mount, &args.consul_mount, &args.role).await?;
    let verified = if args.verify {
        match verify(&nomad, &consul).await {
            Ok(v) => Some(v),
            Err(e) => return Err(revoke_after_failure(&vault, &[&nomad.lease, &consul.lease], e).await),
        }
    } else {
        None
    };
    if args.json {
        let mut out = serde_json::json!({
            "nomad": { "accessor_id": nomad.data.accessor_id, "lease": lease_json(&nomad.lease) },
            "consul": { "accessor": consul.data.accessor, "lease": lease_json(&consul.lease) },
        });
        if let Some(v) = &verified {
            out["nomad"]["verified"] = v.nomad.clone().into();
            out["consul"]["verified"] = v.consul.clone().into();
        }
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
    if let Some(v) = &verified {
        println!("nomad  says: {}", v.nomad);
        println!("consul says: {}", v.consul);
    }
    if args.show_secrets {
        println!("export NOMAD_TOKEN={}", nomad.data.secret_id.expose());
        println!("export CONSUL_HTTP_TOKEN={}", consul.data.token.expose());
    } else {
        println!("(tokens hidden; --show-secrets prints them as exports)");
    }
    Ok(())
}
