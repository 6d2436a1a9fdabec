//! AppRole management (`auth/<mount>/role/...`): roles, their role IDs, and
//! the secret IDs a bootstrap tool hands to machines.
//!
//! ```no_run
//! # async fn demo() -> vault_client::Result<()> {
//! use vault_client::VaultClient;
//! use vault_client::auth::{AppRoleSettings, SecretIdRequest, TokenParams};
//!
//! let vault = VaultClient::from_env()?;
//! let approle = vault.auth().approle("approle")?;
//! let settings = AppRoleSettings { token: TokenParams::with_policies(["db-read"]), ..Default::default() };
//! approle.write_role("patroni", &settings).await?;
//! let role_id = approle.role_id("patroni").await?;
//! let secret_id = approle.generate_secret_id("patroni", &SecretIdRequest::default()).await?;
//! println!("role-id {role_id}, secret-id accessor {}", secret_id.secret_id_accessor);
//! let machine = approle.login(&role_id, &secret_id.secret_id).await?;
//! # drop(machine); Ok(()) }
//! ```

use std::collections::BTreeMap;
use std::time::Duration;

use client_core::Secret;
use client_core::path::validate_name;
use serde::{Deserialize, Serialize, Serializer};

use super::params::opt_seconds;
use super::{AppRole, TokenParams, non_empty};
use crate::error::Result;
use crate::response::seconds;

/// An AppRole role, to write with [`AppRole::write_role`] or as
/// [`AppRole::read_role`] answers it. Unset fields are not sent (a write
/// leaves them as they are).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppRoleSettings {
    /// Whether a login needs a secret ID besides the role ID (Vault's default: true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bind_secret_id: Option<bool>,
    /// CIDR blocks a secret ID can be used from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_id_bound_cidrs: Option<Vec<String>>,
    /// Uses of each secret ID (0: unlimited).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_id_num_uses: Option<u64>,
    /// Lifetime of each secret ID (zero: never expires).
    #[serde(default, skip_serializing_if = "Option::is_none", with = "opt_seconds")]
    pub secret_id_ttl: Option<Duration>,
    /// Whether secret IDs are local to the cluster (set at creation only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_secret_ids: Option<bool>,
    /// The tokens a login gets.
    #[serde(flatten)]
    pub token: TokenParams,
}

/// Options of a new secret ID ([`AppRole::generate_secret_id`],
/// [`AppRole::custom_secret_id`]). Vault caps `num_uses` and `ttl` at the
/// role's (the `ttl`/`num_uses` overrides are Vault 1.13+; older servers
/// ignore them).
#[derive(Debug, Clone, Default, Serialize)]
pub struct SecretIdRequest {
    /// Metadata set on tokens logged in with the secret ID; Vault logs it
    /// in plaintext, so it must hold no secret. Sent as the JSON string Vault expects.
    #[serde(skip_serializing_if = "BTreeMap::is_empty", serialize_with = "metadata_string")]
    pub metadata: BTreeMap<String, String>,
    /// CIDR blocks the secret ID can be used from (a subset of the role's).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cidr_list: Vec<String>,
    /// CIDR blocks the tokens can be used from (a subset of the role's).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub token_bound_cidrs: Vec<String>,
    /// Uses of the secret ID (0: unlimited).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub num_uses: Option<u64>,
    /// Lifetime of the secret ID.
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "seconds::serialize_opt")]
    pub ttl: Option<Duration>,
}

/// Vault takes the metadata as a JSON-encoded string, not an object.
fn metadata_string<S: Serializer>(metadata: &BTreeMap<String, String>, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(&serde_json::to_string(metadata).map_err(serde::ser::Error::custom)?)
}

#[derive(Serialize)]
struct CustomSecretIdBody<'a> {
    secret_id: &'a Secret,
    #[serde(flatten)]
    request: &'a SecretIdRequest,
}

/// A new secret ID. `Debug` hides it; the accessor is safe to print and
/// log, and is what [`AppRole::lookup_secret_id_accessor`] and
/// [`AppRole::destroy_secret_id_accessor`] take.
#[derive(Debug, Clone, Deserialize)]
pub struct SecretId {
    /// The secret ID.
    pub secret_id: Secret,
    /// Its accessor.
    pub secret_id_accessor: String,
    /// Its lifetime (zero: never expires).
    #[serde(default, deserialize_with = "seconds::deserialize")]
    pub secret_id_ttl: Duration,
    /// Its uses (Vault 1.13+ answers it).
    #[serde(default)]
    pub secret_id_num_uses: Option<u64>,
}

/// What Vault knows about a secret ID (never the secret ID itself).
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct SecretIdInfo {
    /// Its accessor.
    pub secret_id_accessor: String,
    /// Creation time (RFC 3339).
    #[serde(default)]
    pub creation_time: String,
    /// Expiry (RFC 3339; `0001-01-01T00:00:00Z` when it never expires).
    #[serde(default)]
    pub expiration_time: String,
    /// Last update (RFC 3339).
    #[serde(default)]
    pub last_updated_time: String,
    /// Metadata given at creation.
    #[serde(default)]
    pub metadata: Option<BTreeMap<String, String>>,
    /// CIDR blocks it can be used from.
    #[serde(default)]
    pub cidr_list: Vec<String>,
    /// CIDR blocks its tokens can be used from.
    #[serde(default)]
    pub token_bound_cidrs: Vec<String>,
    /// Uses left (0: unlimited).
    #[serde(default)]
    pub secret_id_num_uses: u64,
    /// Its lifetime (zero: never expires).
    #[serde(default, deserialize_with = "seconds::deserialize")]
    pub secret_id_ttl: Duration,
    /// Fields not modelled here.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

#[derive(Serialize)]
struct SecretIdBody<'a> {
    secret_id: &'a Secret,
}

#[derive(Serialize)]
struct AccessorBody<'a> {
    secret_id_accessor: &'a str,
}

#[derive(Serialize)]
struct RoleIdBody<'a> {
    role_id: &'a str,
}

#[derive(Deserialize)]
struct RoleIdData {
    role_id: String,
}

const ROLE: &str = "AppRole role";

impl AppRole {
    fn role(&self, name: &str, suffix: &str) -> Result<String> {
        self.named(ROLE, "role", name, suffix)
    }

    fn accessor<'a>(&self, accessor: &'a str) -> Result<AccessorBody<'a>> {
        validate_name("secret ID accessor", accessor, 256)?;
        Ok(AccessorBody { secret_id_accessor: accessor })
    }

    /// Creates or updates role `name` (`POST auth/<mount>/role/<name>`).
    pub async fn write_role(&self, name: &str, settings: &AppRoleSettings) -> Result<()> {
        self.client.post_unit(&self.role(name, "")?, settings, &[]).await
    }

    /// Reads role `name`; `None` when there is none.
    pub async fn read_role(&self, name: &str) -> Result<Option<AppRoleSettings>> {
        self.client.get_data(&self.role(name, "")?).await
    }

    /// The role names (empty when there are none).
    pub async fn list_roles(&self) -> Result<Vec<String>> {
        self.client.list(&self.path("role")).await
    }

    /// Deletes exactly role `name` and its secret IDs (tokens already issued stay valid).
    pub async fn delete_role(&self, name: &str) -> Result<()> {
        self.client.delete(&self.role(name, "")?).await
    }

    /// The role ID of role `name` (`GET .../role-id`): not a secret on its
    /// own, but half of a login.
    pub async fn role_id(&self, name: &str) -> Result<String> {
        let path = self.role(name, "/role-id")?;
        let req = self.client.request(client_core::Method::GET, "Vault path", &path)?;
        Ok(self.client.send_data::<RoleIdData>(req, &path, &[]).await?.role_id)
    }

    /// Sets a role ID of your own on role `name` (`POST .../role-id`).
    pub async fn set_role_id(&self, name: &str, role_id: &str) -> Result<()> {
        let path = self.role(name, "/role-id")?;
        validate_name("AppRole role ID", role_id, 4096)?;
        self.client.post_unit(&path, &RoleIdBody { role_id }, &[]).await
    }

    /// A new secret ID for role `name` (`POST .../secret-id`). Never
    /// retried: each call creates one.
    pub async fn generate_secret_id(&self, name: &str, request: &SecretIdRequest) -> Result<SecretId> {
        self.client.post_data(&self.role(name, "/secret-id")?, request, &[]).await
    }

    /// Gives role `name` a secret ID of your own (`POST .../custom-secret-id`,
    /// the "push" model). An empty secret ID is refused before sending.
    pub async fn custom_secret_id(
        &self,
        name: &str,
        secret_id: &Secret,
        request: &SecretIdRequest,
    ) -> Result<SecretId> {
        let path = self.role(name, "/custom-secret-id")?;
        non_empty("secret ID", secret_id)?;
        self.client.post_data(&path, &CustomSecretIdBody { secret_id, request }, &[secret_id]).await
    }

    /// The accessors of role `name`'s secret IDs (`LIST .../secret-id`).
    pub async fn list_secret_id_accessors(&self, name: &str) -> Result<Vec<String>> {
        self.client.list(&self.role(name, "/secret-id")?).await
    }

    /// What Vault knows about `secret_id` of role `name`; `None` when it
    /// is not one of the role's.
    pub async fn lookup_secret_id(&self, name: &str, secret_id: &Secret) -> Result<Option<SecretIdInfo>> {
        let path = self.role(name, "/secret-id/lookup")?;
        non_empty("secret ID", secret_id)?;
        self.lookup(&path, &SecretIdBody { secret_id }, &[secret_id]).await
    }

    /// What Vault knows about the secret ID with `accessor`; `None` when
    /// the role has none with it.
    pub async fn lookup_secret_id_accessor(&self, name: &str, accessor: &str) -> Result<Option<SecretIdInfo>> {
        let path = self.role(name, "/secret-id-accessor/lookup")?;
        self.lookup(&path, &self.accessor(accessor)?, &[]).await
    }

    async fn lookup<B: Serialize>(&self, path: &str, body: &B, secrets: &[&Secret]) -> Result<Option<SecretIdInfo>> {
        // A lookup is a read sent as POST: safe to retry.
        let req = self.client.request(client_core::Method::POST, "Vault path", path)?.json(body)?.idempotent(true);
        Ok(crate::client::missing_as_none(self.client.send_json(req, path, secrets).await)?.and_then(|r| r.data))
    }

    /// Destroys `secret_id` of role `name` (`POST .../secret-id/destroy`);
    /// tokens it logged in to stay valid.
    pub async fn destroy_secret_id(&self, name: &str, secret_id: &Secret) -> Result<()> {
        let path = self.role(name, "/secret-id/destroy")?;
        non_empty("secret ID", secret_id)?;
        self.client.post_unit(&path, &SecretIdBody { secret_id }, &[secret_id]).await
    }

    /// Destroys the secret ID with `accessor` (`POST .../secret-id-accessor/destroy`).
    pub async fn destroy_secret_id_accessor(&self, name: &str, accessor: &str) -> Result<()> {
        let path = self.role(name, "/secret-id-accessor/destroy")?;
        self.client.post_unit(&path, &self.accessor(accessor)?, &[]).await
    }

    /// Starts a tidy of expired secret IDs (`POST auth/<mount>/tidy/secret-id`);
    /// it runs in the background and this returns Vault's warnings.
    pub async fn tidy_secret_ids(&self) -> Result<Vec<String>> {
        let path = self.path("tidy/secret-id");
        let req = self.client.request(client_core::Method::POST, "Vault path", &path)?;
        let answer = self.client.send_envelope::<serde_json::Value>(req, &path, &[]).await?;
        Ok(answer.map(|r| r.warnings().to_vec()).unwrap_or_default())
    }
}
