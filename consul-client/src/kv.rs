//! The key/value store: `/v1/kv` and transactions on it.

use client_core::path::{ApiPath, PathBuf};
use client_core::{Request, Secret, WatchOptions, WithMeta};
use futures::Stream;
use serde::{Deserialize, Serialize};

use crate::client::{ConsulClient, meta};
use crate::error::{Error, Result};
use crate::options::{CasOptions, QueryOptions, apply_dc_token};
use crate::txn::{TxnOp, TxnResult};
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
    /// Datacenter to write to.
    pub datacenter: Option<String>,
    /// Token for this request instead of the client's.
    pub token: Option<Secret>,
}

/// Options of [`Kv::delete`]: a CAS index, datacenter and token.
pub type DeleteOptions = CasOptions;

/// The KV handler: `consul.kv()`.
#[derive(Debug, Clone)]
pub struct Kv {
    client: ConsulClient,
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
        let request = apply_dc_token(request, opts.datacenter.as_deref(), opts.token.as_ref())?;
        self.client.write_bool(request).await
    }

    /// Deletes one key (deleting a missing key succeeds). Returns `false`
    /// when a CAS index was given and no longer matches.
    pub async fn delete(&self, key: &str, opts: &DeleteOptions) -> Result<bool> {
        let mut request = Request::delete(kv_path("KV key", key)?).query_opt("cas", opts.cas);
        if opts.cas.is_some() {
            request = request.idempotent(false);
        }
        let request = apply_dc_token(request, opts.datacenter.as_deref(), opts.token.as_ref())?;
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
        let request = apply_dc_token(request, opts.datacenter.as_deref(), opts.token.as_ref())?;
        self.client.write_true(request, &format!("the recursive delete of {prefix:?}")).await
    }

    /// Runs a transaction (`PUT /v1/txn`, at most 64 operations): every
    /// operation applies or none does. A rollback is [`Error::TxnRolledBack`]
    /// listing each failed operation.
    pub async fn txn(&self, ops: &[TxnOp], datacenter: Option<&str>) -> Result<TxnResult> {
        crate::txn::run(&self.client, ops, datacenter).await
    }

    /// Deletes exactly the `saved` keys of the folder `prefix` (ending in
    /// `/`), each on the `ModifyIndex` it was saved with: pass every pair
    /// [`Kv::list`] returned for the folder, after writing them to a backup.
    ///
    /// The keys go in `delete-cas` transactions of at most 64 keys that apply
    /// entirely or not at all; the keys travel in the request body, so any
    /// key Consul stores can be deleted exactly. A key changed after it was
    /// saved rolls its transaction back and stops the run; a key created
    /// after the listing is never deleted. Afterwards the folder is listed
    /// again: unless every saved key is gone and nothing else is left, the
    /// answer is [`Error::IncompleteDelete`], naming what was deleted (all of
    /// it saved), what changed, what was left as saved and what was added.
    /// With more than 64 keys a concurrent change can stop the run after
    /// earlier transactions committed: a partial state, fully backed up.
    pub async fn delete_saved(&self, prefix: &str, saved: &[KvPair]) -> Result<crate::txn::DeletedSaved> {
        crate::txn::delete_saved(&self.client, prefix, saved).await
    }

    /// Writes saved pairs back through transaction `cas` operations on index
    /// 0 (create only), with their values (binary or none) and flags; the key
    /// travels in the body, so every key Consul stores (`a//b`, `a/../b`,
    /// control characters) can be put back. Never overwrites: a key that
    /// exists with the saved content is reported unchanged, one with other
    /// content is reported conflicting and left as it is. Sessions are not
    /// restored (restored keys are unlocked).
    pub async fn restore_saved(&self, saved: &[KvPair]) -> Result<crate::txn::RestoredSaved> {
        crate::txn::restore_saved(&self.client, saved).await
    }

    /// Watches every key under `prefix`: yields the current list at once,
    /// then again each time something under the prefix changes (blocking
    /// queries, no polling storm). Errors are yielded and the watch continues.
    pub fn watch_prefix(
        &self,
        prefix: &str,
        options: WatchOptions,
    ) -> impl Stream<Item = Result<WithMeta<Vec<KvPair>>>> + Send + 'static + use<> {
        let client = self.client.clone();
        let prefix = prefix.to_owned();
        client_core::watch(options, move |blocking| {
            let client = client.clone();
            let prefix = prefix.clone();
            async move {
                let opts = QueryOptions { blocking, ..QueryOptions::default() };
                client.kv().list(&prefix, &opts).await.map_err(into_core)
            }
        })
        .map_core()
    }

    /// Watches one key: yields its current state, then each change (`None` once deleted).
    pub fn watch_key(
        &self,
        key: &str,
        options: WatchOptions,
    ) -> impl Stream<Item = Result<WithMeta<Option<KvPair>>>> + Send + 'static + use<> {
        let client = self.client.clone();
        let key = key.to_owned();
        client_core::watch(options, move |blocking| {
            let client = client.clone();
            let key = key.clone();
            async move {
                let opts = QueryOptions { blocking, ..QueryOptions::default() };
                client.kv().get(&key, &opts).await.map_err(into_core)
            }
        })
        .map_core()
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

/// `client_core::watch` wants its own error type; ours wraps it.
pub(crate) fn into_core(e: Error) -> client_core::Error {
    match e {
        Error::Core(c) => c,
        other => client_core::Error::invalid("watch", "", other.to_string()),
    }
}

/// A stream of core results mapped into this crate's results.
pub(crate) type CoreMapped<S, T> = futures::stream::Map<S, fn(client_core::Result<T>) -> Result<T>>;

/// Maps a stream of core results into this crate's results.
pub(crate) trait MapCore<T>: Stream<Item = client_core::Result<T>> + Sized {
    fn map_core(self) -> CoreMapped<Self, T> {
        futures::StreamExt::map(self, |r| r.map_err(Error::from))
    }
}

impl<T, S: Stream<Item = client_core::Result<T>>> MapCore<T> for S {}
