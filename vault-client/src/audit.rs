//! Audit devices under `sys/audit` and `sys/audit-hash` (`vault audit
//! list|enable|disable`): list, enable a file, syslog or socket device,
//! disable one, and hash a value the way a device writes it to its log.

use std::collections::BTreeMap;

use client_core::{Method, Secret};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::sys::Sys;

/// One enabled audit device (`GET sys/audit`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[non_exhaustive]
pub struct AuditDevice {
    /// Device type: `file`, `syslog` or `socket`.
    #[serde(rename = "type")]
    pub device_type: String,
    /// Where it is enabled (`file/`), as Vault stores it.
    #[serde(default)]
    pub path: String,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// The device's options (`file_path`, `facility`, `address`, ...).
    #[serde(default)]
    pub options: BTreeMap<String, String>,
    /// Whether the device is local to this cluster (not replicated).
    #[serde(default)]
    pub local: bool,
}

/// What [`Sys::enable_audit`] enables.
///
/// ```
/// use vault_client::audit::AuditRequest;
/// let file = AuditRequest::file("/var/log/vault/audit.log").option("log_raw", "false");
/// assert_eq!(file.options["file_path"], "/var/log/vault/audit.log");
/// let socket = AuditRequest::socket("logs.example:9090", "tcp");
/// assert_eq!(socket.device_type, "socket");
/// ```
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct AuditRequest {
    /// Device type.
    #[serde(rename = "type")]
    pub device_type: String,
    /// Description.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Device options, as Vault documents them for the type.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub options: BTreeMap<String, String>,
    /// Local to this cluster (not replicated; Enterprise).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub local: bool,
}

impl AuditRequest {
    fn new(device_type: &str, options: &[(&str, &str)]) -> Self {
        Self {
            device_type: device_type.to_owned(),
            description: String::new(),
            options: options.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
            local: false,
        }
    }

    /// A `file` device writing to `file_path` (`stdout` and `discard` are
    /// Vault's special values).
    #[must_use]
    pub fn file(file_path: &str) -> Self {
        Self::new("file", &[("file_path", file_path)])
    }

    /// A `syslog` device with Vault's defaults (facility `AUTH`, tag `vault`).
    #[must_use]
    pub fn syslog() -> Self {
        Self::new("syslog", &[])
    }

    /// A `socket` device sending to `address` over `socket_type` (`tcp`, `udp`, `unix`).
    #[must_use]
    pub fn socket(address: &str, socket_type: &str) -> Self {
        Self::new("socket", &[("address", address), ("socket_type", socket_type)])
    }

    /// Sets one device option (`log_raw`, `hmac_accessor`, `format`, `facility`...).
    #[must_use]
    pub fn option(mut self, key: &str, value: &str) -> Self {
        self.options.insert(key.to_owned(), value.to_owned());
        self
    }

    /// Sets the description.
    #[must_use]
    pub fn description(mut self, description: &str) -> Self {
        self.description = description.to_owned();
        self
    }

    /// The options each type needs, checked before sending: Vault would
    /// refuse a file device without a path only after the request.
    fn check(&self) -> Result<()> {
        let required: &[&str] = match self.device_type.as_str() {
            "file" => &["file_path"],
            "socket" => &["address"],
            "syslog" => &[],
            other => {
                return Err(Error::invalid("audit device type", other, "is not one of file, syslog, socket"));
            }
        };
        for key in required {
            if self.options.get(*key).is_none_or(|v| v.trim().is_empty()) {
                return Err(Error::invalid(
                    "audit device options",
                    &self.device_type,
                    &format!("lack {key:?}, which a {} device needs", self.device_type),
                ));
            }
        }
        Ok(())
    }
}

#[derive(Deserialize)]
struct HashAnswer {
    #[serde(default)]
    hash: Option<String>,
    #[serde(default)]
    data: Option<HashData>,
}

#[derive(Deserialize)]
struct HashData {
    hash: String,
}

impl Sys {
    /// `sys/audit/<path>`, the device path checked part by part.
    fn audit_path(endpoint: &str, path: &str) -> Result<String> {
        let device = crate::kv::mount_name(path).map_err(|_| {
            Error::invalid(
                "audit device path",
                path,
                "must be a path such as file or audit/file (no empty, . or .. part)",
            )
        })?;
        Ok(format!("{endpoint}/{device}"))
    }

    /// `GET sys/audit`: the enabled audit devices keyed by path (`file/`).
    /// Needs `sudo`.
    pub async fn audit_devices(&self) -> Result<BTreeMap<String, AuditDevice>> {
        let path = "sys/audit";
        let req = self.client.request(Method::GET, "Vault path", path)?;
        self.client.send_data(req, path, &[]).await
    }

    /// `PUT sys/audit/<path>`: enables an audit device there. The type's
    /// required options are checked first. Vault refuses a path in use,
    /// and a device it cannot write to. Needs `sudo`.
    ///
    /// Once a device is enabled, Vault **refuses every request it cannot
    /// log** to at least one device.
    pub async fn enable_audit(&self, path: &str, request: &AuditRequest) -> Result<()> {
        let full = Self::audit_path("sys/audit", path)?;
        request.check()?;
        let req = self.client.request(Method::PUT, "audit device path", &full)?.json(request)?;
        self.client.send(req, &full, &[]).await.map(drop)
    }

    /// `DELETE sys/audit/<path>`: disables the audit device at exactly
    /// `path`. Its log file stays; Vault stops writing it. Needs `sudo`.
    pub async fn disable_audit(&self, path: &str) -> Result<()> {
        let full = Self::audit_path("sys/audit", path)?;
        let req = self.client.request(Method::DELETE, "audit device path", &full)?;
        self.client.send(req, &full, &[]).await.map(drop)
    }

    /// `POST sys/audit-hash/<path>`: `input` hashed with the device's salt
    /// (`hmac-sha256:...`), to find it in the audit log. `input` is a
    /// secret: it is never printed, and scrubbed from Vault's errors.
    pub async fn audit_hash(&self, path: &str, input: &Secret) -> Result<String> {
        let full = Self::audit_path("sys/audit-hash", path)?;
        let req = self
            .client
            .request(Method::POST, "audit device path", &full)?
            .json(&serde_json::json!({ "input": input.expose() }))?;
        let answer: HashAnswer = crate::client::decode(&self.client.send(req, &full, &[input]).await?)?;
        // The Go client reads `data.hash`; the docs print `hash` at the top.
        answer.data.map(|d| d.hash).or(answer.hash).ok_or_else(|| Error::UnexpectedResponse {
            method: "POST".into(),
            path: full,
            reason: "the answer has no hash".into(),
        })
    }
}
