//! The PKI secrets engine (`pki/`): issue and sign certificates, roles,
//! the CA chain, revocation and tidy. Certificates come back as
//! [`Certificate`]s: the PEM with its serial and validity parsed; an issued
//! private key is a [`Secret`].
//!
//! ```no_run
//! # async fn demo() -> vault_client::Result<()> {
//! use std::time::Duration;
//! use vault_client::VaultClient;
//! use vault_client::pki::{IssueRequest, PkiRole};
//!
//! let vault = VaultClient::from_env()?;
//! let pki = vault.pki("pki")?;
//! let mut role = PkiRole::default();
//! role.allowed_domains = vec!["service.consul".into()];
//! role.allow_subdomains = Some(true);
//! role.max_ttl = Some(Duration::from_secs(72 * 3600));
//! pki.write_role("patroni", &role).await?;
//! let issued = pki.issue("patroni", &IssueRequest::new("pg-1.service.consul")).await?;
//! println!("serial {} valid until {}", issued.certificate.serial, issued.certificate.not_after);
//! std::fs::write("server.key", issued.private_key.expose()).ok();
//! # Ok(()) }
//! ```

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, NaiveDateTime, Utc};
use client_core::path::check_segment;
use client_core::{Method, Secret};
use serde::{Deserialize, Serialize};

use crate::client::{VaultClient, missing_as_none};
use crate::error::{Error, Result};
use crate::kv::mount_name;
use crate::response::seconds;

mod authority;
mod ca;

pub use authority::{IssuerInfo, IssuerListing, KeyListing, PkiUrls, StoredCertificate, TidyStatus};
pub use ca::{CaRequest, GeneratedRoot, ImportedIssuers, IntermediateCsr, KeySource};

/// A PKI secrets engine mounted at one path.
#[derive(Debug, Clone)]
pub struct Pki {
    client: VaultClient,
    mount: String,
}

impl VaultClient {
    /// The PKI secrets engine mounted at `mount` (usually `pki`).
    pub fn pki(&self, mount: &str) -> Result<Pki> {
        Ok(Pki { client: self.clone(), mount: mount_name(mount)? })
    }
}

/// One X.509 certificate: its PEM and what the SDK read from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certificate {
    /// The PEM block, as Vault sent it.
    pub pem: String,
    /// The serial as Vault writes it: lowercase hex bytes joined by `:`.
    pub serial: String,
    /// Valid from.
    pub not_before: DateTime<Utc>,
    /// Valid until.
    pub not_after: DateTime<Utc>,
}

impl Certificate {
    /// Parses one PEM certificate (the first `CERTIFICATE` block of `pem`).
    ///
    /// ```
    /// assert!(vault_client::pki::Certificate::from_pem("-----BEGIN CERTIFICATE-----\n...\n").is_err());
    /// ```
    pub fn from_pem(pem: &str) -> Result<Self> {
        Self::chain_from_pem(pem)?.into_iter().next().ok_or_else(|| bad_pem("holds no CERTIFICATE block"))
    }

    /// Parses every `CERTIFICATE` block of `pem` (a chain), in order.
    pub fn chain_from_pem(pem: &str) -> Result<Vec<Self>> {
        const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
        const END: &str = "-----END CERTIFICATE-----";
        let mut out = Vec::new();
        let mut rest = pem;
        while let Some(start) = rest.find(BEGIN) {
            let after = &rest[start + BEGIN.len()..];
            let end = after.find(END).ok_or_else(|| bad_pem("has a CERTIFICATE block without its END line"))?;
            let body: String = after[..end].chars().filter(|c| !c.is_whitespace()).collect();
            let der = STANDARD.decode(body).map_err(|e| bad_pem(&format!("is not base64 inside a block: {e}")))?;
            let (serial, not_before, not_after) =
                parse_der(&der).ok_or_else(|| bad_pem("holds a block that is not an X.509 certificate"))?;
            let block_end = start + BEGIN.len() + end + END.len();
            out.push(Self { pem: format!("{}\n", &rest[start..block_end]), serial, not_before, not_after });
            rest = &rest[block_end..];
        }
        Ok(out)
    }
}

/// A serial as Vault prints it: hex bytes joined by `:` (or `-`).
fn check_serial(serial: &str) -> Result<()> {
    let hex_bytes = serial.split([':', '-']).all(|b| b.len() == 2 && b.bytes().all(|c| c.is_ascii_hexdigit()));
    if serial.is_empty() || !hex_bytes {
        return Err(Error::invalid(
            "certificate serial",
            serial,
            "must be hex bytes joined by ':' (as Vault prints it, e.g. 39:dd:2e:90)",
        ));
    }
    Ok(())
}

fn bad_pem(reason: &str) -> Error {
    Error::Core(client_core::Error::invalid("certificate PEM", "<PEM>", reason))
}

/// One DER element: (tag, content, rest).
fn der(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, input) = input.split_first()?;
    let (&first, mut input) = input.split_first()?;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || input.len() < n {
            return None;
        }
        let len = input[..n].iter().fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        input = &input[n..];
        len
    };
    (input.len() >= len).then(|| (tag, &input[..len], &input[len..]))
}

/// An X.509 time: UTCTime (`YYMMDDHHMMSSZ`) or GeneralizedTime (`YYYYMMDDHHMMSSZ`).
fn der_time(tag: u8, content: &[u8]) -> Option<DateTime<Utc>> {
    let text = std::str::from_utf8(content).ok()?.strip_suffix('Z')?;
    let full = match tag {
        0x17 => {
            let yy: u32 = text.get(..2)?.parse().ok()?;
            format!("{}{text}", if yy >= 50 { "19" } else { "20" })
        }
        0x18 => text.to_owned(),
        _ => return None,
    };
    NaiveDateTime::parse_from_str(&full, "%Y%m%d%H%M%S").ok().map(|t| t.and_utc())
}

/// Serial, notBefore and notAfter of a DER certificate.
fn parse_der(input: &[u8]) -> Option<(String, DateTime<Utc>, DateTime<Utc>)> {
    let (0x30, cert, _) = der(input)? else { return None };
    let (0x30, tbs, _) = der(cert)? else { return None };
    let (mut tag, mut content, mut rest) = der(tbs)?;
    if tag == 0xa0 {
        (tag, content, rest) = der(rest)?; // the version
    }
    if tag != 0x02 {
        return None;
    }
    let trimmed: Vec<String> = {
        let start = content.iter().position(|b| *b != 0).unwrap_or(content.len().saturating_sub(1));
        content[start..].iter().map(|b| format!("{b:02x}")).collect()
    };
    let (_, _, rest) = der(rest)?; // signature algorithm
    let (_, _, rest) = der(rest)?; // issuer
    let (0x30, validity, _) = der(rest)? else { return None };
    let (t1, c1, validity) = der(validity)?;
    let (t2, c2, _) = der(validity)?;
    Some((trimmed.join(":"), der_time(t1, c1)?, der_time(t2, c2)?))
}

/// What to issue with [`Pki::issue`] or sign with [`Pki::sign`].
#[derive(Debug, Clone, Default, Serialize)]
pub struct IssueRequest {
    /// The certificate's CN.
    pub common_name: String,
    /// DNS and email subject alternative names.
    #[serde(skip_serializing_if = "Vec::is_empty", serialize_with = "comma_list")]
    pub alt_names: Vec<String>,
    /// IP subject alternative names.
    #[serde(skip_serializing_if = "Vec::is_empty", serialize_with = "comma_list")]
    pub ip_sans: Vec<String>,
    /// URI subject alternative names.
    #[serde(skip_serializing_if = "Vec::is_empty", serialize_with = "comma_list")]
    pub uri_sans: Vec<String>,
    /// Validity (at most the role's `max_ttl`).
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "seconds::serialize_opt")]
    pub ttl: Option<Duration>,
    /// Leave the CN out of the DNS/email SANs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exclude_cn_from_sans: Option<bool>,
}

impl IssueRequest {
    /// A certificate for `common_name`, everything else at the role's defaults.
    pub fn new(common_name: impl Into<String>) -> Self {
        Self { common_name: common_name.into(), ..Self::default() }
    }
}

#[allow(clippy::ptr_arg)] // serde's `serialize_with` passes `&Vec<T>`
fn comma_list<S: serde::Serializer>(list: &Vec<String>, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(&list.join(","))
}

#[derive(Serialize)]
struct SignBody<'a> {
    csr: &'a str,
    #[serde(flatten)]
    request: &'a IssueRequest,
}

#[derive(Deserialize)]
struct IssuedWire {
    certificate: String,
    #[serde(default)]
    issuing_ca: String,
    #[serde(default)]
    ca_chain: Vec<String>,
    #[serde(default)]
    private_key: Option<Secret>,
    #[serde(default)]
    private_key_type: Option<String>,
    serial_number: String,
}

/// A certificate from [`Pki::issue`]: with its private key (`Debug` hides it).
#[derive(Debug, Clone)]
pub struct IssuedCertificate {
    /// The certificate.
    pub certificate: Certificate,
    /// The CA that signed it.
    pub issuing_ca: Certificate,
    /// The chain up to the root (empty when Vault sent none).
    pub ca_chain: Vec<Certificate>,
    /// The private key, PEM.
    pub private_key: Secret,
    /// `rsa`, `ec` or `ed25519`.
    pub private_key_type: String,
}

/// A certificate from [`Pki::sign`] (the key stayed with the CSR's owner).
#[derive(Debug, Clone)]
pub struct SignedCertificate {
    /// The certificate.
    pub certificate: Certificate,
    /// The CA that signed it.
    pub issuing_ca: Certificate,
    /// The chain up to the root (empty when Vault sent none).
    pub ca_chain: Vec<Certificate>,
}

/// A role's settings for [`Pki::write_role`]; unset fields keep Vault's defaults.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PkiRole {
    /// Domains certificates may be issued for.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub allowed_domains: Vec<String>,
    /// Allow subdomains of `allowed_domains`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_subdomains: Option<bool>,
    /// Allow the domains themselves.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_bare_domains: Option<bool>,
    /// Allow globs in `allowed_domains`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_glob_domains: Option<bool>,
    /// Allow any name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_any_name: Option<bool>,
    /// Allow `localhost`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_localhost: Option<bool>,
    /// Allow IP SANs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_ip_sans: Option<bool>,
    /// Server authentication usage.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_flag: Option<bool>,
    /// Client authentication usage.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_flag: Option<bool>,
    /// `rsa`, `ec`, `ed25519` or `any`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_type: Option<String>,
    /// Key size (RSA bits, EC curve size).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_bits: Option<u32>,
    /// Default validity.
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "seconds::serialize_opt")]
    pub ttl: Option<Duration>,
    /// Longest validity.
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "seconds::serialize_opt")]
    pub max_ttl: Option<Duration>,
    /// Issue certificates with a lease (revoked when it ends).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub generate_lease: Option<bool>,
    /// Do not store issued certificates (they cannot be listed or revoked by serial).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub no_store: Option<bool>,
}

/// A role as Vault answers it ([`Pki::get_role`]).
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct PkiRoleInfo {
    /// Domains certificates may be issued for.
    #[serde(default)]
    pub allowed_domains: Vec<String>,
    /// Subdomains allowed.
    #[serde(default)]
    pub allow_subdomains: bool,
    /// Any name allowed.
    #[serde(default)]
    pub allow_any_name: bool,
    /// `localhost` allowed.
    #[serde(default)]
    pub allow_localhost: bool,
    /// IP SANs allowed.
    #[serde(default)]
    pub allow_ip_sans: bool,
    /// Server authentication usage.
    #[serde(default)]
    pub server_flag: bool,
    /// Client authentication usage.
    #[serde(default)]
    pub client_flag: bool,
    /// Key type.
    #[serde(default)]
    pub key_type: String,
    /// Key size.
    #[serde(default)]
    pub key_bits: u32,
    /// Default validity: Vault answers seconds; the `"6h"` the API page prints is read too.
    #[serde(default, deserialize_with = "seconds::deserialize")]
    pub ttl: Duration,
    /// Longest validity.
    #[serde(default, deserialize_with = "seconds::deserialize")]
    pub max_ttl: Duration,
    /// Fields not modelled here.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// What [`Pki::revoke`] answers.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Revocation {
    /// When the certificate was revoked (Unix seconds).
    pub revocation_time: i64,
    /// The same, RFC 3339 (Vault 1.12+).
    #[serde(default)]
    pub revocation_time_rfc3339: Option<String>,
}

/// What [`Pki::tidy`] cleans up; at least one of the two must be set.
#[derive(Debug, Clone, Serialize)]
pub struct TidyRequest {
    /// Remove expired certificates from storage.
    pub tidy_cert_store: bool,
    /// Remove expired certificates from the revocation list.
    pub tidy_revoked_certs: bool,
    /// Keep certificates expired less than this long ago (must be positive; Vault's default 72 h when unset).
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "seconds::serialize_opt")]
    pub safety_buffer: Option<Duration>,
}

impl Default for TidyRequest {
    /// Both stores, with Vault's 72 h safety buffer.
    fn default() -> Self {
        Self { tidy_cert_store: true, tidy_revoked_certs: true, safety_buffer: Some(Duration::from_secs(72 * 3600)) }
    }
}

impl Pki {
    fn role_path(&self, kind: &str, role: &str) -> Result<String> {
        check_segment("PKI role", role)?;
        Ok(format!("{}/{kind}/{role}", self.mount))
    }

    fn wire_chain(&self, path: &str, issued: &IssuedWire) -> Result<(Certificate, Certificate, Vec<Certificate>)> {
        let bad = |what: &str, e: Error| Error::UnexpectedResponse {
            method: "POST".into(),
            path: path.to_owned(),
            reason: format!("the {what} cannot be read: {e}"),
        };
        let certificate = Certificate::from_pem(&issued.certificate).map_err(|e| bad("certificate", e))?;
        if certificate.serial != issued.serial_number {
            return Err(bad(
                "certificate",
                bad_pem(&format!("has serial {}, not the {} Vault named", certificate.serial, issued.serial_number)),
            ));
        }
        let issuing_ca = Certificate::from_pem(&issued.issuing_ca).map_err(|e| bad("issuing CA", e))?;
        let mut chain = Vec::new();
        for pem in &issued.ca_chain {
            chain.extend(Certificate::chain_from_pem(pem).map_err(|e| bad("CA chain", e))?);
        }
        Ok((certificate, issuing_ca, chain))
    }

    /// Issues a certificate and its private key for `role`
    /// (`POST <mount>/issue/<role>`). Never retried: each call mints a key.
    pub async fn issue(&self, role: &str, request: &IssueRequest) -> Result<IssuedCertificate> {
        let path = self.role_path("issue", role)?;
        let req = self.client.request(Method::POST, "Vault path", &path)?.json(request)?.idempotent(false);
        let wire: IssuedWire = self.client.send_data(req, &path, &[]).await?;
        let (certificate, issuing_ca, ca_chain) = self.wire_chain(&path, &wire)?;
        let private_key = wire.private_key.ok_or_else(|| Error::UnexpectedResponse {
            method: "POST".into(),
            path: path.clone(),
            reason: "the answer has no private_key".into(),
        })?;
        Ok(IssuedCertificate {
            certificate,
            issuing_ca,
            ca_chain,
            private_key,
            private_key_type: wire.private_key_type.unwrap_or_default(),
        })
    }

    /// Signs `csr` (PEM) for `role` (`POST <mount>/sign/<role>`).
    pub async fn sign(&self, role: &str, csr: &str, request: &IssueRequest) -> Result<SignedCertificate> {
        let path = self.role_path("sign", role)?;
        self.sign_csr(&path, &SignBody { csr, request }).await
    }

    /// Writes role `name` (`POST <mount>/roles/<name>`).
    pub async fn write_role(&self, name: &str, role: &PkiRole) -> Result<()> {
        let path = self.role_path("roles", name)?;
        let req = self.client.request(Method::POST, "Vault path", &path)?.json(role)?;
        self.client.send(req, &path, &[]).await.map(drop)
    }

    /// Reads role `name`; `None` when there is none.
    pub async fn get_role(&self, name: &str) -> Result<Option<PkiRoleInfo>> {
        let path = self.role_path("roles", name)?;
        let req = self.client.request(Method::GET, "Vault path", &path)?;
        Ok(missing_as_none(self.client.send_json(req, &path, &[]).await)?.and_then(|r| r.data))
    }

    /// The role names.
    pub async fn list_roles(&self) -> Result<Vec<String>> {
        self.client.list(&format!("{}/roles", self.mount)).await
    }

    /// Deletes role `name` (certificates already issued stay valid).
    pub async fn delete_role(&self, name: &str) -> Result<()> {
        let path = self.role_path("roles", name)?;
        let req = self.client.request(Method::DELETE, "Vault path", &path)?;
        self.client.send(req, &path, &[]).await.map(drop)
    }

    /// The CA chain (`GET <mount>/cert/ca_chain`), issuing CA first.
    pub async fn ca_chain(&self) -> Result<Vec<Certificate>> {
        #[derive(Deserialize)]
        struct Pem {
            certificate: String,
        }
        let path = format!("{}/cert/ca_chain", self.mount);
        let req = self.client.request(Method::GET, "Vault path", &path)?;
        let pem: Pem = self.client.send_data(req, &path, &[]).await?;
        Certificate::chain_from_pem(&pem.certificate)
    }

    /// Revokes the certificate with `serial` (`POST <mount>/revoke`), the
    /// serial as Vault writes it (`39:dd:2e:...`); anything but hex bytes
    /// joined by `:` or `-` is refused before sending.
    pub async fn revoke(&self, serial: &str) -> Result<Revocation> {
        check_serial(serial)?;
        let path = format!("{}/revoke", self.mount);
        let req = self
            .client
            .request(Method::POST, "Vault path", &path)?
            .json(&serde_json::json!({ "serial_number": serial }))?;
        self.client.send_data(req, &path, &[]).await
    }

    /// Starts a tidy of the certificate stores (`POST <mount>/tidy`; Vault
    /// answers 202 and works in the background). Returns Vault's warnings
    /// ("Tidy operation successfully started", or "already in progress").
    /// Refused before sending: nothing to tidy, or a safety buffer of zero.
    pub async fn tidy(&self, request: &TidyRequest) -> Result<Vec<String>> {
        if !(request.tidy_cert_store || request.tidy_revoked_certs) {
            return Err(Error::Core(client_core::Error::invalid(
                "PKI tidy",
                "tidy_cert_store=false, tidy_revoked_certs=false",
                "has nothing to tidy; set at least one of them",
            )));
        }
        if request.safety_buffer.is_some_and(|b| b.as_secs() == 0) {
            return Err(Error::Core(client_core::Error::invalid(
                "PKI tidy safety_buffer",
                "0s",
                "must be positive: a zero buffer would remove certificates that have only just expired",
            )));
        }
        let path = format!("{}/tidy", self.mount);
        let req = self.client.request(Method::POST, "Vault path", &path)?.json(request)?;
        let resp = self.client.send_envelope::<serde_json::Value>(req, &path, &[]).await?;
        Ok(resp.map(|r| r.warnings().to_vec()).unwrap_or_default())
    }
}
