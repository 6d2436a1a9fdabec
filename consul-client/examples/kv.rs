//! Reads or writes one KV key (`get KEY`, `put KEY VALUE [--cas INDEX]`).

mod common;

use anyhow::bail;
use clap::{Parser, Subcommand};
use consul_client::{ConsulClient, PutOptions, QueryOptions};

/// Read or write a Consul KV key.
#[derive(Parser)]
struct Args {
    #[command(subcommand)]
    command: Command,
    /// Print JSON instead of text.
    #[arg(long, global = true)]
    json: bool,
}

#[derive(Subcommand)]
enum Command {
    /// Read a key.
    Get {
        /// The key, e.g. service/demo/config.
        key: String,
    },
    /// Write a key.
    Put {
        /// The key.
        key: String,
        /// The value (UTF-8 text).
        value: String,
        /// Write only if the key's ModifyIndex is this (0: only if absent).
        #[arg(long)]
        cas: Option<u64>,
    },
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    common::finish(run(Args::parse()).await)
}

async fn run(args: Args) -> anyhow::Result<()> {
    let consul = ConsulClient::from_env()?;
    match args.command {
        Command::Get { key } => {
            let Some(pair) = consul.kv().get(&key, &QueryOptions::default()).await?.value else {
                bail!("key {key:?} does not exist");
            };
            if args.json {
                return common::print_json(&pair);
            }
            let value = pair
                .value_str()
                .map_or_else(|| format!("<{} bytes>", pair.value.as_ref().map_or(0, Vec::len)), str::to_owned);
            common::print_table(
                &["KEY", "MODIFY INDEX", "FLAGS", "SESSION", "VALUE"],
                &[vec![
                    pair.key.clone(),
                    pair.modify_index.to_string(),
                    pair.flags.to_string(),
                    pair.session.unwrap_or_default(),
                    value,
                ]],
            );
        }
        Command::Put { key, value, cas } => {
            let written = consul.kv().put(&key, value.as_bytes(), &PutOptions { cas, ..PutOptions::default() }).await?;
            if !written {
                bail!("key {key:?} was not written: its ModifyIndex no longer matches --cas {}", cas.unwrap_or(0));
            }
            if args.json {
                return common::print_json(&serde_json::json!({ "key": key, "written": true }));
            }
            println!("wrote {key}");
        }
    }
    Ok(())
}
