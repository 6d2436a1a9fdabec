//! What the vault-client examples share: the Vault connection flags and
//! turning a failure into one line and a non-zero exit.

use std::process::ExitCode;

use vault_client::{VaultClient, VaultClientBuilder};

/// Connection flags on top of the `VAULT_*` environment.
#[derive(Debug, clap::Args)]
pub struct Connection {
    /// Vault address (defaults to VAULT_ADDR, then https://127.0.0.1:8200).
    #[arg(long)]
    pub address: Option<String>,
    /// Other nodes of the Vault cluster (host:port), to follow a standby's redirect to the active node.
    #[arg(long = "cluster-node", value_name = "HOST:PORT")]
    pub cluster_nodes: Vec<String>,
}

impl Connection {
    /// A client from the environment and these flags (a flag wins over a variable).
    pub fn client(&self) -> anyhow::Result<VaultClient> {
        // The token, namespace and TLS variables still come from the environment.
        let mut builder = VaultClientBuilder::from_env()?;
        if let Some(address) = &self.address {
            builder = builder.address(address);
        }
        Ok(builder.cluster_nodes(&self.cluster_nodes).build()?)
    }
}

/// Prints `error: <reason>` on one line and exits 1 on failure.
pub fn finish(result: anyhow::Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let reason = format!("{e:#}").replace('\n', " ");
            eprintln!("error: {reason}");
            ExitCode::FAILURE
        }
    }
}

/// Prints a value as pretty JSON on stdout.
pub fn print_json(value: &serde_json::Value) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}
