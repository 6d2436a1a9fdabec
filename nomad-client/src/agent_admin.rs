//! The agent's administration: join, force-leave, host data, and
//! `agent/monitor` as a stream of log lines; search (`/v1/search`,
//! `/v1/search/fuzzy`).

use std::collections::BTreeMap;

use bytes::BytesMut;
use client_core::{Request, Secret};
use futures::{Stream, StreamExt};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use crate::agent::Agent;
use crate::error::{Error, Result};
use crate::logs::{LogFrame, LogFrames};
use crate::options::QueryOptions;
use crate::validate;

/// The longest monitor line kept whole; a longer one comes out in pieces of
/// this size, so a line without a newline cannot grow memory.
pub const MAX_MONITOR_LINE: usize = 64 * 1024;

/// The levels `agent/monitor` accepts.
pub const MONITOR_LOG_LEVELS: [&str; 5] = ["trace", "debug", "info", "warn", "error"];

/// What `PUT /v1/agent/join` answers.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct JoinResponse {
    /// How many of the addresses were joined.
    pub num_joined: u64,
    /// Why the others were not (empty when all were).
    pub error: String,
}

/// `GET /v1/agent/host`: the agent's host. The agent's environment often
/// holds tokens, so its values are [`Secret`]s (Debug prints `<redacted>`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct HostData {
    /// The agent answering (a node or server ID).
    #[serde(rename = "AgentID")]
    pub agent_id: String,
    /// The host's data.
    pub host_data: HostDetails,
}

/// The host part of [`HostData`].
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct HostDetails {
    /// The agent process's environment (values redacted in Debug).
    #[serde(deserialize_with = "crate::models::null_is_default")]
    pub environment: BTreeMap<String, Secret>,
    /// `/etc/resolv.conf`.
    pub resolv_conf: String,
    /// `/etc/hosts`.
    pub hosts: String,
    /// Everything else (`OS`, `Network`, `Disk`...).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// What `POST /v1/search` answers: IDs starting with the prefix, per context.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct SearchResponse {
    /// Context (`jobs`, `evals`, `allocs`...) → matching IDs.
    #[serde(deserialize_with = "crate::models::null_is_default")]
    pub matches: BTreeMap<String, Vec<String>>,
    /// Context → whether the list was cut.
    #[serde(deserialize_with = "truncations")]
    pub truncations: BTreeMap<String, bool>,
}

/// What `POST /v1/search/fuzzy` answers.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct FuzzySearchResponse {
    /// Context (`jobs`, `groups`, `tasks`, `services`, `images`...) → matches.
    #[serde(deserialize_with = "crate::models::null_is_default")]
    pub matches: BTreeMap<String, Vec<FuzzyMatch>>,
    /// Context → whether the list was cut.
    #[serde(deserialize_with = "truncations")]
    pub truncations: BTreeMap<String, bool>,
}

/// One fuzzy match: the name found and where it lives (namespace, job, group,
/// task, as the context says).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct FuzzyMatch {
    /// The matching name.
    #[serde(rename = "ID")]
    pub id: String,
    /// Its scope, outermost first.
    #[serde(deserialize_with = "crate::models::null_is_default")]
    pub scope: Vec<String>,
}

/// Truncation flags: booleans, or the strings `"true"`/`"false"` the prefix
/// search sample of the docs shows.
fn truncations<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<BTreeMap<String, bool>, D::Error> {
    let raw: Option<BTreeMap<String, Value>> = Option::deserialize(d)?;
    raw.unwrap_or_default()
        .into_iter()
        .map(|(k, v)| match v {
            Value::Bool(b) => Ok((k, b)),
            Value::String(s) if s == "true" || s == "false" => Ok((k, s == "true")),
            other => Err(serde::de::Error::custom(format!("truncation of {k:?} is {other}, not a boolean"))),
        })
        .collect()
}

/// The search contexts Nomad knows (`all` searches every one).
pub const SEARCH_CONTEXTS: [&str; 13] = [
    "all",
    "allocs",
    "deployment",
    "evals",
    "jobs",
    "nodes",
    "node_pools",
    "namespaces",
    "quotas",
    "recommendations",
    "scaling_policy",
    "plugins",
    "volumes",
];

fn search_context(context: &str) -> Result<()> {
    if SEARCH_CONTEXTS.contains(&context) {
        return Ok(());
    }
    Err(client_core::Error::invalid(
        "search context",
        context,
        format!("must be one of {}", SEARCH_CONTEXTS.join(", ")),
    )
    .into())
}

impl Agent {
    /// `PUT /v1/agent/join?address=`: has this server join others' gossip
    /// pool. An empty list or an empty or odd address is refused.
    pub async fn join(&self, addresses: &[&str]) -> Result<JoinResponse> {
        if addresses.is_empty() {
            return Err(client_core::Error::invalid("join addresses", "[]", "name at least one server address").into());
        }
        let mut req = Request::put("/v1/agent/join");
        for address in addresses {
            validate::name("join address", address)?;
            if address.contains(char::is_whitespace) {
                return Err(client_core::Error::invalid("join address", *address, "must be host or host:port").into());
            }
            req = req.query("address", address);
        }
        self.client.json(self.client.query_global(req, &QueryOptions::new())?).await
    }

    /// `PUT /v1/agent/force-leave?node=[&prune=true]`: removes exactly the
    /// gossip member `node` (its full `name.region`). Members are read first:
    /// a name that is not a member, or a member that is alive (it would come
    /// back and lose nothing but its place), is refused before sending.
    /// `prune` also forgets it at once instead of keeping it as left.
    pub async fn force_leave(&self, node: &str, prune: bool) -> Result<()> {
        validate::name("member name", node)?;
        let members = self.members().await?.members;
        let Some(member) = members.iter().find(|m| m.name == node) else {
            let names: Vec<&str> = members.iter().map(|m| m.name.as_str()).collect();
            return Err(Error::Refused {
                action: format!("force-leave member {node:?}"),
                reason: format!("it is not a member of the gossip pool (members: {})", names.join(", ")),
            });
        };
        if member.status == "alive" {
            return Err(Error::Refused {
                action: format!("force-leave member {node:?}"),
                reason: "it is alive; force-leave is for failed members (stop its agent first)".into(),
            });
        }
        let req = Request::put("/v1/agent/force-leave").query("node", node).flag("prune", prune);
        self.client.send_empty(self.client.query_global(req, &QueryOptions::new())?).await
    }

    /// `GET /v1/agent/host[?node_id=|server_id=]`: host data of this agent,
    /// or of the client node or server named in `target`.
    pub async fn host(&self, target: Option<AgentTarget<'_>>) -> Result<HostData> {
        let req = target.map_or(Ok(Request::get("/v1/agent/host")), |t| t.apply(Request::get("/v1/agent/host")))?;
        self.client.json(self.client.query_global(req, &QueryOptions::new())?).await
    }

    /// `GET /v1/agent/monitor?log_level=`: the agent's log, live, as lines
    /// (without their newline). The frames are decoded like logs (one in
    /// memory at a time), a line longer than [`MAX_MONITOR_LINE`] comes out
    /// in pieces, and dropping the stream closes the connection.
    pub async fn monitor(
        &self,
        log_level: &str,
        target: Option<AgentTarget<'_>>,
    ) -> Result<impl Stream<Item = Result<String>> + Send + use<>> {
        if !MONITOR_LOG_LEVELS.contains(&log_level) {
            return Err(client_core::Error::invalid(
                "log level",
                log_level,
                "must be trace, debug, info, warn or error",
            )
            .into());
        }
        let mut req = Request::get("/v1/agent/monitor").query("log_level", log_level);
        if let Some(t) = target {
            req = t.apply(req)?;
        }
        let chunks = self.client.http().stream(self.client.query_global(req, &QueryOptions::new())?).await?.bytes();
        Ok(lines(LogFrames::new(chunks, None)))
    }

    /// `POST /v1/search`: IDs that start with `prefix` in `context`
    /// ([`SEARCH_CONTEXTS`]), in the namespace of `opts` (`*` for all).
    pub async fn search(&self, prefix: &str, context: &str, opts: &QueryOptions) -> Result<SearchResponse> {
        search_context(context)?;
        let body = serde_json::json!({ "Prefix": prefix, "Context": context });
        let req = Request::post("/v1/search").json(&body)?.idempotent(true);
        self.client.json(self.client.query(req, opts)?).await
    }

    /// `POST /v1/search/fuzzy`: names that contain `text` in `context`
    /// (`jobs` also matches groups, tasks, services, images...). An empty
    /// text is refused (it would match everything).
    pub async fn fuzzy_search(&self, text: &str, context: &str, opts: &QueryOptions) -> Result<FuzzySearchResponse> {
        search_context(context)?;
        if text.trim().is_empty() {
            return Err(client_core::Error::invalid("search text", text, "must not be empty").into());
        }
        let body = serde_json::json!({ "Text": text, "Context": context });
        let req = Request::post("/v1/search/fuzzy").json(&body)?.idempotent(true);
        self.client.json(self.client.query(req, opts)?).await
    }
}

/// Which agent a host or monitor call asks about, instead of the one answering.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgentTarget<'a> {
    /// A client node, by its full ID (`node_id=`).
    Node(&'a str),
    /// A server, by name (`server_id=`).
    Server(&'a str),
}

impl AgentTarget<'_> {
    fn apply(self, req: Request) -> Result<Request> {
        Ok(match self {
            Self::Node(id) => {
                validate::uuid("node ID", id)?;
                req.query("node_id", id)
            }
            Self::Server(name) => {
                validate::name("server name", name)?;
                req.query("server_id", name)
            }
        })
    }
}

/// The data of `frames` cut into lines, holding at most one partial line.
fn lines(frames: LogFrames) -> impl Stream<Item = Result<String>> + Send {
    struct State {
        frames: LogFrames,
        partial: BytesMut,
        ready: std::collections::VecDeque<String>,
        ended: bool,
    }
    let state = State { frames, partial: BytesMut::new(), ready: Default::default(), ended: false };
    futures::stream::unfold(state, |mut st| async move {
        loop {
            if let Some(line) = st.ready.pop_front() {
                return Some((Ok(line), st));
            }
            if st.ended {
                return None;
            }
            match st.frames.next().await {
                Some(Ok(LogFrame::Data { data, .. })) => {
                    let mut rest: &[u8] = &data;
                    while !rest.is_empty() {
                        let room = MAX_MONITOR_LINE - st.partial.len();
                        let (take, skip) = match rest.iter().take(room).position(|b| *b == b'\n') {
                            Some(at) => (at, 1),
                            None if rest.len() >= room => (room, 0),
                            None => {
                                st.partial.extend_from_slice(rest);
                                break;
                            }
                        };
                        st.partial.extend_from_slice(&rest[..take]);
                        st.ready.push_back(String::from_utf8_lossy(&st.partial.split()).into_owned());
                        rest = &rest[take + skip..];
                    }
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => {
                    st.ended = true;
                    return Some((Err(e), st));
                }
                None => {
                    st.ended = true;
                    if !st.partial.is_empty() {
                        let rest = st.partial.split();
                        st.ready.push_back(String::from_utf8_lossy(&rest).into_owned());
                    }
                }
            }
        }
    })
}
