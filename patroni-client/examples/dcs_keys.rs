//! Shows a Patroni scope's keys in Consul KV, raw and decoded.
//!
//! ```text
//! cargo run -p ops-sdk-patroni --example dcs_keys -- --scope demo-database [--namespace /service/] [--json]
//! ```
//! Consul's address and token come from `CONSUL_HTTP_ADDR`, `CONSUL_HTTP_TOKEN`, ...

use clap::Parser;
use consul_client::ConsulClient;
use patroni_client::DcsView;

/// Show the DCS keys of a Patroni scope.
#[derive(Parser)]
struct Args {
    /// The Patroni scope (cluster name).
    #[arg(long)]
    scope: String,
    /// Patroni's namespace.
    #[arg(long, default_value = "/service/")]
    namespace: String,
    /// Print every key with its base64 value and flags as JSON.
    #[arg(long)]
    json: bool,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let view = DcsView::new(ConsulClient::from_env()?, &args.scope)?.with_namespace(&args.namespace)?;
    let pairs = view.raw_keys().await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&pairs)?);
        return Ok(());
    }
    println!("{} key(s) under {}", pairs.len(), view.prefix());
    for p in &pairs {
        let value = p.value_str().unwrap_or("<binary>");
        let shown: String = value.chars().take(100).collect();
        let more = if value.chars().count() > 100 { "..." } else { "" };
        let held = if p.session.is_some() { " [session]" } else { "" };
        println!("  {} (flags {}){held}: {shown}{more}", p.key, p.flags);
    }
    let state = view.read().await?;
    println!("leader: {}", state.leader.as_deref().unwrap_or("(none)"));
    for (name, m) in &state.members {
        let role = m.role.as_ref().map_or_else(|| "?".to_owned(), ToString::to_string);
        let st = m.state.as_ref().map_or_else(|| "?".to_owned(), ToString::to_string);
        println!("member {name}: {role}, {st}, api {}", m.api_url.as_deref().unwrap_or("?"));
    }
    if let Some(id) = &state.initialize {
        println!("system identifier: {id}");
    }
    Ok(())
}
