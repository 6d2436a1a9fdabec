//! Recipe `credentials` as a script: short-lived Nomad and Consul tokens for a
//! Vault role, proven to work, kept renewed while a command runs with them,
//! and revoked afterwards. The tokens only ever reach the command's
//! environment (`NOMAD_TOKEN`, `CONSUL_HTTP_TOKEN`), never the terminal.
//!
//! The leases are revoked on every way out once they exist: success, any
//! failure (a token that does not work, a command that cannot start), a
//! panic, and SIGINT/SIGTERM (the command is killed first; the script then
//! exits 130/143).
//!
//! ```text
//! credentials --role developer --dry-run              # what would be read
//! credentials --role developer --yes                  # check the role works
//! credentials --role admin --yes -- nomad job status  # run with the tokens
//! ```

use std::process::ExitCode;

use anyhow::Context as _;
use clap::Parser;
use ops_examples::output::{self, OutputArgs, RunArgs, Table};
use recipes::credentials::{Credentials, CredentialsOptions, Finished, LeaseStatus};
use recipes::{Check, Plan, Step};
use serde::Serialize;

/// Get Nomad and Consul tokens for a Vault role (`nomad/creds/<role>`,
/// `consul/creds/<role>`), check them, optionally run a command with them
/// (renewing the leases meanwhile), then revoke them.
#[derive(Debug, Parser)]
#[command(version, after_help = output::ENV_HELP)]
struct Args {
    /// The Vault role, e.g. `admin` or `developer`.
    #[arg(long)]
    role: String,
    /// Mount of Vault's Nomad secrets engine.
    #[arg(long, default_value = "nomad")]
    nomad_mount: String,
    /// Mount of Vault's Consul secrets engine.
    #[arg(long, default_value = "consul")]
    consul_mount: String,
    #[command(flatten)]
    run: RunArgs,
    #[command(flatten)]
    out: OutputArgs,
    /// A command to run with `NOMAD_TOKEN` and `CONSUL_HTTP_TOKEN` set.
    #[arg(last = true)]
    command: Vec<String>,
}

/// What the run found and did.
#[derive(Debug, Serialize)]
struct CredentialsReport {
    /// The tokens as Nomad and Consul describe them (no secrets).
    tokens: Vec<TokenView>,
    /// The Vault leases behind them.
    leases: Vec<LeaseView>,
    /// The command's exit code, when one ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    command_exit: Option<i32>,
    /// True once both leases were revoked.
    revoked: bool,
}

#[derive(Debug, Serialize)]
struct TokenView {
    system: &'static str,
    accessor: String,
    name: String,
    policies: Vec<String>,
}

#[derive(Debug, Serialize)]
struct LeaseView {
    id: String,
    ttl_secs: u64,
    renewable: bool,
}

fn main() -> ExitCode {
    output::run_main(run(Args::parse()))
}

async fn run(args: Args) -> anyhow::Result<()> {
    // Bad input is refused before any request (the recipe checks it again).
    recipes::input::validate_job_name(&args.role).map_err(|_| {
        anyhow::anyhow!("invalid Vault role {:?}: use a plain name such as admin or developer", args.role)
    })?;
    let vault = vault_client::VaultClient::from_env().context("cannot configure the Vault client")?;
    let plan = plan(&vault, &args).await?;
    if !output::show_plan(&plan, output::plan_text, false, args.run, args.out)? {
        return Ok(());
    }
    let nomad_config = nomad_client::NomadClient::from_env().context("cannot configure the Nomad client")?;
    let consul_config = consul_client::ConsulClient::from_env().context("cannot configure the Consul client")?;
    let opts = CredentialsOptions::new(&args.role).mounts(&args.nomad_mount, &args.consul_mount).revoke_on_drop(true);
    let creds =
        Credentials::obtain(&vault, &opts, nomad_config.http().config().clone(), consul_config.http().config().clone())
            .await?;
    // From here on every way out revokes: the work's end, its errors, a panic
    // and SIGINT/SIGTERM (revoke_after), and drop as a last resort.
    let Finished { outcome, revoked } =
        creds.revoke_after(async |creds| use_credentials(creds, &args.command).await).await;
    let outcome = match outcome {
        Ok(outcome) => outcome,
        Err(signal) => {
            let leases = match &revoked {
                Ok(()) => "both leases were revoked".to_owned(),
                Err(e) => format!("the leases could not all be revoked: {e}"),
            };
            eprintln!("error: interrupted by {}; {leases}", signal.name());
            std::process::exit(i32::from(signal.exit_code()));
        }
    };
    let mut report = match (outcome, revoked) {
        (Ok(report), Ok(())) => report,
        (Ok(_), Err(e)) => return Err(anyhow::Error::new(e).context("the work was done, but")),
        (Err(e), Ok(())) => return Err(e.context("both leases were revoked after this failure")),
        (Err(e), Err(r)) => {
            return Err(e.context(format!("the leases could not all be revoked ({r}) after this failure")));
        }
    };
    report.revoked = true;
    output::show_outcome(&plan, &report, report_text, args.out)?;
    match report.command_exit {
        Some(code) if code != 0 => anyhow::bail!("{} exited with status {code}", args.command[0]),
        _ => Ok(()),
    }
}

/// Checks the Vault token (read-only) and lists what `--yes` would do.
async fn plan(vault: &vault_client::VaultClient, args: &Args) -> anyhow::Result<Plan> {
    let token = vault.auth().token().lookup_self().await;
    let check = match &token {
        Ok(t) => Check::passed("Vault token", format!("policies {}, {}", t.policies.join(","), time_left(t.ttl))),
        Err(e) => Check::failed("Vault token", format!("cannot look it up (log in first): {e}")),
    };
    let mut steps = vec![
        Step::new(
            format!("read {}/creds/{}", args.nomad_mount, args.role),
            "get a Nomad token (a new lease)".to_owned(),
        ),
        Step::new(
            format!("read {}/creds/{}", args.consul_mount, args.role),
            "get a Consul token (a new lease)".to_owned(),
        ),
        Step::new("check the tokens", "ask Nomad and Consul who the tokens are (acl/token/self)"),
    ];
    if !args.command.is_empty() {
        steps.push(Step::new(
            format!("run {}", args.command[0]),
            format!("run `{}` with NOMAD_TOKEN and CONSUL_HTTP_TOKEN, renewing the leases", args.command.join(" ")),
        ));
    }
    steps.push(Step::new("revoke", "revoke both leases (the tokens stop working)"));
    Ok(Plan::from_checks("credentials", vec![check], steps)?)
}

fn secs(s: u64) -> std::time::Duration {
    std::time::Duration::from_secs(s)
}

/// `1h0m left`, or `never expires` for a TTL of 0 (a root or periodic-less token).
fn time_left(ttl_secs: u64) -> String {
    if ttl_secs == 0 {
        "never expires".to_owned()
    } else {
        format!("{} left", ops_examples::progress::fmt_elapsed(secs(ttl_secs)))
    }
}

/// Everything done with the tokens: check them, run the command.
async fn use_credentials(creds: &Credentials, command: &[String]) -> anyhow::Result<CredentialsReport> {
    let mut report = CredentialsReport {
        tokens: describe_tokens(creds).await?,
        leases: creds
            .leases()
            .iter()
            .map(|l| LeaseView { id: l.id.clone(), ttl_secs: l.duration.as_secs(), renewable: l.renewable })
            .collect(),
        command_exit: None,
        revoked: false,
    };
    if !command.is_empty() {
        report.command_exit = Some(run_command(command, creds).await?);
    }
    Ok(report)
}

async fn describe_tokens(creds: &Credentials) -> anyhow::Result<Vec<TokenView>> {
    let nomad = creds.nomad()?.acl().token_self(&Default::default()).await.context("the Nomad token does not work")?;
    let consul =
        creds.consul()?.acl().token_self(&Default::default()).await.context("the Consul token does not work")?.value;
    Ok(vec![
        TokenView {
            system: "nomad",
            accessor: nomad.accessor_id,
            name: nomad.name,
            policies: nomad.policies.unwrap_or_default(),
        },
        TokenView {
            system: "consul",
            accessor: consul.accessor_id,
            name: consul.description,
            policies: consul.policies.into_iter().map(|p| p.name).collect(),
        },
    ])
}

/// Runs the command with the tokens in its environment only; the leases are
/// renewed by the recipe meanwhile, and a lost lease is reported at once.
/// The command is killed when this future is dropped (a signal).
async fn run_command(command: &[String], creds: &Credentials) -> anyhow::Result<i32> {
    let token = |config: &client_core::ClientConfig| config.token.as_ref().map(|t| t.expose().to_owned());
    let nomad_token = token(creds.nomad()?.http().config()).context("the Nomad client holds no token")?;
    let consul_token = token(creds.consul()?.http().config()).context("the Consul client holds no token")?;
    let mut child = tokio::process::Command::new(&command[0])
        .args(&command[1..])
        .env("NOMAD_TOKEN", nomad_token)
        .env("CONSUL_HTTP_TOKEN", consul_token)
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("cannot run {}", command[0]))?;
    let mut status = creds.status();
    let mut watching = true;
    let exit = loop {
        tokio::select! {
            exit = child.wait() => break exit.with_context(|| format!("cannot wait for {}", command[0]))?,
            changed = status.changed(), if watching => {
                watching = changed.is_ok();
                match &*status.borrow_and_update() {
                    LeaseStatus::Lost { lease, reason } => {
                        eprintln!("warning: lease {lease} is lost ({reason}); the command's tokens no longer work");
                    }
                    LeaseStatus::Expiring { lease, until } => {
                        let left = ops_examples::progress::fmt_elapsed(until.saturating_duration_since(tokio::time::Instant::now()));
                        eprintln!("warning: lease {lease} will not be renewed again; the command's tokens stop working in {left}");
                    }
                    _ => {}
                }
            }
        }
    };
    Ok(exit.code().unwrap_or(-1))
}

fn report_text(report: &CredentialsReport) -> String {
    let mut tokens = Table::new(["SYSTEM", "ACCESSOR", "NAME", "POLICIES"]);
    for t in &report.tokens {
        tokens.row([t.system.to_owned(), t.accessor.clone(), t.name.clone(), t.policies.join(",")]);
    }
    let mut leases = Table::new(["LEASE", "TTL", "RENEWABLE"]);
    for l in &report.leases {
        leases.row([l.id.clone(), time_left(l.ttl_secs), l.renewable.to_string()]);
    }
    let end = if report.revoked { "Both leases were revoked." } else { "The leases were NOT revoked." };
    format!("{tokens}{leases}{end}\n")
}
