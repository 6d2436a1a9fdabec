//! KV secrets engines: version 1 ([`Kv1`]), version 2 ([`Kv2`]) and
//! [`Kv`], which detects the version of a mount.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use client_core::Method;
use client_core::path::validate_path;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::client::{VaultClient, list_path, missing_as_none};
use crate::error::{Error, Result};
use crate::response::VaultResponse;

/// Checks a mount name and strips a trailing `/`.
pub(crate) fn mount_name(mount: &str) -> Result<String> {
    validate_path("mount", mount, true)?;
    Ok(mount.trim_end_matches('/').to_owned())
}

impl VaultClient {
    /// The KV version 1 engine mounted at `mount` (e.g. `kv`).
    pub fn kv1(&self, mount: &str) -> Result<Kv1> {
        Ok(Kv1 { client: self.clone(), mount: mount_name(mount)?, prefix: String::new() })
    }

    /// The KV version 2 engine mounted at `mount` (e.g. `secret`). The
    /// mount's version is checked with `sys/internal/ui/mounts/<mount>` before
    /// the first write and when a read finds nothing: a KV v1 mount is
    /// [`Error::WrongKvVersion`], not an empty secret.
    pub fn kv2(&self, mount: &str) -> Result<Kv2> {
        Ok(Kv2::new(self.clone(), mount_name(mount)?, String::new(), false))
    }

    /// The KV engine holding `path`, its mount and version found with
    /// `sys/internal/ui/mounts/<path>`. `path` may be the mount (`secret`) or
    /// a folder inside it (`secret/nomad-cluster`): the returned [`Kv`] then
    /// works on the mount Vault names (`secret/`), under that folder. A path
    /// where nothing is mounted is [`Error::NoMount`].
    pub async fn kv(&self, path: &str) -> Result<Kv> {
        let given = mount_name(path)?;
        let info = match self.sys().mount_info(&given).await {
            // Vault answers an unknown mount with 403, even to root.
            Err(Error::PermissionDenied { errors, .. })
                if errors.iter().any(|e| e.contains("preflight capability check")) =>
            {
                return Err(Error::NoMount { mount: given, errors });
            }
            other => other?,
        };
        let (mount, prefix) = split_mount(&given, info.path.as_deref());
        match (info.engine_type.as_str(), info.kv_version()) {
            ("kv" | "generic", Some(2)) => Ok(Kv::V2(Kv2::new(self.clone(), mount, prefix, true))),
            ("kv" | "generic", _) => Ok(Kv::V1(Kv1 { client: self.clone(), mount, prefix })),
            (other, _) => Err(Error::NotKv { mount, engine_type: other.to_owned() }),
        }
    }
}

/// Splits `given` into the mount Vault reported (`secret/`) and the folder
/// inside it; `given` itself is the mount when Vault named no path.
fn split_mount(given: &str, reported: Option<&str>) -> (String, String) {
    let Some(mount) = reported.map(|p| p.trim_matches('/')).filter(|p| !p.is_empty()) else {
        return (given.to_owned(), String::new());
    };
    match given.strip_prefix(mount) {
        Some(rest) if rest.is_empty() || rest.starts_with('/') => (mount.to_owned(), rest.trim_matches('/').to_owned()),
        _ => (given.to_owned(), String::new()),
    }
}

/// `a/b/c` from the non-empty parts.
fn join(parts: &[&str]) -> String {
    parts.iter().filter(|p| !p.is_empty()).copied().collect::<Vec<_>>().join("/")
}

/// A KV version 1 mount.
#[derive(Debug, Clone)]
pub struct Kv1 {
    client: VaultClient,
    mount: String,
    prefix: String,
}

impl Kv1 {
    /// The mount path.
    #[must_use]
    pub fn mount(&self) -> &str {
        &self.mount
    }

    /// The folder inside the mount every path is relative to (empty for the mount's root).
    #[must_use]
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    fn full(&self, path: &str) -> Result<String> {
        validate_path("KV path", path, false)?;
        Ok(join(&[&self.mount, &self.prefix, path]))
    }

    /// Reads the secret at `path`; `None` when there is none. A KV v2 mount
    /// gives [`Error::WrongKvVersion`].
    pub async fn read<T: DeserializeOwned>(&self, path: &str) -> Result<Option<T>> {
        Ok(self.client.read::<T>(&self.full(path)?).await?.and_then(|r| r.data))
    }

    /// Writes (replaces) the secret at `path`.
    pub async fn write<T: Serialize + ?Sized>(&self, path: &str, data: &T) -> Result<()> {
        self.client.write(&self.full(path)?, data).await.map(drop)
    }

    /// Lists keys under `path` (`""` for the mount's root); folders end in `/`.
    pub async fn list(&self, path: &str) -> Result<Vec<String>> {
        let path = if path.is_empty() { "" } else { list_path(path)? };
        self.client.list(&join(&[&self.mount, &self.prefix, path])).await
    }

    /// Deletes the secret at `path` (a missing secret is not an error).
    pub async fn delete(&self, path: &str) -> Result<()> {
        self.client.delete(&self.full(path)?).await
    }
}

/// Version metadata KV v2 returns on write and alongside reads.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct VersionMetadata {
    /// When this version was written (RFC 3339).
    #[serde(default)]
    pub created_time: String,
    /// When it was soft-deleted; empty when it is not.
    #[serde(default)]
    pub deletion_time: String,
    /// Whether it was destroyed for good.
    #[serde(default)]
    pub destroyed: bool,
    /// The version number.
    #[serde(default)]
    pub version: u64,
    /// Custom metadata (Vault 1.9+).
    #[serde(default)]
    pub custom_metadata: Option<BTreeMap<String, String>>,
}

/// A KV v2 secret with its version metadata.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct KvSecret<T> {
    /// The secret's data.
    pub data: T,
    /// The version metadata.
    pub metadata: VersionMetadata,
}

/// The metadata of a KV v2 secret (all versions).
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct KvMetadata {
    /// Whether writes must use check-and-set.
    #[serde(default)]
    pub cas_required: bool,
    /// When the secret was first written.
    #[serde(default)]
    pub created_time: String,
    /// The latest version.
    #[serde(default)]
    pub current_version: u64,
    /// Versions are soft-deleted after this long (`0s` = never).
    #[serde(default)]
    pub delete_version_after: String,
    /// Versions kept (0 = the mount's default).
    #[serde(default)]
    pub max_versions: u64,
    /// The oldest version kept.
    #[serde(default)]
    pub oldest_version: u64,
    /// When the secret was last written.
    #[serde(default)]
    pub updated_time: String,
    /// Each version's state, keyed by version number.
    #[serde(default)]
    pub versions: BTreeMap<String, VersionMetadata>,
    /// Custom metadata (Vault 1.9+).
    #[serde(default)]
    pub custom_metadata: Option<BTreeMap<String, String>>,
}

/// Settings written to a KV v2 secret's metadata. Unset fields are left as they are.
#[derive(Debug, Clone, Default, Serialize)]
pub struct MetadataOptions {
    /// Versions to keep.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_versions: Option<u64>,
    /// Require check-and-set on every write.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cas_required: Option<bool>,
    /// Soft-delete versions after this long, e.g. `"720h"` (`"0s"` = never).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delete_version_after: Option<String>,
    /// Custom metadata (Vault 1.9+; older servers ignore it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_metadata: Option<BTreeMap<String, String>>,
}

/// A change to a KV v2 secret's metadata ([`Kv2::patch_metadata`]); unset
/// fields are left as they are.
#[derive(Debug, Clone, Default, Serialize)]
pub struct MetadataPatch {
    /// Versions to keep.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_versions: Option<u64>,
    /// Require check-and-set on every write.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cas_required: Option<bool>,
    /// Soft-delete versions after this long, e.g. `"720h"` (`"0s"` = never).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delete_version_after: Option<String>,
    /// Custom metadata to set (`Some`) or remove (`None`), key by key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_metadata: Option<BTreeMap<String, Option<String>>>,
}

/// A version's key tree without values ([`Kv2::subkeys`]).
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct KvSubkeys {
    /// The keys: a leaf (or a key at the requested depth) is `null`, a map
    /// with keys is an object of the same form.
    pub subkeys: serde_json::Map<String, serde_json::Value>,
    /// The version's metadata.
    pub metadata: VersionMetadata,
}

/// Vault's limits on `custom_metadata` (`validateCustomMetadata` in
/// vault-plugin-secrets-kv): at most 64 keys; each key 1 to 128 bytes and
/// each value 1 to 512, neither with unprintable characters. A `None`
/// value is a removal in a patch and is not checked.
fn check_custom_metadata<'a>(entries: impl ExactSizeIterator<Item = (&'a String, Option<&'a String>)>) -> Result<()> {
    if entries.len() > 64 {
        return Err(Error::invalid(
            "KV custom_metadata",
            &format!("{} keys", entries.len()),
            "may hold at most 64 keys",
        ));
    }
    let printable = |t: &str| !t.chars().any(char::is_control);
    for (key, value) in entries {
        if key.is_empty() || key.len() > 128 || !printable(key) {
            return Err(Error::invalid("KV custom_metadata key", key, "must be 1 to 128 bytes of printable text"));
        }
        if let Some(value) = value {
            if value.is_empty() || value.len() > 512 || !printable(value) {
                return Err(Error::invalid(
                    "KV custom_metadata value",
                    &format!("of key {key:?}"),
                    "must be 1 to 512 bytes of printable text",
                ));
            }
        }
    }
    Ok(())
}

/// `delete_version_after` as Vault parses it (a Go duration or seconds).
fn check_delete_after(value: Option<&str>) -> Result<()> {
    match value {
        Some(v) if client_core::config::parse_duration_seconds("delete_version_after", v).is_err() => {
            Err(Error::invalid(
                "KV delete_version_after",
                v,
                "is not a duration; expected e.g. 0s (never), 720h or 3h25m19s",
            ))
        }
        _ => Ok(()),
    }
}

/// An endpoint a server before `version` does not have: 1.8 answers a KV
/// v2 PATCH with 405; an unknown KV path is a 404 "unsupported path".
fn unsupported_before<T>(result: Result<T>, version: &str, what: &str, instead: &str) -> Result<T> {
    match result {
        Err(Error::Api { status, method, path, errors })
            if status == 405 || (status == 404 && errors.iter().any(|e| e.contains("unsupported path"))) =>
        {
            Err(Error::Unsupported {
                method,
                path,
                reason: format!("{what} needs Vault {version} or newer; {instead}"),
            })
        }
        other => other,
    }
}

#[derive(Serialize)]
struct WriteBody<'a, T: ?Sized> {
    #[serde(skip_serializing_if = "Option::is_none")]
    options: Option<CasOption>,
    data: &'a T,
}

#[derive(Serialize)]
struct CasOption {
    cas: u64,
}

#[derive(Serialize)]
struct Versions<'a> {
    versions: &'a [u64],
}

/// A KV version 2 mount.
#[derive(Debug, Clone)]
pub struct Kv2 {
    client: VaultClient,
    mount: String,
    prefix: String,
    /// Set once Vault confirmed the mount is KV version 2.
    verified: Arc<AtomicBool>,
}

impl Kv2 {
    fn new(client: VaultClient, mount: String, prefix: String, verified: bool) -> Self {
        Self { client, mount, prefix, verified: Arc::new(AtomicBool::new(verified)) }
    }

    /// The mount path.
    #[must_use]
    pub fn mount(&self) -> &str {
        &self.mount
    }

    /// The folder inside the mount every path is relative to (empty for the mount's root).
    #[must_use]
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    fn full(&self, kind: &str, path: &str) -> Result<String> {
        validate_path("KV path", path, false)?;
        Ok(join(&[&self.mount, kind, &self.prefix, path]))
    }

    /// Makes sure the mount is KV version 2 (asked once): on a KV v1 mount a
    /// v2 read finds nothing and a v2 write is stored under the literal key
    /// `data/...`. When Vault does not say (no access to
    /// `sys/internal/ui/mounts`), the call goes ahead.
    async fn check_version(&self) -> Result<()> {
        if self.verified.load(Ordering::Relaxed) {
            return Ok(());
        }
        let Ok(info) = self.client.sys().mount_info(&self.mount).await else { return Ok(()) };
        let reported = info.path.as_deref().map(|p| p.trim_matches('/')).unwrap_or(&self.mount);
        if reported != self.mount {
            return Err(Error::invalid(
                "KV mount",
                &self.mount,
                &format!(
                    "is not a mount: it lies inside the mount {reported}/; use vault.kv2({reported:?}) \
                     or vault.kv({:?})",
                    self.mount
                ),
            ));
        }
        match info.kv_version() {
            Some(2) => {
                self.verified.store(true, Ordering::Relaxed);
                Ok(())
            }
            Some(_) => Err(Error::WrongKvVersion {
                path: self.mount.clone(),
                detail: format!(
                    "the mount {}/ is a KV version 1 engine: the KV v2 API would read and write literal keys \
                     under {}/data/; use vault.kv1(mount) or vault.kv(mount)",
                    self.mount, self.mount
                ),
            }),
            None => Err(Error::NotKv { mount: self.mount.clone(), engine_type: info.engine_type }),
        }
    }

    /// Reads the latest version's data; `None` when the secret does not
    /// exist or its latest version is deleted or destroyed.
    pub async fn read<T: DeserializeOwned>(&self, path: &str) -> Result<Option<T>> {
        Ok(self.get(path).await?.map(|s| s.data))
    }

    /// Reads the latest version with its metadata.
    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<Option<KvSecret<T>>> {
        self.get_version_opt(path, None).await
    }

    /// Reads one version with its metadata; `None` when that version does
    /// not exist or is deleted or destroyed.
    pub async fn read_version<T: DeserializeOwned>(&self, path: &str, version: u64) -> Result<Option<KvSecret<T>>> {
        self.get_version_opt(path, Some(version)).await
    }

    async fn get_version_opt<T: DeserializeOwned>(
        &self,
        path: &str,
        version: Option<u64>,
    ) -> Result<Option<KvSecret<T>>> {
        let full = self.full("data", path)?;
        let req = self.client.request(Method::GET, "KV path", &full)?.query_opt("version", version);
        // A deleted version answers 200 on some versions with `data: null`: treat it as missing.
        let resp = missing_as_none(self.client.send_json::<KvSecret<Option<T>>>(req, &full, &[]).await)?;
        let secret = resp.and_then(|r| r.data).and_then(|s| s.data.map(|data| KvSecret { data, metadata: s.metadata }));
        if secret.is_none() {
            // Nothing there, or a KV v1 mount where `data/` is just part of a key.
            self.check_version().await?;
        }
        Ok(secret)
    }

    /// Writes a new version.
    pub async fn write<T: Serialize + ?Sized>(&self, path: &str, data: &T) -> Result<VersionMetadata> {
        self.put(path, data, None).await
    }

    /// Writes a new version only if the current version is `expected_version`
    /// (0: only if the secret does not exist). A mismatch is
    /// [`Error::CasMismatch`].
    pub async fn write_cas<T: Serialize + ?Sized>(
        &self,
        path: &str,
        data: &T,
        expected_version: u64,
    ) -> Result<VersionMetadata> {
        self.put(path, data, Some(expected_version)).await
    }

    async fn put<T: Serialize + ?Sized>(&self, path: &str, data: &T, cas: Option<u64>) -> Result<VersionMetadata> {
        let full = self.full("data", path)?;
        let body = WriteBody { options: cas.map(|cas| CasOption { cas }), data };
        self.check_version().await?;
        let req = self.client.request(Method::POST, "KV path", &full)?.json(&body)?;
        match self.client.send_json::<VersionMetadata>(req, &full, &[]).await {
            Ok(Some(VaultResponse { data: Some(meta), .. })) => Ok(meta),
            // KV v2 always answers a write with the new version; a KV v1 mount answers 204.
            Ok(_) => Err(Error::WrongKvVersion {
                detail: format!(
                    "the mount answered like a KV version 1 engine, so the data was stored as a plain secret at \
                     {full}; delete it and use vault.kv1(mount) or vault.kv(mount)"
                ),
                path: full,
            }),
            Err(Error::Api { status: 400, errors, .. })
                if errors.iter().any(|e| e.contains("check-and-set parameter did not match")) =>
            {
                Err(Error::CasMismatch { path: full, expected_version: cas.unwrap_or_default() })
            }
            Err(e) => Err(e),
        }
    }

    /// Merges `patch` into the latest version (JSON merge patch: a `null`
    /// removes a key; Vault 1.9+, older servers give [`Error::Unsupported`]).
    pub async fn patch<T: Serialize + ?Sized>(&self, path: &str, patch: &T) -> Result<VersionMetadata> {
        self.patch_data(path, patch, None).await
    }

    /// [`Kv2::patch`] only if the current version is `expected_version`
    /// (`options.cas`); a mismatch is [`Error::CasMismatch`]. A patch needs
    /// an existing secret, so 0 is refused before sending.
    pub async fn patch_cas<T: Serialize + ?Sized>(
        &self,
        path: &str,
        patch: &T,
        expected_version: u64,
    ) -> Result<VersionMetadata> {
        if expected_version == 0 {
            return Err(Error::invalid(
                "KV patch cas",
                "0",
                "must be the secret's current version (1 or more): a patch needs an existing secret",
            ));
        }
        self.patch_data(path, patch, Some(expected_version)).await
    }

    async fn patch_data<T: Serialize + ?Sized>(
        &self,
        path: &str,
        patch: &T,
        cas: Option<u64>,
    ) -> Result<VersionMetadata> {
        let full = self.full("data", path)?;
        let body = WriteBody { options: cas.map(|cas| CasOption { cas }), data: patch };
        let req = self.send_merge_patch(&full, &body).await?;
        match self.client.send_data(req, &full, &[]).await {
            Err(Error::Api { status: 400, errors, .. })
                if errors.iter().any(|e| e.contains("check-and-set parameter did not match")) =>
            {
                Err(Error::CasMismatch { path: full, expected_version: cas.unwrap_or_default() })
            }
            other => unsupported_before(other, "1.9", "KV v2 patch", "read, change and write the secret instead"),
        }
    }

    /// A `PATCH` of `full` with `body` as a JSON merge patch, once the
    /// mount is known to be KV v2.
    async fn send_merge_patch<B: Serialize + ?Sized>(&self, full: &str, body: &B) -> Result<client_core::Request> {
        let bytes = serde_json::to_vec(body).map_err(|e| Error::invalid("patch body", full, &e.to_string()))?;
        self.check_version().await?;
        Ok(self
            .client
            .request(Method::PATCH, "KV path", full)?
            .body(bytes)
            .header("Content-Type", "application/merge-patch+json"))
    }

    /// The keys of a version without their values (`GET <mount>/subkeys/<path>`,
    /// Vault 1.10+: older servers give [`Error::Unsupported`]): every leaf
    /// is `null`; `depth` (1 or more) cuts the tree there. `None` when the
    /// secret or version does not exist or is deleted or destroyed.
    pub async fn subkeys(&self, path: &str, version: Option<u64>, depth: Option<u32>) -> Result<Option<KvSubkeys>> {
        let full = self.full("subkeys", path)?;
        if depth == Some(0) {
            return Err(Error::invalid("KV subkeys depth", "0", "must be 1 or more (None: the whole tree)"));
        }
        let req =
            self.client.request(Method::GET, "KV path", &full)?.query_opt("version", version).query_opt("depth", depth);
        let answer = self.client.send_json::<KvSubkeys>(req, &full, &[]).await;
        let found = missing_as_none(unsupported_before(answer, "1.10", "KV v2 subkeys", "read the secret instead"))?;
        let subkeys = match found {
            Some(VaultResponse { data: None, .. }) => {
                // A 200 without data is not "no such secret" (that is a 404).
                return Err(Error::UnexpectedResponse {
                    method: "GET".into(),
                    path: full,
                    reason: "the answer has no data".into(),
                });
            }
            found => found.and_then(|r| r.data),
        };
        if subkeys.is_none() {
            self.check_version().await?;
        }
        Ok(subkeys)
    }

    /// Lists keys under `path` (`""` for the mount's root); folders end in `/`.
    pub async fn list(&self, path: &str) -> Result<Vec<String>> {
        let path = if path.is_empty() { "" } else { list_path(path)? };
        self.client.list(&join(&[&self.mount, "metadata", &self.prefix, path])).await
    }

    /// Soft-deletes the latest version (it can be undeleted).
    pub async fn delete(&self, path: &str) -> Result<()> {
        let full = self.full("data", path)?;
        self.check_version().await?;
        self.client.delete(&full).await
    }

    /// Soft-deletes the given versions.
    pub async fn delete_versions(&self, path: &str, versions: &[u64]) -> Result<()> {
        self.versions_call("delete", path, versions).await
    }

    /// Restores soft-deleted versions.
    pub async fn undelete(&self, path: &str, versions: &[u64]) -> Result<()> {
        self.versions_call("undelete", path, versions).await
    }

    /// Destroys versions for good (their data cannot be recovered).
    pub async fn destroy(&self, path: &str, versions: &[u64]) -> Result<()> {
        self.versions_call("destroy", path, versions).await
    }

    async fn versions_call(&self, kind: &str, path: &str, versions: &[u64]) -> Result<()> {
        if versions.is_empty() {
            return Err(Error::invalid("version list", path, "name at least one version"));
        }
        let full = self.full(kind, path)?;
        self.check_version().await?;
        let req = self.client.request(Method::POST, "KV path", &full)?.json(&Versions { versions })?;
        self.client.send(req, &full, &[]).await.map(drop)
    }

    /// Reads the secret's metadata; `None` when it does not exist.
    pub async fn metadata(&self, path: &str) -> Result<Option<KvMetadata>> {
        let full = self.full("metadata", path)?;
        let req = self.client.request(Method::GET, "KV path", &full)?;
        let metadata = missing_as_none(self.client.send_json(req, &full, &[]).await)?.and_then(|r| r.data);
        if metadata.is_none() {
            self.check_version().await?;
        }
        Ok(metadata)
    }

    /// Writes metadata settings (max versions, CAS requirement, ...).
    /// `custom_metadata` replaces the whole map (Vault 1.9+; 1.8 accepts
    /// and ignores it). Refused before sending: a `delete_version_after`
    /// that is not a duration, and `custom_metadata` past Vault's limits (64
    /// keys; keys 1 to 128 bytes, values 1 to 512, printable).
    pub async fn write_metadata(&self, path: &str, options: &MetadataOptions) -> Result<()> {
        let full = self.full("metadata", path)?;
        check_delete_after(options.delete_version_after.as_deref())?;
        if let Some(custom) = &options.custom_metadata {
            check_custom_metadata(custom.iter().map(|(k, v)| (k, Some(v))))?;
        }
        self.check_version().await?;
        let req = self.client.request(Method::POST, "KV path", &full)?.json(options)?;
        self.client.send(req, &full, &[]).await.map(drop)
    }

    /// Changes only the metadata settings given (`PATCH <mount>/metadata/<path>`,
    /// a JSON merge patch; Vault 1.9+, older servers give
    /// [`Error::Unsupported`]): a `custom_metadata` entry of `None` removes
    /// that key, the others are set, keys not named stay. Checked before
    /// sending like [`Kv2::write_metadata`].
    pub async fn patch_metadata(&self, path: &str, patch: &MetadataPatch) -> Result<()> {
        let full = self.full("metadata", path)?;
        check_delete_after(patch.delete_version_after.as_deref())?;
        if let Some(custom) = &patch.custom_metadata {
            check_custom_metadata(custom.iter().map(|(k, v)| (k, v.as_ref())))?;
        }
        let req = self.send_merge_patch(&full, patch).await?;
        let sent = self.client.send(req, &full, &[]).await.map(drop);
        unsupported_before(sent, "1.9", "KV v2 metadata patch", "read the metadata and write it whole instead")
    }

    /// Deletes the secret's metadata and every version, for good.
    pub async fn delete_metadata(&self, path: &str) -> Result<()> {
        let full = self.full("metadata", path)?;
        self.check_version().await?;
        self.client.delete(&full).await
    }
}

/// A KV mount of either version (from [`VaultClient::kv`]): the common
/// operations do the right thing for the detected version.
#[derive(Debug, Clone)]
pub enum Kv {
    /// A version 1 mount.
    V1(Kv1),
    /// A version 2 mount.
    V2(Kv2),
}

impl Kv {
    /// 1 or 2.
    #[must_use]
    pub fn version(&self) -> u8 {
        match self {
            Self::V1(_) => 1,
            Self::V2(_) => 2,
        }
    }

    /// The mount path (without a trailing `/`).
    #[must_use]
    pub fn mount(&self) -> &str {
        match self {
            Self::V1(kv) => kv.mount(),
            Self::V2(kv) => kv.mount(),
        }
    }

    /// Where `path` lives, for messages: `<mount>/<folder>/<path>` (without
    /// KV v2's `data/`), e.g. `kv/nomad-cluster/atala-testnet/database`.
    #[must_use]
    pub fn location(&self, path: &str) -> String {
        let (mount, prefix) = match self {
            Self::V1(kv) => (kv.mount(), kv.prefix()),
            Self::V2(kv) => (kv.mount(), kv.prefix()),
        };
        join(&[mount, prefix, path])
    }

    /// Reads the (latest) secret at `path`; `None` when there is none.
    pub async fn read<T: DeserializeOwned>(&self, path: &str) -> Result<Option<T>> {
        match self {
            Self::V1(kv) => kv.read(path).await,
            Self::V2(kv) => kv.read(path).await,
        }
    }

    /// Writes the secret at `path` (a new version on v2).
    pub async fn write<T: Serialize + ?Sized>(&self, path: &str, data: &T) -> Result<()> {
        match self {
            Self::V1(kv) => kv.write(path, data).await,
            Self::V2(kv) => kv.write(path, data).await.map(drop),
        }
    }

    /// Lists keys under `path`.
    pub async fn list(&self, path: &str) -> Result<Vec<String>> {
        match self {
            Self::V1(kv) => kv.list(path).await,
            Self::V2(kv) => kv.list(path).await,
        }
    }

    /// Deletes the secret (soft-deletes the latest version on v2).
    pub async fn delete(&self, path: &str) -> Result<()> {
        match self {
            Self::V1(kv) => kv.delete(path).await,
            Self::V2(kv) => kv.delete(path).await,
        }
    }
}
