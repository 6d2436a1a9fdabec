//! KV transactions (`PUT /v1/txn`): several operations applied atomically,
//! and the [`Kv`] methods built on them ([`Kv::txn`], [`Kv::delete_saved`],
//! [`Kv::restore_saved`]), defined here so that `kv.rs` does not depend on
//! this module.

use client_core::Request;
use serde::{Deserialize, Serialize};

use crate::client::ConsulClient;
use crate::error::{Error, IncompleteDelete, Result, TxnError, list_keys};
use crate::kv::{Kv, KvPair};
use crate::options::apply_scope;
use crate::validate;

impl Kv {
    /// Runs a transaction (`PUT /v1/txn`, at most 64 operations): every
    /// operation applies or none does. A rollback is [`Error::TxnRolledBack`]
    /// listing each failed operation.
    pub async fn txn(&self, ops: &[TxnOp], datacenter: Option<&str>) -> Result<TxnResult> {
        run(&self.client, ops, datacenter).await
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
    pub async fn delete_saved(&self, prefix: &str, saved: &[KvPair]) -> Result<DeletedSaved> {
        delete_saved(&self.client, prefix, saved).await
    }

    /// Writes saved pairs back through transaction `cas` operations on index
    /// 0 (create only), with their values (binary or none) and flags; the key
    /// travels in the body, so every key Consul stores (`a//b`, `a/../b`,
    /// control characters) can be put back. Never overwrites: a key that
    /// exists with the saved content is reported unchanged, one with other
    /// content is reported conflicting and left as it is. Sessions are not
    /// restored (restored keys are unlocked).
    pub async fn restore_saved(&self, saved: &[KvPair]) -> Result<RestoredSaved> {
        restore_saved(&self.client, saved).await
    }
}

/// Most operations Consul accepts in one transaction.
pub const MAX_TXN_OPS: usize = 64;

/// What a KV operation in a transaction does (Consul's `Verb`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum KvVerb {
    /// Write the value.
    Set,
    /// Write the value if `index` matches the key's `ModifyIndex` (0: only if absent).
    Cas,
    /// Write the value and take the lock for `session`.
    Lock,
    /// Write the value and release the lock held by `session`.
    Unlock,
    /// Read the key (fails the transaction if it does not exist).
    Get,
    /// Read every key under the prefix.
    GetTree,
    /// Fail unless the key's `ModifyIndex` equals `index`.
    CheckIndex,
    /// Fail unless `session` holds the key's lock.
    CheckSession,
    /// Fail if the key exists.
    CheckNotExists,
    /// Delete the key.
    Delete,
    /// Delete every key under the prefix.
    DeleteTree,
    /// Delete the key if `index` matches.
    DeleteCas,
}

/// One KV operation of a transaction. Build it with the [`TxnOp`] constructors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TxnKvOp {
    /// What to do.
    pub verb: KvVerb,
    /// The key (or prefix for tree verbs).
    pub key: String,
    /// The value to write.
    #[serde(skip_serializing_if = "Option::is_none", with = "crate::b64::option")]
    pub value: Option<Vec<u8>>,
    /// Flags to store.
    #[serde(skip_serializing_if = "is_zero")]
    pub flags: u64,
    /// The index for CAS and check verbs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<u64>,
    /// The session for lock verbs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's skip_serializing_if passes a reference
fn is_zero(v: &u64) -> bool {
    *v == 0
}

/// One operation of a transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum TxnOp {
    /// A KV operation.
    #[serde(rename = "KV")]
    Kv(TxnKvOp),
}

impl TxnOp {
    fn kv(verb: KvVerb, key: &str) -> TxnKvOp {
        TxnKvOp { verb, key: key.to_owned(), value: None, flags: 0, index: None, session: None }
    }

    /// Writes `key` with `flags` and `value` (`None`: a key without a
    /// value, as Consul can store one): unconditionally (`set`) when `cas` is
    /// `None`, else only if the key's `ModifyIndex` is `cas` (`cas`; 0: only
    /// if absent). Writes back a saved [`KvPair`] exactly, its flags and a
    /// missing value included.
    ///
    /// ```
    /// use consul_client::{KvVerb, TxnOp};
    /// let TxnOp::Kv(op) = TxnOp::write("service/db/leader", Some(b"dbHA1".to_vec()), 7, Some(0));
    /// assert_eq!((op.verb, op.flags, op.index), (KvVerb::Cas, 7, Some(0)));
    /// ```
    #[must_use]
    pub fn write(key: &str, value: Option<Vec<u8>>, flags: u64, cas: Option<u64>) -> Self {
        let verb = if cas.is_some() { KvVerb::Cas } else { KvVerb::Set };
        Self::Kv(TxnKvOp { value, flags, index: cas, ..Self::kv(verb, key) })
    }

    /// Writes `value` to `key`.
    #[must_use]
    pub fn set(key: &str, value: impl Into<Vec<u8>>) -> Self {
        Self::write(key, Some(value.into()), 0, None)
    }

    /// Writes `value` if the key's `ModifyIndex` is `index` (0: only if absent).
    #[must_use]
    pub fn cas(key: &str, value: impl Into<Vec<u8>>, index: u64) -> Self {
        Self::write(key, Some(value.into()), 0, Some(index))
    }

    /// Writes `value` and takes the key's lock for `session`.
    #[must_use]
    pub fn lock(key: &str, value: impl Into<Vec<u8>>, session: &str) -> Self {
        Self::Kv(TxnKvOp {
            value: Some(value.into()),
            session: Some(session.to_owned()),
            ..Self::kv(KvVerb::Lock, key)
        })
    }

    /// Writes `value` and releases the key's lock held by `session`.
    #[must_use]
    pub fn unlock(key: &str, value: impl Into<Vec<u8>>, session: &str) -> Self {
        Self::Kv(TxnKvOp {
            value: Some(value.into()),
            session: Some(session.to_owned()),
            ..Self::kv(KvVerb::Unlock, key)
        })
    }

    /// Reads the key (the transaction fails if it is missing).
    #[must_use]
    pub fn get(key: &str) -> Self {
        Self::Kv(Self::kv(KvVerb::Get, key))
    }

    /// Reads every key under `prefix` (which must end in `/`).
    #[must_use]
    pub fn get_tree(prefix: &str) -> Self {
        Self::Kv(Self::kv(KvVerb::GetTree, prefix))
    }

    /// Fails the transaction unless the key's `ModifyIndex` is `index`.
    #[must_use]
    pub fn check_index(key: &str, index: u64) -> Self {
        Self::Kv(TxnKvOp { index: Some(index), ..Self::kv(KvVerb::CheckIndex, key) })
    }

    /// Fails the transaction unless `session` holds the key's lock.
    #[must_use]
    pub fn check_session(key: &str, session: &str) -> Self {
        Self::Kv(TxnKvOp { session: Some(session.to_owned()), ..Self::kv(KvVerb::CheckSession, key) })
    }

    /// Fails the transaction if the key exists.
    #[must_use]
    pub fn check_not_exists(key: &str) -> Self {
        Self::Kv(Self::kv(KvVerb::CheckNotExists, key))
    }

    /// Deletes the key.
    #[must_use]
    pub fn delete(key: &str) -> Self {
        Self::Kv(Self::kv(KvVerb::Delete, key))
    }

    /// Deletes the key if its `ModifyIndex` is `index`.
    #[must_use]
    pub fn delete_cas(key: &str, index: u64) -> Self {
        Self::Kv(TxnKvOp { index: Some(index), ..Self::kv(KvVerb::DeleteCas, key) })
    }

    /// Deletes every key under `prefix`, which must end in `/` (checked before sending).
    #[must_use]
    pub fn delete_tree(prefix: &str) -> Self {
        Self::Kv(Self::kv(KvVerb::DeleteTree, prefix))
    }

    /// Refuses what Consul would misread. The key travels in the JSON body,
    /// never in a URL, so Consul takes it exactly as given: a single key may
    /// be anything Consul stores (`a//b`, `a/../b`, control characters), as
    /// long as it is not empty; tree verbs keep the folder rules.
    fn check(&self) -> Result<()> {
        let Self::Kv(op) = self;
        match op.verb {
            KvVerb::DeleteTree => crate::kv::check_tree_prefix(&op.key)?,
            KvVerb::GetTree => validate::prefix(&op.key)?,
            _ if op.key.is_empty() => {
                return Err(Error::invalid("KV key", "", "must not be empty in a transaction operation"));
            }
            _ => {}
        }
        if let Some(session) = &op.session {
            validate::uuid("session ID", session)?;
        }
        Ok(())
    }
}

/// One result of a committed transaction.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub enum TxnOpResult {
    /// The key an operation touched (values only for reads).
    #[serde(rename = "KV")]
    Kv(KvPair),
    /// A result of another kind (node, service, check) that this crate does not model.
    #[serde(untagged)]
    Other(serde_json::Value),
}

/// A committed transaction's results, in operation order (tree reads add one per key).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TxnResult {
    /// The results.
    #[serde(default, deserialize_with = "crate::de::null_default")]
    pub results: Vec<TxnOpResult>,
}

impl TxnResult {
    /// The KV pairs among the results.
    pub fn kv_pairs(&self) -> impl Iterator<Item = &KvPair> {
        self.results.iter().filter_map(|r| match r {
            TxnOpResult::Kv(pair) => Some(pair),
            TxnOpResult::Other(_) => None,
        })
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TxnFailure {
    #[serde(default, deserialize_with = "crate::de::null_default")]
    errors: Vec<TxnError>,
}

pub(crate) async fn run(client: &ConsulClient, ops: &[TxnOp], datacenter: Option<&str>) -> Result<TxnResult> {
    // The count is checked before the operations, as it always was for KV transactions.
    check_count("transaction", ops.len())?;
    for op in ops {
        op.check()?;
    }
    Ok(send_ops(client, "transaction", ops, datacenter).await?.json()?)
}

fn check_count(what: &str, ops: usize) -> Result<()> {
    if ops == 0 {
        return Err(Error::invalid(what, "[]", "needs at least one operation"));
    }
    if ops > MAX_TXN_OPS {
        return Err(Error::invalid(
            what,
            format!("{ops} operations"),
            format!("Consul accepts at most {MAX_TXN_OPS} operations per transaction; split it"),
        ));
    }
    Ok(())
}

/// Sends checked operations of any kind as one `PUT /v1/txn` (not retried: a
/// resent conditional operation whose first copy landed would fail as stale)
/// and maps a rollback (409) to [`Error::TxnRolledBack`]. Generic over the
/// operation type: KV and catalog transactions share it.
pub(crate) async fn send_ops<T: Serialize>(
    client: &ConsulClient,
    what: &str,
    ops: &[T],
    datacenter: Option<&str>,
) -> Result<client_core::Response> {
    check_count(what, ops.len())?;
    let request = Request::put("/v1/txn").json(ops)?.idempotent(false).accept_status(&[409]);
    let resp = client.send(apply_scope(request, datacenter, None, None)?).await?;
    if resp.status.as_u16() == 409 {
        let failure: TxnFailure = resp.json()?;
        return Err(Error::TxnRolledBack { errors: failure.errors });
    }
    Ok(resp)
}

// ----- Deleting exactly what was saved, and writing it back -----

/// A conservative bound on one transaction's body: Consul 1.8 refuses bodies
/// over `limits.txn_max_req_len` (512 KiB by default).
const MAX_TXN_BODY: usize = 384 * 1024;

/// What [`crate::Kv::delete_saved`] did when every saved key is gone and the
/// folder is empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeletedSaved {
    /// The folder, e.g. `service/prod-database/`.
    pub folder: String,
    /// Every saved key, each deleted on the `ModifyIndex` it was saved with.
    pub deleted: Vec<String>,
    /// How many transactions it took (one per 64 keys).
    pub transactions: usize,
}

/// What [`crate::Kv::restore_saved`] wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RestoredSaved {
    /// Keys written (each was absent; written with its saved value and flags).
    pub written: Vec<String>,
    /// Keys that already held exactly the saved value and flags: left alone.
    pub unchanged: Vec<String>,
    /// Keys that exist with another value or flags: not overwritten.
    pub conflicting: Vec<String>,
}

impl RestoredSaved {
    /// True when every saved key now holds its saved value and flags.
    #[must_use]
    pub fn is_complete(&self) -> bool {
        self.conflicting.is_empty()
    }
}

/// Splits operations into transactions of at most [`MAX_TXN_OPS`]
/// operations and about [`MAX_TXN_BODY`] bytes of JSON.
fn batches<T>(items: &[T], size: impl Fn(&T) -> usize) -> Vec<&[T]> {
    let mut out = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (i, item) in items.iter().enumerate() {
        let n = size(item);
        if i > start && (i - start == MAX_TXN_OPS || bytes + n > MAX_TXN_BODY) {
            out.push(&items[start..i]);
            (start, bytes) = (i, 0);
        }
        bytes += n;
    }
    if start < items.len() {
        out.push(&items[start..]);
    }
    out
}

/// Upper bound of an operation's JSON size: escaped key, base64 value, fields.
fn op_size(pair: &KvPair) -> usize {
    128 + pair.key.len() * 6 + pair.value.as_ref().map_or(0, |v| v.len().div_ceil(3) * 4)
}

fn check_saved(saved: &[KvPair], folder: Option<&str>) -> Result<()> {
    let mut seen = std::collections::HashSet::new();
    for pair in saved {
        if pair.key.is_empty() {
            return Err(Error::invalid("saved KV key", "", "must not be empty"));
        }
        if let Some(folder) = folder {
            if !pair.key.starts_with(folder) {
                return Err(Error::invalid(
                    "saved KV key",
                    pair.key.as_str(),
                    format!("lies outside the folder {folder:?} being deleted"),
                ));
            }
            if pair.modify_index == 0 {
                return Err(Error::invalid(
                    "saved KV key",
                    pair.key.as_str(),
                    "has no ModifyIndex: pass the pairs exactly as Consul listed them",
                ));
            }
        }
        if !seen.insert(pair.key.as_str()) {
            return Err(Error::invalid("saved KV key", pair.key.as_str(), "is listed twice"));
        }
    }
    Ok(())
}

pub(crate) async fn delete_saved(client: &ConsulClient, folder: &str, saved: &[KvPair]) -> Result<DeletedSaved> {
    crate::kv::check_tree_prefix(folder)?;
    check_saved(saved, Some(folder))?;
    let mut transactions = 0;
    let mut stopped: Option<(usize, String)> = None; // (first key not known deleted, why)
    let mut done = 0;
    for batch in batches(saved, op_size) {
        let ops: Vec<TxnOp> = batch.iter().map(|p| TxnOp::delete_cas(&p.key, p.modify_index)).collect();
        match run(client, &ops, None).await {
            Ok(_) => {
                transactions += 1;
                done += batch.len();
            }
            Err(Error::TxnRolledBack { errors }) => {
                let changed: Vec<String> =
                    errors.iter().filter_map(|e| batch.get(e.op_index)).map(|p| p.key.clone()).collect();
                let why = format!(
                    "Consul rolled back transaction {} because {} changed after {} saved",
                    transactions + 1,
                    list_keys(&changed),
                    if changed.len() == 1 { "it was" } else { "they were" }
                );
                stopped = Some((done, why));
                break;
            }
            Err(e) => {
                stopped = Some((done, format!("transaction {} failed, its outcome is unknown: {e}", transactions + 1)));
                break;
            }
        }
    }
    let opts = crate::options::QueryOptions::new().consistent();
    let after = match client.kv().list(folder, &opts).await {
        Ok(found) => found.value,
        Err(e) => {
            let cut = stopped.as_ref().map_or(saved.len(), |(at, _)| *at);
            let reason = match stopped {
                Some((_, why)) => format!("{why}; listing the folder again failed: {e}"),
                None => format!("every transaction committed, but listing the folder again failed: {e}"),
            };
            return Err(Error::IncompleteDelete(Box::new(IncompleteDelete {
                folder: folder.to_owned(),
                deleted: saved[..cut].iter().map(|p| p.key.clone()).collect(),
                changed: Vec::new(),
                untouched: saved[cut..].iter().map(|p| p.key.clone()).collect(),
                added: Vec::new(),
                transactions,
                reason,
                verified: false,
            })));
        }
    };
    let now: std::collections::HashMap<&str, u64> = after.iter().map(|p| (p.key.as_str(), p.modify_index)).collect();
    let saved_keys: std::collections::HashSet<&str> = saved.iter().map(|p| p.key.as_str()).collect();
    let mut report = IncompleteDelete {
        folder: folder.to_owned(),
        deleted: Vec::new(),
        changed: Vec::new(),
        untouched: Vec::new(),
        added: after.iter().filter(|p| !saved_keys.contains(p.key.as_str())).map(|p| p.key.clone()).collect(),
        transactions,
        reason: String::new(),
        verified: true,
    };
    for pair in saved {
        match now.get(pair.key.as_str()) {
            None => report.deleted.push(pair.key.clone()),
            Some(index) if *index == pair.modify_index => report.untouched.push(pair.key.clone()),
            Some(_) => report.changed.push(pair.key.clone()),
        }
    }
    if stopped.is_none() && after.is_empty() {
        return Ok(DeletedSaved { folder: folder.to_owned(), deleted: report.deleted, transactions });
    }
    report.reason = match stopped {
        Some((_, why)) => why,
        None => "keys were written into the folder after it was saved".to_owned(),
    };
    Err(Error::IncompleteDelete(Box::new(report)))
}

/// Commits `ops`, dropping the operations Consul reports as failed and
/// retrying the rest, until a transaction commits or nothing is left.
/// Returns the committed results and the positions of the dropped operations.
async fn commit_dropping_failures(client: &ConsulClient, ops: &[TxnOp]) -> Result<(Vec<TxnOpResult>, Vec<usize>)> {
    let mut positions: Vec<usize> = (0..ops.len()).collect();
    let mut dropped = Vec::new();
    while !positions.is_empty() {
        let sent: Vec<TxnOp> = positions.iter().map(|&i| ops[i].clone()).collect();
        match run(client, &sent, None).await {
            Ok(result) => return Ok((result.results, dropped)),
            Err(Error::TxnRolledBack { errors }) => {
                let failed: std::collections::BTreeSet<usize> =
                    errors.iter().map(|e| e.op_index).filter(|&i| i < positions.len()).collect();
                if failed.is_empty() {
                    return Err(Error::TxnRolledBack { errors });
                }
                dropped.extend(failed.iter().map(|&i| positions[i]));
                positions =
                    positions.iter().enumerate().filter(|(i, _)| !failed.contains(i)).map(|(_, &p)| p).collect();
            }
            Err(e) => return Err(e),
        }
    }
    Ok((Vec::new(), dropped))
}

fn same_content(a: &KvPair, b: &KvPair) -> bool {
    a.flags == b.flags && a.value.as_deref().unwrap_or_default() == b.value.as_deref().unwrap_or_default()
}

pub(crate) async fn restore_saved(client: &ConsulClient, saved: &[KvPair]) -> Result<RestoredSaved> {
    check_saved(saved, None)?;
    let mut report = RestoredSaved::default();
    let mut pending: Vec<KvPair> = saved.to_vec();
    // A key that exists is read to tell "already restored" from "someone
    // else's"; one deleted again between the write and the read is retried.
    for _round in 0..3 {
        let mut existing = Vec::new();
        for batch in batches(&pending, op_size) {
            let ops: Vec<TxnOp> =
                batch.iter().map(|p| TxnOp::write(&p.key, p.value.clone(), p.flags, Some(0))).collect();
            let (_, dropped) = commit_dropping_failures(client, &ops).await?;
            let dropped: std::collections::BTreeSet<usize> = dropped.into_iter().collect();
            for (i, pair) in batch.iter().enumerate() {
                if dropped.contains(&i) {
                    existing.push(pair.clone());
                } else {
                    report.written.push(pair.key.clone());
                }
            }
        }
        pending.clear();
        for batch in batches(&existing, op_size) {
            let ops: Vec<TxnOp> = batch.iter().map(|p| TxnOp::get(&p.key)).collect();
            let (results, missing) = commit_dropping_failures(client, &ops).await?;
            let found: std::collections::HashMap<String, KvPair> = results
                .into_iter()
                .filter_map(|r| match r {
                    TxnOpResult::Kv(p) => Some((p.key.clone(), p)),
                    TxnOpResult::Other(_) => None,
                })
                .collect();
            for (i, pair) in batch.iter().enumerate() {
                match found.get(&pair.key) {
                    Some(now) if same_content(now, pair) => report.unchanged.push(pair.key.clone()),
                    Some(_) => report.conflicting.push(pair.key.clone()),
                    None if missing.contains(&i) => pending.push(pair.clone()),
                    None => report.conflicting.push(pair.key.clone()),
                }
            }
        }
        if pending.is_empty() {
            return Ok(report);
        }
    }
    report.conflicting.extend(pending.into_iter().map(|p| p.key));
    Ok(report)
}
