//! Auth methods: token, GitHub, AppRole, userpass, LDAP, TLS certificates,
//! Kubernetes/JWT/OIDC and AWS IAM. Every login returns a [`LoggedIn`] whose
//! client sends the new token.
//!
//! The logins live here; managing a method (roles, users, secret IDs,
//! config) lives in one submodule per method, re-exported here, and
//! enabling, tuning and moving methods in [`mounts`].

use std::collections::BTreeMap;
use std::time::Duration;

use client_core::path::validate_name;
use client_core::{Method, Secret};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

#[cfg(feature = "aws")]
use crate::aws::AwsLogin;
use crate::client::{VaultClient, missing_as_none};
use crate::error::{Error, Result};
use crate::kv::mount_name;
use crate::response::{AuthInfo, LoggedIn};

pub mod approle;
pub mod cert;
pub mod jwt;
pub mod ldap;
pub mod mounts;
mod params;
pub mod token_roles;
pub mod userpass;

pub use approle::{AppRoleSettings, SecretId, SecretIdInfo, SecretIdRequest};
pub use cert::CertRole;
pub use jwt::{JwtConfig, JwtRole, OidcCallback};
pub use ldap::{LdapConfig, LdapUser};
pub use params::TokenParams;
pub use token_roles::TokenRole;
pub use userpass::UserpassUser;

/// The auth API (`auth/...`).
#[derive(Debug, Clone)]
pub struct Auth {
    client: VaultClient,
}

impl VaultClient {
    /// Auth methods.
    #[must_use]
    pub fn auth(&self) -> Auth {
        Auth { client: self.clone() }
    }

    /// Posts a login body to `auth/<mount>/<suffix>` without any token and
    /// returns a client using the token Vault issued.
    pub(crate) async fn login<B: Serialize + ?Sized>(
        &self,
        path: &str,
        body: &B,
        secrets: &[&Secret],
    ) -> Result<LoggedIn> {
        // An empty token is not sent: a login never carries a stale token.
        let req = self.request(Method::POST, "login path", path)?.json(body)?.token(Secret::default());
        match self.auth_answer(req, path, secrets).await {
            // Vault's answer to a login on a path where nothing is mounted: without a
            // token "missing client token" (the path is not an unauthenticated one),
            // with one "no handler for route".
            Err(Error::Api { status: status @ (400 | 404), errors, .. })
                if errors.iter().any(|e| e == "missing client token" || e.starts_with("no handler for route")) =>
            {
                Err(Error::NoAuthMount { mount: auth_mount(path), path: path.to_owned(), status, errors })
            }
            other => other,
        }
    }

    async fn auth_answer(&self, req: client_core::Request, path: &str, secrets: &[&Secret]) -> Result<LoggedIn> {
        let method = req.method().to_string();
        let auth =
            self.send_json::<serde_json::Value>(req, path, secrets).await?.and_then(|r| r.auth).ok_or_else(|| {
                Error::UnexpectedResponse {
                    method,
                    path: path.to_owned(),
                    reason: "the answer has no auth block (was it response-wrapped?)".into(),
                }
            })?;
        Ok(LoggedIn { client: self.with_token(auth.client_token.clone()), auth })
    }
}

/// Request plumbing the management submodules share.
impl VaultClient {
    /// `POST path` with `body`, the answer's body ignored.
    async fn post_unit<B: Serialize + ?Sized>(&self, path: &str, body: &B, secrets: &[&Secret]) -> Result<()> {
        let req = self.request(Method::POST, "Vault path", path)?.json(body)?;
        self.send(req, path, secrets).await.map(drop)
    }

    /// `POST path` with `body`, returning the answer's `data`.
    async fn post_data<T: DeserializeOwned, B: Serialize + ?Sized>(
        &self,
        path: &str,
        body: &B,
        secrets: &[&Secret],
    ) -> Result<T> {
        let req = self.request(Method::POST, "Vault path", path)?.json(body)?;
        self.send_data(req, path, secrets).await
    }

    /// `GET path`'s `data`; `None` when nothing is there (404 or 204).
    async fn get_data<T: DeserializeOwned>(&self, path: &str) -> Result<Option<T>> {
        let req = self.request(Method::GET, "Vault path", path)?;
        Ok(missing_as_none(self.send_json(req, path, &[]).await)?.and_then(|r| r.data))
    }
}

impl VaultClient {
    /// `POST <login>/<username>` with `{"password"}` (userpass and LDAP).
    async fn password_login(&self, login: &str, username: &str, password: &Secret) -> Result<LoggedIn> {
        validate_name("username", username, 256)?;
        // One path segment: no '/', '.' or '..' (Vault would clean the path into another one).
        client_core::path::check_segment("username", username)?;
        self.login(&format!("{login}/{username}"), &PasswordBody { password }, &[password]).await
    }
}

/// Refuses an empty secret before it is sent.
fn non_empty(what: &str, secret: &Secret) -> Result<()> {
    if secret.expose().is_empty() {
        return Err(Error::invalid(what, "", "must not be empty"));
    }
    Ok(())
}

/// `auth/<mount>` of a login path `auth/<mount>/login[/<user>]`.
fn auth_mount(path: &str) -> String {
    let mount = path.rsplit_once("/login").map_or(path, |(mount, _)| mount);
    mount.to_owned()
}

/// Defines a handler for an auth method mounted at a configurable path.
macro_rules! mounted_auth {
    ($(#[$doc:meta])* $name:ident, $ctor:ident, $default:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $name {
            client: VaultClient,
            mount: String,
        }

        impl Auth {
            #[doc = concat!("The method mounted at `mount` (usually `", $default, "`).")]
            pub fn $ctor(&self, mount: &str) -> Result<$name> {
                Ok($name { client: self.client.clone(), mount: mount_name(mount)? })
            }
        }

        impl $name {
            fn path(&self, suffix: &str) -> String {
                format!("auth/{}/{suffix}", self.mount)
            }

            /// `auth/<mount>/<kind>/<name><suffix>` after checking `name`
            /// as one path segment (no `/`, `.`, `..` or empty name).
            #[allow(dead_code)] // not every method has named objects
            fn named(&self, what: &str, kind: &str, name: &str, suffix: &str) -> Result<String> {
                client_core::path::check_segment(what, name)?;
                Ok(self.path(&format!("{kind}/{name}{suffix}")))
            }
        }
    };
}

mounted_auth!(
    /// GitHub auth: log in with a personal access token.
    Github,
    github,
    "github"
);
mounted_auth!(
    /// AppRole auth: log in with a role ID and a secret ID.
    AppRole,
    approle,
    "approle"
);
mounted_auth!(
    /// Userpass auth: log in with a username and a password.
    Userpass,
    userpass,
    "userpass"
);
mounted_auth!(
    /// LDAP auth: log in with a directory username and password; map groups
    /// and users to policies.
    Ldap,
    ldap,
    "ldap"
);
mounted_auth!(
    /// TLS certificate auth: log in with the client certificate the client
    /// was built with; manage the trusted certificates (`certs/<name>`).
    Cert,
    cert,
    "cert"
);
mounted_auth!(
    /// JWT/OIDC or Kubernetes auth: log in with a role and a signed JWT.
    Jwt,
    jwt,
    "jwt"
);
#[cfg(feature = "aws")]
mounted_auth!(
    /// AWS auth, IAM method: log in with a signed `sts:GetCallerIdentity` request
    /// (feature `aws`).
    Aws,
    aws,
    "aws"
);

impl Auth {
    /// Kubernetes auth (same protocol as [`Auth::jwt`]; usually mounted at `kubernetes`).
    pub fn kubernetes(&self, mount: &str) -> Result<Jwt> {
        self.jwt(mount)
    }

    /// The token auth method (`auth/token/...`).
    #[must_use]
    pub fn token(&self) -> TokenAuth {
        TokenAuth { client: self.client.clone() }
    }
}

#[derive(Serialize)]
struct GithubBody<'a> {
    token: &'a Secret,
}

impl Github {
    /// Logs in with a GitHub personal access token.
    pub async fn login(&self, github_token: &Secret) -> Result<LoggedIn> {
        self.client.login(&self.path("login"), &GithubBody { token: github_token }, &[github_token]).await
    }
}

#[derive(Serialize)]
struct AppRoleBody<'a> {
    role_id: &'a str,
    secret_id: &'a Secret,
}

impl AppRole {
    /// Logs in with a role ID and a secret ID.
    pub async fn login(&self, role_id: &str, secret_id: &Secret) -> Result<LoggedIn> {
        validate_name("AppRole role ID", role_id, 256)?;
        self.client.login(&self.path("login"), &AppRoleBody { role_id, secret_id }, &[secret_id]).await
    }
}

#[derive(Serialize)]
struct PasswordBody<'a> {
    password: &'a Secret,
}

impl Userpass {
    /// Logs in with a username and a password.
    pub async fn login(&self, username: &str, password: &Secret) -> Result<LoggedIn> {
        self.client.password_login(&self.path("login"), username, password).await
    }
}

#[derive(Serialize)]
struct JwtBody<'a> {
    role: &'a str,
    jwt: &'a Secret,
}

impl Jwt {
    /// Logs in with a role and a JWT (for Kubernetes: the service account token).
    pub async fn login(&self, role: &str, jwt: &Secret) -> Result<LoggedIn> {
        validate_name("role", role, 256)?;
        self.client.login(&self.path("login"), &JwtBody { role, jwt }, &[jwt]).await
    }
}

#[cfg(feature = "aws")]
impl Aws {
    /// Logs in with the IAM method: signs `sts:GetCallerIdentity` with the
    /// login's credentials now, and lets Vault replay it to AWS.
    pub async fn login(&self, login: &AwsLogin) -> Result<LoggedIn> {
        let data = login.login_data(std::time::SystemTime::now())?;
        self.client.login(&self.path("login"), &data, &[&login.credentials().secret_access_key]).await
    }
}

/// Token details from `auth/token/lookup*`.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct TokenInfo {
    /// The token itself (redacted; empty for a lookup by accessor).
    #[serde(default)]
    pub id: Secret,
    /// Accessor.
    #[serde(default)]
    pub accessor: String,
    /// Policies.
    #[serde(default)]
    pub policies: Vec<String>,
    /// Seconds left (0 = never expires).
    #[serde(default)]
    pub ttl: u64,
    /// Initial TTL in seconds.
    #[serde(default)]
    pub creation_ttl: u64,
    /// Creation time (Unix seconds).
    #[serde(default)]
    pub creation_time: i64,
    /// Expiry (RFC 3339), none for a root token.
    #[serde(default)]
    pub expire_time: Option<String>,
    /// Issue time (RFC 3339).
    #[serde(default)]
    pub issue_time: Option<String>,
    /// Last renewal (RFC 3339).
    #[serde(default)]
    pub last_renewal: Option<String>,
    /// Explicit maximum TTL in seconds.
    #[serde(default)]
    pub explicit_max_ttl: u64,
    /// Display name (`github-alice`, `token-...`).
    #[serde(default)]
    pub display_name: String,
    /// Identity entity.
    #[serde(default)]
    pub entity_id: String,
    /// Metadata.
    #[serde(default)]
    pub meta: Option<BTreeMap<String, String>>,
    /// Uses left after this request: 0 = unlimited, `-1` = this request was
    /// the token's last use (Vault revokes it afterwards). See
    /// [`TokenInfo::uses_left`].
    #[serde(default)]
    pub num_uses: i64,
    /// Whether the token has no parent.
    #[serde(default)]
    pub orphan: bool,
    /// Path it was created on (`auth/github-employees/login`, ...).
    #[serde(default)]
    pub path: String,
    /// Whether it can be renewed.
    #[serde(default)]
    pub renewable: bool,
    /// `service` or `batch`.
    #[serde(rename = "type", default)]
    pub token_type: String,
    /// Fields not modelled here.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl TokenInfo {
    /// The uses the token has left: `None` when unlimited, `Some(0)` when it
    /// is used up (a lookup with the token itself spends a use, and Vault
    /// answers `-1` on the last one).
    #[must_use]
    pub fn uses_left(&self) -> Option<u64> {
        match self.num_uses {
            0 => None,
            n => Some(u64::try_from(n).unwrap_or(0)),
        }
    }
}

/// Options for `auth/token/create`. Durations use Vault's syntax (`"1h"`, `"30m"`).
#[derive(Debug, Clone, Default, Serialize)]
pub struct TokenCreateRequest {
    /// Policies (a subset of the parent's unless the parent is root).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub policies: Vec<String>,
    /// TTL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ttl: Option<String>,
    /// Hard limit on the lifetime, renewals included.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explicit_max_ttl: Option<String>,
    /// Display name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Metadata.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meta: Option<BTreeMap<String, String>>,
    /// Whether the token can be renewed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub renewable: Option<bool>,
    /// Create an orphan (needs sudo or root).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub no_parent: Option<bool>,
    /// Number of uses (0 = unlimited).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub num_uses: Option<u64>,
    /// Periodic token period.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period: Option<String>,
}

/// `auth/token/...`.
#[derive(Debug, Clone)]
pub struct TokenAuth {
    client: VaultClient,
}

#[derive(Serialize)]
struct AccessorBody<'a> {
    accessor: &'a str,
}

#[derive(Serialize)]
struct IncrementBody {
    #[serde(skip_serializing_if = "Option::is_none")]
    increment: Option<String>,
}

impl TokenAuth {
    /// Looks up the client's own token.
    pub async fn lookup_self(&self) -> Result<TokenInfo> {
        let path = "auth/token/lookup-self";
        let req = self.client.request(Method::GET, "Vault path", path)?;
        self.client.send_data(req, path, &[]).await
    }

    /// Looks up another token.
    pub async fn lookup(&self, token: &Secret) -> Result<TokenInfo> {
        let path = "auth/token/lookup";
        let req = self.client.request(Method::POST, "Vault path", path)?.json(&GithubBody { token })?;
        self.client.send_data(req, path, &[token]).await
    }

    /// Looks up a token by its accessor.
    pub async fn lookup_accessor(&self, accessor: &str) -> Result<TokenInfo> {
        validate_name("token accessor", accessor, 256)?;
        let path = "auth/token/lookup-accessor";
        let req = self.client.request(Method::POST, "Vault path", path)?.json(&AccessorBody { accessor })?;
        self.client.send_data(req, path, &[]).await
    }

    /// Renews the client's own token, asking for `increment` more time.
    pub async fn renew_self(&self, increment: Option<Duration>) -> Result<AuthInfo> {
        let path = "auth/token/renew-self";
        let body = IncrementBody { increment: increment.map(|d| format!("{}s", d.as_secs())) };
        let req = self.client.request(Method::POST, "Vault path", path)?.json(&body)?;
        let method = req.method().to_string();
        self.client.send_json::<serde_json::Value>(req, path, &[]).await?.and_then(|r| r.auth).ok_or_else(|| {
            Error::UnexpectedResponse { method, path: path.into(), reason: "the answer has no auth block".into() }
        })
    }

    /// Revokes the client's own token (the client is useless afterwards).
    pub async fn revoke_self(&self) -> Result<()> {
        let path = "auth/token/revoke-self";
        let req = self.client.request(Method::POST, "Vault path", path)?;
        self.client.send(req, path, &[]).await.map(drop)
    }

    /// Revokes a token by its accessor.
    pub async fn revoke_accessor(&self, accessor: &str) -> Result<()> {
        validate_name("token accessor", accessor, 256)?;
        let path = "auth/token/revoke-accessor";
        let req = self.client.request(Method::POST, "Vault path", path)?.json(&AccessorBody { accessor })?;
        self.client.send(req, path, &[]).await.map(drop)
    }

    /// Creates a child token; the returned client uses it.
    pub async fn create(&self, request: &TokenCreateRequest) -> Result<LoggedIn> {
        self.create_at("auth/token/create", request).await
    }
}
