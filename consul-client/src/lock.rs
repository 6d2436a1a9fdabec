//! A distributed lock on one KV key, held by a renewed session.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::client::ConsulClient;
use crate::error::{Error, Result};
use crate::kv::PutOptions;
use crate::options::{QueryOptions, WriteOptions};
use crate::session::{SessionBehavior, SessionRequest, Sessions};
use crate::validate;

/// How to take a lock.
#[derive(Debug, Clone)]
pub struct LockOptions {
    /// Value written to the key while held (e.g. the holder's name).
    pub value: Vec<u8>,
    /// Session name, shown in `consul`'s session list.
    pub session_name: String,
    /// Session TTL; the guard renews at half of it.
    pub session_ttl: Duration,
    /// Lock delay after an involuntary loss (Consul's default is 15 s).
    pub lock_delay: Duration,
    /// How long [`Sessions::lock`] waits for a holder to let go (zero: one attempt).
    pub wait: Duration,
}

impl Default for LockOptions {
    fn default() -> Self {
        Self {
            value: Vec::new(),
            session_name: "ops-sdk lock".to_owned(),
            session_ttl: Duration::from_secs(15),
            lock_delay: Duration::from_secs(15),
            wait: Duration::ZERO,
        }
    }
}

/// A held lock. Renews its session in the background until
/// [`LockGuard::release`] (or drop, which destroys the session and so
/// releases the key). Check [`LockGuard::is_held`] before acting on it.
#[derive(Debug)]
pub struct LockGuard {
    client: ConsulClient,
    key: String,
    session: String,
    held: Arc<AtomicBool>,
    lost_rx: watch::Receiver<bool>,
    renewer: Option<JoinHandle<()>>,
}

impl Sessions {
    /// Takes the lock on `key`: creates a session, acquires the key with it
    /// and renews the session in the background. Waits up to `opts.wait` for
    /// a holder to let go (blocking queries, no busy polling); then fails
    /// with [`Error::LockTimeout`] naming the holder.
    pub async fn lock(&self, key: &str, opts: &LockOptions) -> Result<LockGuard> {
        validate::key(key)?;
        let client = self.client.clone();
        let request = SessionRequest {
            name: Some(opts.session_name.clone()),
            lock_delay: Some(opts.lock_delay),
            behavior: SessionBehavior::Release,
            ttl: Some(opts.session_ttl),
            ..SessionRequest::default()
        };
        let session = client.sessions().create(&request, &WriteOptions::default()).await?;
        match acquire_loop(&client, key, &session, opts).await {
            Ok(()) => Ok(LockGuard::start(client, key, session, opts.session_ttl)),
            Err(e) => {
                // Best effort: the session would expire on its own after its TTL.
                let _ = client.sessions().destroy(&session, &WriteOptions::default()).await;
                Err(e)
            }
        }
    }
}

async fn acquire_loop(client: &ConsulClient, key: &str, session: &str, opts: &LockOptions) -> Result<()> {
    let started = Instant::now();
    let deadline = started + opts.wait;
    let put = PutOptions { acquire: Some(session.to_owned()), ..PutOptions::default() };
    loop {
        if client.kv().put(key, &opts.value, &put).await? {
            return Ok(());
        }
        let now = Instant::now();
        let current = client.kv().get(key, &QueryOptions::default()).await?;
        let holder = current.value.as_ref().and_then(|p| p.session.clone());
        if now >= deadline {
            return Err(Error::LockTimeout {
                key: key.to_owned(),
                waited: opts.wait,
                holder: holder.map_or_else(
                    || "nobody holds it now, but Consul's lock delay still blocks it".to_owned(),
                    |s| format!("held by session {s}"),
                ),
            });
        }
        let remaining = deadline - now;
        if holder.is_some() {
            // Wait for the key to change (release, session invalidation).
            client.kv().get(key, &QueryOptions::new().blocking(current.meta.last_index.max(1), remaining)).await?;
        } else {
            // Free but refused: the lock delay of a lost holder is running.
            tokio::time::sleep(remaining.min(Duration::from_secs(1))).await;
        }
    }
}

impl LockGuard {
    fn start(client: ConsulClient, key: &str, session: String, ttl: Duration) -> Self {
        let held = Arc::new(AtomicBool::new(true));
        let (lost_tx, lost_rx) = watch::channel(false);
        let renewal = Renewal {
            client: client.clone(),
            key: key.to_owned(),
            session: session.clone(),
            ttl,
            held: held.clone(),
            lost: lost_tx,
        };
        let renewer = tokio::spawn(renewal.run());
        Self { client, key: key.to_owned(), session, held, lost_rx, renewer: Some(renewer) }
    }

    /// The lock key.
    #[must_use]
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The session holding the lock.
    #[must_use]
    pub fn session_id(&self) -> &str {
        &self.session
    }

    /// False once the lock was found lost (checked every TTL/2): the session
    /// expired, was destroyed or its node failed, or the key was released or
    /// deleted behind our back. Do not act on a lost lock.
    #[must_use]
    pub fn is_held(&self) -> bool {
        self.held.load(Ordering::SeqCst)
    }

    /// Resolves when the lock is lost (never, while it is held).
    pub async fn lost(&mut self) {
        let _ = self.lost_rx.wait_for(|lost| *lost).await;
    }

    /// Releases the key and destroys the session.
    pub async fn release(mut self) -> Result<()> {
        if let Some(renewer) = self.renewer.take() {
            renewer.abort();
        }
        self.held.store(false, Ordering::SeqCst);
        let put = PutOptions { release: Some(self.session.clone()), ..PutOptions::default() };
        let released = self.client.kv().put(&self.key, &[], &put).await;
        let destroyed = self.client.sessions().destroy(&self.session, &WriteOptions::default()).await;
        released?;
        destroyed
    }
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        let Some(renewer) = self.renewer.take() else { return };
        renewer.abort();
        // Dropped without release(): destroy the session so the key is freed
        // now rather than after the TTL.
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            let client = self.client.clone();
            let session = self.session.clone();
            handle.spawn(async move {
                let _ = client.sessions().destroy(&session, &WriteOptions::default()).await;
            });
        }
    }
}

/// What the renewer watches and reports.
struct Renewal {
    client: ConsulClient,
    key: String,
    session: String,
    ttl: Duration,
    held: Arc<AtomicBool>,
    lost: watch::Sender<bool>,
}

impl Renewal {
    /// Renews at TTL/2 and checks the key still names our session (an
    /// operator may have released or deleted it). Ends when the lock is lost.
    async fn run(self) {
        let period = self.ttl / 2;
        let mut wait = period;
        let mut last_ok = Instant::now();
        loop {
            tokio::time::sleep(wait).await;
            let why = match self.check().await {
                Ok(None) => {
                    last_ok = Instant::now();
                    wait = period;
                    continue;
                }
                Ok(Some(why)) => why,
                // Past the TTL without a renewal the session may be gone:
                // report the lock lost rather than let the holder act on it.
                Err(e) if last_ok.elapsed() >= self.ttl => format!("no successful renewal within the TTL ({e})"),
                Err(e) => {
                    tracing::warn!(session = %self.session, error = %e, "lock session renewal failed; retrying");
                    wait = Duration::from_secs(1).min(period);
                    continue;
                }
            };
            tracing::warn!(key = %self.key, session = %self.session, %why, "the lock is lost");
            self.held.store(false, Ordering::SeqCst);
            let _ = self.lost.send(true);
            return;
        }
    }

    /// `Ok(Some(reason))` when the lock is gone.
    async fn check(&self) -> Result<Option<String>> {
        if self.client.sessions().renew(&self.session, &WriteOptions::default()).await?.is_none() {
            return Ok(Some("the session no longer exists".to_owned()));
        }
        let pair = self.client.kv().get(&self.key, &QueryOptions::default()).await?.value;
        Ok(match pair.and_then(|p| p.session) {
            Some(s) if s == self.session => None,
            Some(other) => Some(format!("the key is now held by session {other}")),
            None => Some("the key was released or deleted by someone else".to_owned()),
        })
    }
}
