//! The key/value store: `/v1/kv` and transactions on it.

use client_core::path::{ApiPath, PathBuf};
use client_core::{Request, Secret, WatchOptions, WithMeta};
use futures::Stream;
use serde::{Deserialize, Serialize};

use crate::client::{ConsulClient, meta};
use crate::error::{Error, Result};
use crate::options::{CasOptions, QueryOptions};
use crate::validate;

/// One key as Consul stores it. `value` is already base64-decoded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct KvPair {
    /// The full key, without a leading `/`.
    pub key: String,
    /// Raft index at which the key was created.
    #[serde(default)]
    pub create_index: u64,
    /// Raft index of the last change; pass it as a CAS index.
    #[serde(default)]
    pub modify_index: u64,
    /// How many times a session acquired this key.
    #[serde(default)]
    pub lock_index: u64,
    /// Opaque flags set by the writer.
    #[serde(default)]
    pub flags: u64,
    /// The value bytes (`None` when Consul stores no value).
    #[serde(default, with = "crate::b64::option")]
    pub value: Option<Vec<u8>>,
    /// The session holding the key's lock, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
}

impl KvPair {
    /// The value as UTF-8 text (`None` when absent or not valid UTF-8).
    #[must_use]
    pub fn value_str(&self) -> Option<&str> {
        self.value.as_deref().and_then(|v| std::str::from_utf8(v).ok())
    }
}

/// Options of [`Kv::put`].
#[derive(Debug, Clone, Default)]
pub struct PutOptions {
    /// Opaque flags stored with the key (0 when unset, as Consul does).
    pub flags: u64,
    /// Check-and-set: write only if the key's `ModifyIndex` equals this;
    /// `Some(0)` writes only if the key does not exist yet.
    pub cas: Option<u64>,
    /// Take the key's lock for this session ID (fails if another session holds it).
    pub acquire: Option<String>,
    /// Release the key's lock held by this session ID.
    pub release: Option<String>,
    /// Datacenter to write to instead of the client's (or the agent's own).
    pub datacenter: Option<String>,
    /// Consul Enterprise namespace instead of the client's.
    pub namespace: Option<String>,
    /// Consul Enterprise admin partition instead of the client's (1.11+).
    pub partition: Option<String>,
    /// Token for this request instead of the client's.
    pub token: Option<Secret>,
}

crate::options::scope_builders!(PutOptions);

/// Options of [`Kv::delete`]: a CAS index, datacenter, namespace and token.
pub type DeleteOptions = CasOptions;

/// The KV handler: `consul.kv()`.
#[derive(Debug, Clone)]
pub struct Kv {
    pub(crate) client: ConsulClient,
}

impl ConsulClient {
    /// The key/value store.
    #[must_use]
    pub fn kv(&self) -> Kv {
        Kv { client: self.clone() }
    }
}

fn kv_path(what: &str, key: &str) -> Result<ApiPath> {
    Ok(PathBuf::new("/v1/kv").key(what, key)?.finish())
}

/// A listing prefix: `""` is the whole store.
fn kv_prefix_path(prefix: &str) -> Result<ApiPath> {
    if prefix.is_empty() { Ok(ApiPath::from("/v1/kv/")) } else { kv_path("KV prefix", prefix) }
}

impl Kv {
    /// Reads one key; `None` when it does not exist.
    ///
    /// Supports datacenter, consistency, blocking and token from `opts`.
    pub async fn get(&self, key: &str, opts: &QueryOptions) -> Result<WithMeta<Option<KvPair>>> {
        let found = self.client.read_optional::<Vec<KvPair>>(Request::get(kv_path("KV key", key)?), opts).await?;
        Ok(WithMeta { value: found.value.and_then(|v| v.into_iter().next()), meta: found.meta })
    }

    /// Reads one key's raw value bytes (`?raw`); `None` when it does not exist.
    pub async fn get_raw(&self, key: &str, opts: &QueryOptions) -> Result<WithMeta<Option<Vec<u8>>>> {
        let request = opts.apply(Request::get(kv_path("KV key", key)?).flag("raw", true))?;
        let resp = self.client.send(request.accept_status(&[404])).await?;
        let value = if resp.status.as_u16() == 404 { None } else { Some(resp.body.to_vec()) };
        Ok(WithMeta { value, meta: meta(&resp) })
    }

    /// Reads every key starting with `prefix` (`?recurse`); `""` lists the whole store.
    ///
    /// Consul matches raw string prefixes: `service/db1` also returns
    /// `service/db10/...`. End the prefix with `/` to read one folder.
    pub async fn list(&self, prefix: &str, opts: &QueryOptions) -> Result<WithMeta<Vec<KvPair>>> {
        validate::prefix(prefix)?;
        let found = self
            .client
            .read_optional::<Vec<KvPair>>(Request::get(kv_prefix_path(prefix)?).flag("recurse", true), opts)
            .await?;
        Ok(WithMeta { value: found.value.unwrap_or_default(), meta: found.meta })
    }

    /// Lists key names under `prefix` (`?keys`). With a separator (usually
    /// `"/"`), keys are rolled up at the next separator, like a directory listing.
    pub async fn keys(
        &self,
        prefix: &str,
        separator: Option<&str>,
        opts: &QueryOptions,
    ) -> Result<WithMeta<Vec<String>>> {
        validate::prefix(prefix)?;
        if separator.is_some_and(str::is_empty) {
            return Err(Error::invalid("key separator", "", "must not be empty; pass None for no separator"));
        }
        let request = Request::get(kv_prefix_path(prefix)?).flag("keys", true).query_opt("separator", separator);
        let found = self.client.read_optional::<Vec<String>>(request, opts).await?;
        Ok(WithMeta { value: found.value.unwrap_or_default(), meta: found.meta })
    }

    /// Writes a key. Returns `false` when Consul refused the write: a CAS
    /// index that no longer matches (or `cas: Some(0)` on an existing key), or
    /// a lock held by another session. Other failures are errors.
    pub async fn put(&self, key: &str, value: &[u8], opts: &PutOptions) -> Result<bool> {
        let path = kv_path("KV key", key)?;
        let conditions =
            usize::from(opts.cas.is_some()) + usize::from(opts.acquire.is_some()) + usize::from(opts.release.is_some());
        if conditions > 1 {
            return Err(Error::invalid(
                "KV put options",
                key,
                "cas, acquire and release are exclusive: Consul would silently apply only one of them",
            ));
        }
        for session in [&opts.acquire, &opts.release].into_iter().flatten() {
            validate::uuid("session ID", session)?;
        }
        let mut request = Request::put(path)
            .body(value.to_vec())
            .query_opt("flags", (opts.flags != 0).then_some(opts.flags))
            .query_opt("cas", opts.cas)
            .query_opt("acquire", opts.acquire.as_deref())
            .query_opt("release", opts.release.as_deref());
        // A retried conditional write that already succeeded would answer
        // `false` and look like a conflict: only plain writes are retried.
        if conditions > 0 {
            request = request.idempotent(false);
        }
        let request = opts.apply_scope(request)?;
        self.client.write_bool(request).await
    }

    /// Deletes one key (deleting a missing key succeeds). Returns `false`
    /// when a CAS index was given and no longer matches.
    pub async fn delete(&self, key: &str, opts: &DeleteOptions) -> Result<bool> {
        let mut request = Request::delete(kv_path("KV key", key)?).query_opt("cas", opts.cas);
        if opts.cas.is_some() {
            request = request.idempotent(false);
        }
        let request = opts.apply_scope(request)?;
        self.client.write_bool(request).await
    }

    /// Deletes every key under the folder `prefix`, which must end in `/`.
    ///
    /// A prefix such as `service/prod-database` is refused: Consul matches raw
    /// prefixes, so it would also delete `service/prod-database2/...`. Use
    /// [`Kv::delete_raw_prefix`] when that is really meant.
    pub async fn delete_tree(&self, prefix: &str) -> Result<()> {
        self.delete_tree_with(prefix, &DeleteOptions::default()).await
    }

    /// [`Kv::delete_tree`] with a datacenter or token (`cas` is not allowed).
    pub async fn delete_tree_with(&self, prefix: &str, opts: &DeleteOptions) -> Result<()> {
        check_tree_prefix(prefix)?;
        self.delete_recursive(prefix, opts).await
    }

    /// Deletes every key that starts with the raw string `prefix`, including
    /// look-alike neighbours (`service/db1` also deletes `service/db10/...`).
    /// The explicit opt-in beside [`Kv::delete_tree`]. An empty prefix is refused.
    pub async fn delete_raw_prefix(&self, prefix: &str) -> Result<()> {
        self.delete_recursive(prefix, &DeleteOptions::default()).await
    }

    async fn delete_recursive(&self, prefix: &str, opts: &DeleteOptions) -> Result<()> {
        if prefix.is_empty() {
            return Err(Error::invalid("KV prefix", "", "must not be empty: that would delete the whole KV store"));
        }
        validate::prefix(prefix)?;
        if opts.cas.is_some() {
            return Err(Error::invalid("KV delete options", prefix, "cas cannot be combined with a recursive delete"));
        }
        let request = Request::delete(kv_path("KV prefix", prefix)?).flag("recurse", true);
        let request = opts.apply_scope(request)?;
        self.client.write_true(request, &format!("the recursive delete of {prefix:?}")).await
    }

    /// Watches every key under `prefix`: yields the current list at once,
    /// then again each time something under the prefix changes (blocking
    /// queries, no polling storm). Errors are yielded and the watch continues.
    pub fn watch_prefix(
        &self,
        prefix: &str,
        options: WatchOptions,
    ) -> impl Stream<Item = Result<WithMeta<Vec<KvPair>>>> + Send + 'static + use<> {
        let kv = self.clone();
        let prefix = prefix.to_owned();
        crate::watch::watch(options, move |blocking| {
            let (kv, prefix) = (kv.clone(), prefix.clone());
            async move { kv.list(&prefix, &QueryOptions { blocking, ..QueryOptions::default() }).await }
        })
    }

    /// Watches one key: yields its current state, then each change (`None` once deleted).
    pub fn watch_key(
        &self,
        key: &str,
        options: WatchOptions,
    ) -> impl Stream<Item = Result<WithMeta<Option<KvPair>>>> + Send + 'static + use<> {
        let kv = self.clone();
        let key = key.to_owned();
        crate::watch::watch(options, move |blocking| {
            let (kv, key) = (kv.clone(), key.clone());
            async move { kv.get(&key, &QueryOptions { blocking, ..QueryOptions::default() }).await }
        })
    }
}

/// Refuses recursive-delete prefixes that would match look-alike neighbours.
pub(crate) fn check_tree_prefix(prefix: &str) -> Result<()> {
    if prefix.is_empty() {
        return Err(Error::invalid("KV prefix", "", "must not be empty: that would delete the whole KV store"));
    }
    validate::prefix(prefix)?;
    if !prefix.ends_with('/') {
        return Err(Error::UnsafePrefix {
            prefix: prefix.to_owned(),
            reason: format!(
                "Consul deletes every key that starts with these characters, so it would also delete look-alike \
                 neighbours such as '{prefix}2/...' or '{prefix}-old/...'"
            ),
            suggestion: format!("{prefix}/"),
        });
    }
    Ok(())
}
