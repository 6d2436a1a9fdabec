//! The local agent: `/v1/agent` (self, members, local services and checks, maintenance).

use std::collections::BTreeMap;

use client_core::path::PathBuf;
use client_core::{ClientError as _, Request, Secret};
use futures::{Stream, StreamExt};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::client::ConsulClient;
use crate::error::{Error, Result};
use crate::models::{AgentService, CheckMap};
use crate::options::QueryOptions;
use crate::validate;

/// A gossip member's status (Serf's numeric status).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MemberStatus {
    /// 1: alive.
    Alive,
    /// 2: leaving gracefully.
    Leaving,
    /// 3: left.
    Left,
    /// 4: failed (unreachable); `force-leave` moves it to left.
    Failed,
    /// Any other code (0 is Serf's "none").
    Unknown(u8),
}

impl MemberStatus {
    /// Serf's numeric code.
    #[must_use]
    pub fn code(self) -> u8 {
        match self {
            Self::Alive => 1,
            Self::Leaving => 2,
            Self::Left => 3,
            Self::Failed => 4,
            Self::Unknown(c) => c,
        }
    }

    /// The status from Serf's numeric code.
    #[must_use]
    pub fn from_code(code: u8) -> Self {
        match code {
            1 => Self::Alive,
            2 => Self::Leaving,
            3 => Self::Left,
            4 => Self::Failed,
            c => Self::Unknown(c),
        }
    }
}

impl std::fmt::Display for MemberStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Alive => f.write_str("alive"),
            Self::Leaving => f.write_str("leaving"),
            Self::Left => f.write_str("left"),
            Self::Failed => f.write_str("failed"),
            Self::Unknown(c) => write!(f, "unknown({c})"),
        }
    }
}

impl Serialize for MemberStatus {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_u8(self.code())
    }
}

impl<'de> Deserialize<'de> for MemberStatus {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        u8::deserialize(d).map(Self::from_code)
    }
}

/// A gossip pool member (`/v1/agent/members`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Member {
    /// Node name (WAN members are `<node>.<dc>`).
    pub name: String,
    /// Gossip address.
    pub addr: String,
    /// Gossip port.
    pub port: u16,
    /// Serf tags (`role`, `dc`, `build`, ...).
    #[serde(default, deserialize_with = "crate::de::null_default")]
    pub tags: BTreeMap<String, String>,
    /// Status.
    pub status: MemberStatus,
}

impl Member {
    /// True when the member is a server (`role` tag `consul`).
    #[must_use]
    pub fn is_server(&self) -> bool {
        self.tags.get("role").is_some_and(|r| r == "consul")
    }

    /// The Consul version from the `build` tag (`1.8.7:` -> `1.8.7`).
    #[must_use]
    pub fn version(&self) -> Option<&str> {
        self.tags.get("build").map(|b| b.split(':').next().unwrap_or(b))
    }
}

/// The agent's own configuration summary (`Config` in `/v1/agent/self`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AgentConfig {
    /// Datacenter.
    pub datacenter: String,
    /// Node name.
    pub node_name: String,
    /// Node ID.
    #[serde(rename = "NodeID", default)]
    pub node_id: String,
    /// True for a server agent.
    #[serde(default)]
    pub server: bool,
    /// Consul version, e.g. `1.8.7`.
    pub version: String,
    /// Other fields, kept as sent.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// `/v1/agent/self`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AgentSelf {
    /// Configuration summary.
    pub config: AgentConfig,
    /// This agent as a gossip member.
    pub member: Member,
    /// Node metadata.
    #[serde(default, deserialize_with = "crate::de::null_default")]
    pub meta: BTreeMap<String, String>,
    /// Other sections (`DebugConfig`, `Stats`, `Coord`, `xDS`...), kept as sent.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// A check to register with a service on the local agent.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AgentCheckRegistration {
    /// Check ID (default: `service:<service id>`).
    #[serde(rename = "CheckID", default, skip_serializing_if = "Option::is_none")]
    pub check_id: Option<String>,
    /// Check name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// TTL, e.g. `30s`: the check must be updated with pass/warn/fail within it.
    #[serde(rename = "TTL", default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<String>,
    /// URL probed with GET.
    #[serde(rename = "HTTP", default, skip_serializing_if = "Option::is_none")]
    pub http: Option<String>,
    /// `host:port` probed with a TCP connect.
    #[serde(rename = "TCP", default, skip_serializing_if = "Option::is_none")]
    pub tcp: Option<String>,
    /// Probe interval, e.g. `10s`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<String>,
    /// Probe timeout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<String>,
    /// Remove the service after it has been critical this long.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deregister_critical_service_after: Option<String>,
    /// Initial status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Fields this crate does not model, sent as given.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// A service to register on the local agent (`PUT /v1/agent/service/register`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AgentServiceRegistration {
    /// Service ID (default: the name).
    #[serde(rename = "ID", default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Service name.
    pub name: String,
    /// Tags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Address (empty: the agent's).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub address: String,
    /// Port.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// Metadata.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub meta: BTreeMap<String, String>,
    /// One check.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check: Option<AgentCheckRegistration>,
    /// More checks.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<AgentCheckRegistration>,
    /// Fields this crate does not model (`Connect`, `Weights`...), sent as given.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// Which of the agent's ACL tokens [`Agent::update_token`] sets (Consul 1.8 names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgentTokenKind {
    /// `default`: for requests that carry no token.
    Default,
    /// `agent`: the agent's own internal operations.
    Agent,
    /// `agent_master`: agent endpoints when the servers are unreachable.
    AgentMaster,
    /// `replication`: ACL replication in a secondary datacenter.
    Replication,
}

impl AgentTokenKind {
    fn path_word(self) -> &'static str {
        match self {
            Self::Default => "default",
            Self::Agent => "agent",
            Self::AgentMaster => "agent_master",
            Self::Replication => "replication",
        }
    }
}

/// The agent's metrics (`/v1/agent/metrics`): go-metrics' in-memory sink,
/// the last complete interval.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AgentMetrics {
    /// The interval's start.
    pub timestamp: String,
    /// Gauges (`Name`, `Value`, `Labels`).
    #[serde(default, deserialize_with = "crate::de::null_default")]
    pub gauges: Vec<serde_json::Value>,
    /// Points.
    #[serde(default, deserialize_with = "crate::de::null_default")]
    pub points: Vec<serde_json::Value>,
    /// Counters (`Name`, `Count`, `Sum`, `Min`, `Max`, `Mean`, `Stddev`, `Labels`).
    #[serde(default, deserialize_with = "crate::de::null_default")]
    pub counters: Vec<serde_json::Value>,
    /// Samples (timers), shaped like counters.
    #[serde(default, deserialize_with = "crate::de::null_default")]
    pub samples: Vec<serde_json::Value>,
}

impl AgentMetrics {
    /// The value of the gauge `name`, if the interval has it.
    #[must_use]
    pub fn gauge(&self, name: &str) -> Option<f64> {
        self.gauges.iter().find(|g| g["Name"] == name).and_then(|g| g["Value"].as_f64())
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct TokenBody<'a> {
    token: &'a str,
}

/// The agent handler: `consul.agent()`. Talks to the agent the client is
/// connected to, not to the cluster.
#[derive(Debug, Clone)]
pub struct Agent {
    client: ConsulClient,
}

impl ConsulClient {
    /// The local agent.
    #[must_use]
    pub fn agent(&self) -> Agent {
        Agent { client: self.clone() }
    }
}

impl Agent {
    /// The agent's configuration, member entry and metadata.
    pub async fn self_info(&self) -> Result<AgentSelf> {
        self.client.json(Request::get("/v1/agent/self")).await
    }

    /// Members of the LAN gossip pool, or of the WAN pool (servers of every datacenter).
    pub async fn members(&self, wan: bool) -> Result<Vec<Member>> {
        // Consul reads `wan` by value: a bare `?wan` would mean LAN.
        self.client.json(Request::get("/v1/agent/members").query_opt("wan", wan.then_some(1))).await
    }

    /// Forces a failed member into the `left` state; with `prune` it is also
    /// removed from the member list at once.
    pub async fn force_leave(&self, node: &str, prune: bool) -> Result<()> {
        validate::name("node name", node)?;
        let path = PathBuf::new("/v1/agent/force-leave").segment("node name", node)?.finish();
        self.client.send(Request::put(path).query_opt("prune", prune.then_some(1))).await.map(drop)
    }

    /// Services registered on this agent, by ID. Honours `filter` and `token` in `opts`.
    pub async fn services(&self, opts: &QueryOptions) -> Result<BTreeMap<String, AgentService>> {
        let request = opts.apply(Request::get("/v1/agent/services"))?;
        Ok(self.client.json::<Option<_>>(request).await?.unwrap_or_default())
    }

    /// One service registered on this agent; `None` when it is not registered here.
    pub async fn service(&self, service_id: &str) -> Result<Option<AgentService>> {
        validate::name("service ID", service_id)?;
        let path = PathBuf::new("/v1/agent/service").segment("service ID", service_id)?.finish();
        let resp = self.client.send(Request::get(path).accept_status(&[404])).await?;
        if resp.status.as_u16() == 404 { Ok(None) } else { Ok(Some(resp.json()?)) }
    }

    /// Checks registered on this agent, by ID. Honours `filter` and `token` in `opts`.
    pub async fn checks(&self, opts: &QueryOptions) -> Result<CheckMap> {
        let request = opts.apply(Request::get("/v1/agent/checks"))?;
        Ok(self.client.json::<Option<_>>(request).await?.unwrap_or_default())
    }

    /// Registers (or replaces) a service on this agent.
    pub async fn service_register(&self, registration: &AgentServiceRegistration) -> Result<()> {
        validate::name("service name", &registration.name)?;
        if let Some(id) = &registration.id {
            validate::name("service ID", id)?;
        }
        self.client.send(Request::put("/v1/agent/service/register").json(registration)?).await.map(drop)
    }

    /// Removes a service and its checks from this agent (a missing ID succeeds).
    pub async fn service_deregister(&self, service_id: &str) -> Result<()> {
        validate::name("service ID", service_id)?;
        let path = PathBuf::new("/v1/agent/service/deregister").segment("service ID", service_id)?.finish();
        self.client.send(Request::put(path)).await.map(drop)
    }

    /// Registers (or replaces) a check on this agent; `check.name` is required.
    pub async fn check_register(&self, check: &AgentCheckRegistration) -> Result<()> {
        validate::name("check name", &check.name)?;
        if let Some(id) = &check.check_id {
            validate::name("check ID", id)?;
        }
        // The agent endpoint names the ID `ID` (a service's embedded check says `CheckID`).
        let mut body = serde_json::to_value(check)
            .map_err(|e| Error::invalid("check registration", &check.name, e.to_string()))?;
        if let Some(map) = body.as_object_mut() {
            if let Some(id) = map.remove("CheckID") {
                map.insert("ID".into(), id);
            }
        }
        self.client.send(Request::put("/v1/agent/check/register").json(&body)?).await.map(drop)
    }

    /// Asks this agent to join the gossip pool through `address`
    /// (`host` or `host:port`; the WAN pool with `wan`, servers only).
    pub async fn join(&self, address: &str, wan: bool) -> Result<()> {
        validate::name("join address", address)?;
        let path = PathBuf::new("/v1/agent/join").segment("join address", address)?.finish();
        self.client.send(Request::put(path).query_opt("wan", wan.then_some(1))).await.map(drop)
    }

    /// Makes this agent leave the cluster gracefully and shut down: the
    /// agent the client talks to stops answering afterwards.
    pub async fn leave(&self) -> Result<()> {
        self.client.send(Request::put("/v1/agent/leave").idempotent(false)).await.map(drop)
    }

    /// Reloads this agent's configuration files (services, checks, ACL tokens, log level…).
    pub async fn reload(&self) -> Result<()> {
        self.client.send(Request::put("/v1/agent/reload")).await.map(drop)
    }

    /// Sets one of this agent's ACL tokens at runtime (needs `acl:write`;
    /// persisted only with `acl.enable_token_persistence`).
    pub async fn update_token(&self, kind: AgentTokenKind, token: &Secret) -> Result<()> {
        let path = PathBuf::new("/v1/agent/token").literal(kind.path_word()).finish();
        let request = Request::put(path).json(&TokenBody { token: token.expose() })?;
        self.client.send(request).await.map_err(crate::acl::acl_hint).map(drop)
    }

    /// The agent's metrics of the last complete interval.
    pub async fn metrics(&self) -> Result<AgentMetrics> {
        self.client.json(Request::get("/v1/agent/metrics")).await
    }

    /// Follows this agent's log as a stream of lines at `log_level` (`trace`,
    /// `debug`, `info`, `warn`, `err`), whatever level the agent itself logs
    /// at. The stream ends when the agent closes it; drop it to stop.
    pub async fn monitor(
        &self,
        log_level: &str,
    ) -> Result<impl Stream<Item = Result<String>> + Send + 'static + use<>> {
        if !matches!(log_level, "trace" | "debug" | "info" | "warn" | "err" | "error") {
            return Err(Error::invalid("log level", log_level, "must be one of trace, debug, info, warn, err"));
        }
        let live = self.client.stream(Request::get("/v1/agent/monitor").query("loglevel", log_level)).await?;
        Ok(lines(live.bytes()))
    }

    /// Removes a check from this agent.
    pub async fn check_deregister(&self, check_id: &str) -> Result<()> {
        validate::name("check ID", check_id)?;
        let path = PathBuf::new("/v1/agent/check/deregister").segment("check ID", check_id)?.finish();
        self.client.send(Request::put(path)).await.map(drop)
    }

    /// Sets a TTL check to passing, with an optional note.
    pub async fn check_pass(&self, check_id: &str, note: Option<&str>) -> Result<()> {
        self.update_ttl("pass", check_id, note).await
    }

    /// Sets a TTL check to warning, with an optional note.
    pub async fn check_warn(&self, check_id: &str, note: Option<&str>) -> Result<()> {
        self.update_ttl("warn", check_id, note).await
    }

    /// Sets a TTL check to critical, with an optional note.
    pub async fn check_fail(&self, check_id: &str, note: Option<&str>) -> Result<()> {
        self.update_ttl("fail", check_id, note).await
    }

    async fn update_ttl(&self, verb: &'static str, check_id: &str, note: Option<&str>) -> Result<()> {
        validate::name("check ID", check_id)?;
        let path = PathBuf::new("/v1/agent/check").literal(verb).segment("check ID", check_id)?.finish();
        self.client.send(Request::put(path).query_opt("note", note)).await.map(drop)
    }

    /// Puts the whole node in maintenance mode (its services stop being
    /// returned as healthy), with a reason operators will see.
    pub async fn enable_maintenance(&self, reason: &str) -> Result<()> {
        let request = Request::put("/v1/agent/maintenance").query("enable", "true").query("reason", reason);
        self.client.send(request).await.map(drop)
    }

    /// Takes the node out of maintenance mode.
    pub async fn disable_maintenance(&self) -> Result<()> {
        self.client.send(Request::put("/v1/agent/maintenance").query("enable", "false")).await.map(drop)
    }

    /// Puts one service in (or out of) maintenance mode.
    pub async fn service_maintenance(&self, service_id: &str, enable: bool, reason: Option<&str>) -> Result<()> {
        validate::name("service ID", service_id)?;
        let path = PathBuf::new("/v1/agent/service/maintenance").segment("service ID", service_id)?.finish();
        let request = Request::put(path).query("enable", enable).query_opt("reason", reason);
        match self.client.send(request).await {
            Err(e) if e.is_not_found() => Err(Error::invalid(
                "service ID",
                service_id,
                "is not registered on this agent (maintenance applies to local services only)",
            )),
            other => other.map(drop),
        }
    }
}

/// Splits a byte stream into lines (without their `\n`), the last one
/// yielded even without a final newline.
fn lines(bytes: client_core::ByteStream) -> impl Stream<Item = Result<String>> + Send + 'static {
    futures::stream::unfold((bytes, Vec::<u8>::new(), false), |(mut bytes, mut buf, mut done)| async move {
        loop {
            if let Some(end) = buf.iter().position(|b| *b == b'\n') {
                let line: Vec<u8> = buf.drain(..=end).collect();
                let text = String::from_utf8_lossy(&line[..line.len() - 1]).trim_end_matches('\r').to_owned();
                return Some((Ok(text), (bytes, buf, done)));
            }
            if done {
                if buf.is_empty() {
                    return None;
                }
                let text = String::from_utf8_lossy(&std::mem::take(&mut buf)).into_owned();
                return Some((Ok(text), (bytes, buf, true)));
            }
            match bytes.next().await {
                Some(Ok(chunk)) => buf.extend_from_slice(&chunk),
                Some(Err(e)) => return Some((Err(e.into()), (bytes, buf, true))),
                None => done = true,
            }
        }
    })
}
