//! Key material leaving Vault: export (`export/<type>/<name>[/<version>]`)
//! and backup/restore. Exported keys and backups are [`Secret`]s.

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use client_core::path::check_segment;
use client_core::{Method, Secret};
use serde::{Deserialize, Serialize};

use super::Transit;
use crate::client::missing_as_none;
use crate::error::{Error, Result};

/// Which part of a key [`Transit::export_key`] returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExportKind {
    /// The encryption key (symmetric keys, RSA).
    EncryptionKey,
    /// The private signing key (ECDSA, ed25519, RSA).
    SigningKey,
    /// The HMAC key.
    HmacKey,
    /// The public key (Vault 1.14+; exported even when the key is not exportable).
    PublicKey,
}

impl ExportKind {
    /// The word in the path.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::EncryptionKey => "encryption-key",
            Self::SigningKey => "signing-key",
            Self::HmacKey => "hmac-key",
            Self::PublicKey => "public-key",
        }
    }
}

/// Which versions [`Transit::export_key`] returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportVersion {
    /// Every version still valid.
    All,
    /// The current version only (`latest`).
    Latest,
    /// This version (1 or more).
    Version(u64),
}

/// Exported key material: each version's key as a [`Secret`] (`Debug`
/// shows the version numbers, never the keys).
#[derive(Debug, Clone)]
pub struct ExportedKey {
    /// The key's name.
    pub name: String,
    /// Its type (`aes256-gcm96`, ...); newer servers send it, older ones do not.
    pub key_type: Option<String>,
    /// Version number → key (base64 for symmetric keys, PEM for RSA/ECDSA).
    pub keys: BTreeMap<u64, Secret>,
}

#[derive(Deserialize)]
struct ExportWire {
    #[serde(default)]
    name: String,
    #[serde(rename = "type", default)]
    key_type: Option<String>,
    #[serde(default)]
    keys: BTreeMap<String, Secret>,
}

#[derive(Deserialize)]
struct BackupWire {
    backup: Secret,
}

#[derive(Serialize)]
struct RestoreBody<'a> {
    backup: &'a Secret,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    force: bool,
}

impl Transit {
    /// Exports key `name` (`GET <mount>/export/<kind>/<name>[/<version>]`);
    /// `None` when there is no such key. A key created without
    /// `exportable` is Vault's HTTP 400 "not exportable", returned as
    /// [`Error::Api`] with a sentence saying how exportability is set.
    pub async fn export_key(
        &self,
        name: &str,
        kind: ExportKind,
        version: ExportVersion,
    ) -> Result<Option<ExportedKey>> {
        check_segment("transit key", name)?;
        let mut path = format!("{}/export/{}/{name}", self.mount, kind.as_str());
        match version {
            ExportVersion::All => {}
            ExportVersion::Latest => path.push_str("/latest"),
            ExportVersion::Version(0) => {
                return Err(Error::invalid("transit key version", "0", "versions start at 1"));
            }
            ExportVersion::Version(v) => path.push_str(&format!("/{v}")),
        }
        let req = self.client.request(Method::GET, "Vault path", &path)?;
        let wire: Option<ExportWire> = match missing_as_none(self.client.send_json(req, &path, &[]).await) {
            Ok(resp) => resp.and_then(|r| r.data),
            Err(Error::Api { status: 400, method, path, mut errors })
                if errors.iter().any(|e| e.contains("not exportable")) =>
            {
                errors.push(format!(
                    "transit key {name:?} was created without exportable=true; only configure_key with \
                     exportable=Some(true) allows export, and that cannot be undone"
                ));
                return Err(Error::Api { status: 400, method, path, errors });
            }
            Err(e) => return Err(e),
        };
        let Some(wire) = wire else { return Ok(None) };
        let mut keys = BTreeMap::new();
        for (version, key) in wire.keys {
            let number = version.parse().map_err(|_| Error::UnexpectedResponse {
                method: "GET".into(),
                path: path.clone(),
                reason: format!("the key version {version:?} is not a number"),
            })?;
            keys.insert(number, key);
        }
        Ok(Some(ExportedKey { name: wire.name, key_type: wire.key_type, keys }))
    }

    /// A plaintext backup of key `name` with every version
    /// (`GET <mount>/backup/<name>`), for [`Transit::restore_key`]. The key
    /// must be `exportable` and `allow_plaintext_backup`; otherwise Vault
    /// answers HTTP 500 "exporting is disallowed" / "plaintext backup is
    /// disallowed on the policy", returned with a sentence on how to allow
    /// it. Not retried: Vault records each backup in the key.
    pub async fn backup_key(&self, name: &str) -> Result<Secret> {
        check_segment("transit key", name)?;
        let path = format!("{}/backup/{name}", self.mount);
        let req = self.client.request(Method::GET, "Vault path", &path)?.idempotent(false);
        match self.client.send_data::<BackupWire>(req, &path, &[]).await {
            Ok(wire) => Ok(wire.backup),
            Err(Error::Api { status, method, path, mut errors }) if errors.iter().any(|e| e.contains("disallowed")) => {
                errors.push(format!(
                    "transit key {name:?} needs exportable=true and allow_plaintext_backup=true (configure_key; \
                     neither can be undone) before it can be backed up"
                ));
                Err(Error::Api { status, method, path, errors })
            }
            Err(e) => Err(e),
        }
    }

    /// Restores a [`Transit::backup_key`] backup (`POST <mount>/restore[/<name>]`),
    /// as `name` or, when `None`, under the name in the backup. Vault
    /// refuses to overwrite an existing key unless `force`; `force` is
    /// refused here without an exact `name`, so an overwrite never lands on
    /// whatever name the backup carries. A backup that is not base64 is
    /// refused before sending.
    pub async fn restore_key(&self, backup: &Secret, name: Option<&str>, force: bool) -> Result<()> {
        if STANDARD.decode(backup.expose()).map_or(true, |b| b.is_empty()) {
            return Err(Error::invalid(
                "transit key backup",
                "<redacted>",
                "is not the base64 text backup_key returns",
            ));
        }
        let path = match name {
            Some(name) => {
                check_segment("transit key", name)?;
                format!("{}/restore/{name}", self.mount)
            }
            None if force => {
                return Err(Error::invalid(
                    "transit restore",
                    "force=true without a name",
                    "would overwrite whichever key the backup names; pass the exact key name to overwrite",
                ));
            }
            None => format!("{}/restore", self.mount),
        };
        let req = self
            .client
            .request(Method::POST, "Vault path", &path)?
            .json(&RestoreBody { backup, force })?
            .idempotent(false);
        self.client.send(req, &path, &[backup]).await.map(drop)
    }
}
