//! Creates (or updates) and deletes a Connect intention by source and
//! destination name, with whichever API the server has (ID-based up to 1.8,
//! exact-name from 1.9).

mod common;

use clap::{Parser, Subcommand, ValueEnum};
use consul_client::{ConsulClient, IntentionAction, IntentionRequest};

/// Create or delete a Consul intention.
#[derive(Parser)]
struct Args {
    #[command(subcommand)]
    command: Command,
    /// Print JSON instead of text.
    #[arg(long, global = true)]
    json: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum Action {
    Allow,
    Deny,
}

#[derive(Subcommand)]
enum Command {
    /// Create or update the intention SOURCE -> DESTINATION.
    Create {
        /// Source service (`*` for all).
        source: String,
        /// Destination service (`*` for all).
        destination: String,
        /// allow or deny.
        #[arg(long, value_enum, default_value = "allow")]
        action: Action,
        /// Description.
        #[arg(long, default_value = "")]
        description: String,
    },
    /// Delete the intention SOURCE -> DESTINATION.
    Delete {
        /// Source service.
        source: String,
        /// Destination service.
        destination: String,
    },
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    common::finish(run(Args::parse()).await)
}

async fn run(args: Args) -> anyhow::Result<()> {
    let consul = ConsulClient::from_env()?;
    let intentions = consul.intentions();
    let api = intentions.api().await?;
    let (verb, source, destination, id) = match args.command {
        Command::Create { source, destination, action, description } => {
            let action = match action {
                Action::Allow => IntentionAction::Allow,
                Action::Deny => IntentionAction::Deny,
            };
            let mut request = IntentionRequest::new(&source, &destination, action);
            request.description = description;
            let id = intentions.upsert(&request).await?;
            ("created or updated", source, destination, id)
        }
        Command::Delete { source, destination } => {
            let deleted = intentions.delete_exact(&source, &destination).await?;
            (if deleted { "deleted" } else { "not found, nothing deleted" }, source, destination, None)
        }
    };
    if args.json {
        return common::print_json(&serde_json::json!({
            "source": source, "destination": destination, "result": verb, "id": id, "api": format!("{api:?}"),
        }));
    }
    let id = id.map(|id| format!(" (ID {id})")).unwrap_or_default();
    println!("{source} -> {destination}: {verb}{id}");
    Ok(())
}
