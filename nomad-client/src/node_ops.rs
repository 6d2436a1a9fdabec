//! More of `/v1/node/:id` and the client's own view of its node: force an
//! evaluation, the host's resource statistics, dynamic node metadata (1.5+),
//! and a drain followed to its end.

use std::collections::BTreeMap;
use std::time::Duration;

use client_core::{Request, WatchOptions};
use futures::{Stream, StreamExt};
use serde_json::{Map, Value};

use crate::error::{Error, Result, not_found};
use crate::models::{Node, NodeMeta, NodeUpdateResponse};
use crate::nodes::{Nodes, node_path};
use crate::options::{QueryOptions, WriteOptions};
use crate::validate;

/// One step of a drain, as [`Nodes::watch_drain`] sees the node.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum DrainProgress {
    /// The node is still draining.
    Draining {
        /// When Nomad stops what is left (`DrainStrategy.ForceDeadline`, RFC 3339
        /// as Nomad sends it); `None`: no deadline.
        force_deadline: Option<String>,
        /// The node's modify index at this answer.
        index: u64,
    },
    /// The drain is over: `status` is Nomad's `LastDrain.Status` (`complete`,
    /// `canceled`) or empty on a Nomad older than 1.1. The stream ends after it.
    Done {
        /// `LastDrain.Status`.
        status: String,
    },
}

/// Changes to a node's dynamic metadata, for [`Nodes::apply_meta`]: keys set
/// to a value and keys unset (sent as `null`). Keys not named keep their value.
///
/// ```
/// use nomad_client::NodeMetaUpdate;
/// let update = NodeMetaUpdate::new().set("connect.log_level", "debug").unset("key_to_unset");
/// assert!(!update.is_empty());
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NodeMetaUpdate {
    changes: Vec<(String, Option<String>)>,
}

impl NodeMetaUpdate {
    /// No change yet (applying it is refused: Nomad wants at least one key).
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `key` to `value` (`""` is a value, distinct from unset).
    #[must_use]
    pub fn set(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.changes.push((key.into(), Some(value.into())));
        self
    }

    /// Unsets `key`: it leaves the merged metadata, a static one included.
    #[must_use]
    pub fn unset(mut self, key: impl Into<String>) -> Self {
        self.changes.push((key.into(), None));
        self
    }

    /// True when nothing is set or unset.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// The `Meta` object of the request, after checking every key: not empty,
    /// a dotted HCL identifier, and not given twice with different changes
    /// (set and unset, or two values), which would leave the outcome to the
    /// order the server reads them in.
    fn body_meta(&self) -> Result<BTreeMap<&str, Option<&str>>> {
        if self.changes.is_empty() {
            return Err(client_core::Error::invalid(
                "node metadata update",
                "{}",
                "sets and unsets nothing; Nomad refuses an empty Meta object",
            )
            .into());
        }
        let mut meta = BTreeMap::new();
        for (key, value) in &self.changes {
            validate::meta_key(key)?;
            let value = value.as_deref();
            if let Some(earlier) = meta.insert(key.as_str(), value) {
                if earlier != value {
                    let show = |v: Option<&str>| v.map_or_else(|| "unset".to_owned(), |v| format!("set to {v:?}"));
                    return Err(client_core::Error::invalid(
                        "node metadata key",
                        key.as_str(),
                        format!("is both {} and {}; give each key one change", show(earlier), show(value)),
                    )
                    .into());
                }
            }
        }
        Ok(meta)
    }
}

/// The path of both node metadata calls.
const METADATA: &str = "/v1/client/metadata";

/// A 404 with an empty body is a server without the endpoint (older than 1.5,
/// whose catch-all answers so); any other 404 is the node (no path to it).
fn meta_not_found(id: &str) -> impl FnOnce(Error) -> Error {
    let node = not_found("node", id, None);
    move |e| match e {
        Error::Core(client_core::Error::Api { status: 404, ref message, .. })
            if message.is_empty() || message == "(empty body)" =>
        {
            Error::NotFound { kind: "Nomad 1.5+ endpoint", name: METADATA.to_owned(), namespace: None }
        }
        other => node(other),
    }
}

impl Nodes {
    /// `GET /v1/client/metadata?node_id=` (Nomad 1.5+): the metadata of node
    /// `id` as its client holds it, static, dynamic and merged (not a blocking
    /// query). A server older than 1.5 is [`Error::NotFound`] naming the endpoint.
    pub async fn meta(&self, id: &str, opts: &QueryOptions) -> Result<NodeMeta> {
        validate::uuid("node ID", id)?;
        let req = self.client.query_global(Request::get(METADATA).query("node_id", id), opts)?;
        self.client.json(req).await.map_err(meta_not_found(id))
    }

    /// `POST /v1/client/metadata` (Nomad 1.5+): applies `update` to the
    /// dynamic metadata of node `id` and answers as [`Nodes::meta`] does. Bad
    /// keys, an empty update and a key changed twice are refused before
    /// sending; a server older than 1.5 is [`Error::NotFound`] naming the endpoint.
    pub async fn apply_meta(&self, id: &str, update: &NodeMetaUpdate, opts: &WriteOptions) -> Result<NodeMeta> {
        validate::uuid("node ID", id)?;
        let body = serde_json::json!({ "NodeID": id, "Meta": update.body_meta()? });
        // The same changes applied twice leave the same metadata.
        let req = Request::post(METADATA).json(&body)?.idempotent(true);
        let req = self.client.write_global(req, opts)?;
        self.client.json(req).await.map_err(meta_not_found(id))
    }

    /// `POST /v1/node/:id/evaluate`: a new evaluation of every job with
    /// allocations on the node (`nomad node eval`).
    pub async fn force_evaluate(&self, id: &str, opts: &WriteOptions) -> Result<NodeUpdateResponse> {
        let req = self.client.write_global(Request::post(node_path(id, Some("evaluate"))?), opts)?;
        self.client.json(req).await.map_err(not_found("node", id, None))
    }

    /// `GET /v1/client/stats?node_id=`: the host's memory, CPU, disk and uptime,
    /// as the client on node `id` measures them (kept as Nomad sends them).
    pub async fn stats(&self, id: &str, opts: &QueryOptions) -> Result<Map<String, Value>> {
        validate::uuid("node ID", id)?;
        let req = self.client.query_global(Request::get("/v1/client/stats").query("node_id", id), opts)?;
        self.client.json(req).await.map_err(not_found("node", id, None))
    }

    /// Follows the drain of node `id` with blocking queries on the node: one
    /// [`DrainProgress::Draining`] per change while it drains, then one
    /// [`DrainProgress::Done`], and the stream ends. It holds one node answer
    /// at a time; dropping it stops the queries. A drain still going
    /// `give_up_after` from this call ends the stream with an error (pass the
    /// drain's [`crate::DrainOptions::deadline`] plus a margin: Nomad stops
    /// what is left at the deadline, so a drain running well past it is
    /// stuck), and so does a node that disappears.
    pub fn watch_drain(
        &self,
        id: &str,
        give_up_after: Option<Duration>,
        opts: &QueryOptions,
        watch: WatchOptions,
    ) -> Result<impl Stream<Item = Result<DrainProgress>> + Send + 'static> {
        let req = self.client.query_global(Request::get(node_path(id, None)?), &opts.without_blocking())?;
        let give_up = give_up_after.map(|d| (tokio::time::Instant::now() + d, d));
        let id = id.to_owned();
        let nodes = self.client.watch::<Node>(req, watch).map(move |answer| {
            let node = answer.map_err(not_found("node", &id, None))?.value;
            let step = progress(&node);
            match (&step, give_up) {
                (DrainProgress::Draining { .. }, Some((at, d))) if tokio::time::Instant::now() > at => {
                    Err(Error::stream(
                        "node drain",
                        format!(
                            "node {} ({}) is still draining after {}s; its deadline should have stopped what \
                             was left",
                            node.id,
                            node.name,
                            d.as_secs_f64()
                        ),
                    ))
                }
                _ => Ok(step),
            }
        });
        // End after the first Done or error without polling the watch again:
        // it would block on the node forever.
        let nodes = Box::pin(nodes);
        Ok(futures::stream::unfold(Some(nodes), |nodes| async move {
            let mut nodes = nodes?;
            let item = nodes.next().await?;
            let more = matches!(item, Ok(DrainProgress::Draining { .. }));
            Some((item, more.then_some(nodes)))
        }))
    }
}

/// What one answer of the node says about its drain.
fn progress(node: &Node) -> DrainProgress {
    let Some(strategy) = node.drain_strategy.as_ref().filter(|s| !s.is_null()) else {
        let status = node.extra.get("LastDrain").and_then(|d| d.get("Status")).and_then(Value::as_str);
        return DrainProgress::Done { status: status.unwrap_or_default().to_owned() };
    };
    // Go's zero time means "no deadline".
    let force_deadline = strategy
        .get("ForceDeadline")
        .and_then(Value::as_str)
        .filter(|t| !t.starts_with("0001-01-01"))
        .map(str::to_owned);
    DrainProgress::Draining { force_deadline, index: node.modify_index }
}
