//! Sessions: `/v1/session` (the basis of locks and leader election).

use std::time::Duration;

use client_core::path::PathBuf;
use client_core::{Request, WithMeta};
use serde::{Deserialize, Serialize};

use crate::client::ConsulClient;
use crate::error::{Error, Result};
use crate::options::{QueryOptions, WriteOptions};
use crate::validate;

/// Shortest session TTL Consul accepts.
pub const MIN_SESSION_TTL: Duration = Duration::from_secs(10);
/// Longest session TTL Consul accepts.
pub const MAX_SESSION_TTL: Duration = Duration::from_secs(86_400);

/// What happens to the keys a session holds when it is invalidated.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SessionBehavior {
    /// The locks are released, the keys stay.
    #[default]
    Release,
    /// The keys are deleted.
    Delete,
}

/// A session to create.
#[derive(Debug, Clone, Default)]
pub struct SessionRequest {
    /// Human name.
    pub name: Option<String>,
    /// Node the session belongs to (default: the agent's node).
    pub node: Option<String>,
    /// Time during which a released lock cannot be re-acquired (Consul default 15 s).
    pub lock_delay: Option<Duration>,
    /// What happens to held keys on invalidation.
    pub behavior: SessionBehavior,
    /// TTL (10 s to 24 h); the session must be renewed within it. Consul may
    /// wait up to twice the TTL before invalidating.
    pub ttl: Option<Duration>,
    /// Node checks that invalidate the session when critical (default:
    /// `serfHealth`; `Some(vec![])` binds to none).
    pub node_checks: Option<Vec<String>>,
    /// Service checks that invalidate the session when critical.
    pub service_checks: Vec<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct CreateBody<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    node: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    lock_delay: Option<String>,
    behavior: SessionBehavior,
    #[serde(rename = "TTL", skip_serializing_if = "Option::is_none")]
    ttl: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    node_checks: Option<&'a [String]>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    service_checks: Vec<ServiceCheckRef<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ServiceCheckRef<'a> {
    #[serde(rename = "ID")]
    id: &'a str,
}

/// A session as Consul reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SessionEntry {
    /// Session ID.
    #[serde(rename = "ID")]
    pub id: String,
    /// Human name.
    #[serde(default)]
    pub name: String,
    /// Node the session belongs to.
    #[serde(default)]
    pub node: String,
    /// Lock delay in nanoseconds (see [`SessionEntry::lock_delay`]).
    #[serde(rename = "LockDelay", default)]
    pub lock_delay_ns: u64,
    /// Behavior on invalidation.
    #[serde(default)]
    pub behavior: SessionBehavior,
    /// TTL as Consul spells it (`30s`), empty when none.
    #[serde(rename = "TTL", default)]
    pub ttl: String,
    /// Node checks the session is bound to.
    #[serde(default, deserialize_with = "crate::de::null_default")]
    pub node_checks: Vec<String>,
    /// Raft index of creation.
    #[serde(default)]
    pub create_index: u64,
    /// Raft index of the last change.
    #[serde(default)]
    pub modify_index: u64,
}

impl SessionEntry {
    /// The lock delay.
    #[must_use]
    pub fn lock_delay(&self) -> Duration {
        Duration::from_nanos(self.lock_delay_ns)
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Created {
    #[serde(rename = "ID")]
    id: String,
}

/// The sessions handler: `consul.sessions()`.
#[derive(Debug, Clone)]
pub struct Sessions {
    pub(crate) client: ConsulClient,
}

impl ConsulClient {
    /// Sessions.
    #[must_use]
    pub fn sessions(&self) -> Sessions {
        Sessions { client: self.clone() }
    }
}

/// Formats a duration the way Consul's parser reads it (`15s`, `1500ms`).
pub(crate) fn go_duration(d: Duration) -> String {
    if d.subsec_millis() == 0 { format!("{}s", d.as_secs()) } else { format!("{}ms", d.as_millis()) }
}

impl Sessions {
    /// Creates a session and returns its ID.
    pub async fn create(&self, session: &SessionRequest, opts: &WriteOptions) -> Result<String> {
        if let Some(ttl) = session.ttl {
            if !(MIN_SESSION_TTL..=MAX_SESSION_TTL).contains(&ttl) {
                return Err(Error::invalid(
                    "session TTL",
                    go_duration(ttl),
                    "must be between 10s and 24h (86400s), as Consul requires",
                ));
            }
        }
        if let Some(node) = &session.node {
            validate::name("node name", node)?;
        }
        if session.lock_delay.is_some_and(|d| d > Duration::from_secs(60)) {
            return Err(Error::invalid(
                "session lock delay",
                go_duration(session.lock_delay.unwrap_or_default()),
                "must be at most 60s",
            ));
        }
        let body = CreateBody {
            name: session.name.as_deref(),
            node: session.node.as_deref(),
            lock_delay: session.lock_delay.map(go_duration),
            behavior: session.behavior,
            ttl: session.ttl.map(go_duration),
            node_checks: session.node_checks.as_deref(),
            service_checks: session.service_checks.iter().map(|id| ServiceCheckRef { id }).collect(),
        };
        // Creating twice would leave an orphan session: never retried after sending.
        let request = opts.apply(Request::put("/v1/session/create").json(&body)?.idempotent(false))?;
        Ok(self.client.json::<Created>(request).await?.id)
    }

    /// Destroys a session, releasing (or deleting) what it holds.
    pub async fn destroy(&self, id: &str, opts: &WriteOptions) -> Result<()> {
        validate::uuid("session ID", id)?;
        let request =
            opts.apply(Request::put(PathBuf::new("/v1/session/destroy").segment("session ID", id)?.finish()))?;
        self.client.write_true(request, &format!("the destruction of session {id}")).await
    }

    /// Renews a TTL session. `None` when the session no longer exists
    /// (expired or destroyed): whatever it held is lost.
    pub async fn renew(&self, id: &str, opts: &WriteOptions) -> Result<Option<SessionEntry>> {
        validate::uuid("session ID", id)?;
        let request =
            opts.apply(Request::put(PathBuf::new("/v1/session/renew").segment("session ID", id)?.finish()))?;
        let resp = self.client.send(request.accept_status(&[404])).await?;
        if resp.status.as_u16() == 404 {
            return Ok(None);
        }
        Ok(resp.json::<Option<Vec<SessionEntry>>>()?.and_then(|v| v.into_iter().next()))
    }

    /// One session; `None` when unknown.
    pub async fn info(&self, id: &str, opts: &QueryOptions) -> Result<WithMeta<Option<SessionEntry>>> {
        validate::uuid("session ID", id)?;
        let request = Request::get(PathBuf::new("/v1/session/info").segment("session ID", id)?.finish());
        let read = self.client.read::<Option<Vec<SessionEntry>>>(request, opts).await?;
        Ok(WithMeta { value: read.value.and_then(|v| v.into_iter().next()), meta: read.meta })
    }

    /// Every session in the datacenter.
    pub async fn list(&self, opts: &QueryOptions) -> Result<WithMeta<Vec<SessionEntry>>> {
        let read = self.client.read::<Option<Vec<SessionEntry>>>(Request::get("/v1/session/list"), opts).await?;
        Ok(crate::client::null_list(read))
    }

    /// Sessions of one node.
    pub async fn node(&self, node: &str, opts: &QueryOptions) -> Result<WithMeta<Vec<SessionEntry>>> {
        validate::name("node name", node)?;
        let request = Request::get(PathBuf::new("/v1/session/node").segment("node name", node)?.finish());
        Ok(crate::client::null_list(self.client.read::<Option<Vec<SessionEntry>>>(request, opts).await?))
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    #[test]
    fn durations_are_spelled_for_consul() {
        assert_eq!(super::go_duration(Duration::from_secs(15)), "15s");
        assert_eq!(super::go_duration(Duration::from_millis(1500)), "1500ms");
    }
}
