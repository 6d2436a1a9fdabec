//! TLS certificate auth: login over the client certificate the client was
//! built with, and the trusted certificates (`auth/<mount>/certs/<name>`).
//!
//! ```no_run
//! # async fn demo() -> vault_client::Result<()> {
//! use vault_client::auth::{CertRole, TokenParams};
//! use vault_client::{ClientConfig, VaultClient};
//!
//! let admin = VaultClient::from_env()?;
//! let ca_pem = std::fs::read_to_string("machines-ca.pem").unwrap();
//! let role = CertRole { token: TokenParams::with_policies(["db-read"]), ..CertRole::new(ca_pem) };
//! admin.auth().cert("cert")?.write_role("machines", &role).await?;
//!
//! // The machine: VAULT_CLIENT_CERT / VAULT_CLIENT_KEY, or ClientConfig::with_client_identity.
//! let machine = VaultClient::from_env()?;
//! let logged_in = machine.auth().cert("cert")?.login(Some("machines")).await?;
//! # drop(logged_in); Ok(()) }
//! ```

use client_core::path::validate_name;
use serde::{Deserialize, Serialize};

use super::ldap::list_or_comma;
use super::{Cert, TokenParams};
use crate::error::{Error, Result};
use crate::response::LoggedIn;

/// A trusted certificate (a "cert role"), to write with
/// [`Cert::write_role`] or as [`Cert::read_role`] answers it. Empty lists
/// are not sent (a write leaves them as they are).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertRole {
    /// The CA (or leaf) certificate, PEM, that client certificates must chain to.
    #[serde(default)]
    pub certificate: String,
    /// Display name of the tokens (Vault's default: the role name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Common names allowed (globs).
    #[serde(default, skip_serializing_if = "Vec::is_empty", deserialize_with = "list_or_comma")]
    pub allowed_common_names: Vec<String>,
    /// DNS SANs allowed (globs).
    #[serde(default, skip_serializing_if = "Vec::is_empty", deserialize_with = "list_or_comma")]
    pub allowed_dns_sans: Vec<String>,
    /// Email SANs allowed (globs).
    #[serde(default, skip_serializing_if = "Vec::is_empty", deserialize_with = "list_or_comma")]
    pub allowed_email_sans: Vec<String>,
    /// URI SANs allowed (globs).
    #[serde(default, skip_serializing_if = "Vec::is_empty", deserialize_with = "list_or_comma")]
    pub allowed_uri_sans: Vec<String>,
    /// Organizational units allowed (globs).
    #[serde(default, skip_serializing_if = "Vec::is_empty", deserialize_with = "list_or_comma")]
    pub allowed_organizational_units: Vec<String>,
    /// Extensions the certificate must have (`oid:value`, value globbed).
    #[serde(default, skip_serializing_if = "Vec::is_empty", deserialize_with = "list_or_comma")]
    pub required_extensions: Vec<String>,
    /// The tokens a login gets.
    #[serde(flatten)]
    pub token: TokenParams,
}

impl CertRole {
    /// A role trusting `certificate_pem`, everything else at Vault's defaults.
    pub fn new(certificate_pem: impl Into<String>) -> Self {
        Self { certificate: certificate_pem.into(), ..Self::default() }
    }
}

#[derive(Serialize)]
struct LoginBody<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
}

const ROLE: &str = "cert role";

impl Cert {
    /// Logs in with the client certificate the client was built with
    /// (`POST auth/<mount>/login`), against role `role` or, with `None`,
    /// any role it matches. Refused before sending: a client without a
    /// certificate and key, or whose address is not `https` (the
    /// certificate would never be presented).
    pub async fn login(&self, role: Option<&str>) -> Result<LoggedIn> {
        let tls = &self.client.config().tls;
        if tls.client_cert_pem.is_none() || tls.client_key_pem.is_none() {
            return Err(Error::invalid(
                "TLS client certificate",
                "",
                "is not configured: set VAULT_CLIENT_CERT and VAULT_CLIENT_KEY, or build the client with \
                 ClientConfig::with_client_identity",
            ));
        }
        let address = self.client.address();
        if address.scheme() != "https" {
            return Err(Error::invalid(
                "Vault address",
                address.as_str(),
                "must be https:// for a certificate login (the client certificate is sent in the TLS handshake)",
            ));
        }
        if let Some(role) = role {
            validate_name(ROLE, role, 256)?;
        }
        self.client.login(&self.path("login"), &LoginBody { name: role }, &[]).await
    }

    /// Creates or updates cert role `name` (`POST auth/<mount>/certs/<name>`).
    /// A certificate that is not PEM is refused before sending.
    pub async fn write_role(&self, name: &str, role: &CertRole) -> Result<()> {
        let path = self.named(ROLE, "certs", name, "")?;
        if !role.certificate.contains("-----BEGIN CERTIFICATE-----") {
            return Err(Error::invalid(
                "cert role certificate",
                name,
                "is not a PEM certificate (-----BEGIN CERTIFICATE-----)",
            ));
        }
        self.client.post_unit(&path, role, &[]).await
    }

    /// Reads cert role `name`; `None` when there is none.
    pub async fn read_role(&self, name: &str) -> Result<Option<CertRole>> {
        self.client.get_data(&self.named(ROLE, "certs", name, "")?).await
    }

    /// The cert role names.
    pub async fn list_roles(&self) -> Result<Vec<String>> {
        self.client.list(&self.path("certs")).await
    }

    /// Deletes exactly cert role `name` (its tokens stay valid).
    pub async fn delete_role(&self, name: &str) -> Result<()> {
        self.client.delete(&self.named(ROLE, "certs", name, "")?).await
    }
}
