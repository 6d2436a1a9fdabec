//! Token roles (`auth/token/roles/<name>`) and the tokens made without a
//! parent or through a role (`create-orphan`, `create/<role>`).
//!
//! ```no_run
//! # async fn demo() -> vault_client::Result<()> {
//! use std::time::Duration;
//! use vault_client::auth::TokenRole;
//! use vault_client::{TokenCreateRequest, VaultClient};
//!
//! let vault = VaultClient::from_env()?;
//! let tokens = vault.auth().token();
//! let role = TokenRole { allowed_policies: Some(vec!["nomad-server".into()]), orphan: Some(true), ..TokenRole::default() };
//! tokens.write_role("nomad-cluster", &role).await?;
//! let nomad = tokens.create_with_role("nomad-cluster", &TokenCreateRequest::periodic(Duration::from_secs(72 * 3600))).await?;
//! println!("accessor {}", nomad.auth.accessor);
//! # Ok(()) }
//! ```

use std::time::Duration;

use client_core::Method;
use serde::{Deserialize, Serialize};

use super::params::opt_seconds;
use super::{TokenAuth, TokenCreateRequest};
use crate::error::Result;
use crate::response::LoggedIn;

/// A token role, to write with [`TokenAuth::write_role`] or as
/// [`TokenAuth::read_role`] answers it. Unset fields are not sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRole {
    /// Policies a token of the role may have (empty: any the creator has).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_policies: Option<Vec<String>>,
    /// Policies a token of the role may not have.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disallowed_policies: Option<Vec<String>>,
    /// Whether the role's tokens have no parent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub orphan: Option<bool>,
    /// Whether the role's tokens can be renewed (Vault's default: true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renewable: Option<bool>,
    /// Suffix of the tokens' path (`auth/token/create/<role>/<suffix>`), for revoke-prefix.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path_suffix: Option<String>,
    /// Entity aliases a token of the role may be created for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_entity_aliases: Option<Vec<String>>,
    /// CIDR blocks the tokens can be used from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_bound_cidrs: Option<Vec<String>>,
    /// Hard limit on the tokens' lifetime.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "opt_seconds")]
    pub token_explicit_max_ttl: Option<Duration>,
    /// Makes the tokens periodic.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "opt_seconds")]
    pub token_period: Option<Duration>,
    /// Leaves the `default` policy off the tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_no_default_policy: Option<bool>,
    /// Uses of each token (0: unlimited).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_num_uses: Option<u64>,
    /// `service`, `batch`, `default-service` or `default-batch`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_type: Option<String>,
}

impl TokenCreateRequest {
    /// A periodic token: never expires while renewed within `period`
    /// (`auth/token/create*` with `period`; needs root or sudo, or a role
    /// with a `token_period`).
    #[must_use]
    pub fn periodic(period: Duration) -> Self {
        Self { period: Some(format!("{}s", period.as_secs())), renewable: Some(true), ..Self::default() }
    }
}

const ROLE: &str = "token role";

fn role_path(name: &str) -> Result<String> {
    client_core::path::check_segment(ROLE, name)?;
    Ok(format!("auth/token/roles/{name}"))
}

impl TokenAuth {
    /// Creates or updates token role `name` (`POST auth/token/roles/<name>`).
    pub async fn write_role(&self, name: &str, role: &TokenRole) -> Result<()> {
        self.client.post_unit(&role_path(name)?, role, &[]).await
    }

    /// Reads token role `name`; `None` when there is none.
    pub async fn read_role(&self, name: &str) -> Result<Option<TokenRole>> {
        self.client.get_data(&role_path(name)?).await
    }

    /// The token role names (empty when there are none).
    pub async fn list_roles(&self) -> Result<Vec<String>> {
        self.client.list("auth/token/roles").await
    }

    /// Deletes exactly token role `name` (its tokens stay valid).
    pub async fn delete_role(&self, name: &str) -> Result<()> {
        self.client.delete(&role_path(name)?).await
    }

    /// Creates a token without a parent (`POST auth/token/create-orphan`,
    /// needs sudo): revoking the creator does not revoke it. The returned
    /// client uses it; the token is a [`client_core::Secret`].
    pub async fn create_orphan(&self, request: &TokenCreateRequest) -> Result<LoggedIn> {
        self.create_at("auth/token/create-orphan", request).await
    }

    /// Creates a token through role `role` (`POST auth/token/create/<role>`),
    /// which bounds its policies and may make it an orphan or periodic.
    pub async fn create_with_role(&self, role: &str, request: &TokenCreateRequest) -> Result<LoggedIn> {
        client_core::path::check_segment(ROLE, role)?;
        self.create_at(&format!("auth/token/create/{role}"), request).await
    }

    pub(super) async fn create_at(&self, path: &str, request: &TokenCreateRequest) -> Result<LoggedIn> {
        let req = self.client.request(Method::POST, "Vault path", path)?.json(request)?;
        self.client.auth_answer(req, path, &[]).await
    }
}
