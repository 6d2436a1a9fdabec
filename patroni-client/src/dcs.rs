//! The DCS view: Patroni's keys for one scope in Consul KV, read as typed
//! values (`<namespace>/<scope>/leader`, `members/*`, `config`, ...).

use std::collections::BTreeMap;

use consul_client::{ConsulClient, KvPair, QueryOptions, WatchOptions};
use futures::{Stream, StreamExt};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::config::DynamicConfig;
use crate::error::{Error, Result};
use crate::history::HistoryEntry;
use crate::vocab::{Role, State};

/// Patroni's default namespace (`/service/` in its configuration; Consul
/// keys carry no leading slash).
pub const DEFAULT_NAMESPACE: &str = "service";

/// One scope's keys in Consul KV.
///
/// ```no_run
/// use std::path::Path;
/// use consul_client::ConsulClient;
/// use patroni_client::{DcsView, RemoveOptions};
/// # async fn demo() -> patroni_client::Result<()> {
/// let dcs = DcsView::new(ConsulClient::from_env()?, "demo-database")?;
/// let state = dcs.read().await?;
/// println!("leader: {:?}, members: {:?}", state.leader, state.members.keys());
/// // Cluster stopped: save and clear its state before a fresh bootstrap.
/// let backup = Path::new("/var/backups/demo-database-dcs.json");
/// let saved = dcs.remove_scope_state(backup, RemoveOptions::default()).await?;
/// println!("saved and removed {} keys", saved.keys.len());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct DcsView {
    consul: ConsulClient,
    namespace: String,
    scope: String,
}

impl DcsView {
    /// The view of `scope` under the default namespace `service`.
    ///
    /// The scope must be one key segment: a `/` in it would point into
    /// another scope's keys (or Citus groups), so it is refused.
    pub fn new(consul: ConsulClient, scope: &str) -> Result<Self> {
        validate_scope(scope)?;
        Ok(Self { consul, namespace: DEFAULT_NAMESPACE.to_owned(), scope: scope.to_owned() })
    }

    /// Uses another namespace, as written in Patroni's configuration
    /// (`/service/`, `service` and `/service` are the same).
    pub fn with_namespace(mut self, namespace: &str) -> Result<Self> {
        let trimmed = namespace.trim_matches('/');
        client_core::path::validate_path("Patroni namespace", trimmed, false)?;
        self.namespace = trimmed.to_owned();
        Ok(self)
    }

    /// The scope.
    #[must_use]
    pub fn scope(&self) -> &str {
        &self.scope
    }

    /// The namespace (without slashes).
    #[must_use]
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// The Consul client.
    #[must_use]
    pub fn consul(&self) -> &ConsulClient {
        &self.consul
    }

    /// The scope's folder, with its trailing slash: `service/<scope>/`.
    #[must_use]
    pub fn prefix(&self) -> String {
        format!("{}/{}/", self.namespace, self.scope)
    }

    /// The full key of `relative` (`leader`, `members/dbHA1`, ...).
    #[must_use]
    pub fn key(&self, relative: &str) -> String {
        format!("{}{relative}", self.prefix())
    }

    /// Every raw key of the scope (exactly `<namespace>/<scope>/`), read consistently.
    pub async fn raw_keys(&self) -> Result<Vec<KvPair>> {
        let opts = QueryOptions::new().consistent();
        let pairs = self.consul.kv().list(&self.prefix(), &opts).await?;
        Ok(pairs.value)
    }

    /// Reads and decodes every key of the scope.
    pub async fn read(&self) -> Result<DcsState> {
        let pairs = self.raw_keys().await?;
        DcsState::from_pairs(&self.prefix(), &pairs)
    }

    /// The leader's name (`None` when the leader key is absent).
    pub async fn leader(&self) -> Result<Option<String>> {
        let found = self.consul.kv().get(&self.key("leader"), &QueryOptions::default()).await?;
        Ok(found.value.and_then(|p| p.value_str().map(str::to_owned)).filter(|s| !s.is_empty()))
    }

    /// Watches the leader key with Consul blocking queries: yields the
    /// current leader at once, then on every change (`None` while there is
    /// no leader). Errors are yielded and the watch goes on.
    pub fn watch_leader(&self) -> impl Stream<Item = Result<Option<String>>> + Send + 'static + use<> {
        // Built on client_core::watch directly: consul-client's watch_key
        // stream borrows its arguments (edition 2024 capture rules).
        let consul = self.consul.clone();
        let key = self.key("leader");
        client_core::watch(WatchOptions::default(), move |blocking| {
            let consul = consul.clone();
            let key = key.clone();
            async move {
                let opts = QueryOptions { blocking, ..QueryOptions::default() };
                consul.kv().get(&key, &opts).await.map_err(|e| match e {
                    consul_client::Error::Core(core) => core,
                    other => client_core::Error::invalid("Consul answer", &key, other.to_string()),
                })
            }
        })
        .map(|item| {
            item.map(|found| found.value.and_then(|p| p.value_str().map(str::to_owned)).filter(|s| !s.is_empty()))
                .map_err(Error::from)
        })
    }
}

/// Longest scope accepted, in bytes.
const MAX_SCOPE_LEN: usize = 256;

/// Checks a Patroni scope (cluster name) the one way the whole SDK does: the
/// recipes use this same check. A scope becomes exactly one Consul KV folder,
/// `<namespace>/<scope>/`, and part of job, file and service names, so it
/// must be 1 to 256 bytes, without `/` (it would address another scope's keys
/// or Citus groups), not `.` or `..`, and without whitespace or control
/// characters (`prod database` is refused). The error names the input as
/// `scope`.
pub fn validate_scope(scope: &str) -> std::result::Result<(), client_core::Error> {
    let invalid = |reason: &str| Err(client_core::Error::invalid("scope", scope, reason));
    if scope.is_empty() {
        return invalid("must not be empty");
    }
    if scope.len() > MAX_SCOPE_LEN {
        return invalid(&format!("must be at most {MAX_SCOPE_LEN} bytes"));
    }
    if scope.contains('/') {
        return invalid("must not contain '/': it names exactly one Consul KV folder, <namespace>/<scope>/");
    }
    if scope == "." || scope == ".." {
        return invalid("must not be '.' or '..'");
    }
    if scope.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return invalid("must not contain whitespace or control characters");
    }
    Ok(())
}

/// The decoded state of one scope.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DcsState {
    /// `leader`: the leader's name.
    pub leader: Option<String>,
    /// The Consul session holding the leader lock.
    pub leader_session: Option<String>,
    /// `members/<name>`, by name.
    pub members: BTreeMap<String, DcsMember>,
    /// `config`: the dynamic configuration.
    pub config: Option<DynamicConfig>,
    /// `initialize`: PostgreSQL's system identifier (`""` while bootstrapping).
    pub initialize: Option<String>,
    /// `history`: timeline switches.
    pub history: Option<Vec<HistoryEntry>>,
    /// `failover`: a requested switchover/failover (`{}` when none).
    pub failover: Option<FailoverKey>,
    /// `sync`: synchronous replication state.
    pub sync: Option<SyncState>,
    /// `status`: the leader's last known WAL position and slots.
    pub status: Option<StatusKey>,
    /// Other keys of the scope (relative names), e.g. `failsafe`, `optime/leader`.
    pub other_keys: Vec<String>,
}

impl DcsState {
    /// Decodes the pairs of one scope listed under `prefix`.
    pub fn from_pairs(prefix: &str, pairs: &[KvPair]) -> Result<Self> {
        let mut state = Self::default();
        for pair in pairs {
            let Some(rel) = pair.key.strip_prefix(prefix) else { continue };
            let text = pair.value_str().unwrap_or_default();
            match rel {
                "leader" => {
                    state.leader = Some(text.to_owned()).filter(|s| !s.is_empty());
                    state.leader_session.clone_from(&pair.session);
                }
                "config" => state.config = Some(decode(&pair.key, text, "a configuration JSON object")?),
                "initialize" => state.initialize = Some(text.to_owned()),
                "history" => state.history = Some(decode(&pair.key, text, "a JSON array of timeline switches")?),
                "failover" => state.failover = Some(FailoverKey::parse(&pair.key, text)?),
                "sync" => state.sync = Some(decode(&pair.key, text, "a sync-state JSON object")?),
                "status" => state.status = Some(decode(&pair.key, text, "a status JSON object")?),
                _ => match rel.strip_prefix("members/") {
                    Some(name) if !name.is_empty() && !name.contains('/') => {
                        let mut member = DcsMember::parse(&pair.key, text)?;
                        member.session.clone_from(&pair.session);
                        state.members.insert(name.to_owned(), member);
                    }
                    _ => state.other_keys.push(rel.to_owned()),
                },
            }
        }
        Ok(state)
    }
}

fn decode<T: DeserializeOwned>(key: &str, text: &str, expected: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| Error::DcsValue {
        key: key.to_owned(),
        expected: expected.to_owned(),
        reason: e.to_string(),
    })
}

/// A member's key (`members/<name>`), written by the member every HA loop.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DcsMember {
    /// `postgres://host:port/postgres`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conn_url: Option<String>,
    /// `http://host:port/patroni`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_url: Option<String>,
    /// PostgreSQL's state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<State>,
    /// Role (`master` in 3.x, `primary` in 4.x).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    /// Patroni's version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Current WAL position (absolute bytes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub xlog_location: Option<u64>,
    /// Replica: replayed position (4.1+).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replay_lsn: Option<u64>,
    /// Replica: received position (4.1+).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receive_lsn: Option<u64>,
    /// Replica: `streaming` or `in archive recovery`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replication_state: Option<State>,
    /// Timeline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeline: Option<u64>,
    /// Tags.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub tags: Map<String, Value>,
    /// A restart is pending.
    #[serde(default)]
    pub pending_restart: bool,
    /// Keys this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
    /// The Consul session holding the key (the member's liveness).
    #[serde(skip)]
    pub session: Option<String>,
}

impl DcsMember {
    fn parse(key: &str, text: &str) -> Result<Self> {
        // Very old members wrote their connection URL as the whole value.
        if text.starts_with("postgres") {
            return Ok(Self { conn_url: Some(text.to_owned()), ..Self::default() });
        }
        decode(key, text, "a member JSON object")
    }

    /// The REST API base URL (the `api_url` without `/patroni`).
    #[must_use]
    pub fn api_base_url(&self) -> Option<&str> {
        let url = self.api_url.as_deref()?;
        Some(url.strip_suffix("/patroni").unwrap_or(url))
    }
}

/// The `failover` key: a pending switchover or failover.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailoverKey {
    /// The leader to switch away from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leader: Option<String>,
    /// The candidate (Patroni stores it under `member`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member: Option<String>,
    /// When it is scheduled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduled_at: Option<String>,
}

impl FailoverKey {
    fn parse(key: &str, text: &str) -> Result<Self> {
        if text.trim().is_empty() {
            return Ok(Self::default());
        }
        if !text.trim_start().starts_with('{') {
            // Legacy `leader:candidate` text.
            let (leader, member) = text.split_once(':').unwrap_or((text, ""));
            let some = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
            return Ok(Self { leader: some(leader), member: some(member), scheduled_at: None });
        }
        decode(key, text, "a failover JSON object")
    }

    /// True when nothing is pending (Patroni resets the key to `{}`).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.leader.is_none() && self.member.is_none() && self.scheduled_at.is_none()
    }
}

/// The `sync` key (synchronous mode).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncState {
    /// The leader that wrote it.
    #[serde(default)]
    pub leader: Option<String>,
    /// Quorum size (quorum commit mode, 4.0+).
    #[serde(default)]
    pub quorum: Option<u64>,
    /// Comma-separated synchronous standby names.
    #[serde(default)]
    pub sync_standby: Option<String>,
}

impl SyncState {
    /// The synchronous standbys' names.
    #[must_use]
    pub fn standbys(&self) -> Vec<&str> {
        self.sync_standby.as_deref().map(|s| s.split(',').filter(|n| !n.is_empty()).collect()).unwrap_or_default()
    }
}

/// The `status` key: the leader's last known WAL position.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StatusKey {
    /// The leader's WAL position (absolute bytes).
    #[serde(default)]
    pub optime: Option<u64>,
    /// Replication slot positions.
    #[serde(default)]
    pub slots: Option<BTreeMap<String, u64>>,
    /// Slots retained for members that left.
    #[serde(default)]
    pub retain_slots: Option<Vec<String>>,
    /// Keys this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
