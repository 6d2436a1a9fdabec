//! Recipe `credentials`: Nomad and Consul tokens (and, if asked, a PostgreSQL
//! user) from Vault, kept renewed while in use.
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
//! Each lease is kept alive by its own [`LifetimeWatcher`] (vault-client's
//! form of the Go client's watcher): renewed at once, then at about 70% of
//! each TTL granted (with jitter), transient failures (Vault unreachable,
//! sealed, 5xx) retried on the watcher's backoff, a permanent one (Vault's
//! `lease not found` once a lease reached its max TTL, a revoked lease)
//! ending it at once. [`Credentials::status`] says how it goes, and once a
//! lease is lost [`Credentials::nomad`] / [`Credentials::consul`] /
//! [`Credentials::database`] return an error instead of a dead credential.
//!
//! The recipe does not keep the Vault client's own token alive: the caller
//! logged in and owns it (a [`LifetimeWatcher`] over its `LoggedIn` does
//! that). The leases are its children, so they die with it.

use std::panic::AssertUnwindSafe;
use std::time::Duration;

use futures::FutureExt as _;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use client_core::ClientConfig;
use consul_client::ConsulClient;
use nomad_client::NomadClient;
use vault_client::database::DatabaseCreds;
use vault_client::lifetime::{LifetimeWatcher, WatchState, WatchStatus, Watched};
use vault_client::{Lease, VaultClient};

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
    /// Mount of the database secrets engine (`database`), read only when
    /// [`CredentialsOptions::database_role`] is set.
    pub database_mount: String,
    /// A database role (`<database_mount>/creds/<role>`) to get a
    /// PostgreSQL user from as well; none by default.
    pub database_role: Option<String>,
    /// Keep the leases renewed in the background (a lifetime watcher per lease).
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
            database_mount: "database".to_owned(),
            database_role: None,
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

    /// Also gets a PostgreSQL user from database role `role` at mount
    /// `mount` (usually `database`), leased and renewed like the tokens.
    #[must_use]
    pub fn database(mut self, mount: impl Into<String>, role: impl Into<String>) -> Self {
        self.database_mount = mount.into();
        self.database_role = Some(role.into());
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
    /// The leases are valid and renewed on the lifetime watcher's schedule
    /// (at about 70% of each TTL granted).
    Renewing,
    /// Renewal is off or the leases are not renewable: they end at their TTL.
    NotRenewed,
    /// The last renewal failed for a reason that may pass (Vault unreachable,
    /// sealed, 5xx); it is tried again on a backoff while the lease lives.
    Retrying {
        /// The lease whose renewal failed.
        lease: String,
        /// Why.
        error: String,
    },
    /// A lease will not be renewed again (its TTL shrank to the role's max
    /// TTL, it is not renewable, or Vault could not be reached in time) but
    /// still works until `until`; then it is [`LeaseStatus::Lost`]. Obtain
    /// new credentials before that.
    Expiring {
        /// The lease.
        lease: String,
        /// When it expires.
        until: Instant,
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
        matches!(self, Self::Renewing | Self::NotRenewed | Self::Retrying { .. } | Self::Expiring { .. })
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
    /// Whether every lease was revoked.
    pub revoked: Result<()>,
}

/// Nomad and Consul clients holding short-lived tokens from Vault (and a
/// PostgreSQL user when one was asked for).
pub struct Credentials {
    nomad: NomadClient,
    consul: ConsulClient,
    database: Option<DatabaseCreds>,
    leases: Vec<Lease>,
    vault: VaultClient,
    renewer: Option<Renewer>,
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
    /// Reads `<nomad_mount>/creds/<role>` and `<consul_mount>/creds/<role>`
    /// (and `<database_mount>/creds/<database_role>` when set) and builds the
    /// clients from the given configurations with those tokens. When anything
    /// after the first read fails, the leases already obtained are revoked.
    /// With renewal on, a lifetime watcher per lease starts in the background.
    pub async fn obtain(
        vault: &VaultClient,
        opts: &CredentialsOptions,
        nomad_config: ClientConfig,
        consul_config: ClientConfig,
    ) -> Result<Self> {
        crate::input::validate_job_name(&opts.role).map_err(|_| {
            Error::invalid("Vault role", opts.role.clone(), "must be a plain name such as admin or developer")
        })?;
        if let Some(role) = &opts.database_role {
            crate::input::validate_job_name(role).map_err(|_| {
                Error::invalid("Vault database role", role.clone(), "must be a plain name such as readonly")
            })?;
        }
        let nomad_creds = vault.secrets().nomad_creds_at(&opts.nomad_mount, &opts.role).await.map_err(|e| {
            Error::backend_step(format!("Vault {}/creds/{}", opts.nomad_mount, opts.role), "issuing the Nomad token", e)
        })?;
        let mut leases = vec![nomad_creds.lease];
        // Do not leave the tokens already had alive when the next cannot be had.
        let consul_creds = match vault.secrets().consul_creds_at(&opts.consul_mount, &opts.role).await {
            Ok(c) => c,
            Err(e) => {
                let step = format!("Vault {}/creds/{}", opts.consul_mount, opts.role);
                let err = Error::backend_step(step, "issuing the Consul token", e);
                return Err(revoked_after(vault, &leases, err).await);
            }
        };
        leases.push(consul_creds.lease);
        let database = match &opts.database_role {
            None => None,
            Some(role) => {
                let step = format!("Vault {}/creds/{role}", opts.database_mount);
                let read = match vault.database(&opts.database_mount) {
                    Ok(db) => db.creds(role).await,
                    Err(e) => Err(e),
                };
                match read {
                    Ok(creds) => {
                        leases.push(creds.lease);
                        Some(creds.data)
                    }
                    Err(e) => {
                        let err = Error::backend_step(step, "issuing the PostgreSQL user", e);
                        return Err(revoked_after(vault, &leases, err).await);
                    }
                }
            }
        };
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
        let renewer = opts.renew.then(|| Renewer::start(vault, &leases, tx));
        Ok(Self {
            nomad,
            consul,
            database,
            leases,
            vault: vault.clone(),
            renewer,
            status,
            revoke_on_drop: opts.revoke_on_drop,
        })
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

    /// The PostgreSQL user from [`CredentialsOptions::database`] (its
    /// password a secret: build a URL with [`DatabaseCreds::postgres_url`]);
    /// an error when none was asked for or once a lease is lost.
    pub fn database(&self) -> Result<&DatabaseCreds> {
        self.check()?;
        self.database.as_ref().ok_or_else(|| {
            Error::backend_msg("Vault credentials", "no PostgreSQL user was asked for (CredentialsOptions::database)")
        })
    }

    /// Stops renewing and revokes every lease now (the tokens stop working):
    /// each watcher is closed, which revokes its lease, and a lease no
    /// longer watched (lost, or renewal off) is revoked by its ID.
    /// Every lease is tried even when one fails; a lease that could not be
    /// revoked is tried again on drop when `revoke_on_drop` is set.
    pub async fn revoke(mut self) -> Result<()> {
        let mut watchers = match self.renewer.take() {
            Some(renewer) => renewer.stop().await,
            None => Vec::new(),
        };
        let mut remaining = Vec::new();
        for (i, lease) in self.leases.iter().enumerate() {
            let revoked = match watchers.get_mut(i).and_then(Option::take) {
                Some(watcher) => watcher.close().await,
                None => self.vault.sys().leases().revoke(&lease.id).await,
            };
            if let Err(e) = revoked {
                remaining.push((lease.id.clone(), e.to_string()));
            }
        }
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

    /// Stops the renewer without revoking: its watchers are dropped with its task.
    fn stop_renewer(&mut self) {
        if let Some(renewer) = self.renewer.take() {
            renewer.task.abort();
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

/// The background renewer: one [`LifetimeWatcher`] per lease, their
/// statuses folded into one [`LeaseStatus`].
struct Renewer {
    stop: watch::Sender<bool>,
    /// Gives back the watchers still running (by lease index) once stopped.
    task: JoinHandle<Vec<Option<LifetimeWatcher>>>,
}

impl Renewer {
    fn start(vault: &VaultClient, leases: &[Lease], status: watch::Sender<LeaseStatus>) -> Self {
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(follow(vault.clone(), leases.to_vec(), status, stopped));
        Self { stop, task }
    }

    /// Stops following the watchers and returns them, still holding their
    /// leases (a lease lost or never watched has `None`).
    async fn stop(self) -> Vec<Option<LifetimeWatcher>> {
        let _ = self.stop.send(true);
        self.task.await.unwrap_or_default()
    }
}

/// One lease's watcher as [`follow`] sees it.
struct Followed {
    lease: Lease,
    status: watch::Receiver<WatchStatus>,
    /// The watch ended: its sender is gone, nothing more will change.
    done: bool,
    /// Renewals seen so far (a new one clears `last_error`).
    renewals: u64,
    /// The last transient failure since the last renewal.
    last_error: Option<String>,
}

impl Followed {
    /// Reads the watcher's latest status.
    fn update(&mut self) -> WatchStatus {
        let now = self.status.borrow_and_update().clone();
        if now.renewals > self.renewals {
            (self.renewals, self.last_error) = (now.renewals, None);
        }
        if let WatchState::Retrying { error, .. } = &now.state {
            self.last_error = Some(error.to_string());
        }
        self.done = now.state.is_done();
        now
    }

    /// This lease's part of the status; `None` while it is renewed.
    fn view(&self, now: &WatchStatus) -> Option<LeaseStatus> {
        let lease = self.lease.id.clone();
        match &now.state {
            WatchState::Active | WatchState::Closed => None,
            WatchState::Retrying { error, .. } => Some(LeaseStatus::Retrying { lease, error: error.to_string() }),
            WatchState::Failed(e) => Some(LeaseStatus::Lost { lease, reason: lost_reason(e) }),
            WatchState::Expiring => {
                let until = now.expires_at().unwrap_or_else(Instant::now);
                if until > Instant::now() {
                    return Some(LeaseStatus::Expiring { lease, until });
                }
                let reason = match (&self.last_error, self.lease.renewable) {
                    (_, false) => "the lease is not renewable and reached its TTL".to_owned(),
                    (Some(e), true) => format!("it expired while it could not be renewed ({e})"),
                    (None, true) => "the lease reached its max TTL".to_owned(),
                };
                Some(LeaseStatus::Lost { lease, reason })
            }
        }
    }
}

/// Why a lease whose renewal failed for good is lost.
fn lost_reason(e: &vault_client::Error) -> String {
    if e.is_lease_gone() {
        format!("Vault no longer knows it: it reached its max TTL or was revoked ({e})")
    } else {
        e.to_string()
    }
}

/// The status of all leases: the first lost one, else the one expiring
/// first, else the first retrying, else `base`.
fn fold(followed: &mut [Followed], base: &LeaseStatus) -> LeaseStatus {
    let views: Vec<LeaseStatus> = followed
        .iter_mut()
        .filter_map(|f| {
            let now = f.update();
            f.view(&now)
        })
        .collect();
    let lost = views.iter().find(|v| matches!(v, LeaseStatus::Lost { .. }));
    let expiring = views
        .iter()
        .filter_map(|v| match v {
            LeaseStatus::Expiring { until, .. } => Some((*until, v)),
            _ => None,
        })
        .min_by_key(|(until, _)| *until)
        .map(|(_, v)| v);
    let retrying = views.iter().find(|v| matches!(v, LeaseStatus::Retrying { .. }));
    lost.or(expiring).or(retrying).unwrap_or(base).clone()
}

/// Resolves when a watch still running publishes something new.
async fn any_changed(followed: &mut [Followed]) {
    let waits: Vec<_> = followed.iter_mut().filter(|f| !f.done).map(|f| Box::pin(f.status.changed())).collect();
    if waits.is_empty() {
        return std::future::pending().await;
    }
    let _ = futures::future::select_all(waits).await;
}

/// Starts a [`LifetimeWatcher`] per lease (it renews at once, then on the
/// watcher's schedule, retrying transient failures such as a sealed Vault
/// on its backoff) and publishes what they report as one [`LeaseStatus`].
///
/// Each watcher is started once the previous one's first renewal was
/// answered: Vault sees one renewal at a time, and the first answers come
/// back in lease order. A lease that a watcher gave up on stays usable
/// ([`LeaseStatus::Expiring`]) until its TTL runs out, then is
/// [`LeaseStatus::Lost`]. The first lost lease ends the renewal of all:
/// the watchers are dropped (nothing is revoked here) and the lost status
/// stays.
async fn follow(
    vault: VaultClient,
    leases: Vec<Lease>,
    status: watch::Sender<LeaseStatus>,
    mut stop: watch::Receiver<bool>,
) -> Vec<Option<LifetimeWatcher>> {
    let base = status.borrow().clone();
    let publish = |next: LeaseStatus| {
        let lost = matches!(next, LeaseStatus::Lost { .. });
        status.send_if_modified(|s| {
            let changed = *s != next;
            *s = next;
            changed
        });
        lost
    };
    let mut watchers = Vec::with_capacity(leases.len());
    let mut followed: Vec<Followed> = Vec::with_capacity(leases.len());
    for lease in leases {
        let watcher = match LifetimeWatcher::builder(Watched::lease(&vault, lease.clone())).start() {
            Ok(w) => w,
            Err(e) => {
                publish(LeaseStatus::Lost { lease: lease.id.clone(), reason: e.to_string() });
                return Vec::new();
            }
        };
        let mut watch = watcher.status();
        watchers.push(Some(watcher));
        // A lease that is not renewable is only watched: no answer to wait for.
        if lease.renewable {
            tokio::select! {
                _ = watch.changed() => {}
                _ = stop.wait_for(|s| *s) => return watchers,
            }
        }
        // `changed` marked the value seen: `update` reads it all the same.
        followed.push(Followed { lease, status: watch, done: false, renewals: 0, last_error: None });
        if publish(fold(&mut followed, &base)) {
            return Vec::new();
        }
    }
    loop {
        let expiry = match &*status.borrow() {
            LeaseStatus::Expiring { until, .. } => Some(*until),
            _ => None,
        };
        tokio::select! {
            _ = stop.wait_for(|s| *s) => return watchers,
            () = any_changed(&mut followed) => {}
            () = tokio::time::sleep_until(expiry.unwrap_or_else(Instant::now)), if expiry.is_some() => {}
        }
        if publish(fold(&mut followed, &base)) {
            return Vec::new();
        }
    }
}
