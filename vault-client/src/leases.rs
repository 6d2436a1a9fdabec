//! `sys/leases/*`: renew, revoke and look up the leases of dynamic secrets.

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

    /// Looks a lease up.
    pub async fn lookup(&self, lease_id: &str) -> Result<LeaseInfo> {
        Self::check(lease_id)?;
        let path = "sys/leases/lookup";
        let req =
            self.client.request(Method::PUT, "Vault path", path)?.json(&LeaseBody { lease_id, increment: None })?;
        self.client.send_data(req, path, &[]).await
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
