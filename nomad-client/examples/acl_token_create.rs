//! Create an ACL token (what `nomad acl token create` does) and print its
//! accessor; the secret is printed only with `--show-secret`, once.
//!
//! ```text
//! cargo run -p ops-sdk-nomad --example acl_token_create -- --name ci --policy deployer
//! cargo run -p ops-sdk-nomad --example acl_token_create -- --name break-glass --type management --show-secret
//! ```

mod support;

use std::process::ExitCode;

use nomad_client::{AclToken, WriteOptions};

#[derive(Debug, clap::Args)]
struct Args {
    /// Token name.
    #[arg(long)]
    name: String,
    /// `client` (needs at least one --policy or --role) or `management`.
    #[arg(long = "type", default_value = "client")]
    token_type: String,
    /// A policy of a client token (repeat for more).
    #[arg(long)]
    policy: Vec<String>,
    /// A role of a client token, by name (Nomad 1.4+; repeat for more).
    #[arg(long)]
    role: Vec<String>,
    /// Replicate the token to every region.
    #[arg(long)]
    global: bool,
    /// Print the secret ID (it is shown only now; store it safely).
    #[arg(long)]
    show_secret: bool,
}

fn main() -> ExitCode {
    support::main("Create a Nomad ACL token", |args: Args, conn| async move {
        let nomad = conn.client()?;
        let mut token = match args.token_type.as_str() {
            "management" => AclToken::management(&args.name),
            "client" if args.policy.is_empty() && args.role.is_empty() => {
                anyhow::bail!("a client token needs at least one --policy or --role")
            }
            "client" => {
                let policies: Vec<&str> = args.policy.iter().map(String::as_str).collect();
                AclToken::client(&args.name, &policies)
            }
            other => anyhow::bail!("--type must be client or management, not {other:?}"),
        };
        if !args.role.is_empty() {
            token.roles = Some(args.role.iter().map(nomad_client::AclLink::name).collect());
        }
        token.global = args.global;
        let created = nomad.acl().tokens().create(&token, &WriteOptions::new()).await?;
        let secret = args.show_secret.then(|| created.secret_id.expose().to_owned());
        if conn.json {
            let mut out = serde_json::to_value(&created)?;
            match &secret {
                Some(s) => out["SecretID"] = s.clone().into(),
                None => {
                    out.as_object_mut().map(|o| o.remove("SecretID"));
                }
            }
            support::print_json(&out)?;
            return Ok(ExitCode::SUCCESS);
        }
        support::line(format_args!("Accessor ID  = {}", created.accessor_id))?;
        support::line(format_args!("Secret ID    = {}", secret.as_deref().unwrap_or("<hidden: pass --show-secret>")))?;
        support::line(format_args!("Name         = {}", created.name))?;
        support::line(format_args!("Type         = {}", created.token_type))?;
        support::line(format_args!("Global       = {}", created.global))?;
        support::line(format_args!("Policies     = {:?}", created.policies.unwrap_or_default()))?;
        Ok(ExitCode::SUCCESS)
    })
}
