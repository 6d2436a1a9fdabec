//! LDAP auth: login, the method's config (`auth/<mount>/config`) and the
//! groups and users mapped to policies (`groups/<name>`, `users/<name>`).
//!
//! ```no_run
//! # async fn demo() -> vault_client::Result<()> {
//! use vault_client::auth::{LdapConfig, LdapUser};
//! use vault_client::{Secret, VaultClient};
//!
//! let vault = VaultClient::from_env()?;
//! let ldap = vault.auth().ldap("ldap")?;
//! let config = LdapConfig {
//!     url: Some("ldaps://ldap.example.com:636".into()),
//!     binddn: Some("cn=vault,ou=Users,dc=example,dc=com".into()),
//!     bindpass: Some(Secret::new("bind-password")),
//!     ..LdapConfig::default()
//! };
//! ldap.write_config(&config).await?;
//! ldap.write_group("dba", &["db-admin"]).await?;
//! ldap.write_user("alice", &LdapUser { policies: vec!["db-read".into()], groups: vec!["dba".into()] }).await?;
//! let alice = ldap.login("alice", &Secret::new("her password")).await?;
//! # drop(alice); Ok(()) }
//! ```

use client_core::Secret;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{Ldap, TokenParams, non_empty};
use crate::error::Result;
use crate::response::LoggedIn;

/// The LDAP method's config, to write with [`Ldap::write_config`] or as
/// [`Ldap::read_config`] answers it. Unset fields are not sent. `Debug`
/// hides `bindpass`; Vault answers it empty.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct LdapConfig {
    /// LDAP server URL(s), comma-separated (`ldaps://ldap.example.com:636`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Base DN of users (`ou=Users,dc=example,dc=com`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub userdn: Option<String>,
    /// Attribute matched against the username (`cn`, `samaccountname`, `uid`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub userattr: Option<String>,
    /// Filter of the user search (Go template, `{{.UserAttr}}`, `{{.Username}}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub userfilter: Option<String>,
    /// `userPrincipalName` domain (Active Directory).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upndomain: Option<String>,
    /// Base DN of the group search.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groupdn: Option<String>,
    /// Attribute naming a group (`cn`, `memberOf`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groupattr: Option<String>,
    /// Filter of the group search (Go template, `{{.UserDN}}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groupfilter: Option<String>,
    /// DN Vault binds as for searches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub binddn: Option<String>,
    /// Its password (a [`Secret`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bindpass: Option<Secret>,
    /// CA certificate (PEM) of the LDAP server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate: Option<String>,
    /// Whether to use StartTLS on an `ldap://` URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub starttls: Option<bool>,
    /// Skips the server certificate check (never in production).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub insecure_tls: Option<bool>,
    /// Lowest TLS version (`tls12`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_min_version: Option<String>,
    /// Highest TLS version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_max_version: Option<String>,
    /// Whether to find the user's DN with an anonymous search.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discoverdn: Option<bool>,
    /// Refuses a login with an empty password (an unauthenticated bind).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deny_null_bind: Option<bool>,
    /// Whether the entity alias is the username rather than the DN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username_as_alias: Option<bool>,
    /// Page size of the group search (Vault 1.11+).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_page_size: Option<i64>,
    /// The tokens a login gets.
    #[serde(flatten)]
    pub token: TokenParams,
}

/// Policies and groups Vault maps to one LDAP user ([`Ldap::write_user`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LdapUser {
    /// Policies of the user's tokens, besides the groups'.
    #[serde(default, serialize_with = "comma_list", deserialize_with = "list_or_comma")]
    pub policies: Vec<String>,
    /// Vault-side groups of the user, besides the directory's.
    #[serde(default, serialize_with = "comma_list", deserialize_with = "list_or_comma")]
    pub groups: Vec<String>,
}

#[derive(Serialize)]
struct GroupBody<'a> {
    #[serde(serialize_with = "comma_list")]
    policies: &'a [&'a str],
}

#[derive(Deserialize)]
struct GroupData {
    #[serde(default, deserialize_with = "list_or_comma")]
    policies: Vec<String>,
}

/// Vault takes these lists comma-separated in every version.
fn comma_list<S: Serializer, T: AsRef<str>>(list: &[T], s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(&list.iter().map(AsRef::as_ref).collect::<Vec<_>>().join(","))
}

/// A list Vault answers as an array or as one comma-separated string (LDAP
/// user groups, the legacy fields of cert roles).
pub(super) fn list_or_comma<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Wire {
        List(Vec<String>),
        Text(String),
    }
    Ok(match Option::<Wire>::deserialize(d)? {
        Some(Wire::List(list)) => list,
        Some(Wire::Text(text)) => text.split(',').map(str::trim).filter(|g| !g.is_empty()).map(Into::into).collect(),
        None => Vec::new(),
    })
}

impl Ldap {
    /// Logs in as `username` with the directory password (`POST
    /// auth/<mount>/login/<username>`). An empty password is refused
    /// before sending: some directories take it as an anonymous bind.
    pub async fn login(&self, username: &str, password: &Secret) -> Result<LoggedIn> {
        non_empty("LDAP password", password)?;
        self.client.password_login(&self.path("login"), username, password).await
    }

    /// The method's config; `bindpass` comes back empty.
    pub async fn read_config(&self) -> Result<Option<LdapConfig>> {
        self.client.get_data(&self.path("config")).await
    }

    /// Writes the method's config (`POST auth/<mount>/config`).
    pub async fn write_config(&self, config: &LdapConfig) -> Result<()> {
        let secrets: Vec<&Secret> = config.bindpass.iter().collect();
        self.client.post_unit(&self.path("config"), config, &secrets).await
    }

    /// Maps LDAP group `name` to `policies` (`POST auth/<mount>/groups/<name>`).
    pub async fn write_group(&self, name: &str, policies: &[&str]) -> Result<()> {
        self.client.post_unit(&self.named("LDAP group", "groups", name, "")?, &GroupBody { policies }, &[]).await
    }

    /// The policies of LDAP group `name`; `None` when it is not mapped.
    pub async fn read_group(&self, name: &str) -> Result<Option<Vec<String>>> {
        let data: Option<GroupData> = self.client.get_data(&self.named("LDAP group", "groups", name, "")?).await?;
        Ok(data.map(|g| g.policies))
    }

    /// The mapped group names.
    pub async fn list_groups(&self) -> Result<Vec<String>> {
        self.client.list(&self.path("groups")).await
    }

    /// Removes exactly group `name`'s mapping (the directory is untouched).
    pub async fn delete_group(&self, name: &str) -> Result<()> {
        self.client.delete(&self.named("LDAP group", "groups", name, "")?).await
    }

    /// Maps LDAP user `name` to policies and groups (`POST auth/<mount>/users/<name>`).
    pub async fn write_user(&self, name: &str, user: &LdapUser) -> Result<()> {
        self.client.post_unit(&self.named("LDAP user", "users", name, "")?, user, &[]).await
    }

    /// User `name`'s mapping; `None` when there is none.
    pub async fn read_user(&self, name: &str) -> Result<Option<LdapUser>> {
        self.client.get_data(&self.named("LDAP user", "users", name, "")?).await
    }

    /// The mapped usernames.
    pub async fn list_users(&self) -> Result<Vec<String>> {
        self.client.list(&self.path("users")).await
    }

    /// Removes exactly user `name`'s mapping (the directory is untouched).
    pub async fn delete_user(&self, name: &str) -> Result<()> {
        self.client.delete(&self.named("LDAP user", "users", name, "")?).await
    }
}
