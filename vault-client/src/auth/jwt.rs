//! JWT/OIDC auth management: roles (`auth/<mount>/role/<name>`), the
//! method's config, and the two steps of an OIDC login (`oidc/auth_url`,
//! then `oidc/callback` with what the provider redirected to).
//!
//! ```no_run
//! # async fn demo() -> vault_client::Result<()> {
//! use vault_client::auth::{JwtConfig, JwtRole, OidcCallback, TokenParams};
//! use vault_client::{Secret, VaultClient};
//!
//! let vault = VaultClient::from_env()?;
//! let oidc = vault.auth().jwt("oidc")?;
//! oidc.write_config(&JwtConfig {
//!     oidc_discovery_url: Some("https://accounts.example.com/".into()),
//!     oidc_client_id: Some("vault".into()),
//!     oidc_client_secret: Some(Secret::new("client-secret")),
//!     ..JwtConfig::default()
//! })
//! .await?;
//! let redirect = "https://vault.example.com:8200/ui/vault/auth/oidc/oidc/callback";
//! oidc.write_role("dba", &JwtRole {
//!     user_claim: Some("email".into()),
//!     allowed_redirect_uris: Some(vec![redirect.into()]),
//!     token: TokenParams::with_policies(["db-admin"]),
//!     ..JwtRole::default()
//! })
//! .await?;
//! let url = oidc.oidc_auth_url("dba", redirect, None).await?; // open it in a browser
//! // ... the provider redirects to `redirect` with state, code (and Vault's nonce) ...
//! let callback = OidcCallback::new("state-from-redirect", "nonce-from-url", Secret::new("code-from-redirect"));
//! let logged_in = oidc.oidc_callback(&callback).await?;
//! # drop((url, logged_in)); Ok(()) }
//! ```

use std::collections::BTreeMap;

use client_core::path::validate_name;
use client_core::{Method, Secret};
use serde::{Deserialize, Deserializer, Serialize};

use super::{Jwt, TokenParams, non_empty};
use crate::error::Result;
use crate::response::LoggedIn;

/// A JWT/OIDC role, to write with [`Jwt::write_role`] or as
/// [`Jwt::read_role`] answers it. Unset fields are not sent.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct JwtRole {
    /// `oidc` (Vault's default) or `jwt`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_type: Option<String>,
    /// Claim naming the user (the entity alias), e.g. `sub` or `email`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_claim: Option<String>,
    /// `aud` values accepted (any one matches).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bound_audiences: Option<Vec<String>>,
    /// `sub` value required.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bound_subject: Option<String>,
    /// Claims required, with their values (strings, numbers, booleans or lists).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bound_claims: Option<serde_json::Map<String, serde_json::Value>>,
    /// `string` (exact) or `glob`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bound_claims_type: Option<String>,
    /// Claim holding the user's groups.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groups_claim: Option<String>,
    /// Claims copied to token metadata (claim → metadata key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claim_mappings: Option<BTreeMap<String, String>>,
    /// OIDC scopes besides `openid`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oidc_scopes: Option<Vec<String>>,
    /// Redirect URIs an OIDC login may use (required for an `oidc` role).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_redirect_uris: Option<Vec<String>>,
    /// The tokens a login gets.
    #[serde(flatten)]
    pub token: TokenParams,
}

/// The method's config (`auth/<mount>/config`), to write with
/// [`Jwt::write_config`] or as [`Jwt::read_config`] answers it. `Debug`
/// hides the OIDC client secret.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct JwtConfig {
    /// OIDC discovery URL (the issuer), e.g. `https://accounts.example.com/`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oidc_discovery_url: Option<String>,
    /// CA (PEM) of the discovery URL.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "pem_or_list")]
    pub oidc_discovery_ca_pem: Option<String>,
    /// OAuth client ID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oidc_client_id: Option<String>,
    /// OAuth client secret (a [`Secret`]; Vault never answers it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oidc_client_secret: Option<Secret>,
    /// JWKS URL, instead of discovery.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks_url: Option<String>,
    /// CA (PEM) of the JWKS URL.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "pem_or_list")]
    pub jwks_ca_pem: Option<String>,
    /// PEM public keys checking signatures locally, instead of discovery or JWKS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwt_validation_pubkeys: Option<Vec<String>>,
    /// `iss` value required.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bound_issuer: Option<String>,
    /// Signing algorithms accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwt_supported_algs: Option<Vec<String>>,
    /// Role of a login that names none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_role: Option<String>,
    /// Provider-specific options (Azure, Google, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_config: Option<serde_json::Map<String, serde_json::Value>>,
}

/// A CA that Vault answers as a PEM string, and the API page prints as a list (`[]`).
fn pem_or_list<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Wire {
        Text(String),
        List(Vec<String>),
    }
    Ok(match Option::<Wire>::deserialize(d)? {
        Some(Wire::Text(pem)) if !pem.is_empty() => Some(pem),
        Some(Wire::List(pems)) if !pems.is_empty() => Some(pems.join("\n")),
        _ => None,
    })
}

/// What the OIDC provider redirected the browser to, for [`Jwt::oidc_callback`].
/// `Debug` hides the authorization code and the client nonce.
#[derive(Debug, Clone)]
pub struct OidcCallback {
    /// `state` of the redirect.
    pub state: String,
    /// `nonce` of the authorization URL.
    pub nonce: String,
    /// `code` of the redirect (a one-time credential).
    pub code: Secret,
    /// The client nonce given to [`Jwt::oidc_auth_url`], if any.
    pub client_nonce: Option<Secret>,
}

impl OidcCallback {
    /// A callback with `state`, `nonce` and `code`, no client nonce.
    pub fn new(state: impl Into<String>, nonce: impl Into<String>, code: Secret) -> Self {
        Self { state: state.into(), nonce: nonce.into(), code, client_nonce: None }
    }
}

#[derive(Serialize)]
struct AuthUrlBody<'a> {
    role: &'a str,
    redirect_uri: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_nonce: Option<&'a Secret>,
}

#[derive(Deserialize)]
struct AuthUrl {
    auth_url: String,
}

const ROLE: &str = "JWT role";

impl Jwt {
    fn role(&self, name: &str) -> Result<String> {
        self.named(ROLE, "role", name, "")
    }

    /// Creates or updates role `name` (`POST auth/<mount>/role/<name>`).
    pub async fn write_role(&self, name: &str, role: &JwtRole) -> Result<()> {
        self.client.post_unit(&self.role(name)?, role, &[]).await
    }

    /// Reads role `name`; `None` when there is none.
    pub async fn read_role(&self, name: &str) -> Result<Option<JwtRole>> {
        self.client.get_data(&self.role(name)?).await
    }

    /// The role names.
    pub async fn list_roles(&self) -> Result<Vec<String>> {
        self.client.list(&self.path("role")).await
    }

    /// Deletes exactly role `name` (its tokens stay valid).
    pub async fn delete_role(&self, name: &str) -> Result<()> {
        self.client.delete(&self.role(name)?).await
    }

    /// The method's config; `None` before one is written.
    pub async fn read_config(&self) -> Result<Option<JwtConfig>> {
        self.client.get_data(&self.path("config")).await
    }

    /// Writes the method's config (`POST auth/<mount>/config`); Vault
    /// checks the discovery URL or keys before answering.
    pub async fn write_config(&self, config: &JwtConfig) -> Result<()> {
        let secrets: Vec<&Secret> = config.oidc_client_secret.iter().collect();
        self.client.post_unit(&self.path("config"), config, &secrets).await
    }

    /// The provider URL that starts an OIDC login for `role`
    /// (`POST auth/<mount>/oidc/auth_url`), redirecting back to
    /// `redirect_uri` (one of the role's `allowed_redirect_uris`). Sent
    /// without a token, like a login.
    pub async fn oidc_auth_url(&self, role: &str, redirect_uri: &str, client_nonce: Option<&Secret>) -> Result<String> {
        validate_name(ROLE, role, 256)?;
        validate_name("OIDC redirect URI", redirect_uri, 2048)?;
        let path = self.path("oidc/auth_url");
        let body = AuthUrlBody { role, redirect_uri, client_nonce };
        let secrets: Vec<&Secret> = client_nonce.into_iter().collect();
        let req = self.client.request(Method::POST, "Vault path", &path)?.json(&body)?.token(Secret::default());
        let answer: AuthUrl = self.client.send_data(req, &path, &secrets).await?;
        Ok(answer.auth_url)
    }

    /// Finishes an OIDC login (`GET auth/<mount>/oidc/callback`): Vault
    /// trades the code for an ID token and answers a Vault token. Never
    /// retried (a code is good once); an empty code is refused before sending.
    pub async fn oidc_callback(&self, callback: &OidcCallback) -> Result<LoggedIn> {
        validate_name("OIDC state", &callback.state, 1024)?;
        validate_name("OIDC nonce", &callback.nonce, 1024)?;
        non_empty("OIDC authorization code", &callback.code)?;
        let path = self.path("oidc/callback");
        let mut req = self
            .client
            .request(Method::GET, "Vault path", &path)?
            .query("state", &callback.state)
            .query("nonce", &callback.nonce)
            .query("code", callback.code.expose());
        let mut secrets = vec![&callback.code];
        if let Some(client_nonce) = &callback.client_nonce {
            req = req.query("client_nonce", client_nonce.expose());
            secrets.push(client_nonce);
        }
        let req = req.token(Secret::default()).idempotent(false);
        self.client.auth_answer(req, &path, &secrets).await
    }
}
