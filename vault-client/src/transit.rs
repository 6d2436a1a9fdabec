//! The transit secrets engine (`transit/`): encryption as a service. Keys
//! CRUD, rotation, configuration and trim; encrypt, decrypt, rewrap and data
//! keys; sign, verify, HMAC and HMAC verify; each of these also in batches
//! (`batch_input`), where one item's failure is that item's [`ItemError`],
//! not the whole call's; key export, backup and restore; the engine's cache
//! configuration. Inputs are bytes (base64 is the SDK's business); a
//! decrypted plaintext or a data key is a [`Plaintext`], an exported key or
//! a key backup a [`Secret`]: their `Debug` and `Display` print `<redacted>`.
//!
//! ```no_run
//! # async fn demo() -> vault_client::Result<()> {
//! use vault_client::VaultClient;
//!
//! let vault = VaultClient::from_env()?;
//! let transit = vault.transit("transit")?;
//! let ciphertext = transit.encrypt("backups", b"wal-g encryption passphrase", None).await?;
//! let plaintext = transit.decrypt("backups", &ciphertext, None).await?;
//! assert_eq!(plaintext.expose(), b"wal-g encryption passphrase");
//! # Ok(()) }
//! ```

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use client_core::path::check_segment;
use client_core::{Method, Secret};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::client::{VaultClient, missing_as_none};
use crate::error::{Error, Result};
use crate::kv::mount_name;

mod batch;
mod export;

pub use batch::{CiphertextItem, EncryptItem, ItemError, ItemResult, SignItem, Signed, VerifyItem};
pub use export::{ExportKind, ExportVersion, ExportedKey};

client_core::string_enum! {
    /// A transit key's type.
    KeyType {
        /// AES-256 in GCM mode (the default).
        Aes256Gcm96 => "aes256-gcm96",
        /// AES-128 in GCM mode.
        Aes128Gcm96 => "aes128-gcm96",
        /// ChaCha20-Poly1305.
        Chacha20Poly1305 => "chacha20-poly1305",
        /// Ed25519 signatures.
        Ed25519 => "ed25519",
        /// ECDSA on P-256.
        EcdsaP256 => "ecdsa-p256",
        /// ECDSA on P-384.
        EcdsaP384 => "ecdsa-p384",
        /// ECDSA on P-521.
        EcdsaP521 => "ecdsa-p521",
        /// RSA 2048.
        Rsa2048 => "rsa-2048",
        /// RSA 3072.
        Rsa3072 => "rsa-3072",
        /// RSA 4096.
        Rsa4096 => "rsa-4096",
    }
}

/// Bytes that must not reach logs: a decrypted plaintext or a data key.
/// `Debug` and `Display` print `<redacted>`.
#[derive(Clone, PartialEq, Eq)]
pub struct Plaintext(Vec<u8>);

impl Plaintext {
    /// The bytes.
    #[must_use]
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    /// The bytes, consuming the value.
    #[must_use]
    pub fn into_bytes(self) -> Vec<u8> {
        self.0
    }
}

impl std::fmt::Debug for Plaintext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

impl std::fmt::Display for Plaintext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

impl From<Vec<u8>> for Plaintext {
    fn from(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }
}

impl From<&[u8]> for Plaintext {
    fn from(bytes: &[u8]) -> Self {
        Self(bytes.to_vec())
    }
}

/// The transit engine mounted at one path.
#[derive(Debug, Clone)]
pub struct Transit {
    client: VaultClient,
    mount: String,
}

impl VaultClient {
    /// The transit secrets engine mounted at `mount` (usually `transit`).
    pub fn transit(&self, mount: &str) -> Result<Transit> {
        Ok(Transit { client: self.clone(), mount: mount_name(mount)? })
    }
}

/// Options of [`Transit::create_key`]; unset fields keep Vault's defaults.
#[derive(Debug, Clone, Default, Serialize)]
pub struct KeyOptions {
    /// The key type (Vault's default: `aes256-gcm96`).
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub key_type: Option<KeyType>,
    /// Derive a key per context (then every call needs a context).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub derived: Option<bool>,
    /// Allow the key to be exported (cannot be undone).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exportable: Option<bool>,
    /// Allow a plaintext backup of the key (cannot be undone).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_plaintext_backup: Option<bool>,
}

/// Options of [`Transit::configure_key`].
#[derive(Debug, Clone, Default, Serialize)]
pub struct KeyConfig {
    /// Allow [`Transit::delete_key`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deletion_allowed: Option<bool>,
    /// The oldest key version that may decrypt.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_decryption_version: Option<u64>,
    /// The version that encrypts (0: the latest).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_encryption_version: Option<u64>,
    /// Allow export.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exportable: Option<bool>,
    /// Allow a plaintext backup.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_plaintext_backup: Option<bool>,
}

/// A key as Vault answers it ([`Transit::get_key`]).
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct TransitKey {
    /// Its name.
    #[serde(default)]
    pub name: String,
    /// Its type.
    #[serde(rename = "type", default)]
    pub key_type: KeyType,
    /// Versions: creation time (Unix seconds) for symmetric keys, an
    /// object with the public key for asymmetric ones.
    #[serde(default)]
    pub keys: BTreeMap<String, serde_json::Value>,
    /// The oldest version that may decrypt.
    #[serde(default)]
    pub min_decryption_version: u64,
    /// The version that encrypts (0: the latest).
    #[serde(default)]
    pub min_encryption_version: u64,
    /// Whether it may be deleted.
    #[serde(default)]
    pub deletion_allowed: bool,
    /// Whether a key is derived per context.
    #[serde(default)]
    pub derived: bool,
    /// Whether it can be exported.
    #[serde(default)]
    pub exportable: bool,
    /// Whether it encrypts.
    #[serde(default)]
    pub supports_encryption: bool,
    /// Whether it signs.
    #[serde(default)]
    pub supports_signing: bool,
    /// Fields not modelled here.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl TransitKey {
    /// The newest version.
    #[must_use]
    pub fn latest_version(&self) -> Option<u64> {
        self.keys.keys().filter_map(|v| v.parse().ok()).max()
    }
}

/// The transit engine's cache settings ([`Transit::cache_config`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
pub struct CacheConfig {
    /// Keys cached (0: unlimited).
    pub size: u64,
}

/// A data key from [`Transit::datakey`]: the key wrapped by the transit
/// key, and the key itself when asked for (`Debug` hides it).
#[derive(Debug, Clone)]
pub struct DataKey {
    /// The wrapped key (`vault:v1:...`), to store beside the data.
    pub ciphertext: String,
    /// The key (`None` for a wrapped-only data key).
    pub plaintext: Option<Plaintext>,
}

#[derive(Serialize)]
struct Input<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    plaintext: Option<&'a Secret>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ciphertext: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    input: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    signature: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    hmac: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    context: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    key_version: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    hash_algorithm: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    algorithm: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    bits: Option<u32>,
}

impl Input<'_> {
    fn new(context: Option<&[u8]>) -> Self {
        Self {
            plaintext: None,
            ciphertext: None,
            input: None,
            signature: None,
            hmac: None,
            context: context.map(|c| STANDARD.encode(c)),
            key_version: None,
            hash_algorithm: None,
            algorithm: None,
            bits: None,
        }
    }
}

/// One answer, or one item of `batch_results`.
#[derive(Deserialize)]
struct Out {
    #[serde(default)]
    ciphertext: Option<String>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    publickey: Option<String>,
    #[serde(default)]
    plaintext: Option<Secret>,
    #[serde(default)]
    signature: Option<String>,
    #[serde(default)]
    hmac: Option<String>,
    #[serde(default)]
    valid: Option<bool>,
}

/// Checks a `vault:v<N>:` value before it is sent.
fn check_vault_value(what: &str, value: &str) -> Result<()> {
    let ok = value.strip_prefix("vault:v").and_then(|rest| rest.split_once(':')).is_some_and(|(version, body)| {
        !version.is_empty() && version.bytes().all(|b| b.is_ascii_digit()) && !body.is_empty()
    });
    if ok {
        return Ok(());
    }
    Err(Error::Core(client_core::Error::invalid(
        what,
        value,
        "must look like vault:v<version>:<base64>, as Vault returns it",
    )))
}

impl Transit {
    fn path(&self, kind: &str, key: &str) -> Result<String> {
        check_segment("transit key", key)?;
        Ok(format!("{}/{kind}/{key}", self.mount))
    }

    async fn call<T: DeserializeOwned>(&self, path: &str, body: &Input<'_>, secrets: &[&Secret]) -> Result<T> {
        let req = self.client.request(Method::POST, "Vault path", path)?.json(body)?;
        self.client.send_data(req, path, secrets).await
    }

    fn missing(path: &str, field: &str) -> Error {
        Error::UnexpectedResponse {
            method: "POST".into(),
            path: path.to_owned(),
            reason: format!("the answer has no {field}"),
        }
    }

    fn decode_plaintext(path: &str, b64: &Secret) -> Result<Plaintext> {
        STANDARD.decode(b64.expose()).map(Plaintext).map_err(|_| Error::UnexpectedResponse {
            method: "POST".into(),
            path: path.to_owned(),
            reason: "the plaintext is not base64".into(),
        })
    }

    /// Creates key `name` (`POST <mount>/keys/<name>`).
    pub async fn create_key(&self, name: &str, options: &KeyOptions) -> Result<()> {
        let path = self.path("keys", name)?;
        let req = self.client.request(Method::POST, "Vault path", &path)?.json(options)?;
        self.client.send(req, &path, &[]).await.map(drop)
    }

    /// Reads key `name`; `None` when there is none.
    pub async fn get_key(&self, name: &str) -> Result<Option<TransitKey>> {
        let path = self.path("keys", name)?;
        let req = self.client.request(Method::GET, "Vault path", &path)?;
        Ok(missing_as_none(self.client.send_json(req, &path, &[]).await)?.and_then(|r| r.data))
    }

    /// The key names.
    pub async fn list_keys(&self) -> Result<Vec<String>> {
        self.client.list(&format!("{}/keys", self.mount)).await
    }

    /// Deletes key `name` and every ciphertext's only way back: Vault
    /// refuses unless [`KeyConfig::deletion_allowed`] was set first.
    pub async fn delete_key(&self, name: &str) -> Result<()> {
        let path = self.path("keys", name)?;
        let req = self.client.request(Method::DELETE, "Vault path", &path)?;
        self.client.send(req, &path, &[]).await.map(drop)
    }

    /// Adds a new version to key `name` (`POST <mount>/keys/<name>/rotate`);
    /// new encryptions use it, old ciphertexts still decrypt.
    pub async fn rotate_key(&self, name: &str) -> Result<()> {
        let path = format!("{}/rotate", self.path("keys", name)?);
        let req = self.client.request(Method::POST, "Vault path", &path)?.idempotent(false);
        self.client.send(req, &path, &[]).await.map(drop)
    }

    /// Configures key `name` (`POST <mount>/keys/<name>/config`).
    pub async fn configure_key(&self, name: &str, config: &KeyConfig) -> Result<()> {
        let path = format!("{}/config", self.path("keys", name)?);
        let req = self.client.request(Method::POST, "Vault path", &path)?.json(config)?;
        self.client.send(req, &path, &[]).await.map(drop)
    }

    /// Encrypts `plaintext` with key `name`; `context` for a derived key.
    /// Returns the ciphertext (`vault:v1:...`).
    pub async fn encrypt(&self, name: &str, plaintext: &[u8], context: Option<&[u8]>) -> Result<String> {
        let path = self.path("encrypt", name)?;
        let b64 = Secret::new(STANDARD.encode(plaintext));
        let body = Input { plaintext: Some(&b64), ..Input::new(context) };
        let out: Out = self.call(&path, &body, &[&b64]).await?;
        out.ciphertext.ok_or_else(|| Self::missing(&path, "ciphertext"))
    }

    /// Decrypts `ciphertext` (`vault:v<N>:...`) with key `name`.
    pub async fn decrypt(&self, name: &str, ciphertext: &str, context: Option<&[u8]>) -> Result<Plaintext> {
        let path = self.path("decrypt", name)?;
        check_vault_value("transit ciphertext", ciphertext)?;
        let body = Input { ciphertext: Some(ciphertext), ..Input::new(context) };
        let out: Out = self.call(&path, &body, &[]).await?;
        Self::decode_plaintext(&path, out.plaintext.as_ref().ok_or_else(|| Self::missing(&path, "plaintext"))?)
    }

    /// Re-encrypts `ciphertext` with the key's latest version, without
    /// revealing the plaintext.
    pub async fn rewrap(&self, name: &str, ciphertext: &str, context: Option<&[u8]>) -> Result<String> {
        let path = self.path("rewrap", name)?;
        check_vault_value("transit ciphertext", ciphertext)?;
        let body = Input { ciphertext: Some(ciphertext), ..Input::new(context) };
        let out: Out = self.call(&path, &body, &[]).await?;
        out.ciphertext.ok_or_else(|| Self::missing(&path, "ciphertext"))
    }

    /// A new data key of `bits` (Vault's default 256) wrapped by key
    /// `name`; with `with_plaintext` the key itself too
    /// (`<mount>/datakey/plaintext/<name>`, else `wrapped`).
    pub async fn datakey(
        &self,
        name: &str,
        with_plaintext: bool,
        bits: Option<u32>,
        context: Option<&[u8]>,
    ) -> Result<DataKey> {
        check_segment("transit key", name)?;
        let kind = if with_plaintext { "plaintext" } else { "wrapped" };
        let path = format!("{}/datakey/{kind}/{name}", self.mount);
        let body = Input { bits, ..Input::new(context) };
        let out: Out = self.call(&path, &body, &[]).await?;
        let plaintext = match (&out.plaintext, with_plaintext) {
            (Some(b64), true) => Some(Self::decode_plaintext(&path, b64)?),
            (None, true) => return Err(Self::missing(&path, "plaintext")),
            _ => None,
        };
        Ok(DataKey { ciphertext: out.ciphertext.ok_or_else(|| Self::missing(&path, "ciphertext"))?, plaintext })
    }

    /// Signs `input` with key `name` (an asymmetric key); `hash_algorithm`
    /// such as `sha2-256` (Vault's default when `None`). Returns the
    /// signature (`vault:v1:...`).
    pub async fn sign(&self, name: &str, input: &[u8], hash_algorithm: Option<&str>) -> Result<String> {
        let path = self.path("sign", name)?;
        let body = Input { input: Some(STANDARD.encode(input)), hash_algorithm, ..Input::new(None) };
        let out: Out = self.call(&path, &body, &[]).await?;
        out.signature.ok_or_else(|| Self::missing(&path, "signature"))
    }

    /// Whether `signature` (`vault:v<N>:...`) is key `name`'s over `input`.
    pub async fn verify(
        &self,
        name: &str,
        input: &[u8],
        signature: &str,
        hash_algorithm: Option<&str>,
    ) -> Result<bool> {
        let path = self.path("verify", name)?;
        check_vault_value("transit signature", signature)?;
        let body = Input {
            input: Some(STANDARD.encode(input)),
            signature: Some(signature),
            hash_algorithm,
            ..Input::new(None)
        };
        let out: Out = self.call(&path, &body, &[]).await?;
        out.valid.ok_or_else(|| Self::missing(&path, "valid"))
    }

    /// The HMAC of `input` under key `name`; `algorithm` such as `sha2-256`
    /// (Vault's default when `None`). Returns `vault:v1:...`.
    pub async fn hmac(&self, name: &str, input: &[u8], algorithm: Option<&str>) -> Result<String> {
        let path = self.path("hmac", name)?;
        let body = Input { input: Some(STANDARD.encode(input)), algorithm, ..Input::new(None) };
        let out: Out = self.call(&path, &body, &[]).await?;
        out.hmac.ok_or_else(|| Self::missing(&path, "hmac"))
    }

    /// Whether `hmac` (`vault:v<N>:...`, from [`Transit::hmac`]) is key
    /// `name`'s HMAC of `input` (`POST <mount>/verify/<name>` with `hmac`).
    pub async fn verify_hmac(&self, name: &str, input: &[u8], hmac: &str, algorithm: Option<&str>) -> Result<bool> {
        let path = self.path("verify", name)?;
        check_vault_value("transit HMAC", hmac)?;
        let body = Input { input: Some(STANDARD.encode(input)), hmac: Some(hmac), algorithm, ..Input::new(None) };
        let out: Out = self.call(&path, &body, &[]).await?;
        out.valid.ok_or_else(|| Self::missing(&path, "valid"))
    }

    /// Deletes for good every version of key `name` older than
    /// `min_available_version` (`POST <mount>/keys/<name>/trim`); Vault
    /// refuses a version above the key's minimum decryption or encryption
    /// version. 0 is refused before sending.
    pub async fn trim_key(&self, name: &str, min_available_version: u64) -> Result<()> {
        let path = format!("{}/trim", self.path("keys", name)?);
        if min_available_version == 0 {
            return Err(Error::invalid("transit min_available_version", "0", "versions start at 1"));
        }
        let body = serde_json::json!({ "min_available_version": min_available_version });
        let req = self.client.request(Method::POST, "Vault path", &path)?.json(&body)?;
        self.client.send(req, &path, &[]).await.map(drop)
    }

    /// The engine's key cache size (`GET <mount>/cache-config`; 0: unlimited).
    pub async fn cache_config(&self) -> Result<CacheConfig> {
        let path = format!("{}/cache-config", self.mount);
        let req = self.client.request(Method::GET, "Vault path", &path)?;
        self.client.send_data(req, &path, &[]).await
    }

    /// Sets the key cache size (`POST <mount>/cache-config`): 0 (unlimited)
    /// or at least 10; 1 to 9 are refused before sending. Vault applies it
    /// after the plugin is reloaded.
    pub async fn set_cache_config(&self, size: u64) -> Result<()> {
        if (1..10).contains(&size) {
            return Err(Error::invalid(
                "transit cache size",
                &size.to_string(),
                "must be 0 (unlimited) or at least 10",
            ));
        }
        let path = format!("{}/cache-config", self.mount);
        let req = self.client.request(Method::POST, "Vault path", &path)?.json(&CacheConfig { size })?;
        self.client.send(req, &path, &[]).await.map(drop)
    }
}
