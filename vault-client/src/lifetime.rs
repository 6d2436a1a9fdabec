//! Keeping a token or a lease alive: [`LifetimeWatcher`], the SDK's form of
//! the Go client's `api.LifetimeWatcher`.
//!
//! A watcher renews its credential (the client's own token with
//! `auth/token/renew-self`, a lease with `sys/leases/renew`) in a task of
//! its own, tells its holder how it goes through a [`tokio::sync::watch`]
//! channel of [`WatchStatus`], and ends when the credential's life is
//! nearly over, a renewal fails for good, or [`LifetimeWatcher::close`] is
//! called (which also revokes the credential).
//!
//! # When it renews (the Go watcher's rules, `api/lifetime_watcher.go`)
//!
//! - The first renewal is sent at once.
//! - A *grace* period is drawn in `[0.1·b, 0.2·b)` of the base `b`: the
//!   lease, or the increment when one is asked for and is shorter. It is
//!   drawn again only when a renewal returns a longer lease than before.
//! - After a renewal granting `r`, the next one comes after
//!   `2/3·r + 1/3·grace`: at 70–73% of a constant TTL.
//! - The watch ends ([`WatchState::Expiring`]) as soon as what is left is
//!   within the grace, or would be after the next sleep: a TTL that
//!   shrinks from one renewal to the next (capped by the role's `max_ttl`,
//!   as Vault does, see the recorded `consul-maxttl-*`) ends it once it is
//!   at most about 4 × grace, before the credential dies.
//! - A credential that is not renewable is only watched: no renewal is
//!   sent, the watch ends at about 70% of its TTL.
//! - A transient failure ([`ClientError::is_transient`]: a transport
//!   error, 412, 429, 5xx, a sealed Vault) is retried on an exponential
//!   backoff (10 s, doubling, ±50%, at most 5 min), never in a tight loop;
//!   the watch ends as [`WatchState::Expiring`] when the next retry would
//!   land within the grace of the last good expiry.
//! - A permanent failure (a 400 `lease not found`, a 403) ends the watch
//!   at once ([`WatchState::Failed`]). Unlike the current Go watcher, a 403
//!   is not turned into watch-only mode: the credential cannot be renewed
//!   and its holder is told so now.
//!
//! With a re-login ([`LifetimeWatcherBuilder::relogin`]), an end by
//! expiry or by a permanent failure calls it instead, and the watcher goes
//! on with what it returns (a new token or lease, published in the status);
//! a transient re-login failure is retried on the same backoff.
//!
//! Deliberate differences from Go: the status is a `watch` channel, so a
//! slow holder sees the latest state, never a dropped notification; a
//! credential without a TTL (a root token) never expires, so the watcher
//! only waits for `close`; `close` revokes (Go's `Stop` does not).
//!
//! ```no_run
//! # async fn demo() -> vault_client::Result<()> {
//! use vault_client::VaultClient;
//! use vault_client::lifetime::{LifetimeWatcher, Watched};
//!
//! let vault = VaultClient::from_env()?;
//! let creds = vault.database("database")?.creds("readonly").await?;
//! let watcher = LifetimeWatcher::builder(Watched::lease(&vault, creds.lease)).start()?;
//! let mut status = watcher.status();
//! let ended = status.wait_for(|s| s.state.is_done()).await.map(|s| s.state.clone());
//! println!("the lease ended: {ended:?}");
//! watcher.close().await?; // revokes the lease
//! # Ok(()) }
//! ```

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use futures::future::BoxFuture;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::client::VaultClient;
use crate::error::{Error, Result};
use crate::response::{Lease, LoggedIn};
use client_core::ClientError;

/// The first wait after a transient failure.
pub const INITIAL_RETRY: Duration = Duration::from_secs(10);
/// The longest wait between retries.
pub const MAX_RETRY: Duration = Duration::from_secs(300);

/// What a watcher keeps alive.
#[derive(Debug, Clone)]
pub enum Watched {
    /// A token: renewed with `auth/token/renew-self` and revoked with
    /// `auth/token/revoke-self`, both sent by the login's client.
    Token(LoggedIn),
    /// A lease: renewed with `sys/leases/renew` and revoked with
    /// `sys/leases/revoke`, sent by `client`.
    Lease {
        /// The client that renews and revokes the lease.
        client: VaultClient,
        /// The lease.
        lease: Lease,
    },
}

impl Watched {
    /// A lease renewed and revoked through `client`.
    #[must_use]
    pub fn lease(client: &VaultClient, lease: Lease) -> Self {
        Self::Lease { client: client.clone(), lease }
    }

    /// The client a holder should use: the login's (sending its token), or
    /// the one renewing the lease.
    #[must_use]
    pub fn client(&self) -> &VaultClient {
        match self {
            Self::Token(login) => &login.client,
            Self::Lease { client, .. } => client,
        }
    }

    /// The TTL and renewability the credential started with.
    fn initial(&self) -> (Duration, bool) {
        match self {
            Self::Token(login) => (login.auth.ttl(), login.auth.renewable),
            Self::Lease { lease, .. } => (lease.duration, lease.renewable),
        }
    }

    /// What the watcher's messages call it (an accessor or a lease ID, never a token).
    fn describe(&self) -> String {
        match self {
            Self::Token(login) => format!("token (accessor {})", login.auth.accessor),
            Self::Lease { lease, .. } => format!("lease {}", lease.id),
        }
    }

    fn check(&self) -> Result<()> {
        let empty = match self {
            Self::Token(login) => login.auth.client_token.is_empty(),
            Self::Lease { lease, .. } => lease.id.is_empty(),
        };
        if empty {
            return Err(Error::Core(client_core::Error::invalid(
                "watched credential",
                self.describe(),
                "is empty (no token, or a secret without a lease ID): there is nothing to renew",
            )));
        }
        Ok(())
    }
}

impl From<LoggedIn> for Watched {
    fn from(login: LoggedIn) -> Self {
        Self::Token(login)
    }
}

/// Where a watch is.
#[derive(Debug, Clone)]
pub enum WatchState {
    /// Alive: just started, renewed or logged in again.
    Active,
    /// The last renewal (or re-login) failed transiently; the next try is in `retry_in`.
    Retrying {
        /// The failure.
        error: Arc<Error>,
        /// The wait before the next try.
        retry_in: Duration,
    },
    /// Ended: the credential's life is nearly over (its TTL shrank to its
    /// `max_ttl`, it is not renewable, or retries ran out of time) and no
    /// re-login was given. Read a new secret or log in again.
    Expiring,
    /// Ended: a renewal or re-login failed for good.
    Failed(Arc<Error>),
    /// Ended by [`LifetimeWatcher::close`].
    Closed,
}

impl WatchState {
    /// True once the watch has ended (no renewal will follow).
    #[must_use]
    pub fn is_done(&self) -> bool {
        matches!(self, Self::Expiring | Self::Failed(_) | Self::Closed)
    }
}

/// What a watcher publishes after each step.
#[derive(Debug, Clone)]
pub struct WatchStatus {
    /// Where the watch is.
    pub state: WatchState,
    /// The credential now watched (a re-login replaces it).
    pub credential: Watched,
    /// Its TTL as of `since`.
    pub ttl: Duration,
    /// When that TTL was granted (the start, the last renewal or login).
    pub since: Instant,
    /// Successful renewals so far.
    pub renewals: u64,
    /// Successful re-logins so far.
    pub logins: u64,
}

impl WatchStatus {
    /// When the credential expires, as far as the watcher knows (`None`:
    /// it has no TTL and never expires).
    #[must_use]
    pub fn expires_at(&self) -> Option<Instant> {
        (!self.ttl.is_zero()).then(|| self.since + self.ttl)
    }
}

/// Talks to Vault for the watcher; a trait so the schedule can be tested
/// on a paused clock without a server.
#[async_trait]
trait Renewer: Send + Sync + 'static {
    /// Renews `target`, returning the TTL granted.
    async fn renew(&self, target: &Watched, increment: Option<Duration>) -> Result<Duration>;
    /// Revokes `target`.
    async fn revoke(&self, target: &Watched) -> Result<()>;
}

struct VaultRenewer;

#[async_trait]
impl Renewer for VaultRenewer {
    async fn renew(&self, target: &Watched, increment: Option<Duration>) -> Result<Duration> {
        match target {
            Watched::Token(login) => Ok(login.client.auth().token().renew_self(increment).await?.ttl()),
            Watched::Lease { client, lease } => Ok(client.sys().leases().renew(&lease.id, increment).await?.duration),
        }
    }

    async fn revoke(&self, target: &Watched) -> Result<()> {
        match target {
            Watched::Token(login) => login.client.auth().token().revoke_self().await,
            Watched::Lease { client, lease } => client.sys().leases().revoke(&lease.id).await,
        }
    }
}

/// A re-login: returns the credential to watch next.
type Relogin = Arc<dyn Fn() -> BoxFuture<'static, Result<Watched>> + Send + Sync>;

/// Configures a [`LifetimeWatcher`]; see [`LifetimeWatcher::builder`].
pub struct LifetimeWatcherBuilder {
    target: Watched,
    increment: Option<Duration>,
    relogin: Option<Relogin>,
    seed: Option<u64>,
    renewer: Arc<dyn Renewer>,
}

impl std::fmt::Debug for LifetimeWatcherBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LifetimeWatcherBuilder")
            .field("target", &self.target)
            .field("increment", &self.increment)
            .field("relogin", &self.relogin.is_some())
            .finish_non_exhaustive()
    }
}

impl LifetimeWatcherBuilder {
    /// Asks for `increment` more time with every renewal (Vault may grant
    /// less); the grace is then drawn from it when it is shorter than the lease.
    #[must_use]
    pub fn increment(mut self, increment: Duration) -> Self {
        self.increment = (!increment.is_zero()).then_some(increment);
        self
    }

    /// When the credential's life is nearly over or a renewal fails for
    /// good, calls `login` and watches what it returns (e.g.
    /// `|| async { Ok(vault.auth().approle("approle")?.login(&id, &secret).await?.into()) }`).
    #[must_use]
    pub fn relogin<F, Fut>(mut self, login: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Watched>> + Send + 'static,
    {
        self.relogin = Some(Arc::new(move || Box::pin(login())));
        self
    }

    /// Seeds the jitter (a reproducible schedule); by default it is seeded
    /// from the clock. The jitter is not a secret: it only spreads renewals.
    #[must_use]
    pub fn jitter_seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    #[cfg(test)]
    fn renewer(mut self, renewer: Arc<dyn Renewer>) -> Self {
        self.renewer = renewer;
        self
    }

    /// Starts the watcher's task on the current Tokio runtime (it panics
    /// outside one, as `tokio::spawn` does). Refused: an empty token or a
    /// secret without a lease ID.
    pub fn start(self) -> Result<LifetimeWatcher> {
        self.target.check()?;
        let seed = self.seed.unwrap_or_else(|| {
            let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
            u64::try_from(now.as_nanos() % u128::from(u64::MAX)).unwrap_or_default()
        });
        let (ttl, _) = self.target.initial();
        let status = WatchStatus {
            state: WatchState::Active,
            credential: self.target.clone(),
            ttl,
            since: Instant::now(),
            renewals: 0,
            logins: 0,
        };
        let (tx, rx) = watch::channel(status);
        let (stop_tx, stop_rx) = watch::channel(false);
        let run = Run {
            renewer: self.renewer.clone(),
            increment: self.increment,
            relogin: self.relogin,
            rng: SplitMix(seed),
            tx,
            stop: stop_rx,
        };
        let task = tokio::spawn(run.run(self.target));
        Ok(LifetimeWatcher { status: rx, stop: stop_tx, task: Some(task), renewer: self.renewer })
    }
}

/// Keeps a token or a lease alive; see the [module docs](self).
///
/// Dropping it stops the task without revoking anything; call
/// [`LifetimeWatcher::close`] to stop and revoke.
pub struct LifetimeWatcher {
    status: watch::Receiver<WatchStatus>,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
    renewer: Arc<dyn Renewer>,
}

impl std::fmt::Debug for LifetimeWatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LifetimeWatcher").field("status", &*self.status.borrow()).finish_non_exhaustive()
    }
}

impl LifetimeWatcher {
    /// A watcher for `target`; configure it, then [`start`](LifetimeWatcherBuilder::start) it.
    #[must_use]
    pub fn builder(target: impl Into<Watched>) -> LifetimeWatcherBuilder {
        LifetimeWatcherBuilder {
            target: target.into(),
            increment: None,
            relogin: None,
            seed: None,
            renewer: Arc::new(VaultRenewer),
        }
    }

    /// The watch's status: `borrow()` for now, `changed()` / `wait_for()` to follow it.
    #[must_use]
    pub fn status(&self) -> watch::Receiver<WatchStatus> {
        self.status.clone()
    }

    /// Stops the watcher, then revokes the credential it holds now (the
    /// last one a re-login returned). A lease Vault no longer knows counts
    /// as revoked; any other revocation failure is returned.
    pub async fn close(mut self) -> Result<()> {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            // The task stops at its next await point; a panic inside it is not ours to re-raise.
            let _ = task.await;
        }
        let credential = self.status.borrow().credential.clone();
        match self.renewer.revoke(&credential).await {
            Err(e) if e.is_lease_gone() => Ok(()),
            other => other,
        }
    }
}

impl Drop for LifetimeWatcher {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// Jitter only (as Go's `math/rand`): not a secret, never a key.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A fraction in `[0, 1)`.
    fn unit(&mut self) -> f64 {
        // 53 random bits: exactly representable.
        #[allow(clippy::cast_precision_loss)]
        let bits = (self.next() >> 11) as f64;
        bits / (1u64 << 53) as f64
    }
}

/// Go's `calculateGrace`: `[0.1·b, 0.2·b)` of the base `b` (the lease, or
/// the increment when it is shorter).
fn grace(lease: Duration, increment: Option<Duration>, rng: &mut SplitMix) -> Duration {
    let base = match increment {
        Some(i) if lease > i => i,
        _ => lease,
    };
    let jitter_max = u64::try_from(base.as_nanos() / 10).unwrap_or(u64::MAX);
    if jitter_max == 0 {
        return Duration::ZERO;
    }
    Duration::from_nanos(jitter_max + rng.next() % jitter_max)
}

/// The backoff after transient failures: 10 s doubling to 5 min, ±50%.
struct Backoff {
    interval: Duration,
}

impl Backoff {
    fn new() -> Self {
        Self { interval: INITIAL_RETRY }
    }

    fn next(&mut self, rng: &mut SplitMix) -> Duration {
        let wait = self.interval.mul_f64(0.5 + rng.unit());
        self.interval = (self.interval * 2).min(MAX_RETRY);
        wait
    }
}

/// How one watch of one credential ended.
enum End {
    /// Its life is nearly over.
    Expiring,
    /// A permanent failure.
    Failed(Error),
    /// `close` was called.
    Closed,
}

struct Run {
    renewer: Arc<dyn Renewer>,
    increment: Option<Duration>,
    relogin: Option<Relogin>,
    rng: SplitMix,
    tx: watch::Sender<WatchStatus>,
    stop: watch::Receiver<bool>,
}

impl Run {
    fn publish(&self, state: WatchState) {
        self.tx.send_modify(|s| s.state = state);
    }

    /// Sleeps `wait`; false when `close` was called meanwhile.
    async fn sleep(&mut self, wait: Duration) -> bool {
        tokio::select! {
            () = tokio::time::sleep(wait) => true,
            _ = self.stop.wait_for(|stop| *stop) => false,
        }
    }

    async fn run(mut self, mut target: Watched) {
        loop {
            let end = self.watch(&target).await;
            let error = match end {
                End::Closed => return self.publish(WatchState::Closed),
                End::Expiring if self.relogin.is_none() => return self.publish(WatchState::Expiring),
                End::Failed(e) if self.relogin.is_none() => return self.publish(WatchState::Failed(Arc::new(e))),
                End::Expiring => None,
                End::Failed(e) => Some(e),
            };
            tracing::info!(credential = %target.describe(), error = ?error.as_ref().map(ToString::to_string), "logging in again");
            match self.login().await {
                Ok(Some(next)) => target = next,
                Ok(None) => return self.publish(WatchState::Closed),
                Err(e) => return self.publish(WatchState::Failed(Arc::new(e))),
            }
        }
    }

    /// Calls the re-login until it succeeds (`Some`), fails for good, or
    /// `close` is called (`None`).
    async fn login(&mut self) -> Result<Option<Watched>> {
        let Some(relogin) = self.relogin.clone() else { return Ok(None) };
        let mut backoff = Backoff::new();
        loop {
            match relogin().await {
                Ok(next) => {
                    next.check()?;
                    let (ttl, _) = next.initial();
                    self.tx.send_modify(|s| {
                        (s.state, s.credential, s.ttl, s.since) =
                            (WatchState::Active, next.clone(), ttl, Instant::now());
                        s.logins += 1;
                    });
                    return Ok(Some(next));
                }
                Err(e) if e.is_transient() => {
                    let wait = backoff.next(&mut self.rng);
                    self.publish(WatchState::Retrying { error: Arc::new(e), retry_in: wait });
                    if !self.sleep(wait).await {
                        return Ok(None);
                    }
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// One credential's watch, Go's `doRenewWithOptions` loop.
    async fn watch(&mut self, target: &Watched) -> End {
        let (mut lease, renewable) = target.initial();
        if lease.is_zero() && !renewable {
            // No TTL: it never expires; wait for close.
            let _ = self.stop.wait_for(|stop| *stop).await;
            return End::Closed;
        }
        let mut start = Instant::now();
        let mut prior = lease;
        let mut grace = grace(lease, self.increment, &mut self.rng);
        let mut backoff: Option<Backoff> = None;
        loop {
            if *self.stop.borrow() {
                return End::Closed;
            }
            let remaining = if renewable {
                match self.renewer.renew(target, self.increment).await {
                    Ok(ttl) => {
                        backoff = None;
                        (start, lease) = (Instant::now(), ttl);
                        self.tx.send_modify(|s| {
                            (s.state, s.ttl, s.since) = (WatchState::Active, ttl, start);
                            s.renewals += 1;
                        });
                        ttl
                    }
                    Err(e) if !e.is_transient() => return End::Failed(e),
                    Err(e) => {
                        tracing::warn!(credential = %target.describe(), error = %e, "renewal failed; retrying");
                        let left = (start + lease).saturating_duration_since(Instant::now());
                        let wait = backoff.get_or_insert_with(Backoff::new).next(&mut self.rng);
                        self.publish(WatchState::Retrying { error: Arc::new(e), retry_in: wait });
                        if left <= grace || left.saturating_sub(wait) <= grace {
                            return End::Expiring;
                        }
                        if !self.sleep(wait).await {
                            return End::Closed;
                        }
                        continue;
                    }
                }
            } else {
                (start + lease).saturating_duration_since(Instant::now())
            };
            if remaining > prior {
                grace = self::grace(remaining, self.increment, &mut self.rng);
            }
            let wait = remaining.mul_f64(2.0 / 3.0) + grace / 3;
            prior = remaining;
            if remaining <= grace || remaining.saturating_sub(wait) <= grace {
                return End::Expiring;
            }
            if !self.sleep(wait).await {
                return End::Closed;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    const HOUR: Duration = Duration::from_secs(3600);

    type Answer = dyn Fn(usize, &Watched, Duration) -> Result<Duration> + Send + Sync;

    /// Answers renewals with `answer(call index, target, time since t0)`
    /// and records when each call came and for what.
    struct Fake {
        t0: Instant,
        answer: Box<Answer>,
        calls: Mutex<Vec<(Duration, String)>>,
        revoked: Mutex<Vec<String>>,
    }

    impl Fake {
        fn new(answer: impl Fn(usize, &Watched, Duration) -> Result<Duration> + Send + Sync + 'static) -> Arc<Self> {
            Arc::new(Self {
                t0: Instant::now(),
                answer: Box::new(answer),
                calls: Mutex::default(),
                revoked: Mutex::default(),
            })
        }

        fn times(&self) -> Vec<Duration> {
            self.calls.lock().unwrap().iter().map(|(t, _)| *t).collect()
        }
    }

    fn id(target: &Watched) -> String {
        match target {
            Watched::Token(login) => login.auth.accessor.clone(),
            Watched::Lease { lease, .. } => lease.id.clone(),
        }
    }

    #[async_trait]
    impl Renewer for Fake {
        async fn renew(&self, target: &Watched, _increment: Option<Duration>) -> Result<Duration> {
            let elapsed = self.t0.elapsed();
            let n = {
                let mut calls = self.calls.lock().unwrap();
                calls.push((elapsed, id(target)));
                calls.len() - 1
            };
            (self.answer)(n, target, elapsed)
        }

        async fn revoke(&self, target: &Watched) -> Result<()> {
            self.revoked.lock().unwrap().push(id(target));
            Ok(())
        }
    }

    fn lease(id: &str, ttl: Duration, renewable: bool) -> Watched {
        let client = VaultClient::builder().address("http://127.0.0.1:9").build().unwrap();
        Watched::lease(&client, Lease { id: id.into(), duration: ttl, renewable })
    }

    fn api(status: u16, message: &str) -> Error {
        Error::Api { status, method: "PUT".into(), path: "sys/leases/renew".into(), errors: vec![message.into()] }
    }

    fn start(fake: &Arc<Fake>, target: Watched, seed: u64) -> LifetimeWatcher {
        LifetimeWatcher::builder(target).jitter_seed(seed).renewer(fake.clone()).start().unwrap()
    }

    async fn ended(watcher: &LifetimeWatcher) -> WatchStatus {
        watcher.status().wait_for(|s| s.state.is_done()).await.unwrap().clone()
    }

    #[tokio::test(start_paused = true)]
    async fn renews_at_once_then_at_70_to_73_percent_of_a_constant_ttl() {
        for seed in 0..20 {
            let fake = Fake::new(|_, _, _| Ok(HOUR));
            let watcher = start(&fake, lease("database/creds/ro/1", HOUR, true), seed);
            watcher.status().wait_for(|s| s.renewals >= 5).await.unwrap();
            let times = fake.times();
            assert_eq!(times[0], Duration::ZERO, "the first renewal is sent at start");
            for pair in times.windows(2) {
                let gap = pair[1] - pair[0];
                assert!(gap >= HOUR.mul_f64(0.7) && gap < HOUR.mul_f64(0.7334), "seed {seed}: {gap:?}");
            }
            assert!(matches!(watcher.status().borrow().state, WatchState::Active));
        }
    }

    #[test]
    fn grace_is_10_to_20_percent_of_the_lease_or_the_shorter_increment() {
        let mut rng = SplitMix(7);
        let mut seen = std::collections::BTreeSet::new();
        for _ in 0..1000 {
            let g = grace(HOUR, None, &mut rng);
            assert!(g >= HOUR / 10 && g < HOUR / 5, "{g:?}");
            seen.insert(g);
            let inc = Duration::from_secs(600);
            let g = grace(HOUR, Some(inc), &mut rng);
            assert!(g >= inc / 10 && g < inc / 5, "{g:?}");
            // A longer increment does not raise the base.
            let g = grace(HOUR, Some(HOUR * 2), &mut rng);
            assert!(g >= HOUR / 10 && g < HOUR / 5, "{g:?}");
        }
        assert!(seen.len() > 900, "the jitter varies: {} distinct values", seen.len());
        assert_eq!(grace(Duration::ZERO, None, &mut rng), Duration::ZERO);
        assert_eq!(grace(Duration::from_nanos(5), None, &mut rng), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn the_backoff_is_never_a_tight_loop() {
        let mut rng = SplitMix(1);
        let mut backoff = Backoff::new();
        let mut interval = INITIAL_RETRY;
        for _ in 0..12 {
            let wait = backoff.next(&mut rng);
            assert!(wait >= interval / 2 && wait < interval.mul_f64(1.5), "{wait:?} for {interval:?}");
            interval = (interval * 2).min(MAX_RETRY);
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_permanent_error_stops_it_at_once() {
        let fake = Fake::new(|_, _, _| Err(api(400, "lease not found")));
        let watcher = start(&fake, lease("consul/creds/short/x", HOUR, true), 1);
        let status = ended(&watcher).await;
        assert!(matches!(&status.state, WatchState::Failed(e) if e.is_lease_gone()), "{:?}", status.state);
        tokio::time::sleep(HOUR * 24).await;
        assert_eq!(fake.times(), [Duration::ZERO], "one call, at start, and none after");
    }

    #[tokio::test(start_paused = true)]
    async fn transient_errors_are_retried_on_the_backoff() {
        let fake = Fake::new(|n, _, _| if n < 3 { Err(api(503, "upstream unavailable")) } else { Ok(HOUR) });
        let watcher = start(&fake, lease("nomad/creds/dev/x", HOUR, true), 3);
        let mut status = watcher.status();
        let retrying = status.wait_for(|s| matches!(s.state, WatchState::Retrying { .. })).await.unwrap().clone();
        assert!(matches!(&retrying.state, WatchState::Retrying { error, .. } if error.is_transient()));
        status.wait_for(|s| s.renewals == 1).await.unwrap();
        let times = fake.times();
        assert_eq!(times.len(), 4);
        let gaps: Vec<Duration> = times.windows(2).map(|p| p[1] - p[0]).collect();
        for (gap, interval) in gaps.iter().zip([10u64, 20, 40]) {
            let interval = Duration::from_secs(interval);
            assert!(*gap >= interval / 2 && *gap < interval.mul_f64(1.5), "{gap:?} for {interval:?}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn transient_errors_end_it_before_the_lease_does() {
        let ttl = Duration::from_secs(60);
        let fake = Fake::new(|n, _, _| if n == 0 { Ok(Duration::from_secs(60)) } else { Err(api(502, "bad gateway")) });
        let watcher = start(&fake, lease("nomad/creds/dev/x", ttl, true), 9);
        let status = ended(&watcher).await;
        assert!(matches!(status.state, WatchState::Expiring), "{:?}", status.state);
        let end = fake.t0.elapsed();
        // The lease renewed at t=0 for 60 s: the watch ends while it is still alive.
        assert!(end < ttl && fake.times().len() >= 2, "ended at {end:?} after {:?}", fake.times());
    }

    #[tokio::test(start_paused = true)]
    async fn a_ttl_shrinking_to_max_ttl_ends_it_before_expiry() {
        // A role with ttl 1h and max_ttl 4h: Vault caps each renewal at what
        // is left of max_ttl (the recorded consul-maxttl-* answers).
        let max_ttl = HOUR * 4;
        for seed in 0..20 {
            let fake = Fake::new(move |_, _, elapsed| Ok(HOUR.min(max_ttl.saturating_sub(elapsed))));
            let watcher = start(&fake, lease("database/creds/ro/2", HOUR, true), seed);
            let status = ended(&watcher).await;
            assert!(matches!(status.state, WatchState::Expiring), "{:?}", status.state);
            let end = fake.t0.elapsed();
            let last = *fake.times().last().unwrap();
            assert!(end == last && end < max_ttl, "seed {seed}: ended at {end:?}");
            // The last TTL granted is within 4 × the grace (at most 0.8 h) and still alive.
            assert!(status.ttl <= HOUR.mul_f64(0.8) && !status.ttl.is_zero(), "{:?}", status.ttl);
            tokio::time::sleep(HOUR * 10).await;
            assert_eq!(*fake.times().last().unwrap(), last, "no renewal after the end");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_non_renewable_lease_is_only_watched() {
        let fake = Fake::new(|_, _, _| Ok(HOUR));
        let watcher = start(&fake, lease("aws/sts/deploy/x", HOUR, false), 5);
        let status = ended(&watcher).await;
        assert!(matches!(status.state, WatchState::Expiring));
        let end = fake.t0.elapsed();
        assert!(end >= HOUR.mul_f64(0.7) && end < HOUR.mul_f64(0.7334), "{end:?}");
        assert!(fake.times().is_empty(), "no renewal is sent");
    }

    #[tokio::test(start_paused = true)]
    async fn relogin_replaces_the_credential_and_goes_on() {
        let fake = Fake::new(|_, target, _| match id(target).as_str() {
            "first" => Err(api(403, "permission denied")),
            _ => Ok(HOUR),
        });
        let logins = Arc::new(Mutex::new(0));
        let counter = logins.clone();
        let watcher = LifetimeWatcher::builder(lease("first", HOUR, true))
            .jitter_seed(2)
            .renewer(fake.clone())
            .relogin(move || {
                *counter.lock().unwrap() += 1;
                async { Ok(lease("second", HOUR, true)) }
            })
            .start()
            .unwrap();
        let status = watcher.status().wait_for(|s| s.renewals >= 2).await.unwrap().clone();
        assert_eq!((status.logins, *logins.lock().unwrap()), (1, 1));
        assert_eq!(id(&status.credential), "second");
        let calls = fake.calls.lock().unwrap().clone();
        assert_eq!(calls[0], (Duration::ZERO, "first".to_owned()));
        assert_eq!(calls[1], (Duration::ZERO, "second".to_owned()), "the new credential is renewed at once");
        watcher.close().await.unwrap();
        assert_eq!(*fake.revoked.lock().unwrap(), ["second"], "close revokes the credential held now");
    }

    #[tokio::test(start_paused = true)]
    async fn close_stops_and_revokes() {
        let fake = Fake::new(|_, _, _| Ok(HOUR));
        let watcher = start(&fake, lease("nomad/creds/dev/y", HOUR, true), 4);
        let mut status = watcher.status();
        status.wait_for(|s| s.renewals == 1).await.unwrap();
        watcher.close().await.unwrap();
        assert!(matches!(status.borrow().state, WatchState::Closed));
        assert_eq!(*fake.revoked.lock().unwrap(), ["nomad/creds/dev/y"]);
        tokio::time::sleep(HOUR * 10).await;
        assert_eq!(fake.times().len(), 1, "no renewal after close");
    }

    #[tokio::test(start_paused = true)]
    async fn a_credential_without_ttl_waits_for_close_and_an_empty_one_is_refused() {
        let fake = Fake::new(|_, _, _| Ok(HOUR));
        let watcher = start(&fake, lease("root-like", Duration::ZERO, false), 4);
        tokio::time::sleep(HOUR * 1000).await;
        assert!(matches!(watcher.status().borrow().state, WatchState::Active));
        assert!(watcher.status().borrow().expires_at().is_none());
        watcher.close().await.unwrap();
        assert!(fake.times().is_empty());
        let err = LifetimeWatcher::builder(lease("", HOUR, true)).start().unwrap_err();
        assert!(err.to_string().contains("nothing to renew"), "{err}");
    }
}
