//! Connect: the CA (`/v1/connect/ca`), a service's leaf certificate and
//! authorization checks (`/v1/agent/connect`). Intentions are in
//! [`crate::intentions`].

use client_core::path::PathBuf;
use client_core::{Request, Secret, WithMeta};
use serde::{Deserialize, Serialize};

use crate::client::ConsulClient;
use crate::error::Result;
use crate::options::{QueryOptions, WriteOptions};
use crate::validate;

/// One CA root certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CaRoot {
    /// Root ID (the certificate's fingerprint).
    #[serde(rename = "ID")]
    pub id: String,
    /// Human name.
    #[serde(default)]
    pub name: String,
    /// Serial number.
    #[serde(default)]
    pub serial_number: u64,
    /// The root certificate, PEM.
    #[serde(rename = "RootCert")]
    pub root_cert: String,
    /// Intermediates to present with leaves, PEM.
    #[serde(default, deserialize_with = "crate::de::null_default")]
    pub intermediate_certs: Vec<String>,
    /// True for the root signing new leaves.
    pub active: bool,
    /// Validity start (RFC 3339).
    #[serde(default)]
    pub not_before: String,
    /// Validity end (RFC 3339).
    #[serde(default)]
    pub not_after: String,
    /// Key type (`ec`, `rsa`).
    #[serde(default)]
    pub private_key_type: String,
    /// Key size.
    #[serde(default)]
    pub private_key_bits: u32,
}

/// `/v1/connect/ca/roots`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CaRoots {
    /// The active root's ID.
    #[serde(rename = "ActiveRootID")]
    pub active_root_id: String,
    /// The SPIFFE trust domain (`<uuid>.consul`).
    pub trust_domain: String,
    /// Every root, active and rotating out.
    #[serde(default, deserialize_with = "crate::de::null_default")]
    pub roots: Vec<CaRoot>,
}

impl CaRoots {
    /// The active root, if listed.
    #[must_use]
    pub fn active(&self) -> Option<&CaRoot> {
        self.roots.iter().find(|r| r.active)
    }
}

/// The CA provider and its configuration (`/v1/connect/ca/configuration`).
/// `config` may hold a private key (`PrivateKey` of the consul provider, a
/// Vault token): it is kept as JSON as sent, so do not log it.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CaConfiguration {
    /// `consul`, `vault` or `aws-pca`.
    pub provider: String,
    /// The provider's settings (`LeafCertTTL`, `RotationPeriod`, `PrivateKeyType`…).
    #[serde(default)]
    pub config: serde_json::Map<String, serde_json::Value>,
    /// Raft index of creation (read only).
    #[serde(default, skip_serializing)]
    pub create_index: u64,
    /// Raft index of the last change (read only).
    #[serde(default, skip_serializing)]
    pub modify_index: u64,
}

impl std::fmt::Debug for CaConfiguration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The config may carry a private key or a Vault token: only its keys are shown.
        f.debug_struct("CaConfiguration")
            .field("provider", &self.provider)
            .field("config_keys", &self.config.keys().collect::<Vec<_>>())
            .field("modify_index", &self.modify_index)
            .finish()
    }
}

/// A service's leaf certificate (`/v1/agent/connect/ca/leaf/<service>`);
/// the private key is a [`Secret`].
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LeafCert {
    /// Serial number (hex with colons).
    pub serial_number: String,
    /// The certificate, PEM.
    #[serde(rename = "CertPEM")]
    pub cert_pem: String,
    /// The private key, PEM.
    #[serde(rename = "PrivateKeyPEM")]
    pub private_key_pem: Secret,
    /// The service it is for.
    pub service: String,
    /// Its SPIFFE ID (`spiffe://<trust domain>/ns/default/dc/dc1/svc/<service>`).
    #[serde(rename = "ServiceURI")]
    pub service_uri: String,
    /// Validity start (RFC 3339).
    pub valid_after: String,
    /// Validity end (RFC 3339).
    pub valid_before: String,
}

/// The answer of [`Connect::authorize`].
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Authorization {
    /// True when the intentions allow the connection.
    pub authorized: bool,
    /// Why, in Consul's words (the matching intention or the default).
    #[serde(default)]
    pub reason: String,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct AuthorizeBody<'a> {
    target: &'a str,
    #[serde(rename = "ClientCertURI")]
    client_cert_uri: &'a str,
    client_cert_serial: &'a str,
}

/// The Connect handler: `consul.connect()`.
#[derive(Debug, Clone)]
pub struct Connect {
    client: ConsulClient,
}

impl ConsulClient {
    /// Connect's CA, leaf certificates and authorization.
    #[must_use]
    pub fn connect(&self) -> Connect {
        Connect { client: self.clone() }
    }
}

impl Connect {
    /// The CA roots (the trust bundle of the mesh).
    pub async fn ca_roots(&self, opts: &QueryOptions) -> Result<WithMeta<CaRoots>> {
        self.client.read(Request::get("/v1/connect/ca/roots"), opts).await
    }

    /// The CA provider's configuration (needs `operator:read`).
    pub async fn ca_configuration(&self, opts: &QueryOptions) -> Result<WithMeta<CaConfiguration>> {
        self.client.read(Request::get("/v1/connect/ca/configuration"), opts).await
    }

    /// Sets the CA configuration (needs `operator:write`). Changing the
    /// provider or its key starts a root rotation: leaves are re-signed.
    pub async fn ca_set_configuration(&self, config: &CaConfiguration, opts: &WriteOptions) -> Result<()> {
        validate::name("CA provider", &config.provider)?;
        self.client.send(opts.apply(Request::put("/v1/connect/ca/configuration").json(config)?)?).await.map(drop)
    }

    /// The leaf certificate of `service`, signed for this agent (generated on first ask).
    pub async fn leaf_cert(&self, service: &str, opts: &QueryOptions) -> Result<WithMeta<LeafCert>> {
        validate::name("service name", service)?;
        let path = PathBuf::new("/v1/agent/connect/ca/leaf").segment("service name", service)?.finish();
        self.client.read(Request::get(path), opts).await
    }

    /// Would the intentions let a client with the certificate URI
    /// `client_cert_uri` (and serial) connect to `target`?
    pub async fn authorize(
        &self,
        target: &str,
        client_cert_uri: &str,
        client_cert_serial: &str,
    ) -> Result<Authorization> {
        validate::name("authorize target service", target)?;
        if !client_cert_uri.starts_with("spiffe://") {
            return Err(crate::Error::invalid(
                "client certificate URI",
                client_cert_uri,
                "must be a spiffe:// URI, as leaf certificates carry",
            ));
        }
        let body = AuthorizeBody { target, client_cert_uri, client_cert_serial };
        self.client.json(Request::post("/v1/agent/connect/authorize").json(&body)?.idempotent(true)).await
    }
}
