//! Follows changes with blocking queries (no polling): a KV prefix, the
//! health of a service, or the catalog's service list. Stops after `--count`
//! changes or on Ctrl-C.

mod common;

use std::time::Duration;

use clap::{Parser, Subcommand};
use consul_client::{ConsulClient, QueryOptions, ServiceHealthOptions, WatchOptions};
use futures::{Stream, StreamExt};

/// Watch Consul for changes.
#[derive(Parser)]
struct Args {
    #[command(subcommand)]
    what: What,
    /// Stop after this many updates (the first one is the current state).
    #[arg(long, default_value_t = 5)]
    count: usize,
    /// Print each update as one JSON line.
    #[arg(long)]
    json: bool,
}

#[derive(Subcommand)]
enum What {
    /// Keys under a prefix (end it with '/').
    Kv {
        /// The prefix.
        prefix: String,
    },
    /// Instances of a service and their health.
    Health {
        /// Service name.
        service: String,
    },
    /// The list of services.
    Services,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    common::finish(run(Args::parse()).await)
}

async fn run(args: Args) -> anyhow::Result<()> {
    let consul = ConsulClient::from_env()?;
    let options = WatchOptions { wait: Duration::from_secs(60), ..WatchOptions::default() };
    let q = QueryOptions::default();
    match args.what {
        What::Kv { prefix } => {
            let stream = consul.kv().watch_prefix(&prefix, options);
            follow(stream, args.count, args.json, |pairs: &Vec<consul_client::KvPair>| {
                format!("{} keys: {}", pairs.len(), pairs.iter().map(|p| p.key.as_str()).collect::<Vec<_>>().join(", "))
            })
            .await
        }
        What::Health { service } => {
            let stream = consul.health().watch_service(&service, &ServiceHealthOptions::default(), &q, options);
            follow(stream, args.count, args.json, |entries: &Vec<consul_client::ServiceEntry>| {
                let parts: Vec<String> = entries
                    .iter()
                    .map(|e| format!("{}@{}={}", e.service.id, e.node.node, e.aggregated_status()))
                    .collect();
                format!("{} instances: {}", entries.len(), parts.join(" "))
            })
            .await
        }
        What::Services => {
            let stream = consul.catalog().watch_services(&q, options);
            follow(stream, args.count, args.json, |services: &std::collections::BTreeMap<String, Vec<String>>| {
                format!("{} services: {}", services.len(), services.keys().cloned().collect::<Vec<_>>().join(", "))
            })
            .await
        }
    }
}

async fn follow<T: serde::Serialize>(
    stream: impl Stream<Item = consul_client::Result<consul_client::WithMeta<T>>>,
    count: usize,
    json: bool,
    describe: impl Fn(&T) -> String,
) -> anyhow::Result<()> {
    let mut stream = std::pin::pin!(stream.take(count));
    while let Some(update) = stream.next().await {
        match update {
            Ok(update) if json => {
                common::print_json_line(&serde_json::json!({"index": update.meta.last_index, "value": update.value}))?;
            }
            Ok(update) => println!("index {}: {}", update.meta.last_index, describe(&update.value)),
            // The watch keeps going after an error (with a growing pause): report and continue.
            Err(e) => eprintln!("warning: {e}"),
        }
    }
    Ok(())
}
