//! More of `/v1/node/:id` and the client's own view of its node: force an
//! evaluation, the host's resource statistics, and a drain followed to its end.

use std::time::Duration;

use client_core::{Request, WatchOptions};
use futures::{Stream, StreamExt};
use serde_json::{Map, Value};

use crate::error::{Error, Result, not_found};
use crate::models::{Node, NodeUpdateResponse};
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

impl Nodes {
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
