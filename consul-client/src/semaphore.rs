//! A counting semaphore over KV and sessions, the Go client's `Semaphore`:
//! at most `limit` holders at once under one prefix.
//!
//! Each contender holds `<prefix><session>` with its session; the lock key
//! `<prefix>.lock` stores `{"Limit": n, "Holders": {session: true}}`,
//! changed only by CAS. Holders whose session is gone (their contender key
//! no longer held) are pruned by the next contender.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use crate::client::ConsulClient;
use crate::error::{Error, Result};
use crate::kv::{KvPair, PutOptions};
use crate::options::{QueryOptions, WriteOptions};
use crate::session::{SessionBehavior, SessionRequest};

/// The lock key's name under the prefix.
const LOCK_KEY: &str = ".lock";

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SemaphoreLock {
    limit: u32,
    #[serde(default)]
    holders: BTreeMap<String, bool>,
}

/// How to take a slot of a [`Semaphore`].
#[derive(Debug, Clone)]
pub struct SemaphoreOptions {
    /// How many holders at once (every contender must agree).
    pub limit: u32,
    /// Session TTL; a holder that stops renewing loses its slot after it.
    pub session_ttl: Duration,
    /// How long [`Semaphore::acquire`] waits for a free slot (zero: one attempt).
    pub wait: Duration,
    /// Value of the contender key (e.g. the holder's name).
    pub value: Vec<u8>,
}

impl Default for SemaphoreOptions {
    fn default() -> Self {
        Self { limit: 1, session_ttl: Duration::from_secs(15), wait: Duration::ZERO, value: Vec::new() }
    }
}

/// A semaphore under a KV folder: `consul.semaphore("service/batch/slots/")`.
#[derive(Debug, Clone)]
pub struct Semaphore {
    client: ConsulClient,
    prefix: String,
}

/// A held slot: release it with [`SemaphoreGuard::release`]. Its session is
/// **not** renewed in the background (unlike [`crate::LockGuard`]): renew it
/// with `consul.sessions().renew(guard.session_id(), ..)` within
/// [`SemaphoreOptions::session_ttl`] to hold the slot longer. Dropping it
/// without releasing leaves the slot to expire with the session.
#[derive(Debug)]
pub struct SemaphoreGuard {
    semaphore: Semaphore,
    session: String,
}

impl ConsulClient {
    /// A semaphore under the KV folder `prefix` (must end in `/`).
    pub fn semaphore(&self, prefix: &str) -> Result<Semaphore> {
        crate::kv::check_tree_prefix(prefix)?;
        Ok(Semaphore { client: self.clone(), prefix: prefix.to_owned() })
    }
}

impl Semaphore {
    fn lock_key(&self) -> String {
        format!("{}{LOCK_KEY}", self.prefix)
    }

    /// Takes a slot: creates a session, holds its contender key and adds it
    /// to the holders once fewer than `limit` hold it, waiting up to
    /// `opts.wait` (blocking queries). On timeout the session is destroyed
    /// and [`Error::LockTimeout`] names the holders.
    pub async fn acquire(&self, opts: &SemaphoreOptions) -> Result<SemaphoreGuard> {
        if opts.limit == 0 {
            return Err(Error::invalid("semaphore limit", "0", "must be at least 1"));
        }
        let sessions = self.client.sessions();
        let request = SessionRequest {
            name: Some(format!("ops-sdk semaphore {}", self.prefix)),
            behavior: SessionBehavior::Delete,
            ttl: Some(opts.session_ttl),
            lock_delay: Some(Duration::ZERO),
            ..SessionRequest::default()
        };
        let session = sessions.create(&request, &WriteOptions::default()).await?;
        match self.contend(&session, opts).await {
            Ok(()) => Ok(SemaphoreGuard { semaphore: self.clone(), session }),
            Err(e) => {
                let _ = self.client.kv().delete(&format!("{}{session}", self.prefix), &Default::default()).await;
                let _ = sessions.destroy(&session, &WriteOptions::default()).await;
                Err(e)
            }
        }
    }

    async fn contend(&self, session: &str, opts: &SemaphoreOptions) -> Result<()> {
        let kv = self.client.kv();
        let contender = format!("{}{session}", self.prefix);
        let put = PutOptions { acquire: Some(session.to_owned()), ..PutOptions::default() };
        if !kv.put(&contender, &opts.value, &put).await? {
            return Err(Error::NotApplied { what: format!("the semaphore contender key {contender:?}") });
        }
        let deadline = Instant::now() + opts.wait;
        let mut index = 0;
        loop {
            let read = kv
                .list(
                    &self.prefix,
                    &QueryOptions::new().blocking(
                        index,
                        deadline.saturating_duration_since(Instant::now()).max(Duration::from_millis(1)),
                    ),
                )
                .await?;
            let (mut lock, modify_index) = self.decode_lock(&read.value, opts.limit)?;
            let live: Vec<&str> = read
                .value
                .iter()
                .filter(|p| p.session.is_some())
                .map(|p| p.key.trim_start_matches(self.prefix.as_str()))
                .collect();
            lock.holders.retain(|holder, _| live.contains(&holder.as_str()));
            if lock.holders.len() < lock.limit as usize {
                lock.holders.insert(session.to_owned(), true);
                let body =
                    serde_json::to_vec(&lock).map_err(|e| Error::invalid("semaphore lock", "", e.to_string()))?;
                let cas = PutOptions { cas: Some(modify_index), ..PutOptions::default() };
                if kv.put(&self.lock_key(), &body, &cas).await? {
                    return Ok(());
                }
                // Someone else changed the lock key first: read again at once.
                index = 0;
                continue;
            }
            if Instant::now() >= deadline {
                return Err(Error::LockTimeout {
                    key: self.lock_key(),
                    waited: opts.wait,
                    holder: format!(
                        "all {} slots are held by sessions {}",
                        lock.limit,
                        lock.holders.keys().cloned().collect::<Vec<_>>().join(", ")
                    ),
                });
            }
            index = read.meta.last_index;
        }
    }

    /// The lock record and its `ModifyIndex` (0: not written yet).
    fn decode_lock(&self, pairs: &[KvPair], limit: u32) -> Result<(SemaphoreLock, u64)> {
        let key = self.lock_key();
        let Some(pair) = pairs.iter().find(|p| p.key == key) else {
            return Ok((SemaphoreLock { limit, holders: BTreeMap::new() }, 0));
        };
        let lock: SemaphoreLock = serde_json::from_slice(pair.value.as_deref().unwrap_or(b"{}")).map_err(|e| {
            Error::invalid("semaphore lock key", &key, format!("does not hold a semaphore record: {e}"))
        })?;
        if lock.limit != limit {
            return Err(Error::invalid(
                "semaphore limit",
                limit.to_string(),
                format!("differs from the limit {} the holders of {key:?} agreed on", lock.limit),
            ));
        }
        Ok((lock, pair.modify_index))
    }

    /// Sessions currently holding a slot (from the lock key).
    pub async fn holders(&self) -> Result<Vec<String>> {
        let pair = self.client.kv().get(&self.lock_key(), &QueryOptions::default()).await?.value;
        let Some(value) = pair.and_then(|p| p.value) else { return Ok(Vec::new()) };
        let lock: SemaphoreLock = serde_json::from_slice(&value).map_err(|e| {
            Error::invalid("semaphore lock key", self.lock_key(), format!("does not hold a semaphore record: {e}"))
        })?;
        Ok(lock.holders.into_keys().collect())
    }
}

impl SemaphoreGuard {
    /// The session holding this slot.
    #[must_use]
    pub fn session_id(&self) -> &str {
        &self.session
    }

    /// Gives the slot back: removes this session from the holders (CAS),
    /// deletes its contender key and destroys the session.
    pub async fn release(self) -> Result<()> {
        let sem = &self.semaphore;
        let kv = sem.client.kv();
        for _ in 0..10 {
            let Some(pair) = kv.get(&sem.lock_key(), &QueryOptions::default()).await?.value else { break };
            let mut lock: SemaphoreLock = serde_json::from_slice(pair.value.as_deref().unwrap_or(b"{}"))
                .map_err(|e| Error::invalid("semaphore lock key", sem.lock_key(), e.to_string()))?;
            if lock.holders.remove(&self.session).is_none() {
                break;
            }
            let body = serde_json::to_vec(&lock).map_err(|e| Error::invalid("semaphore lock", "", e.to_string()))?;
            if kv
                .put(&sem.lock_key(), &body, &PutOptions { cas: Some(pair.modify_index), ..PutOptions::default() })
                .await?
            {
                break;
            }
        }
        kv.delete(&format!("{}{}", sem.prefix, self.session), &Default::default()).await?;
        sem.client.sessions().destroy(&self.session, &WriteOptions::default()).await
    }
}
