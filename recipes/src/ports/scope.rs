//! Patroni's state for one scope in the DCS (Consul KV under `service/<scope>/`), and the
//! cluster status read from it.

use std::time::Duration;

use async_trait::async_trait;
use patroni_client::{Role, State};
use serde::{Deserialize, Serialize};

use crate::Result;

/// One key of a scope's state, exactly as stored (so it can be put back).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScopeEntry {
    /// The full key, e.g. `service/atala-testnet-database/leader`.
    pub key: String,
    /// The key's flags.
    pub flags: u64,
    /// The value as text, when it is UTF-8 (Patroni only writes text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// The value's bytes, when it is not UTF-8.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bytes: Option<Vec<u8>>,
    /// The key's `ModifyIndex` when it was read (0 when unknown): deleting the
    /// scope deletes the key only if it is still at this index.
    #[serde(default)]
    pub modify_index: u64,
}

impl ScopeEntry {
    /// Builds an entry from raw bytes, keeping text readable in backups.
    #[must_use]
    pub fn new(key: String, flags: u64, value: Option<Vec<u8>>) -> Self {
        match value.map(String::from_utf8) {
            None => Self { key, flags, text: None, bytes: None, modify_index: 0 },
            Some(Ok(text)) => Self { key, flags, text: Some(text), bytes: None, modify_index: 0 },
            Some(Err(e)) => Self { key, flags, text: None, bytes: Some(e.into_bytes()), modify_index: 0 },
        }
    }

    /// Records the `ModifyIndex` the key was read at.
    #[must_use]
    pub fn at_index(mut self, modify_index: u64) -> Self {
        self.modify_index = modify_index;
        self
    }

    /// True when the key holds a value (text or bytes); Consul can store a key without one.
    #[must_use]
    pub fn has_value(&self) -> bool {
        self.text.is_some() || self.bytes.is_some()
    }

    /// The value's bytes.
    #[must_use]
    pub fn value(&self) -> Vec<u8> {
        self.text.as_ref().map(|t| t.as_bytes().to_vec()).or_else(|| self.bytes.clone()).unwrap_or_default()
    }
}

/// Every key of a scope at one moment, with the index to wait for changes from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScopeSnapshot {
    /// The KV folder read, e.g. `service/atala-testnet-database/`.
    pub prefix: String,
    /// The store's index (for blocking queries).
    pub index: u64,
    /// The keys, sorted.
    pub entries: Vec<ScopeEntry>,
}

impl ScopeSnapshot {
    /// True when the scope holds no state at all.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The value of `<prefix><name>` as text.
    #[must_use]
    pub fn text(&self, name: &str) -> Option<&str> {
        let key = format!("{}{name}", self.prefix);
        self.entries.iter().find(|e| e.key == key).and_then(|e| e.text.as_deref())
    }

    /// The cluster status Patroni published in this state.
    #[must_use]
    pub fn cluster_status(&self) -> ClusterStatus {
        let members_prefix = format!("{}members/", self.prefix);
        let leader = self.text("leader").map(str::to_owned).filter(|l| !l.is_empty());
        let mut members: Vec<MemberStatus> = self
            .entries
            .iter()
            .filter_map(|e| {
                let name = e.key.strip_prefix(&members_prefix)?;
                let data: MemberData = e.text.as_deref().and_then(|t| serde_json::from_str(t).ok()).unwrap_or_default();
                Some(MemberStatus {
                    name: name.to_owned(),
                    role: data.role.unwrap_or_default(),
                    state: data.state.unwrap_or_default(),
                    timeline: data.timeline,
                    xlog_location: data.xlog_location,
                    api_url: data.api_url,
                    lag_bytes: None,
                })
            })
            .collect();
        let leader_lsn =
            leader.as_ref().and_then(|l| members.iter().find(|m| &m.name == l)).and_then(|m| m.xlog_location);
        for m in &mut members {
            if leader.as_deref() != Some(m.name.as_str()) {
                m.lag_bytes = leader_lsn.zip(m.xlog_location).map(|(l, r)| l.saturating_sub(r));
            }
        }
        ClusterStatus { leader, members }
    }
}

#[derive(Debug, Default, Deserialize)]
struct MemberData {
    role: Option<Role>,
    state: Option<State>,
    timeline: Option<u32>,
    xlog_location: Option<u64>,
    api_url: Option<String>,
}

/// One Patroni member as published in the DCS.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberStatus {
    /// Member name, e.g. `dbHA1`.
    pub name: String,
    /// The member's role: 3.x's `master` and 4.x's `primary` are both
    /// [`Role::Primary`]; `Role::Unknown("")` when the member published none.
    pub role: Role,
    /// [`State::Running`], [`State::Starting`], [`State::Stopped`]...;
    /// `State::Unknown("")` when the member published none.
    pub state: State,
    /// The member's timeline.
    pub timeline: Option<u32>,
    /// The member's WAL position in bytes.
    pub xlog_location: Option<u64>,
    /// The member's REST API URL.
    pub api_url: Option<String>,
    /// Bytes behind the leader (replicas only, when both positions are known).
    pub lag_bytes: Option<u64>,
}

impl MemberStatus {
    /// True for the member that leads (Patroni calls it `master`, `primary`,
    /// `leader` or `standby_leader`): [`Role::is_leader`].
    #[must_use]
    pub fn is_primary_role(&self) -> bool {
        self.role.is_leader()
    }
}

/// The cluster as Patroni publishes it in the DCS.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterStatus {
    /// The member holding the leader key.
    pub leader: Option<String>,
    /// Every member that published itself.
    pub members: Vec<MemberStatus>,
}

impl ClusterStatus {
    /// The member named `name`.
    #[must_use]
    pub fn member(&self, name: &str) -> Option<&MemberStatus> {
        self.members.iter().find(|m| m.name == name)
    }

    /// The leader's status, when it holds the leader key and runs as primary.
    #[must_use]
    pub fn running_leader(&self) -> Option<&MemberStatus> {
        let leader = self.member(self.leader.as_deref()?)?;
        (leader.state == State::Running && leader.is_primary_role()).then_some(leader)
    }

    /// True when `names` all run, one of them leads, and every other one is a running
    /// replica at most `max_lag_bytes` behind the leader.
    #[must_use]
    pub fn is_healthy(&self, names: &[String], max_lag_bytes: u64) -> bool {
        self.unhealthy_reason(names, max_lag_bytes).is_none()
    }

    /// Why [`Self::is_healthy`] is false, in a sentence.
    #[must_use]
    pub fn unhealthy_reason(&self, names: &[String], max_lag_bytes: u64) -> Option<String> {
        let Some(leader) = self.running_leader() else {
            return Some(match &self.leader {
                None => "no member holds the leader key".to_owned(),
                Some(l) => format!("leader {l} is not running as primary"),
            });
        };
        if !names.contains(&leader.name) {
            return Some(format!("the leader {} is not one of {}", leader.name, names.join(", ")));
        }
        for name in names.iter().filter(|n| **n != leader.name) {
            let Some(m) = self.member(name) else {
                return Some(format!("member {name} has not joined"));
            };
            if !matches!(m.state, State::Running | State::Streaming) || m.role != Role::Replica {
                return Some(format!("member {name} is {} as {}, not a running replica", m.state, m.role));
            }
            match m.lag_bytes {
                Some(lag) if lag <= max_lag_bytes => {}
                Some(lag) => return Some(format!("replica {name} is {lag} bytes behind (bound {max_lag_bytes})")),
                None => return Some(format!("replica {name} has not reported its WAL position")),
            }
        }
        None
    }
}

/// Access to Patroni's state of a scope in the DCS.
#[async_trait]
pub trait ScopeStore: Send + Sync {
    /// The KV folder of a scope, always ending in `/` (e.g. `service/<scope>/`).
    fn prefix(&self, scope: &str) -> String;

    /// Every key of the scope now.
    async fn snapshot(&self, scope: &str) -> Result<ScopeSnapshot>;

    /// The scope's keys once they changed after `index`, or after `max_wait` at the latest
    /// (an event-driven wait: a Consul blocking query).
    async fn wait_change(&self, scope: &str, index: u64, max_wait: Duration) -> Result<ScopeSnapshot>;

    /// Deletes exactly the entries of `saved` (a [`ScopeStore::snapshot`] of `scope`, already
    /// written to a backup), each only if it is still as saved: a key changed or created after
    /// the snapshot is not deleted, and the call then fails naming what was deleted (all of it
    /// in `saved`) and what is left. Never touches a folder that merely starts with the same
    /// letters.
    async fn delete_scope(&self, scope: &str, saved: &ScopeSnapshot) -> Result<()>;

    /// Writes entries back (to undo a removal from its backup), without overwriting: a key
    /// that exists with other content is left as it is and the call fails naming it.
    async fn restore(&self, entries: &[ScopeEntry]) -> Result<()>;

    /// Other scope folders whose names start with this scope's name (e.g. `<scope>-old/`):
    /// reported so the operator sees they were left alone.
    async fn look_alikes(&self, scope: &str) -> Result<Vec<String>>;
}
