//! Dynamic credentials from the Nomad and Consul secrets engines.

use client_core::path::validate_name;
use client_core::{Method, Secret};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::client::VaultClient;
use crate::error::{Error, Result};
use crate::kv::mount_name;
use crate::response::Leased;

/// Secrets engines that hand out leased credentials.
#[derive(Debug, Clone)]
pub struct Secrets {
    client: VaultClient,
}

impl VaultClient {
    /// Dynamic credentials (`nomad/creds/<role>`, `consul/creds/<role>`).
    #[must_use]
    pub fn secrets(&self) -> Secrets {
        Secrets { client: self.clone() }
    }
}

/// A Nomad ACL token from `nomad/creds/<role>`. `Debug` hides the secret ID.
#[derive(Debug, Clone, Deserialize)]
pub struct NomadCreds {
    /// The token to send as `X-Nomad-Token` / `NOMAD_TOKEN`.
    pub secret_id: Secret,
    /// The token's accessor (safe to print and log).
    pub accessor_id: String,
}

/// A Consul ACL token from `consul/creds/<role>`. `Debug` hides the token.
#[derive(Debug, Clone, Deserialize)]
pub struct ConsulCreds {
    /// The token to send as `X-Consul-Token` / `CONSUL_HTTP_TOKEN`.
    pub token: Secret,
    /// The token's accessor (safe to print and log).
    pub accessor: String,
    /// Whether the token is local to one datacenter.
    #[serde(default)]
    pub local: bool,
}

impl Secrets {
    /// A Nomad token for `role` from the engine mounted at `nomad`.
    pub async fn nomad_creds(&self, role: &str) -> Result<Leased<NomadCreds>> {
        self.nomad_creds_at("nomad", role).await
    }

    /// A Nomad token for `role` from the engine mounted at `mount`.
    pub async fn nomad_creds_at(&self, mount: &str, role: &str) -> Result<Leased<NomadCreds>> {
        self.creds(mount, role).await
    }

    /// A Consul token for `role` from the engine mounted at `consul`.
    pub async fn consul_creds(&self, role: &str) -> Result<Leased<ConsulCreds>> {
        self.consul_creds_at("consul", role).await
    }

    /// A Consul token for `role` from the engine mounted at `mount`.
    pub async fn consul_creds_at(&self, mount: &str, role: &str) -> Result<Leased<ConsulCreds>> {
        self.creds(mount, role).await
    }

    /// Both tokens for `role`: Nomad's from the engine at `nomad_mount`, then
    /// Consul's from `consul_mount`. When the second read fails, the first
    /// lease is revoked before the error is returned: no token is left alive
    /// that nobody holds.
    pub async fn nomad_and_consul_creds(
        &self,
        nomad_mount: &str,
        consul_mount: &str,
        role: &str,
    ) -> Result<(Leased<NomadCreds>, Leased<ConsulCreds>)> {
        let nomad = self.nomad_creds_at(nomad_mount, role).await?;
        match self.consul_creds_at(consul_mount, role).await {
            Ok(consul) => Ok((nomad, consul)),
            Err(e) => {
                if let Err(revoke) = self.client.sys().leases().revoke(&nomad.lease.id).await {
                    tracing::warn!(lease = %nomad.lease.id, error = %revoke, "could not revoke the Nomad lease");
                }
                Err(e)
            }
        }
    }

    /// Reads `<mount>/creds/<role>` once (never retried: each read mints
    /// new credentials) with its lease.
    pub(crate) async fn creds<T: DeserializeOwned>(&self, mount: &str, role: &str) -> Result<Leased<T>> {
        let mount = mount_name(mount)?;
        validate_name("role", role, 256)?;
        // One path segment: no '/', '.' or '..' (Vault would clean the path into another one).
        client_core::path::check_segment("role", role)?;
        let path = format!("{mount}/creds/{role}");
        // Each read mints new credentials: never sent twice by a retry.
        let req = self.client.request(Method::GET, "Vault path", &path)?.idempotent(false);
        let resp = self.client.send_json::<T>(req, &path, &[]).await?;
        let resp = resp.ok_or_else(|| Error::UnexpectedResponse {
            method: "GET".into(),
            path: path.clone(),
            reason: "the answer is empty".into(),
        })?;
        let lease = resp.lease();
        let data = resp.data.ok_or_else(|| Error::UnexpectedResponse {
            method: "GET".into(),
            path,
            reason: "the answer has no data (was it response-wrapped?)".into(),
        })?;
        Ok(Leased { lease, data })
    }
}
