//! Read or change a namespace's database settings in Vault KV
//! (`<mount>/nomad-cluster/<namespace>/<key>`), which the PostgreSQL HA jobs
//! read at start. The KV version of the mount is detected.
//!
//! ```text
//! cargo run -p ops-sdk-vault --example db_settings -- --namespace atala-testnet get
//! cargo run -p ops-sdk-vault --example db_settings -- --namespace atala-testnet set --bootstrap-method initdb
//! ```

#[path = "common/mod.rs"]
mod common;

use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use serde::{Deserialize, Serialize};

/// Read or change a namespace's database settings in Vault KV.
#[derive(Debug, Parser)]
struct Args {
    #[command(flatten)]
    connection: common::Connection,
    /// Nomad namespace (environment), e.g. atala-testnet.
    #[arg(long)]
    namespace: String,
    /// KV mount holding the cluster settings.
    #[arg(long, default_value = "kv")]
    mount: String,
    /// Key under nomad-cluster/<namespace>/.
    #[arg(long, default_value = "database")]
    key: String,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Show the settings.
    Get,
    /// Change some settings; the others are kept as they are.
    Set(SetArgs),
}

#[derive(Debug, clap::Args)]
struct SetArgs {
    /// How Patroni bootstraps a new cluster.
    #[arg(long, value_enum)]
    bootstrap_method: Option<BootstrapMethod>,
    /// Timeline to restore with walg_timeline.
    #[arg(long)]
    walg_timeline: Option<String>,
    /// Timeline to restore with walg_pitr.
    #[arg(long)]
    walg_pitr_timeline: Option<String>,
    /// Target timestamp of walg_pitr (e.g. "2026-11-21 10:00:00+00").
    #[arg(long)]
    walg_pitr_timestamp: Option<String>,
    /// Days of backups wal-g keeps (at least 2).
    #[arg(long, value_parser = clap::value_parser!(u32).range(2..))]
    walg_days_to_retain: Option<u32>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
#[value(rename_all = "snake_case")]
enum BootstrapMethod {
    Initdb,
    WalgTimeline,
    WalgPitr,
}

/// The settings as the jobs read them; unknown keys are kept on write.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DbSettings {
    #[serde(skip_serializing_if = "Option::is_none")]
    patroni_bootstrap_method: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    patroni_bootstrap_method_walg_timeline: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    patroni_bootstrap_method_walg_pitr_timeline: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    patroni_bootstrap_method_walg_pitr_timestamp: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    walg_days_to_retain: Option<serde_json::Value>,
    #[serde(flatten)]
    extra: serde_json::Map<String, serde_json::Value>,
}

#[tokio::main]
async fn main() -> ExitCode {
    common::finish(run(Args::parse()).await)
}

async fn run(args: Args) -> anyhow::Result<()> {
    let vault = args.connection.client()?;
    let kv = vault.kv(&args.mount).await?;
    let path = format!("nomad-cluster/{}/{}", args.namespace, args.key);
    let current: Option<DbSettings> = kv.read(&path).await?;
    let settings = match args.command {
        Command::Get => {
            current.ok_or_else(|| anyhow::anyhow!("no settings at {}; set them with `set`", kv.location(&path)))?
        }
        Command::Set(set) => {
            let mut settings = current.unwrap_or_default();
            apply(&mut settings, set);
            kv.write(&path, &settings).await?;
            settings
        }
    };
    if args.json {
        return common::print_json(&serde_json::to_value(&settings)?);
    }
    println!("{} (KV v{}):", kv.location(&path), kv.version());
    for (key, value) in serde_json::to_value(&settings)?.as_object().into_iter().flatten() {
        println!("  {key} = {}", value.as_str().map_or_else(|| value.to_string(), str::to_owned));
    }
    Ok(())
}

fn apply(settings: &mut DbSettings, set: SetArgs) {
    if let Some(method) = set.bootstrap_method {
        let name = match method {
            BootstrapMethod::Initdb => "initdb",
            BootstrapMethod::WalgTimeline => "walg_timeline",
            BootstrapMethod::WalgPitr => "walg_pitr",
        };
        settings.patroni_bootstrap_method = Some(name.to_owned());
    }
    if let Some(days) = set.walg_days_to_retain {
        // Stored as text, as the jobs' templates read it.
        settings.walg_days_to_retain = Some(days.to_string().into());
    }
    if set.walg_timeline.is_some() {
        settings.patroni_bootstrap_method_walg_timeline = set.walg_timeline;
    }
    if set.walg_pitr_timeline.is_some() {
        settings.patroni_bootstrap_method_walg_pitr_timeline = set.walg_pitr_timeline;
    }
    if set.walg_pitr_timestamp.is_some() {
        settings.patroni_bootstrap_method_walg_pitr_timestamp = set.walg_pitr_timestamp;
    }
}
