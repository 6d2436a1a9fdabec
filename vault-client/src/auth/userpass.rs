//! Userpass user management (`auth/<mount>/users/...`).
//!
//! ```no_run
//! # async fn demo() -> vault_client::Result<()> {
//! use vault_client::{Secret, VaultClient};
//! use vault_client::auth::{TokenParams, UserpassUser};
//!
//! let vault = VaultClient::from_env()?;
//! let userpass = vault.auth().userpass("userpass")?;
//! let user = UserpassUser::new(Secret::new("correct-horse"), TokenParams::with_policies(["db-read"]));
//! userpass.write_user("alice", &user).await?;
//! userpass.update_policies("alice", &["db-read", "db-write"]).await?;
//! # Ok(()) }
//! ```

use client_core::Secret;
use serde::Serialize;

use super::{PasswordBody, TokenParams, Userpass, non_empty};
use crate::error::Result;

/// A user to write with [`Userpass::write_user`]. `Debug` hides the password.
#[derive(Debug, Clone, Default, Serialize)]
pub struct UserpassUser {
    /// The password: needed to create a user, left as it is when `None` on an update.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<Secret>,
    /// The tokens a login gets.
    #[serde(flatten)]
    pub token: TokenParams,
}

impl UserpassUser {
    /// A user with `password` and token settings `token`.
    #[must_use]
    pub fn new(password: Secret, token: TokenParams) -> Self {
        Self { password: Some(password), token }
    }
}

#[derive(Serialize)]
struct PoliciesBody<'a> {
    token_policies: &'a [&'a str],
}

const USER: &str = "username";

impl Userpass {
    fn user(&self, name: &str, suffix: &str) -> Result<String> {
        self.named(USER, "users", name, suffix)
    }

    /// Creates or updates user `name` (`POST auth/<mount>/users/<name>`).
    /// An empty password is refused before sending.
    pub async fn write_user(&self, name: &str, user: &UserpassUser) -> Result<()> {
        let path = self.user(name, "")?;
        let secrets: Vec<&Secret> = user.password.iter().collect();
        for password in &secrets {
            non_empty("userpass password", password)?;
        }
        self.client.post_unit(&path, user, &secrets).await
    }

    /// The token settings of user `name`; `None` when there is no such
    /// user. Vault never answers the password.
    pub async fn read_user(&self, name: &str) -> Result<Option<TokenParams>> {
        self.client.get_data(&self.user(name, "")?).await
    }

    /// The usernames (empty when there are none).
    pub async fn list_users(&self) -> Result<Vec<String>> {
        self.client.list(&self.path("users")).await
    }

    /// Deletes exactly user `name` (its tokens stay valid until they expire).
    pub async fn delete_user(&self, name: &str) -> Result<()> {
        self.client.delete(&self.user(name, "")?).await
    }

    /// Sets user `name`'s password (`POST .../password`).
    pub async fn update_password(&self, name: &str, password: &Secret) -> Result<()> {
        let path = self.user(name, "/password")?;
        non_empty("userpass password", password)?;
        self.client.post_unit(&path, &PasswordBody { password }, &[password]).await
    }

    /// Replaces user `name`'s token policies (`POST .../policies`).
    pub async fn update_policies(&self, name: &str, policies: &[&str]) -> Result<()> {
        let path = self.user(name, "/policies")?;
        self.client.post_unit(&path, &PoliciesBody { token_policies: policies }, &[]).await
    }
}
