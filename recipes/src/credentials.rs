//! Recipe `credentials`: Nomad and Consul tokens from Vault, kept renewed while in use.
//!
//! ```no_run
//! use recipes::credentials::{Credentials, CredentialsOptions};
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let vault = vault_client::VaultClient::from_env()?; // already logged in (VAULT_TOKEN)
//! let opts = CredentialsOptions::new("developer").revoke_on_drop(true);
//! let creds = Credentials::obtain(
//!     &vault,
//!     &opts,
//!     client_core::ClientConfig::new("https://nomad.example:4646", nomad_client::TOKEN_HEADER)?,
//!     client_core::ClientConfig::new("https://consul.example:8501", "X-Consul-Token")?,
//! )
//! .await?;
//! let jobs = creds.nomad()?.jobs().list(&Default::default()).await?;
//! println!("{} jobs", jobs.value.len());
//! creds.revoke().await?; // or drop it: with revoke_on_drop the leases are revoked before drop returns
//! # Ok(()) }
//! ```
//!
//! Revocation is guaranteed on every way out of a program that holds the
//! credentials: [`Credentials::revoke`] on the normal path,
//! [`Credentials::revoke_after`] around the work (errors, panics, SIGINT and
//! SIGTERM), and, with [`CredentialsOptions::revoke_on_drop`], a `Drop` that
//! revokes synchronously (on its own thread and runtime, so it also works
//! while the program's runtime is shutting down).
//!
//! The renewer stops on a permanent failure (Vault's `lease not found` once
//! a lease reached its max TTL, a revoked lease) and says so: watch
//! [`Credentials::status`], and [`Credentials::nomad`] / [`Credentials::consul`]
//! return an error instead of a client with a dead token.

use std::panic::AssertUnwindSafe;
use std::time::Duration;

use futures::FutureExt as _;
use tokio::sync::watch;
use tokio::time::Instant;

use client_core::ClientConfig;
use consul_client::ConsulClient;
use nomad_client::NomadClient;
use vault_client::{ClientError as _, Lease, VaultClient};

use crate::{Error, Result};

/// Inputs of [`Credentials::obtain`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct CredentialsOptions {
    /// The Vault role (`admin`, `developer`).
    pub role: String,
    /// Mount of the Nomad secrets engine (`nomad`).
    pub nomad_mount: String,
    /// Mount of the Consul secrets engine (`consul`).
    pub consul_mount: String,
    /// Keep the leases renewed in a background task.
    pub renew: bool,
    /// Revoke the leases when the [`Credentials`] are dropped (the drop
    /// waits for the revocation).
    pub revoke_on_drop: bool,
}

impl CredentialsOptions {
    /// Role `role`, mounts `nomad` and `consul`, renewal on, no revocation on drop.
    pub fn new(role: impl Into<String>) -> Self {
        Self {
            role: role.into(),
            nomad_mount: "nomad".to_owned(),
            consul_mount: "consul".to_owned(),
            renew: true,
            revoke_on_drop: false,
        }
    }

    /// Sets the secrets engines' mounts.
    #[must_use]
    pub fn mounts(mut self, nomad: impl Into<String>, consul: impl Into<String>) -> Self {
        self.nomad_mount = nomad.into();
        self.consul_mount = consul.into();
        self
    }

    /// Turns background renewal on or off.
    #[must_use]
    pub fn renew(mut self, on: bool) -> Self {
        self.renew = on;
        self
    }

    /// Revoke the leases on drop; the drop blocks until Vault answered
    /// (bounded by [`REVOKE_TIMEOUT`]).
    #[must_use]
    pub fn revoke_on_drop(mut self, on: bool) -> Self {
        self.revoke_on_drop = on;
        self
    }
}

/// How long revoking the leases may take, on drop or after an interrupt.
pub const REVOKE_TIMEOUT: Duration = Duration::from_secs(20);

/// What the renewer knows about the leases (see [`Credentials::status`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LeaseStatus {
    /// The leases are valid and renewed when two thirds of their time are used.
    Renewing,
    /// Renewal is off or the leases are not renewable: they end at their TTL.
    NotRenewed,
    /// The last renewal failed for a reason that may pass (Vault unreachable,
    /// sealed, 5xx); it is tried again until the lease would have expired.
    Retrying {
        /// The lease whose renewal failed.
        lease: String,
        /// Why.
        error: String,
    },
    /// A lease is gone for good (it reached its max TTL, was revoked, or
    /// expired while Vault could not be reached): renewal stopped and the
    /// tokens no longer work. Obtain new credentials.
    Lost {
        /// The lease that is gone.
        lease: String,
        /// Why.
        reason: String,
    },
    /// The leases were revoked.
    Revoked,
}

impl LeaseStatus {
    /// True while the tokens are expected to work.
    #[must_use]
    pub fn is_usable(&self) -> bool {
        matches!(self, Self::Renewing | Self::NotRenewed | Self::Retrying { .. })
    }
}

/// Why [`Credentials::revoke_after`] stopped the work before it finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interrupt {
    /// SIGINT (Ctrl-C).
    Interrupt,
    /// SIGTERM.
    Terminate,
}

impl Interrupt {
    /// The signal's name.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Interrupt => "SIGINT",
            Self::Terminate => "SIGTERM",
        }
    }

    /// The exit code a shell reports for a program killed by this signal (130, 143).
    #[must_use]
    pub fn exit_code(self) -> u8 {
        match self {
            Self::Interrupt => 130,
            Self::Terminate => 143,
        }
    }
}

/// What [`Credentials::revoke_after`] returns: the work's result (unless a
/// signal stopped it) and the revocation's.
#[derive(Debug)]
pub struct Finished<T> {
    /// The work's value, or the signal that stopped it (the work was dropped).
    pub outcome: std::result::Result<T, Interrupt>,
    /// Whether both leases were revoked.
    pub revoked: Result<()>,
}

/// Nomad and Consul clients holding short-lived tokens from Vault.
pub struct Credentials {
    nomad: NomadClient,
    consul: ConsulClient,
    leases: Vec<Lease>,
    vault: VaultClient,
    renewer: Option<tokio::task::JoinHandle<()>>,
    status: watch::Receiver<LeaseStatus>,
    revoke_on_drop: bool,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ids: Vec<&str> = self.leases.iter().map(|l| l.id.as_str()).collect();
        f.debug_struct("Credentials")
            .field("leases", &ids)
            .field("status", &*self.status.borrow())
            .field("revoke_on_drop", &self.revoke_on_drop)
            .finish_non_exhaustive()
    }
}

impl Credentials {
    /// Reads `<nomad_mount>/creds/<role>` and `<consul_mount>/creds/<role>` and builds the
    /// clients from the given configurations with those tokens. When anything
    /// after the first read fails, the leases already obtained are revoked.
    pub async fn obtain(
        vault: &VaultClient,
        opts: &CredentialsOptions,
        nomad_config: ClientConfig,
        consul_config: ClientConfig,
    ) -> Result<Self> {
        crate::input::validate_job_name(&opts.role).map_err(|_| {
            Error::invalid("Vault role", opts.role.clone(), "must be a plain name such as admin or developer")
        })?;
        let nomad_creds = vault.secrets().nomad_creds_at(&opts.nomad_mount, &opts.role).await.map_err(|e| {
            Error::backend_step(format!("Vault {}/creds/{}", opts.nomad_mount, opts.role), "issuing the Nomad token", e)
        })?;
        let consul_creds = match vault.secrets().consul_creds_at(&opts.consul_mount, &opts.role).await {
            Ok(c) => c,
            Err(e) => {
                // Do not leave the first token alive when the second cannot be had.
                let err = Error::backend_step(
                    format!("Vault {}/creds/{}", opts.consul_mount, opts.role),
                    "issuing the Consul token",
                    e,
                );
                return Err(revoked_after(vault, &[nomad_creds.lease], err).await);
            }
        };
        let leases = vec![nomad_creds.lease, consul_creds.lease];
        let clients = NomadClient::new(nomad_config.with_token(nomad_creds.data.secret_id))
            .map_err(|e| Error::backend("Nomad client", e))
            .and_then(|nomad| {
                let consul = ConsulClient::new(consul_config.with_token(consul_creds.data.token))
                    .map_err(|e| Error::backend("Consul client", e))?;
                Ok((nomad, consul))
            });
        let (nomad, consul) = match clients {
            Ok(c) => c,
            Err(e) => return Err(revoked_after(vault, &leases, e).await),
        };
        let renewable = leases.iter().any(|l| l.renewable);
        let initial = if opts.renew && renewable { LeaseStatus::Renewing } else { LeaseStatus::NotRenewed };
        let (tx, status) = watch::channel(initial);
        let renewer = opts.renew.then(|| tokio::spawn(renew_until_lost(vault.clone(), leases.clone(), tx)));
        Ok(Self { nomad, consul, leases, vault: vault.clone(), renewer, status, revoke_on_drop: opts.revoke_on_drop })
    }

    /// The leases held.
    #[must_use]
    pub fn leases(&self) -> &[Lease] {
        &self.leases
    }

    /// The renewer's view of the leases, to watch (`changed().await`) or read.
    #[must_use]
    pub fn status(&self) -> watch::Receiver<LeaseStatus> {
        self.status.clone()
    }

    /// `Ok` while the tokens are expected to work; the reason when a lease
    /// is lost or the leases were revoked.
    pub fn check(&self) -> Result<()> {
        match &*self.status.borrow() {
            LeaseStatus::Lost { lease, reason } => Err(Error::backend_msg(
                "Vault credentials",
                format!("lease {lease} is gone ({reason}); the token no longer works: obtain new credentials"),
            )),
            LeaseStatus::Revoked => Err(Error::backend_msg("Vault credentials", "the leases were revoked")),
            _ => Ok(()),
        }
    }

    /// The Nomad client sending the Vault-issued token; an error once its
    /// lease is lost (see [`Credentials::check`]).
    pub fn nomad(&self) -> Result<&NomadClient> {
        self.check().map(|()| &self.nomad)
    }

    /// The Consul client sending the Vault-issued token; an error once its
    /// lease is lost (see [`Credentials::check`]).
    pub fn consul(&self) -> Result<&ConsulClient> {
        self.check().map(|()| &self.consul)
    }

    /// Stops renewing and revokes both leases now (the tokens stop working).
    /// Every lease is tried even when one fails; a lease that could not be
    /// revoked is tried again on drop when `revoke_on_drop` is set.
    pub async fn revoke(mut self) -> Result<()> {
        self.stop_renewer();
        let remaining = revoke_leases(&self.vault, &self.leases).await;
        let result = if remaining.is_empty() { Ok(()) } else { Err(revocation_error(&remaining)) };
        self.leases.retain(|l| remaining.iter().any(|(id, _)| id == &l.id));
        result
    }

    /// Stops renewing and revokes the leases ([`Credentials::revoke`]).
    pub async fn close(self) -> Result<()> {
        self.revoke().await
    }

    /// Runs `work` with the credentials, then revokes the leases on every
    /// way out: when `work` returns (whatever its value), when it panics (the
    /// panic resumes after the revocation), and on SIGINT or SIGTERM (the
    /// work is dropped, so a child spawned with `kill_on_drop` is killed,
    /// then the leases are revoked and the signal is reported in
    /// [`Finished::outcome`]).
    pub async fn revoke_after<T>(self, work: impl AsyncFnOnce(&Credentials) -> T) -> Finished<T> {
        let finished = {
            let run = AssertUnwindSafe(work(&self)).catch_unwind();
            tokio::select! {
                result = run => Ok(result),
                signal = interrupted() => Err(signal),
            }
        };
        let outcome = match finished {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(panic)) => {
                if !matches!(tokio::time::timeout(REVOKE_TIMEOUT, self.revoke()).await, Ok(Ok(()))) {
                    tracing::warn!("could not revoke the leases after a panic");
                }
                std::panic::resume_unwind(panic);
            }
            Err(signal) => Err(signal),
        };
        let revoked = match tokio::time::timeout(REVOKE_TIMEOUT, self.revoke()).await {
            Ok(result) => result,
            Err(_) => Err(Error::backend_msg("Vault lease revocation", "Vault did not answer in time")),
        };
        Finished { outcome, revoked }
    }

    fn stop_renewer(&mut self) {
        if let Some(r) = self.renewer.take() {
            r.abort();
        }
    }
}

/// Resolves on the first SIGINT or SIGTERM (never, if they cannot be watched).
async fn interrupted() -> Interrupt {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let (Ok(mut int), Ok(mut term)) = (signal(SignalKind::interrupt()), signal(SignalKind::terminate())) else {
            return std::future::pending().await;
        };
        tokio::select! {
            _ = int.recv() => Interrupt::Interrupt,
            _ = term.recv() => Interrupt::Terminate,
        }
    }
    #[cfg(not(unix))]
    {
        match tokio::signal::ctrl_c().await {
            Ok(()) => Interrupt::Interrupt,
            Err(_) => std::future::pending().await,
        }
    }
}

impl Drop for Credentials {
    fn drop(&mut self) {
        self.stop_renewer();
        if !self.revoke_on_drop || self.leases.is_empty() {
            return;
        }
        let leases = std::mem::take(&mut self.leases);
        // A spawned task would be cancelled when the runtime shuts down (main
        // returned, `?` left it, a panic unwinds): revoke now, on a thread with
        // its own runtime and connection pool, and wait for it.
        let Ok(vault) = self.vault.detached() else {
            tracing::warn!("could not revoke the leases on drop: no Vault client");
            return;
        };
        let revoke = move || -> Vec<(String, String)> {
            let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                Ok(rt) => rt,
                Err(e) => return leases.iter().map(|l| (l.id.clone(), e.to_string())).collect(),
            };
            runtime.block_on(async {
                match tokio::time::timeout(REVOKE_TIMEOUT, revoke_leases(&vault, &leases)).await {
                    Ok(failed) => failed,
                    Err(_) => leases.iter().map(|l| (l.id.clone(), "Vault did not answer in time".into())).collect(),
                }
            })
        };
        match std::thread::spawn(revoke).join() {
            Ok(failed) => {
                for (lease, error) in failed {
                    tracing::warn!(%lease, %error, "could not revoke a lease on drop");
                }
            }
            Err(_) => tracing::warn!("the lease revocation thread panicked"),
        }
    }
}

/// Revokes every lease; returns those that failed with why.
async fn revoke_leases(vault: &VaultClient, leases: &[Lease]) -> Vec<(String, String)> {
    let mut failed = Vec::new();
    for lease in leases {
        if let Err(e) = vault.sys().leases().revoke(&lease.id).await {
            failed.push((lease.id.clone(), e.to_string()));
        }
    }
    failed
}

fn revocation_error(failed: &[(String, String)]) -> Error {
    let list: Vec<String> = failed.iter().map(|(id, e)| format!("{id}: {e}")).collect();
    Error::backend_msg(
        "Vault lease revocation",
        format!("{}; revoke by hand with `vault lease revoke <id>`", list.join("; ")),
    )
}

/// Revokes `leases` after `err` and says in the error whether that worked.
async fn revoked_after(vault: &VaultClient, leases: &[Lease], err: Error) -> Error {
    let failed = revoke_leases(vault, leases).await;
    if failed.is_empty() {
        return err;
    }
    Error::backend_msg(
        "Vault credentials",
        format!("{}; and {}", err.with_causes(), revocation_error(&failed).with_causes()),
    )
}

/// One lease as the renewer tracks it.
struct Tracked {
    lease: Lease,
    /// When Vault last granted it time.
    since: Instant,
    /// Failed renewals in a row.
    failures: u32,
}

impl Tracked {
    fn expires(&self) -> Instant {
        self.since + self.lease.duration
    }

    /// When to renew next: at two thirds of the granted time, sooner (with
    /// backoff) after a failure, never before one second.
    fn due(&self) -> Instant {
        let normal = self.since + (self.lease.duration * 2 / 3).max(Duration::from_secs(1));
        if self.failures == 0 {
            return normal;
        }
        let backoff = Duration::from_secs(1 << self.failures.min(5));
        (Instant::now() + backoff).min(self.expires()).max(Instant::now() + Duration::from_millis(200))
    }
}

/// Renews each renewable lease when two thirds of its time are used.
/// Transient failures are retried until the lease would have expired;
/// a permanent one (`lease not found`, a denied token) or an expiry stops
/// the renewer with [`LeaseStatus::Lost`]. Leases that are not renewable
/// are reported lost when their TTL runs out.
async fn renew_until_lost(vault: VaultClient, leases: Vec<Lease>, status: watch::Sender<LeaseStatus>) {
    let start = Instant::now();
    let mut tracked: Vec<Tracked> =
        leases.into_iter().map(|lease| Tracked { lease, since: start, failures: 0 }).collect();
    loop {
        let Some(next) = tracked.iter_mut().min_by_key(|t| if t.lease.renewable { t.due() } else { t.expires() })
        else {
            return;
        };
        if !next.lease.renewable {
            tokio::time::sleep_until(next.expires()).await;
            status.send_replace(LeaseStatus::Lost {
                lease: next.lease.id.clone(),
                reason: "the lease is not renewable and reached its TTL".into(),
            });
            return;
        }
        tokio::time::sleep_until(next.due()).await;
        let asked = next.lease.duration;
        match vault.sys().leases().renew(&next.lease.id, Some(asked)).await {
            Ok(renewed) => {
                if renewed.duration < asked {
                    tracing::debug!(lease = %next.lease.id, granted = renewed.duration.as_secs(), "renewal capped by the max TTL");
                }
                if renewed.duration.is_zero() {
                    status.send_replace(LeaseStatus::Lost {
                        lease: next.lease.id.clone(),
                        reason: "the lease reached its max TTL".into(),
                    });
                    return;
                }
                next.since = Instant::now();
                next.failures = 0;
                next.lease.duration = renewed.duration;
                next.lease.renewable = renewed.renewable;
                status.send_if_modified(|s| {
                    let changed = *s != LeaseStatus::Renewing;
                    *s = LeaseStatus::Renewing;
                    changed
                });
            }
            Err(e) if e.is_transient() && Instant::now() < next.expires() => {
                next.failures += 1;
                tracing::warn!(lease = %next.lease.id, error = %e, "lease renewal failed; will retry");
                status.send_replace(LeaseStatus::Retrying { lease: next.lease.id.clone(), error: e.to_string() });
            }
            Err(e) => {
                let reason = if e.is_lease_gone() {
                    format!("Vault no longer knows it: it reached its max TTL or was revoked ({e})")
                } else if e.is_transient() {
                    format!("it expired while it could not be renewed ({e})")
                } else {
                    e.to_string()
                };
                tracing::warn!(lease = %next.lease.id, %reason, "lease lost; renewal stopped");
                status.send_replace(LeaseStatus::Lost { lease: next.lease.id.clone(), reason });
                return;
            }
        }
    }
}
