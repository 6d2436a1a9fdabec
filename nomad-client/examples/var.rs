//! Read and write a Nomad variable (`nomad var get` / `nomad var put`).
//! `put` is a check-and-set against the version read first (or create-only
//! with `--new`), so a concurrent change is reported, never overwritten.
//! Values are printed only with `--show-values`.
//!
//! ```text
//! cargo run -p ops-sdk-nomad --example var -- get nomad/jobs/web
//! cargo run -p ops-sdk-nomad --example var -- get nomad/jobs/web --show-values
//! cargo run -p ops-sdk-nomad --example var -- put nomad/jobs/web password=hunter2 user=web
//! cargo run -p ops-sdk-nomad --example var -- put nomad/jobs/new key=value --new
//! ```

mod support;

use std::process::ExitCode;

use nomad_client::{ClientError, QueryOptions, Variable, WriteOptions};

#[derive(Debug, clap::Args)]
struct Args {
    /// `get` or `put`.
    action: String,
    /// Variable path, e.g. nomad/jobs/web.
    path: String,
    /// For put: items as key=value (they replace the variable's items).
    items: Vec<String>,
    /// For put: create only; fail if the variable exists.
    #[arg(long)]
    new: bool,
    /// For get: print the item values (otherwise only the keys).
    #[arg(long)]
    show_values: bool,
}

fn main() -> ExitCode {
    support::main("Read or write a Nomad variable", |args: Args, conn| async move {
        let nomad = conn.client()?;
        let vars = nomad.variables();
        match args.action.as_str() {
            "get" => {
                let var = vars.get(&args.path, &QueryOptions::new()).await?.value;
                let items = var.items.clone().unwrap_or_default();
                if conn.json {
                    let shown: serde_json::Map<String, serde_json::Value> = items
                        .iter()
                        .map(|(k, v)| {
                            let v = if args.show_values { v.expose().into() } else { serde_json::Value::Null };
                            (k.clone(), v)
                        })
                        .collect();
                    let doc = serde_json::json!({
                        "Path": var.path, "Namespace": var.namespace, "ModifyIndex": var.modify_index, "Items": shown,
                    });
                    support::print_json(&doc)?;
                } else {
                    support::line(format_args!(
                        "{} (namespace {}, modify index {})",
                        var.path, var.namespace, var.modify_index
                    ))?;
                    for (key, value) in &items {
                        let shown = if args.show_values { value.expose() } else { "<hidden: pass --show-values>" };
                        support::line(format_args!("  {key} = {shown}"))?;
                    }
                }
            }
            "put" => {
                if args.items.is_empty() {
                    anyhow::bail!("put needs at least one key=value item");
                }
                let mut var = Variable::new(&args.path);
                for item in &args.items {
                    let Some((key, value)) = item.split_once('=') else {
                        anyhow::bail!("item {item:?} is not key=value");
                    };
                    var = var.item(key, value);
                }
                let cas = if args.new {
                    0
                } else {
                    match vars.get(&args.path, &QueryOptions::new()).await {
                        Ok(current) => current.value.modify_index,
                        Err(e) if e.is_not_found() => 0,
                        Err(e) => return Err(e.into()),
                    }
                };
                // A lost race is Error::CasConflict naming both indexes; nothing is overwritten.
                let written = vars.put(&var, Some(cas), &WriteOptions::new()).await?;
                support::line(format_args!("wrote {} (modify index {})", written.path, written.modify_index))?;
            }
            other => anyhow::bail!("the action must be get or put, not {other:?}"),
        }
        Ok(ExitCode::SUCCESS)
    })
}
