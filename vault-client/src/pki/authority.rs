//! What a PKI mount publishes and keeps: CRLs (rotate, PEM), the URLs put
//! into certificates, stored certificates by serial, tidy status, and the
//! issuers and keys of a multi-issuer mount (Vault 1.11+).

use std::collections::BTreeMap;

use client_core::Method;
use client_core::path::check_segment;
use serde::{Deserialize, Serialize};

use super::{Certificate, Pki, check_serial};
use crate::client::missing_as_none;
use crate::error::{Error, Result};

/// The URLs Vault writes into issued certificates (`config/urls`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct PkiUrls {
    /// Where the issuing CA certificate can be fetched (AIA).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub issuing_certificates: Vec<String>,
    /// Where the CRL can be fetched.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub crl_distribution_points: Vec<String>,
    /// OCSP responders.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ocsp_servers: Vec<String>,
}

/// A stored certificate read by serial ([`Pki::cert`]).
#[derive(Debug, Clone)]
pub struct StoredCertificate {
    /// The certificate.
    pub certificate: Certificate,
    /// When it was revoked (Unix seconds; 0: not revoked).
    pub revocation_time: i64,
    /// The same, RFC 3339 (Vault 1.12+).
    pub revocation_time_rfc3339: Option<String>,
    /// The issuer that signed it (Vault 1.11+).
    pub issuer_id: Option<String>,
}

/// The current or last tidy ([`Pki::tidy_status`]).
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct TidyStatus {
    /// `Inactive`, `Running`, `Finished`, `Error` or `Cancelling`.
    #[serde(default)]
    pub state: String,
    /// The error, when it failed.
    #[serde(default)]
    pub error: Option<String>,
    /// Progress, e.g. "Tidying certificate store: checking entry 234 of 488".
    #[serde(default)]
    pub message: Option<String>,
    /// Stored certificates removed.
    #[serde(default)]
    pub cert_store_deleted_count: u64,
    /// Revoked entries removed.
    #[serde(default)]
    pub revoked_cert_deleted_count: u64,
    /// When it started (RFC 3339).
    #[serde(default)]
    pub time_started: Option<String>,
    /// When it finished (RFC 3339).
    #[serde(default)]
    pub time_finished: Option<String>,
    /// Fields not modelled here (newer servers add counters and options).
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// One issuer of [`Pki::issuers`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuerListing {
    /// Its ID.
    pub id: String,
    /// Its name (empty when unnamed).
    pub issuer_name: String,
}

/// One key of [`Pki::keys`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyListing {
    /// Its ID.
    pub id: String,
    /// Its name (empty when unnamed).
    pub key_name: String,
}

/// An issuer read with [`Pki::issuer`].
#[derive(Debug, Clone)]
pub struct IssuerInfo {
    /// Its ID.
    pub issuer_id: String,
    /// Its name.
    pub issuer_name: String,
    /// The ID of its key (empty for an issuer without a key).
    pub key_id: String,
    /// Its certificate.
    pub certificate: Certificate,
    /// Its chain, itself first.
    pub ca_chain: Vec<Certificate>,
    /// `err`, `truncate` or `permit`.
    pub leaf_not_after_behavior: String,
    /// Allowed usages, e.g. `read-only,issuing-certificates,crl-signing`.
    pub usage: String,
}

#[derive(Deserialize)]
struct Listing {
    #[serde(default)]
    keys: Vec<String>,
    #[serde(default)]
    key_info: BTreeMap<String, BTreeMap<String, serde_json::Value>>,
}

impl Listing {
    fn named(self, field: &str) -> Vec<(String, String)> {
        let mut info = self.key_info;
        self.keys
            .into_iter()
            .map(|id| {
                let name = info
                    .remove(&id)
                    .and_then(|mut m| m.remove(field))
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default();
                (id, name)
            })
            .collect()
    }
}

#[derive(Deserialize)]
struct IssuerWire {
    #[serde(default)]
    issuer_id: String,
    #[serde(default)]
    issuer_name: String,
    #[serde(default)]
    key_id: String,
    certificate: String,
    #[serde(default)]
    ca_chain: Vec<String>,
    #[serde(default)]
    leaf_not_after_behavior: String,
    #[serde(default)]
    usage: String,
}

#[derive(Deserialize)]
struct CertWire {
    certificate: String,
    #[serde(default)]
    revocation_time: i64,
    #[serde(default)]
    revocation_time_rfc3339: Option<String>,
    #[serde(default)]
    issuer_id: Option<String>,
}

const CRL_BEGIN: &str = "-----BEGIN X509 CRL-----";

fn check_url(url: &str) -> Result<()> {
    match url::Url::parse(url) {
        Ok(u) if matches!(u.scheme(), "http" | "https" | "ldap") && u.host_str().is_some() => Ok(()),
        _ => Err(Error::invalid("PKI URL", url, "must be an absolute http(s) or ldap URL with a host")),
    }
}

impl Pki {
    fn get_unexpected(path: &str, reason: String) -> Error {
        Error::UnexpectedResponse { method: "GET".into(), path: path.to_owned(), reason }
    }

    /// Rebuilds the CRLs now (`GET <mount>/crl/rotate`); Vault's `success`.
    pub async fn rotate_crl(&self) -> Result<bool> {
        #[derive(Deserialize)]
        struct Success {
            success: bool,
        }
        let path = format!("{}/crl/rotate", self.mount);
        let req = self.client.request(Method::GET, "Vault path", &path)?;
        Ok(self.client.send_data::<Success>(req, &path, &[]).await?.success)
    }

    /// The default issuer's complete CRL as PEM (`GET <mount>/crl/pem`,
    /// unauthenticated); an answer that is not an X509 CRL block is an error.
    pub async fn crl_pem(&self) -> Result<String> {
        let path = format!("{}/crl/pem", self.mount);
        let req = self.client.request(Method::GET, "Vault path", &path)?;
        let resp = self.client.send(req, &path, &[]).await?;
        let text = String::from_utf8(resp.body.to_vec()).unwrap_or_default();
        if !text.trim_start().starts_with(CRL_BEGIN) {
            return Err(Self::get_unexpected(&path, "the answer is not a PEM X509 CRL".into()));
        }
        Ok(text)
    }

    /// The URLs written into certificates (`GET <mount>/config/urls`);
    /// empty lists when none were set.
    pub async fn urls(&self) -> Result<PkiUrls> {
        let path = format!("{}/config/urls", self.mount);
        let req = self.client.request(Method::GET, "Vault path", &path)?;
        Ok(missing_as_none(self.client.send_json(req, &path, &[]).await)?.and_then(|r| r.data).unwrap_or_default())
    }

    /// Sets the URLs written into certificates (`POST <mount>/config/urls`):
    /// each non-empty list replaces Vault's, an empty one is not sent and
    /// Vault keeps its value. A URL that is not absolute http(s) or ldap is
    /// refused before sending.
    pub async fn set_urls(&self, urls: &PkiUrls) -> Result<()> {
        let all = urls.issuing_certificates.iter().chain(&urls.crl_distribution_points).chain(&urls.ocsp_servers);
        all.map(String::as_str).try_for_each(check_url)?;
        let path = format!("{}/config/urls", self.mount);
        let req = self.client.request(Method::POST, "Vault path", &path)?.json(urls)?;
        self.client.send(req, &path, &[]).await.map(drop)
    }

    /// Serials of the stored certificates (`LIST <mount>/certs`).
    pub async fn list_certs(&self) -> Result<Vec<String>> {
        self.client.list(&format!("{}/certs", self.mount)).await
    }

    /// The stored certificate with `serial` (`GET <mount>/cert/<serial>`);
    /// `None` when there is none. The serial is checked as for
    /// [`Pki::revoke`] (hex bytes joined by `:` or `-`, at least two), so
    /// `ca`, `crl` and `ca_chain` are refused: [`Pki::ca_chain`] reads the chain.
    pub async fn cert(&self, serial: &str) -> Result<Option<StoredCertificate>> {
        check_serial(serial)?;
        if !serial.contains([':', '-']) {
            // `ca` and `crl` are hex bytes too, and name Vault's special entries.
            return Err(Error::invalid(
                "certificate serial",
                serial,
                "must have at least two bytes: a one-byte serial such as `ca` reads Vault's special entries",
            ));
        }
        let path = format!("{}/cert/{serial}", self.mount);
        let req = self.client.request(Method::GET, "Vault path", &path)?;
        let Some(wire) =
            missing_as_none(self.client.send_json::<CertWire>(req, &path, &[]).await)?.and_then(|r| r.data)
        else {
            return Ok(None);
        };
        let certificate = Certificate::from_pem(&wire.certificate)
            .map_err(|e| Self::get_unexpected(&path, format!("the certificate cannot be read: {e}")))?;
        Ok(Some(StoredCertificate {
            certificate,
            revocation_time: wire.revocation_time,
            revocation_time_rfc3339: wire.revocation_time_rfc3339,
            issuer_id: wire.issuer_id,
        }))
    }

    /// The current or last tidy (`GET <mount>/tidy-status`).
    pub async fn tidy_status(&self) -> Result<TidyStatus> {
        let path = format!("{}/tidy-status", self.mount);
        let req = self.client.request(Method::GET, "Vault path", &path)?;
        self.client.send_data(req, &path, &[]).await
    }

    async fn listing(&self, kind: &str, field: &str) -> Result<Vec<(String, String)>> {
        let path = format!("{}/{kind}", self.mount);
        let req = self.client.request(Method::GET, "Vault list prefix", &path)?.query("list", "true");
        match self.client.send_json::<Listing>(req, &path, &[]).await {
            Ok(found) => Ok(found.and_then(|r| r.data).map(|l| l.named(field)).unwrap_or_default()),
            // An empty list is a plain 404; a server before 1.11 has no such path.
            Err(Error::Api { status: 404, errors, .. }) if errors.is_empty() => Ok(Vec::new()),
            Err(Error::Api { status: 404 | 405, method, path, .. }) => Err(Error::Unsupported {
                method,
                path,
                reason: format!("PKI {kind} need Vault 1.11 or newer (multi-issuer mounts)"),
            }),
            Err(e) => Err(e),
        }
    }

    /// The mount's issuers with their names (`LIST <mount>/issuers`, Vault 1.11+).
    pub async fn issuers(&self) -> Result<Vec<IssuerListing>> {
        let named = self.listing("issuers", "issuer_name").await?;
        Ok(named.into_iter().map(|(id, issuer_name)| IssuerListing { id, issuer_name }).collect())
    }

    /// The mount's keys with their names (`LIST <mount>/keys`, Vault 1.11+).
    pub async fn keys(&self) -> Result<Vec<KeyListing>> {
        let named = self.listing("keys", "key_name").await?;
        Ok(named.into_iter().map(|(id, key_name)| KeyListing { id, key_name }).collect())
    }

    /// One issuer by ID, name or `default` (`GET <mount>/issuer/<reference>`,
    /// Vault 1.11+); `None` when there is none.
    pub async fn issuer(&self, reference: &str) -> Result<Option<IssuerInfo>> {
        check_segment("PKI issuer", reference)?;
        let path = format!("{}/issuer/{reference}", self.mount);
        let req = self.client.request(Method::GET, "Vault path", &path)?;
        let Some(wire) =
            missing_as_none(self.client.send_json::<IssuerWire>(req, &path, &[]).await)?.and_then(|r| r.data)
        else {
            return Ok(None);
        };
        let bad = |what: &str, e: Error| Self::get_unexpected(&path, format!("the {what} cannot be read: {e}"));
        let certificate = Certificate::from_pem(&wire.certificate).map_err(|e| bad("certificate", e))?;
        let mut ca_chain = Vec::new();
        for pem in &wire.ca_chain {
            ca_chain.extend(Certificate::chain_from_pem(pem).map_err(|e| bad("CA chain", e))?);
        }
        Ok(Some(IssuerInfo {
            issuer_id: wire.issuer_id,
            issuer_name: wire.issuer_name,
            key_id: wire.key_id,
            certificate,
            ca_chain,
            leaf_not_after_behavior: wire.leaf_not_after_behavior,
            usage: wire.usage,
        }))
    }
}
