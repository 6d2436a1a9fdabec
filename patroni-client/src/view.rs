//! The cluster view: ask any of several members, find the leader, and wait
//! until the cluster reaches a state.

use std::time::Duration;

use crate::client::PatroniClient;
use crate::cluster::{ClusterInfo, ClusterMember};
use crate::error::{Error, Result};

/// A condition on the cluster that [`ClusterView::wait_until`] waits for.
pub trait ClusterCondition {
    /// `Ok` when the condition holds, else why not (shown on timeout).
    fn check(&self, cluster: &ClusterInfo) -> std::result::Result<(), String>;

    /// A short description, e.g. "a leader and 2 members streaming".
    fn describe(&self) -> String;
}

/// A closure as a condition.
impl<F: Fn(&ClusterInfo) -> bool> ClusterCondition for F {
    fn check(&self, cluster: &ClusterInfo) -> std::result::Result<(), String> {
        if self(cluster) { Ok(()) } else { Err(format!("members: {}", summary(cluster))) }
    }

    fn describe(&self) -> String {
        "the given condition".to_owned()
    }
}

/// "A leader is elected and `members` members run, the replicas with a
/// known lag of at most `max_lag_bytes`" — what a bootstrap or restore
/// waits for before it calls the cluster healthy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Healthy {
    /// Members that must run (the leader included).
    pub members: usize,
    /// Most lag allowed per replica, in bytes.
    pub max_lag_bytes: u64,
}

impl Healthy {
    /// A leader and `members - 1` replicas with lag at most `max_lag_bytes`.
    #[must_use]
    pub fn new(members: usize, max_lag_bytes: u64) -> Self {
        Self { members, max_lag_bytes }
    }
}

impl ClusterCondition for Healthy {
    fn check(&self, cluster: &ClusterInfo) -> std::result::Result<(), String> {
        let Some(leader) = cluster.leader() else { return Err(format!("no leader; members: {}", summary(cluster))) };
        if !leader.state.is_running() {
            return Err(format!("leader {} is {}", leader.name, leader.state));
        }
        let good = cluster
            .replicas()
            .filter(|m| {
                m.state.is_running() && m.lag.as_ref().and_then(|l| l.bytes()).is_some_and(|l| l <= self.max_lag_bytes)
            })
            .count();
        if good + 1 >= self.members {
            Ok(())
        } else {
            Err(format!("{} of {} members healthy; members: {}", good + 1, self.members, summary(cluster)))
        }
    }

    fn describe(&self) -> String {
        format!("a leader and {} member(s) running with lag <= {} bytes", self.members, self.max_lag_bytes)
    }
}

/// "`name` is the running leader".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaderIs(pub String);

impl ClusterCondition for LeaderIs {
    fn check(&self, cluster: &ClusterInfo) -> std::result::Result<(), String> {
        match cluster.leader() {
            Some(l) if l.name == self.0 && l.state.is_running() => Ok(()),
            _ => Err(format!("members: {}", summary(cluster))),
        }
    }

    fn describe(&self) -> String {
        format!("{} is the running leader", self.0)
    }
}

/// A one-line summary of the members, e.g. `dbHA1 leader running, dbHA2 replica streaming lag 0`.
#[must_use]
pub fn summary(cluster: &ClusterInfo) -> String {
    if cluster.members.is_empty() {
        return "(none)".to_owned();
    }
    let parts: Vec<String> = cluster
        .members
        .iter()
        .map(|m| match &m.lag {
            Some(lag) => format!("{} {} {} lag {lag}", m.name, m.role, m.state),
            None => format!("{} {} {}", m.name, m.role, m.state),
        })
        .collect();
    parts.join(", ")
}

/// A cluster seen through one or several members' REST APIs: each call asks
/// the members in turn until one answers.
#[derive(Debug, Clone)]
pub struct ClusterView {
    members: Vec<PatroniClient>,
    poll_interval: Duration,
}

impl ClusterView {
    /// A view over member REST API URLs (at least one).
    pub fn new<S: AsRef<str>>(urls: &[S]) -> Result<Self> {
        let clients =
            urls.iter().map(|u| PatroniClient::builder().address(u.as_ref()).build()).collect::<Result<Vec<_>>>()?;
        Self::from_clients(clients)
    }

    /// A view over configured member clients (auth, TLS...).
    pub fn from_clients(members: Vec<PatroniClient>) -> Result<Self> {
        if members.is_empty() {
            return Err(Error::invalid("Patroni member list", "", "needs at least one member address"));
        }
        Ok(Self { members, poll_interval: Duration::from_millis(500) })
    }

    /// Sets how often [`ClusterView::wait_until`] polls (default 500 ms).
    #[must_use]
    pub fn with_poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = interval;
        self
    }

    /// The member clients.
    #[must_use]
    pub fn clients(&self) -> &[PatroniClient] {
        &self.members
    }

    /// `GET /cluster` from the first member that answers.
    pub async fn cluster(&self) -> Result<ClusterInfo> {
        let mut last = None;
        for member in &self.members {
            match member.cluster().await {
                Ok(c) => return Ok(c),
                Err(e) => last = Some(e),
            }
        }
        Err(Error::NoMemberReachable {
            tried: self.members.iter().map(|m| m.url().to_owned()).collect(),
            last_error: Box::new(last.unwrap_or_else(|| Error::invalid("member list", "", "is empty"))),
        })
    }

    /// The members.
    pub async fn members(&self) -> Result<Vec<ClusterMember>> {
        Ok(self.cluster().await?.members)
    }

    /// The leader, or [`Error::NoLeader`].
    pub async fn leader(&self) -> Result<ClusterMember> {
        let cluster = self.cluster().await?;
        cluster.leader().cloned().ok_or_else(|| Error::NoLeader { scope: cluster.scope.unwrap_or_default() })
    }

    /// A client for the leader's REST API (same credentials and TLS).
    pub async fn leader_client(&self) -> Result<PatroniClient> {
        let leader = self.leader().await?;
        let url = leader.api_base_url().ok_or_else(|| {
            Error::invalid("leader API URL", &leader.name, "the leader does not publish an api_url in the DCS")
        })?;
        self.members[0].for_member(url)
    }

    /// The cluster as a `patronictl list`-like table (see
    /// [`render_table`](crate::render_table)), titled with the scope and
    /// PostgreSQL's system identifier read from the leader when it answers.
    pub async fn table(&self) -> Result<String> {
        let cluster = self.cluster().await?;
        let status = match self.leader_client().await {
            Ok(leader) => leader.status().await.ok(),
            Err(_) => None,
        };
        // 3.x's /cluster carries no scope; /patroni always does.
        let scope =
            cluster.scope.clone().or_else(|| status.as_ref().map(|s| s.patroni.scope.clone())).unwrap_or_default();
        let system_id = status.as_ref().and_then(|s| s.database_system_identifier.as_deref());
        Ok(crate::table::render_table(&scope, system_id, &cluster))
    }

    /// Polls `/cluster` until `condition` holds; returns the cluster as it
    /// was then. Unreachable members during the wait are not fatal.
    pub async fn wait_until(&self, condition: &impl ClusterCondition, timeout: Duration) -> Result<ClusterInfo> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let last_state = match self.cluster().await {
                Ok(cluster) => match condition.check(&cluster) {
                    Ok(()) => return Ok(cluster),
                    Err(why) => why,
                },
                Err(e) => e.to_string(),
            };
            if tokio::time::Instant::now() + self.poll_interval > deadline {
                return Err(Error::WaitTimeout { condition: condition.describe(), timeout, last_state });
            }
            tokio::time::sleep(self.poll_interval).await;
        }
    }
}
