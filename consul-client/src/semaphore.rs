//! A counting semaphore over KV and sessions, the Go client's `Semaphore`:
//! at most `limit` holders at once under one prefix.
//!
//! Each contender holds `<prefix><session>` with its session; the lock key
//! `<prefix>.lock` stores `{"Limit": n, "Holders": {session: true}}`,
//! changed only by CAS. Holders whose session is gone (their contender key
//! no longer held) are pruned by the next contender.
//!
//! While a slot is held, one background task renews the session at TTL/2
//! and watches the folder with blocking queries, as the Go client's
//! `renewSession` and `monitorLock` do: the holder learns through
//! [`SemaphoreGuard::lost`] that its session or its place among the holders
//! is gone.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::watch;
use tokio::task::JoinHandle;
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

/// A held slot. Its session is renewed in the background at half its TTL,
/// and the folder is watched: once the session is gone (expired, destroyed
/// by an operator, its node failed) or the lock key no longer lists it as a
/// holder, [`SemaphoreGuard::is_held`] turns false and
/// [`SemaphoreGuard::lost`] resolves with the reason. Give the slot back
/// with [`SemaphoreGuard::release`]; dropping the guard stops the renewal
/// and destroys the session, so the next contender prunes the slot.
///
/// ```no_run
/// # async fn demo(consul: consul_client::ConsulClient) -> consul_client::Result<()> {
/// use consul_client::SemaphoreOptions;
/// let mut slot = consul.semaphore("service/batch/slots/")?.acquire(&SemaphoreOptions::default()).await?;
/// tokio::select! {
///     reason = slot.lost() => eprintln!("stopping: the slot is lost ({reason})"),
///     _ = tokio::time::sleep(std::time::Duration::from_secs(60)) => slot.release().await?,
/// }
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct SemaphoreGuard {
    semaphore: Semaphore,
    session: String,
    lost_rx: watch::Receiver<Option<String>>,
    keeper: Option<JoinHandle<()>>,
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
            Ok(()) => Ok(SemaphoreGuard::start(self.clone(), session, opts.session_ttl)),
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
        let lock = self.parse_lock(pair.value.as_deref().unwrap_or(b"{}"))?;
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
        Ok(self.parse_lock(&value)?.holders.into_keys().collect())
    }

    fn parse_lock(&self, value: &[u8]) -> Result<SemaphoreLock> {
        serde_json::from_slice(value).map_err(|e| {
            Error::invalid("semaphore lock key", self.lock_key(), format!("does not hold a semaphore record: {e}"))
        })
    }

    /// Why `session` no longer holds a slot, from one read of the folder
    /// (`None`: it still does). A holder counts only while its contender
    /// key is held by its session, as the pruning contenders see it.
    fn slot_gone(&self, pairs: &[KvPair], session: &str) -> Option<String> {
        let contender = format!("{}{session}", self.prefix);
        if !pairs.iter().any(|p| p.key == contender && p.session.as_deref() == Some(session)) {
            return Some(format!("the contender key {contender:?} is no longer held by the session"));
        }
        let key = self.lock_key();
        let Some(pair) = pairs.iter().find(|p| p.key == key) else {
            return Some(format!("the lock key {key:?} was deleted"));
        };
        match self.parse_lock(pair.value.as_deref().unwrap_or(b"{}")) {
            Ok(lock) if lock.holders.contains_key(session) => None,
            Ok(_) => Some(format!("the lock key {key:?} no longer lists the session among its holders")),
            Err(e) => Some(e.to_string()),
        }
    }
}

impl SemaphoreGuard {
    fn start(semaphore: Semaphore, session: String, ttl: Duration) -> Self {
        let (lost_tx, lost_rx) = watch::channel(None);
        let keeper = SlotKeeper { semaphore: semaphore.clone(), session: session.clone(), ttl, lost: lost_tx };
        Self { semaphore, session, lost_rx, keeper: Some(tokio::spawn(keeper.run())) }
    }

    /// The session holding this slot.
    #[must_use]
    pub fn session_id(&self) -> &str {
        &self.session
    }

    /// False once the slot was found lost (see [`SemaphoreGuard::lost`]).
    /// Do not act on a lost slot.
    #[must_use]
    pub fn is_held(&self) -> bool {
        self.lost_rx.borrow().is_none()
    }

    /// Resolves, with the reason, when the slot is lost: the session no
    /// longer renews (expired, destroyed, its node failed; or no renewal
    /// succeeded within the TTL), its contender key was deleted or taken,
    /// or the lock key no longer lists it. Never resolves while held.
    pub async fn lost(&mut self) -> String {
        match self.lost_rx.wait_for(Option::is_some).await {
            Ok(reason) => reason.clone().unwrap_or_default(),
            // The keeper only ends after reporting, or when the guard stops it.
            Err(_) => std::future::pending().await,
        }
    }

    /// Gives the slot back: stops the renewal, removes this session from
    /// the holders (CAS), deletes its contender key and destroys the session.
    pub async fn release(mut self) -> Result<()> {
        if let Some(keeper) = self.keeper.take() {
            keeper.abort();
        }
        let sem = &self.semaphore;
        let kv = sem.client.kv();
        for _ in 0..10 {
            let Some(pair) = kv.get(&sem.lock_key(), &QueryOptions::default()).await?.value else { break };
            let mut lock = sem.parse_lock(pair.value.as_deref().unwrap_or(b"{}"))?;
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

impl Drop for SemaphoreGuard {
    fn drop(&mut self) {
        let Some(keeper) = self.keeper.take() else { return };
        keeper.abort();
        // Dropped without release(): destroy the session now (its contender
        // key goes with it) so the next contender prunes the slot at once.
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            let client = self.semaphore.client.clone();
            let session = self.session.clone();
            handle.spawn(async move {
                let _ = client.sessions().destroy(&session, &WriteOptions::default()).await;
            });
        }
    }
}

/// The background task of a held slot: renews the session and watches the folder.
struct SlotKeeper {
    semaphore: Semaphore,
    session: String,
    ttl: Duration,
    lost: watch::Sender<Option<String>>,
}

impl SlotKeeper {
    /// Renews at TTL/2 (the TTL Consul answers with, as the Go client
    /// does) and, between renewals, waits on the folder with a consistent
    /// blocking query that returns by the next renewal. A failed call is
    /// retried every second; past the TTL without a renewal the slot is
    /// reported lost, since Consul may have expired the session.
    async fn run(mut self) {
        let mut last_renewal = Instant::now();
        let mut next_renewal = last_renewal + self.ttl / 2;
        let mut index = 0;
        let why = loop {
            if Instant::now() >= next_renewal {
                match self.semaphore.client.sessions().renew(&self.session, &WriteOptions::default()).await {
                    Ok(None) => break "the session no longer exists (expired or destroyed)".to_owned(),
                    Ok(Some(entry)) => {
                        if let Ok(ttl) = client_core::config::parse_duration_seconds("session TTL", &entry.ttl) {
                            self.ttl = ttl;
                        }
                        last_renewal = Instant::now();
                        next_renewal = last_renewal + self.ttl / 2;
                    }
                    Err(e) if last_renewal.elapsed() >= self.ttl => {
                        break format!("no renewal succeeded within the session TTL ({e})");
                    }
                    Err(e) => {
                        tracing::warn!(session = %self.session, error = %e, "semaphore session renewal failed; retrying");
                        next_renewal = Instant::now() + Duration::from_secs(1).min(self.ttl / 2);
                        continue;
                    }
                }
            }
            let wait = next_renewal.saturating_duration_since(Instant::now()).max(Duration::from_millis(1));
            let query = QueryOptions::new().consistent().blocking(index, wait);
            match self.semaphore.client.kv().list(&self.semaphore.prefix, &query).await {
                Ok(read) => {
                    if let Some(why) = self.semaphore.slot_gone(&read.value, &self.session) {
                        break why;
                    }
                    // An index that went backwards (a restored snapshot) restarts the watch.
                    index = if read.meta.last_index < index { 0 } else { read.meta.last_index };
                }
                Err(e) => {
                    tracing::warn!(prefix = %self.semaphore.prefix, error = %e, "semaphore watch failed; retrying");
                    tokio::time::sleep(
                        Duration::from_secs(1).min(next_renewal.saturating_duration_since(Instant::now())),
                    )
                    .await;
                }
            }
        };
        tracing::warn!(prefix = %self.semaphore.prefix, session = %self.session, %why, "the semaphore slot is lost");
        let _ = self.lost.send(Some(why));
    }
}
