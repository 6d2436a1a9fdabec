//! `sys/leases/*`: renew, revoke, look up and list the leases of dynamic
//! secrets; revoke a whole folder of them (`revoke-prefix`, `revoke-force`);
//! tidy the lease store.
//!
//! **Prefixes are folders, never string prefixes.** Vault itself treats a
//! prefix without a trailing `/` as one exact lease ID when such a lease
//! exists, and otherwise as the folder `<prefix>/` (`revokePrefixCommon` in
//! `vault/expiration.go`): `nomad/creds/admin` revokes the leases under
//! `nomad/creds/admin/`, never those of `nomad/creds/administrator/`. This
//! client sends the prefix without its trailing `/` (Vault adds it back), and
//! refuses before sending an empty prefix, a bare `/`, and empty, `.` or `..`
//! parts (which Vault would clean into another folder).

use std::time::Duration;

use client_core::Method;
use serde::{Deserialize, Serialize};

use crate::client::VaultClient;
use crate::error::{Error, Result};
use crate::response::Lease;
use crate::sys::Sys;

impl Sys {
    /// Lease operations.
    #[must_use]
    pub fn leases(&self) -> Leases {
        Leases { client: self.client.clone() }
    }
}

/// `sys/leases/*`.
#[derive(Debug, Clone)]
pub struct Leases {
    client: VaultClient,
}

impl Leases {
    fn check(lease_id: &str) -> Result<()> {
        client_core::path::validate_path("lease ID", lease_id, false).map_err(Into::into)
    }

    /// Renews a lease, asking for `increment` more time (the server may grant less).
    pub async fn renew(&self, lease_id: &str, increment: Option<Duration>) -> Result<Lease> {
        Self::check(lease_id)?;
        let path = "sys/leases/renew";
        let body = LeaseBody { lease_id, increment: increment.map(|d| d.as_secs()) };
        let req = self.client.request(Method::PUT, "Vault path", path)?.json(&body)?;
        let resp = self.client.send_json::<serde_json::Value>(req, path, &[]).await?;
        resp.map(|r| r.lease()).ok_or_else(|| Error::UnexpectedResponse {
            method: "PUT".into(),
            path: path.into(),
            reason: "the renewal answer is empty".into(),
        })
    }

    /// Revokes a lease now (the credentials stop working).
    pub async fn revoke(&self, lease_id: &str) -> Result<()> {
        Self::check(lease_id)?;
        let path = "sys/leases/revoke";
        let req =
            self.client.request(Method::PUT, "Vault path", path)?.json(&LeaseBody { lease_id, increment: None })?;
        self.client.send(req, path, &[]).await.map(drop)
    }

    /// Looks a lease up. A lease that does not exist (never did, expired or
    /// revoked) is Vault's 400 `invalid lease`, an [`Error::Api`].
    pub async fn lookup(&self, lease_id: &str) -> Result<LeaseInfo> {
        Self::check(lease_id)?;
        let path = "sys/leases/lookup";
        let req =
            self.client.request(Method::PUT, "Vault path", path)?.json(&LeaseBody { lease_id, increment: None })?;
        self.client.send_data(req, path, &[]).await
    }

    /// `LIST sys/leases/lookup/<prefix>`: the lease IDs (last part only)
    /// and sub-folders (ending in `/`) under `prefix`, e.g.
    /// `nomad/creds/developer`. Empty when there are none. Needs `sudo`.
    pub async fn list(&self, prefix: &str) -> Result<Vec<String>> {
        let folder = Self::folder(prefix)?;
        self.client.list(&format!("sys/leases/lookup/{folder}")).await
    }

    /// `PUT sys/leases/revoke-prefix/<prefix>`: revokes every lease under
    /// the folder `prefix` (or the one lease whose ID it is; see the module
    /// docs), each through its secrets engine. Needs `sudo`.
    pub async fn revoke_prefix(&self, prefix: &str) -> Result<()> {
        self.revoke_folder("revoke-prefix", prefix).await
    }

    /// `PUT sys/leases/revoke-force/<prefix>`: like
    /// [`Leases::revoke_prefix`], but **Vault forgets the leases even when
    /// their secrets engine fails to revoke them** (the credentials may stay
    /// valid at the backend). Meant for an engine whose backend is gone
    /// (`vault lease revoke -force -prefix`). Needs `sudo`.
    pub async fn revoke_force(&self, prefix: &str) -> Result<()> {
        self.revoke_folder("revoke-force", prefix).await
    }

    async fn revoke_folder(&self, endpoint: &str, prefix: &str) -> Result<()> {
        let path = format!("sys/leases/{endpoint}/{}", Self::folder(prefix)?);
        let req = self.client.request(Method::PUT, "lease prefix", &path)?;
        self.client.send(req, &path, &[]).await.map(drop)
    }

    /// `POST sys/leases/tidy`: Vault cleans up invalid entries of its
    /// lease store in the background (202, returns at once).
    pub async fn tidy(&self) -> Result<()> {
        let path = "sys/leases/tidy";
        let req = self.client.request(Method::POST, "Vault path", path)?;
        self.client.send(req, path, &[]).await.map(drop)
    }

    /// A lease folder: checked part by part, the trailing `/` stripped.
    fn folder(prefix: &str) -> Result<&str> {
        let folder = prefix.strip_suffix('/').unwrap_or(prefix);
        if folder.is_empty() {
            return Err(Error::invalid(
                "lease prefix",
                prefix,
                "is empty; name a folder of leases such as nomad/creds/developer (all of Vault's leases at once is refused)",
            ));
        }
        client_core::path::validate_path("lease prefix", prefix, true)?;
        Ok(folder)
    }
}

/// `sys/leases/lookup`.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct LeaseInfo {
    /// Lease ID.
    pub id: String,
    /// When the lease was issued.
    #[serde(default)]
    pub issue_time: String,
    /// When it expires.
    #[serde(default)]
    pub expire_time: Option<String>,
    /// When it was last renewed.
    #[serde(default)]
    pub last_renewal: Option<String>,
    /// Whether it can be renewed.
    #[serde(default)]
    pub renewable: bool,
    /// Seconds left.
    #[serde(default)]
    pub ttl: u64,
}

#[derive(Serialize)]
struct LeaseBody<'a> {
    lease_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    increment: Option<u64>,
}
