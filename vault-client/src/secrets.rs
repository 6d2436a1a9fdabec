//! Dynamic credentials from the Nomad and Consul secrets engines.

use client_core::path::validate_name;
use client_core::{Method, Secret};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::client::VaultClient;
use crate::error::{Error, Result};
use crate::kv::mount_name;
use crate::response::Leased;

/// AWS credentials from the AWS secrets engine (`aws/creds/<role>` for an
/// IAM user, `aws/sts/<role>` for STS). `Debug` hides the secret key and
/// the session token.
#[derive(Debug, Clone, Deserialize)]
pub struct AwsCreds {
    /// `AWS_ACCESS_KEY_ID` (safe to print and log).
    pub access_key: String,
    /// `AWS_SECRET_ACCESS_KEY`.
    pub secret_key: Secret,
    /// `AWS_SESSION_TOKEN` of STS credentials (`None` for an IAM user).
    #[serde(default)]
    pub security_token: Option<Secret>,
    /// The ARN of the assumed role or federated user, when Vault sends it.
    #[serde(default)]
    pub arn: Option<String>,
}

/// Options of [`Secrets::aws_sts_creds_at`]; unset fields keep the role's.
#[derive(Debug, Clone, Default, Serialize)]
pub struct StsRequest {
    /// The role to assume, when the Vault role allows several.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
    /// The session name (`assumed_role` roles).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role_session_name: Option<String>,
    /// How long the credentials live (STS: 15 min to 12 h; never renewable).
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "crate::response::seconds::serialize_opt")]
    pub ttl: Option<std::time::Duration>,
}

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

    /// IAM-user credentials for `role` from the AWS engine mounted at
    /// `mount` (`GET <mount>/creds/<role>`), with their lease. Never retried.
    pub async fn aws_creds_at(&self, mount: &str, role: &str) -> Result<Leased<AwsCreds>> {
        self.creds(mount, role).await
    }

    /// STS credentials for `role` (`POST <mount>/sts/<role>`), with their
    /// lease (not renewable: STS credentials end with their TTL). Never retried.
    pub async fn aws_sts_creds_at(&self, mount: &str, role: &str, request: &StsRequest) -> Result<Leased<AwsCreds>> {
        let mount = mount_name(mount)?;
        client_core::path::check_segment("role", role)?;
        let path = format!("{mount}/sts/{role}");
        let req = self.client.request(Method::POST, "Vault path", &path)?.json(request)?.idempotent(false);
        let resp = self.client.send_json::<AwsCreds>(req, &path, &[]).await?;
        leased(resp, "POST", path)
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
        leased(resp, "GET", path)
    }
}

/// The data of a credentials answer with its lease.
fn leased<T>(resp: Option<crate::VaultResponse<T>>, method: &str, path: String) -> Result<Leased<T>> {
    let resp = resp.ok_or_else(|| Error::UnexpectedResponse {
        method: method.into(),
        path: path.clone(),
        reason: "the answer is empty".into(),
    })?;
    let lease = resp.lease();
    let data = resp.data.ok_or_else(|| Error::UnexpectedResponse {
        method: method.into(),
        path,
        reason: "the answer has no data (was it response-wrapped?)".into(),
    })?;
    Ok(Leased { lease, data })
}
