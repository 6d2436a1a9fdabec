//! Seal lifecycle under `sys/`: init, unseal, seal and step-down
//! (`vault operator init|unseal|seal|step-down`). Key shares, recovery keys
//! and the initial root token are [`Secret`]s.

use client_core::{Method, Secret};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::sys::{SealStatus, Sys};

/// What [`Sys::init`] asks for: Shamir key shares for a Shamir seal, or
/// recovery shares for an auto-unseal (KMS/HSM) seal.
///
/// ```
/// use vault_client::seal::InitRequest;
/// let request = InitRequest::shamir(5, 3).pgp_keys(["keybase:alice", "keybase:bob", "a", "b", "c"]);
/// assert!(request.check().is_ok());
/// assert!(InitRequest::shamir(3, 5).check().is_err()); // threshold above shares
/// ```
#[derive(Debug, Clone, Default, Serialize)]
#[non_exhaustive]
pub struct InitRequest {
    /// Key shares to split the root key into (Shamir seal).
    #[serde(skip_serializing_if = "is_zero")]
    pub secret_shares: u32,
    /// Shares needed to unseal.
    #[serde(skip_serializing_if = "is_zero")]
    pub secret_threshold: u32,
    /// Public PGP keys (base64, or `keybase:<user>`), one per share, in
    /// order: each returned share is encrypted to its key.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pgp_keys: Vec<String>,
    /// A PGP key the root token is encrypted to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub root_token_pgp_key: Option<String>,
    /// Recovery key shares (auto-unseal seals).
    #[serde(skip_serializing_if = "is_zero")]
    pub recovery_shares: u32,
    /// Recovery shares needed for recovery operations.
    #[serde(skip_serializing_if = "is_zero")]
    pub recovery_threshold: u32,
    /// PGP keys for the recovery shares, one per share.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub recovery_pgp_keys: Vec<String>,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl InitRequest {
    /// A Shamir seal: `shares` key shares, `threshold` of them to unseal.
    #[must_use]
    pub fn shamir(shares: u32, threshold: u32) -> Self {
        Self { secret_shares: shares, secret_threshold: threshold, ..Self::default() }
    }

    /// An auto-unseal seal: `shares` recovery shares, `threshold` of them for
    /// recovery operations (generate-root, rekey).
    #[must_use]
    pub fn auto_unseal(shares: u32, threshold: u32) -> Self {
        Self { recovery_shares: shares, recovery_threshold: threshold, ..Self::default() }
    }

    /// Encrypts each key share to one of `keys` (one per share, in order).
    #[must_use]
    pub fn pgp_keys<I: IntoIterator<Item = S>, S: Into<String>>(mut self, keys: I) -> Self {
        self.pgp_keys = keys.into_iter().map(Into::into).collect();
        self
    }

    /// Encrypts each recovery share to one of `keys` (one per share, in order).
    #[must_use]
    pub fn recovery_pgp_keys<I: IntoIterator<Item = S>, S: Into<String>>(mut self, keys: I) -> Self {
        self.recovery_pgp_keys = keys.into_iter().map(Into::into).collect();
        self
    }

    /// Encrypts the root token to `key`.
    #[must_use]
    pub fn root_token_pgp_key(mut self, key: impl Into<String>) -> Self {
        self.root_token_pgp_key = Some(key.into());
        self
    }

    /// Vault's own checks of a seal configuration (`SealConfig.Validate`),
    /// made before anything is sent: a refused init costs nothing, while an
    /// accepted one can only be undone by wiping the storage.
    pub fn check(&self) -> Result<()> {
        let shamir = self.secret_shares > 0 || self.secret_threshold > 0 || !self.pgp_keys.is_empty();
        let recovery = self.recovery_shares > 0 || self.recovery_threshold > 0 || !self.recovery_pgp_keys.is_empty();
        if !shamir && !recovery {
            return Err(Error::invalid(
                "init request",
                "no shares",
                "asks for no key shares; use InitRequest::shamir(shares, threshold) or InitRequest::auto_unseal(...)",
            ));
        }
        if shamir {
            check_shares("secret", self.secret_shares, self.secret_threshold, &self.pgp_keys)?;
        }
        if recovery {
            check_shares("recovery", self.recovery_shares, self.recovery_threshold, &self.recovery_pgp_keys)?;
        }
        Ok(())
    }
}

fn check_shares(kind: &str, shares: u32, threshold: u32, pgp_keys: &[String]) -> Result<()> {
    let what = format!("{kind} shares");
    let value = format!("{shares} shares, threshold {threshold}");
    let refuse = |reason: &str| Err(Error::invalid(&what, &value, reason));
    if shares == 0 || threshold == 0 {
        return refuse("need at least one share and a threshold of at least one");
    }
    if shares > 255 {
        return refuse("are at most 255");
    }
    if threshold > shares {
        return refuse("have a threshold larger than the number of shares");
    }
    if shares > 1 && threshold == 1 {
        return refuse("need a threshold above one when there are several shares (Vault refuses it)");
    }
    if !pgp_keys.is_empty() && pgp_keys.len() != shares as usize {
        return Err(Error::invalid(
            &what,
            &value,
            &format!("come with {} PGP keys; give exactly one per share or none", pgp_keys.len()),
        ));
    }
    if let Some(i) = pgp_keys.iter().position(|k| k.trim().is_empty()) {
        return Err(Error::invalid(&what, &value, &format!("come with an empty PGP key at position {i}")));
    }
    Ok(())
}

/// The answer of [`Sys::init`]: every share and the root token are
/// [`Secret`]s (PGP-encrypted when PGP keys were given). `Debug` prints
/// none of them.
#[derive(Debug, Clone, Deserialize)]
#[non_exhaustive]
pub struct InitResponse {
    /// Unseal key shares, hex (Shamir seals; empty for auto-unseal).
    #[serde(default)]
    pub keys: Vec<Secret>,
    /// The same shares, base64.
    #[serde(default)]
    pub keys_base64: Vec<Secret>,
    /// Recovery key shares, hex (auto-unseal seals).
    #[serde(default)]
    pub recovery_keys: Vec<Secret>,
    /// The same recovery shares, base64.
    #[serde(default)]
    pub recovery_keys_base64: Vec<Secret>,
    /// The initial root token: revoke it once other access is set up.
    pub root_token: Secret,
}

#[derive(Serialize)]
struct UnsealBody<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    key: Option<&'a Secret>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    reset: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    migrate: bool,
}

#[derive(Deserialize)]
struct InitStatus {
    initialized: bool,
}

impl Sys {
    /// `GET sys/init`: whether Vault is initialised (answers on a sealed,
    /// uninitialised server too).
    pub async fn init_status(&self) -> Result<bool> {
        let path = "sys/init";
        let req = self.client.request(Method::GET, "Vault path", path)?;
        Ok(crate::client::decode::<InitStatus>(&self.client.send(req, path, &[]).await?)?.initialized)
    }

    /// `PUT sys/init`: initialises a new Vault, returning its key shares and
    /// root token — **the only time Vault hands them out**; store them
    /// before anything else. The request is checked first
    /// ([`InitRequest::check`]) and never retried: a retry after a lost
    /// answer would meet "already initialized" and lose the keys.
    pub async fn init(&self, request: &InitRequest) -> Result<InitResponse> {
        request.check()?;
        let path = "sys/init";
        let req = self.client.request(Method::PUT, "Vault path", path)?.json(request)?.idempotent(false);
        crate::client::decode(&self.client.send(req, path, &[]).await?)
    }

    /// `PUT sys/unseal` with one key share, returning the seal status
    /// after it (`progress` shares entered, `sealed` false once the
    /// threshold is reached). The key is never printed, an empty one is
    /// refused before sending.
    pub async fn unseal(&self, key: &Secret) -> Result<SealStatus> {
        self.unseal_with(UnsealBody { key: Some(Self::unseal_key(key)?), reset: false, migrate: false }).await
    }

    /// [`Sys::unseal`] during a seal migration (`migrate: true`, `vault
    /// operator unseal -migrate`).
    pub async fn unseal_migrate(&self, key: &Secret) -> Result<SealStatus> {
        self.unseal_with(UnsealBody { key: Some(Self::unseal_key(key)?), reset: false, migrate: true }).await
    }

    /// `PUT sys/unseal` with `reset: true`: forgets the shares entered so far.
    pub async fn unseal_reset(&self) -> Result<SealStatus> {
        self.unseal_with(UnsealBody { key: None, reset: true, migrate: false }).await
    }

    fn unseal_key(key: &Secret) -> Result<&Secret> {
        if key.expose().trim().is_empty() {
            return Err(Error::invalid("unseal key", "(empty)", "is empty; give one key share (hex or base64)"));
        }
        Ok(key)
    }

    async fn unseal_with(&self, body: UnsealBody<'_>) -> Result<SealStatus> {
        let path = "sys/unseal";
        let req = self.client.request(Method::PUT, "Vault path", path)?.json(&body)?;
        let secrets: Vec<&Secret> = body.key.into_iter().collect();
        crate::client::decode(&self.client.send(req, path, &secrets).await?)
    }

    /// `PUT sys/seal`: seals this Vault (the active node; a standby
    /// forwards it). Every request then fails until it is unsealed with
    /// the threshold of key shares. Needs `sudo` on `sys/seal`.
    pub async fn seal(&self) -> Result<()> {
        let path = "sys/seal";
        let req = self.client.request(Method::PUT, "Vault path", path)?;
        self.client.send(req, path, &[]).await.map(drop)
    }

    /// `PUT sys/step-down`: the active node gives up leadership; another
    /// node becomes active (on a single node, the same one after a pause).
    pub async fn step_down(&self) -> Result<()> {
        let path = "sys/step-down";
        let req = self.client.request(Method::PUT, "Vault path", path)?;
        self.client.send(req, path, &[]).await.map(drop)
    }
}
