//! Certificate authorities: root generation, intermediate CSRs and their
//! signed certificates, and signing by the CA itself (`sign-intermediate`,
//! `sign-verbatim`). A private key Vault hands out (`exported`) is a
//! [`Secret`]. Every call here mints a key or a certificate, so none is
//! retried.

use std::collections::BTreeMap;
use std::time::Duration;

use client_core::path::check_segment;
use client_core::{Method, Secret};
use serde::{Deserialize, Serialize};

use super::{Certificate, IssuedWire, Pki, SignedCertificate, comma_list};
use crate::error::{Error, Result};
use crate::response::seconds;

/// Where a new CA key lives (the `:type` of the path).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeySource {
    /// Generated and kept in Vault; the private key is never returned.
    Internal,
    /// Generated and returned once, as a [`Secret`] (Vault keeps a copy).
    Exported,
}

impl KeySource {
    fn as_str(self) -> &'static str {
        match self {
            Self::Internal => "internal",
            Self::Exported => "exported",
        }
    }
}

/// A CA's subject and key for [`Pki::generate_root`],
/// [`Pki::generate_intermediate`] and [`Pki::sign_intermediate`]; unset
/// fields keep Vault's defaults.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CaRequest {
    /// The CA's CN.
    pub common_name: String,
    /// DNS and email subject alternative names.
    #[serde(skip_serializing_if = "Vec::is_empty", serialize_with = "comma_list")]
    pub alt_names: Vec<String>,
    /// IP subject alternative names.
    #[serde(skip_serializing_if = "Vec::is_empty", serialize_with = "comma_list")]
    pub ip_sans: Vec<String>,
    /// Validity.
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "seconds::serialize_opt")]
    pub ttl: Option<Duration>,
    /// `rsa` (Vault's default), `ec` or `ed25519`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_type: Option<String>,
    /// Key size (RSA bits, EC curve size).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_bits: Option<u32>,
    /// Path length limit (-1: none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_path_length: Option<i32>,
    /// The O value of the subject.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization: Option<String>,
    /// The OU value of the subject.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ou: Option<String>,
    /// The new issuer's name (Vault 1.11+; not `default`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer_name: Option<String>,
    /// The new key's name (Vault 1.11+; not `default`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_name: Option<String>,
}

impl CaRequest {
    /// A CA named `common_name`, everything else at Vault's defaults.
    pub fn new(common_name: impl Into<String>) -> Self {
        Self { common_name: common_name.into(), ..Self::default() }
    }

    fn check(&self) -> Result<()> {
        if self.common_name.trim().is_empty() {
            return Err(Error::invalid("PKI common_name", &self.common_name, "must name the CA"));
        }
        for (what, name) in [("PKI issuer_name", &self.issuer_name), ("PKI key_name", &self.key_name)] {
            if name.as_deref() == Some("default") {
                return Err(Error::invalid(what, "default", "is Vault's reserved reference; choose another name"));
            }
        }
        Ok(())
    }
}

/// A root from [`Pki::generate_root`].
#[derive(Debug, Clone)]
pub struct GeneratedRoot {
    /// The self-signed certificate (serial and validity parsed).
    pub certificate: Certificate,
    /// The private key (`Some` for [`KeySource::Exported`] only).
    pub private_key: Option<Secret>,
    /// `rsa`, `ec` or `ed25519`, with the private key.
    pub private_key_type: Option<String>,
    /// The new issuer's ID (Vault 1.11+).
    pub issuer_id: Option<String>,
    /// The new key's ID (Vault 1.11+).
    pub key_id: Option<String>,
}

/// A CSR from [`Pki::generate_intermediate`], to be signed by the parent CA.
#[derive(Debug, Clone)]
pub struct IntermediateCsr {
    /// The CSR, PEM.
    pub csr: String,
    /// The private key (`Some` for [`KeySource::Exported`] only).
    pub private_key: Option<Secret>,
    /// `rsa`, `ec` or `ed25519`, with the private key.
    pub private_key_type: Option<String>,
    /// The new key's ID (Vault 1.11+).
    pub key_id: Option<String>,
}

/// What [`Pki::set_signed`] imported (Vault 1.11+; older servers answer
/// nothing and this is empty).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct ImportedIssuers {
    /// New issuer IDs.
    #[serde(default)]
    pub imported_issuers: Vec<String>,
    /// New key IDs.
    #[serde(default)]
    pub imported_keys: Vec<String>,
    /// Issuer ID → the ID of its key.
    #[serde(default)]
    pub mapping: BTreeMap<String, String>,
}

#[derive(Deserialize)]
struct GeneratedWire {
    #[serde(default)]
    certificate: Option<String>,
    #[serde(default)]
    serial_number: Option<String>,
    #[serde(default)]
    csr: Option<String>,
    #[serde(default)]
    private_key: Option<Secret>,
    #[serde(default)]
    private_key_type: Option<String>,
    #[serde(default)]
    issuer_id: Option<String>,
    #[serde(default)]
    key_id: Option<String>,
}

#[derive(Serialize)]
struct CsrBody<'a, R: Serialize> {
    csr: &'a str,
    #[serde(flatten)]
    request: R,
}

const CSR_BEGIN: &str = "-----BEGIN CERTIFICATE REQUEST-----";

fn check_csr(csr: &str) -> Result<()> {
    if csr.contains(CSR_BEGIN) && csr.contains("-----END CERTIFICATE REQUEST-----") {
        return Ok(());
    }
    Err(Error::invalid("PKI CSR", "<PEM>", "must be a PEM CERTIFICATE REQUEST block"))
}

impl Pki {
    fn unexpected(path: &str, reason: &str) -> Error {
        Error::UnexpectedResponse { method: "POST".into(), path: path.to_owned(), reason: reason.to_owned() }
    }

    /// Checks that an exported key came back, and an internal one did not.
    fn key_for(path: &str, source: KeySource, key: Option<Secret>) -> Result<Option<Secret>> {
        match (source, key) {
            (KeySource::Exported, None) => Err(Self::unexpected(path, "the answer has no private_key")),
            (KeySource::Internal, Some(_)) => {
                Err(Self::unexpected(path, "Vault returned a private key for an internal CA"))
            }
            (_, key) => Ok(key),
        }
    }

    async fn post_ca<B: Serialize + ?Sized>(&self, path: &str, body: &B) -> Result<GeneratedWire> {
        let req = self.client.request(Method::POST, "Vault path", path)?.json(body)?.idempotent(false);
        self.client.send_data(req, path, &[]).await
    }

    /// Generates a self-signed root CA (`POST <mount>/root/generate/<source>`).
    /// Since Vault 1.11 it becomes another issuer of the mount (existing
    /// ones stay); before, the mount must not have a CA yet. Not retried.
    pub async fn generate_root(&self, source: KeySource, request: &CaRequest) -> Result<GeneratedRoot> {
        request.check()?;
        let path = format!("{}/root/generate/{}", self.mount, source.as_str());
        let wire = self.post_ca(&path, request).await?;
        let pem =
            wire.certificate.as_deref().ok_or_else(|| Self::unexpected(&path, "the answer has no certificate"))?;
        let certificate = Certificate::from_pem(pem)
            .map_err(|e| Self::unexpected(&path, &format!("the certificate cannot be read: {e}")))?;
        if wire.serial_number.as_deref().is_some_and(|s| s != certificate.serial) {
            return Err(Self::unexpected(&path, "the certificate's serial is not the serial_number Vault named"));
        }
        Ok(GeneratedRoot {
            certificate,
            private_key: Self::key_for(&path, source, wire.private_key)?,
            private_key_type: wire.private_key_type,
            issuer_id: wire.issuer_id,
            key_id: wire.key_id,
        })
    }

    /// Generates an intermediate CA's key and CSR
    /// (`POST <mount>/intermediate/generate/<source>`); sign the CSR with
    /// the parent ([`Pki::sign_intermediate`] on a Vault root) and import
    /// the result with [`Pki::set_signed`]. Not retried.
    pub async fn generate_intermediate(&self, source: KeySource, request: &CaRequest) -> Result<IntermediateCsr> {
        request.check()?;
        let path = format!("{}/intermediate/generate/{}", self.mount, source.as_str());
        let wire = self.post_ca(&path, request).await?;
        let csr = wire
            .csr
            .filter(|c| c.contains(CSR_BEGIN))
            .ok_or_else(|| Self::unexpected(&path, "the answer has no csr holding a CERTIFICATE REQUEST block"))?;
        Ok(IntermediateCsr {
            csr,
            private_key: Self::key_for(&path, source, wire.private_key)?,
            private_key_type: wire.private_key_type,
            key_id: wire.key_id,
        })
    }

    /// Imports the signed intermediate certificate (PEM, its chain may
    /// follow) into this mount (`POST <mount>/intermediate/set-signed`).
    /// Anything without a readable CERTIFICATE block is refused before
    /// sending.
    pub async fn set_signed(&self, certificate_pem: &str) -> Result<ImportedIssuers> {
        if Certificate::chain_from_pem(certificate_pem).map_or(true, |c| c.is_empty()) {
            return Err(Error::invalid(
                "PKI signed certificate",
                "<PEM>",
                "must hold at least one readable PEM CERTIFICATE block",
            ));
        }
        let path = format!("{}/intermediate/set-signed", self.mount);
        let body = serde_json::json!({ "certificate": certificate_pem });
        let req = self.client.request(Method::POST, "Vault path", &path)?.json(&body)?.idempotent(false);
        Ok(self.client.send_json(req, &path, &[]).await?.and_then(|r| r.data).unwrap_or_default())
    }

    /// Signs an intermediate CA's CSR with this mount's CA
    /// (`POST <mount>/root/sign-intermediate`). Not retried.
    pub async fn sign_intermediate(&self, csr: &str, request: &CaRequest) -> Result<SignedCertificate> {
        check_csr(csr)?;
        request.check()?;
        let path = format!("{}/root/sign-intermediate", self.mount);
        self.sign_csr(&path, &CsrBody { csr, request }).await
    }

    /// Signs `csr` as it is, outside role checks (`POST
    /// <mount>/sign-verbatim[/<role>]`; a role only limits TTL and usage).
    /// Privileged. Not retried.
    pub async fn sign_verbatim(
        &self,
        csr: &str,
        role: Option<&str>,
        ttl: Option<Duration>,
    ) -> Result<SignedCertificate> {
        check_csr(csr)?;
        let path = match role {
            Some(role) => {
                check_segment("PKI role", role)?;
                format!("{}/sign-verbatim/{role}", self.mount)
            }
            None => format!("{}/sign-verbatim", self.mount),
        };
        #[derive(Serialize)]
        struct Ttl {
            #[serde(skip_serializing_if = "Option::is_none", serialize_with = "seconds::serialize_opt")]
            ttl: Option<Duration>,
        }
        self.sign_csr(&path, &CsrBody { csr, request: Ttl { ttl } }).await
    }

    pub(super) async fn sign_csr<B: Serialize>(&self, path: &str, body: &B) -> Result<SignedCertificate> {
        let req = self.client.request(Method::POST, "Vault path", path)?.json(body)?.idempotent(false);
        let wire: IssuedWire = self.client.send_data(req, path, &[]).await?;
        let (certificate, issuing_ca, ca_chain) = self.wire_chain(path, &wire)?;
        Ok(SignedCertificate { certificate, issuing_ca, ca_chain })
    }
}
