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
//! let jobs = creds.nomad.jobs().list(&Default::default()).await?;
//! println!("{} jobs", jobs.value.len());
//! creds.revoke().await?; // or drop it: with revoke_on_drop the leases are revoked in the background
//! # Ok(()) }
//! ```

use std::time::Duration;

use client_core::ClientConfig;
use consul_client::ConsulClient;
use nomad_client::NomadClient;
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
    /// Keep the leases renewed in a background task.
    pub renew: bool,
    /// Revoke the leases when the [`Credentials`] are dropped.
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

    /// Revoke the leases on drop.
    #[must_use]
    pub fn revoke_on_drop(mut self, on: bool) -> Self {
        self.revoke_on_drop = on;
        self
    }
}

/// Nomad and Consul clients holding short-lived tokens from Vault.
pub struct Credentials {
    /// A Nomad client sending the Vault-issued token.
    pub nomad: NomadClient,
    /// A Consul client sending the Vault-issued token.
    pub consul: ConsulClient,
    leases: Vec<Lease>,
    vault: VaultClient,
    renewer: Option<tokio::task::JoinHandle<()>>,
    revoke_on_drop: bool,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ids: Vec<&str> = self.leases.iter().map(|l| l.id.as_str()).collect();
        f.debug_struct("Credentials").field("leases", &ids).field("renewing", &self.renewer.is_some()).finish()
    }
}

impl Credentials {
    /// Reads `<nomad_mount>/creds/<role>` and `<consul_mount>/creds/<role>` and builds the
    /// clients from the given configurations with those tokens.
    pub async fn obtain(
        vault: &VaultClient,
        opts: &CredentialsOptions,
        nomad_config: ClientConfig,
        consul_config: ClientConfig,
    ) -> Result<Self> {
        crate::input::validate_job_name(&opts.role).map_err(|_| {
            Error::invalid("Vault role", opts.role.clone(), "must be a plain name such as admin or developer")
        })?;
        let verr = |what: &str| {
            let what = what.to_owned();
            move |e| Error::backend(what, e)
        };
        let nomad_creds = vault
            .secrets()
            .nomad_creds_at(&opts.nomad_mount, &opts.role)
            .await
            .map_err(verr(&format!("Vault {}/creds/{}", opts.nomad_mount, opts.role)))?;
        let consul_creds = match vault.secrets().consul_creds_at(&opts.consul_mount, &opts.role).await {
            Ok(c) => c,
            Err(e) => {
                // Do not leave the first token alive when the second cannot be had.
                drop(vault.sys().leases().revoke(&nomad_creds.lease.id).await);
                return Err(Error::backend(format!("Vault {}/creds/{}", opts.consul_mount, opts.role), e));
            }
        };
        let nomad = NomadClient::new(nomad_config.with_token(nomad_creds.data.secret_id))
            .map_err(|e| Error::backend("Nomad client", e))?;
        let consul = ConsulClient::new(consul_config.with_token(consul_creds.data.token))
            .map_err(|e| Error::backend("Consul client", e))?;
        let leases = vec![nomad_creds.lease, consul_creds.lease];
        let renewer = opts.renew.then(|| tokio::spawn(renew_forever(vault.clone(), leases.clone())));
        Ok(Self { nomad, consul, leases, vault: vault.clone(), renewer, revoke_on_drop: opts.revoke_on_drop })
    }

    /// The leases held.
    #[must_use]
    pub fn leases(&self) -> &[Lease] {
        &self.leases
    }

    /// Stops renewing and revokes both leases now (the tokens stop working).
    pub async fn revoke(mut self) -> Result<()> {
        self.revoke_on_drop = false;
        if let Some(r) = self.renewer.take() {
            r.abort();
        }
        for lease in &self.leases {
            self.vault
                .sys()
                .leases()
                .revoke(&lease.id)
                .await
                .map_err(|e| Error::backend("Vault lease revocation", e))?;
        }
        Ok(())
    }
}

impl Drop for Credentials {
    fn drop(&mut self) {
        if let Some(r) = self.renewer.take() {
            r.abort();
        }
        if self.revoke_on_drop
            && let Ok(rt) = tokio::runtime::Handle::try_current()
        {
            let vault = self.vault.clone();
            let leases = std::mem::take(&mut self.leases);
            rt.spawn(async move {
                for lease in leases {
                    if let Err(e) = vault.sys().leases().revoke(&lease.id).await {
                        tracing::warn!(lease = %lease.id, error = %e, "could not revoke a lease on drop");
                    }
                }
            });
        }
    }
}

/// Renews each lease when two thirds of its time are used, until aborted.
async fn renew_forever(vault: VaultClient, mut leases: Vec<Lease>) {
    loop {
        let shortest = leases.iter().filter(|l| l.renewable).map(|l| l.duration).min();
        let Some(shortest) = shortest else { return };
        tokio::time::sleep((shortest * 2 / 3).max(Duration::from_secs(1))).await;
        for lease in leases.iter_mut().filter(|l| l.renewable) {
            match vault.sys().leases().renew(&lease.id, Some(lease.duration)).await {
                Ok(renewed) => *lease = renewed,
                Err(e) => tracing::warn!(lease = %lease.id, error = %e, "lease renewal failed; will retry"),
            }
        }
    }
}
