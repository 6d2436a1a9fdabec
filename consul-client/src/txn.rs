//! KV transactions (`PUT /v1/txn`): several operations applied atomically.

use client_core::Request;
use serde::{Deserialize, Serialize};

use crate::client::ConsulClient;
use crate::error::{Error, Result};
use crate::kv::KvPair;
use crate::options::apply_dc_token;
use crate::validate;

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

    /// Writes `value` to `key`.
    #[must_use]
    pub fn set(key: &str, value: impl Into<Vec<u8>>) -> Self {
        Self::Kv(TxnKvOp { value: Some(value.into()), ..Self::kv(KvVerb::Set, key) })
    }

    /// Writes `value` if the key's `ModifyIndex` is `index` (0: only if absent).
    #[must_use]
    pub fn cas(key: &str, value: impl Into<Vec<u8>>, index: u64) -> Self {
        Self::Kv(TxnKvOp { value: Some(value.into()), index: Some(index), ..Self::kv(KvVerb::Cas, key) })
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

    fn check(&self) -> Result<()> {
        let Self::Kv(op) = self;
        match op.verb {
            KvVerb::DeleteTree => crate::kv::check_tree_prefix(&op.key)?,
            KvVerb::GetTree => validate::prefix(&op.key)?,
            _ => validate::key(&op.key)?,
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

/// Why one operation of a rolled-back transaction failed.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TxnError {
    /// Position of the failed operation (0-based).
    pub op_index: usize,
    /// Consul's explanation.
    pub what: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TxnFailure {
    #[serde(default, deserialize_with = "crate::de::null_default")]
    errors: Vec<TxnError>,
}

pub(crate) async fn run(client: &ConsulClient, ops: &[TxnOp], datacenter: Option<&str>) -> Result<TxnResult> {
    if ops.is_empty() {
        return Err(Error::invalid("transaction", "[]", "needs at least one operation"));
    }
    if ops.len() > MAX_TXN_OPS {
        return Err(Error::invalid(
            "transaction",
            format!("{} operations", ops.len()),
            format!("Consul accepts at most {MAX_TXN_OPS} operations per transaction; split it"),
        ));
    }
    for op in ops {
        op.check()?;
    }
    let request = Request::put("/v1/txn").json(ops)?.idempotent(false).accept_status(&[409]);
    let request = apply_dc_token(request, datacenter, None)?;
    let resp = client.send(request).await?;
    if resp.status.as_u16() == 409 {
        let failure: TxnFailure = resp.json()?;
        return Err(Error::TxnRolledBack { errors: failure.errors });
    }
    Ok(resp.json()?)
}
