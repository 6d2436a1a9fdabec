//! More of `/v1/node/:id` and the client's own view of its node: force an
//! evaluation, the host's resource statistics, dynamic node metadata (1.5+),
//! and a drain followed to its end, node and allocations.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::pin::Pin;
use std::time::Duration;

use client_core::{Request, WatchOptions, WithMeta};
use futures::{Stream, StreamExt};
use serde_json::{Map, Value};

use crate::error::{Error, Result, not_found};
use crate::models::{Allocation, DesiredTransition, Node, NodeMeta, NodeUpdateResponse};
use crate::nodes::{Nodes, node_path};
use crate::options::{QueryOptions, WriteOptions};
use crate::validate;
use crate::vocab::{AllocClientStatus, AllocDesiredStatus, JobType};

/// One step of a drain, as [`Nodes::watch_drain`] sees the node and its
/// allocations (what the Go client's `MonitorDrain` reports, typed).
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
    /// Nomad marked an allocation of the node to move elsewhere
    /// (`DesiredTransition.Migrate`). Also reported for an allocation already
    /// marked, and still pending or running, when the watch first sees it.
    AllocMarkedForMigration {
        /// Allocation ID.
        alloc_id: String,
        /// Job ID.
        job: String,
        /// Task group name.
        task_group: String,
    },
    /// A marked allocation is told to stop (`DesiredStatus` became `stop`):
    /// the scheduler has placed its replacement (Go's "draining").
    AllocStopping {
        /// Allocation ID.
        alloc_id: String,
        /// Job ID.
        job: String,
        /// Task group name.
        task_group: String,
    },
    /// An allocation the watch saw pending or running has stopped.
    AllocStopped {
        /// Allocation ID.
        alloc_id: String,
        /// Job ID.
        job: String,
        /// Task group name.
        task_group: String,
        /// Its terminal `ClientStatus`: complete, failed or lost.
        client_status: AllocClientStatus,
    },
    /// The drain is over: the node has no drain strategy any more and every
    /// allocation that had to leave has stopped. `status` is Nomad's
    /// `LastDrain.Status` (`complete`, `canceled`) or empty on a Nomad older
    /// than 1.1. The stream ends after it.
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

    /// Follows the drain of node `id` as the Go client's `MonitorDrain` does,
    /// with two blocking queries: one on the node, one on its allocations
    /// (`GET /v1/node/:id/allocations`). It yields one
    /// [`DrainProgress::Draining`] per change of the node while it drains,
    /// [`DrainProgress::AllocMarkedForMigration`],
    /// [`DrainProgress::AllocStopping`] and [`DrainProgress::AllocStopped`] as
    /// the allocations move, then one [`DrainProgress::Done`] once the node's
    /// drain is over and every allocation that had to leave is terminal, and
    /// the stream ends. Allocations of system jobs are waited for only when
    /// the node's drain strategy says `IgnoreSystemJobs: false` (Nomad stops
    /// them last) or Nomad marked them to migrate; a watch that never sees the
    /// strategy (the drain was over at the first answer) leaves unmarked ones
    /// alone. A canceled drain ends at once: what still runs stays. The node
    /// is no longer asked once its drain is over.
    ///
    /// It holds one answer of each at a time; dropping it stops the queries.
    /// A drain still going `give_up_after` from this call ends the stream
    /// with an error, whether or not anything changed meanwhile (pass the
    /// drain's [`crate::DrainOptions::deadline`] plus a margin: Nomad stops
    /// what is left at the deadline, so a drain running well past it is
    /// stuck), and so does a node that disappears or any failed query.
    pub fn watch_drain(
        &self,
        id: &str,
        give_up_after: Option<Duration>,
        opts: &QueryOptions,
        watch: WatchOptions,
    ) -> Result<impl Stream<Item = Result<DrainProgress>> + Send + 'static> {
        let query = opts.without_blocking();
        let node_req = self.client.query_global(Request::get(node_path(id, None)?), &query)?;
        let allocs_req = self.client.query_global(Request::get(node_path(id, Some("allocations"))?), &query)?;
        let state = DrainWatch {
            id: id.to_owned(),
            name: None,
            node: Some(Box::pin(self.client.watch(node_req, watch))),
            allocs: Some(Box::pin(self.client.watch(allocs_req, watch))),
            give_up: give_up_after.map(|d| GiveUp { at: tokio::time::Instant::now() + d, after: d, timer: None }),
            ignore_system: None,
            over_with: None,
            allocs_now: None,
            queue: VecDeque::new(),
            ended: false,
        };
        Ok(futures::stream::unfold(state, |mut st| async move {
            loop {
                if let Some(item) = st.queue.pop_front() {
                    return Some((item, st));
                }
                if st.ended {
                    return None;
                }
                st.step().await;
            }
        }))
    }
}

type Answers<T> = Pin<Box<dyn Stream<Item = Result<WithMeta<T>>> + Send>>;

/// The state of a [`Nodes::watch_drain`] between two answers.
struct DrainWatch {
    id: String,
    /// The node's name, once an answer gave it.
    name: Option<String>,
    /// The node's watch; `None` once its drain is over.
    node: Option<Answers<Node>>,
    allocs: Option<Answers<Vec<Allocation>>>,
    give_up: Option<GiveUp>,
    /// `DrainStrategy.IgnoreSystemJobs` as last seen.
    ignore_system: Option<bool>,
    /// `LastDrain.Status` once the node has no drain strategy.
    over_with: Option<String>,
    /// The allocations of the last answer; `None` before the first.
    allocs_now: Option<HashMap<String, AllocSeen>>,
    queue: VecDeque<Result<DrainProgress>>,
    /// Nothing is asked any more: the stream ends once `queue` is empty.
    ended: bool,
}

struct GiveUp {
    at: tokio::time::Instant,
    after: Duration,
    /// Made on the first poll, inside the runtime.
    timer: Option<Pin<Box<tokio::time::Sleep>>>,
}

/// What the watch keeps of one allocation.
struct AllocSeen {
    job: String,
    task_group: String,
    client_status: AllocClientStatus,
    desired_status: AllocDesiredStatus,
    migrate: bool,
    job_type: Option<JobType>,
}

enum Answer {
    Node(Result<Box<Node>>),
    Allocs(Result<Vec<Allocation>>),
    GaveUp,
    Closed,
}

/// The next item of `answers`, or never when there is none to ask.
async fn next_of<T>(answers: &mut Option<Answers<T>>) -> Option<Result<WithMeta<T>>> {
    match answers {
        Some(answers) => answers.next().await,
        None => std::future::pending().await,
    }
}

/// Ready when the watch is to give up, never without a bound.
async fn expired(give_up: &mut Option<GiveUp>) {
    let Some(give_up) = give_up else { return std::future::pending().await };
    give_up.timer.get_or_insert_with(|| Box::pin(tokio::time::sleep_until(give_up.at))).as_mut().await;
}

impl DrainWatch {
    /// Waits for the next answer and queues what it says.
    async fn step(&mut self) {
        let answer = tokio::select! {
            biased;
            Some(node) = next_of(&mut self.node) => Answer::Node(node.map(|n| Box::new(n.value))),
            Some(allocs) = next_of(&mut self.allocs) => Answer::Allocs(allocs.map(|a| a.value)),
            () = expired(&mut self.give_up) => Answer::GaveUp,
            else => Answer::Closed,
        };
        match answer {
            Answer::Node(Ok(node)) => self.node_answer(&node),
            Answer::Allocs(Ok(allocs)) => self.allocs_answer(allocs),
            Answer::Node(Err(e)) | Answer::Allocs(Err(e)) => self.end_with(Err(not_found("node", &self.id, None)(e))),
            Answer::GaveUp => {
                let err = self.stuck();
                self.end_with(Err(err));
            }
            Answer::Closed => self.end_with(Err(Error::stream("node drain", "the blocking queries ended"))),
        }
        if let Some(status) = self.over_with.clone() {
            // A canceled drain moves nothing more; otherwise wait for the allocations.
            if !self.ended && (status == "canceled" || self.allocs_now.is_some() && self.left_to_stop().is_empty()) {
                self.end_with(Ok(DrainProgress::Done { status }));
            }
        }
    }

    fn node_answer(&mut self, node: &Node) {
        self.name = Some(node.name.clone());
        match progress(node) {
            DrainProgress::Done { status } => {
                // Its watch would block on the node forever.
                self.node = None;
                self.over_with = Some(status);
            }
            step => {
                let strategy = node.drain_strategy.as_ref().and_then(|s| s.get("IgnoreSystemJobs"));
                self.ignore_system = strategy.and_then(Value::as_bool).or(self.ignore_system);
                self.queue.push_back(Ok(step));
            }
        }
    }

    fn allocs_answer(&mut self, allocs: Vec<Allocation>) {
        let before = self.allocs_now.take().unwrap_or_default();
        let mut now = HashMap::with_capacity(allocs.len());
        for alloc in allocs {
            let seen = AllocSeen {
                migrate: alloc.desired_transition.as_ref().is_some_and(DesiredTransition::should_migrate),
                job_type: alloc.job.as_ref().and_then(|j| j.job_type.clone()),
                job: alloc.job_id,
                task_group: alloc.task_group,
                client_status: alloc.client_status,
                desired_status: alloc.desired_status,
            };
            self.queue.extend(alloc_changes(&alloc.id, before.get(&alloc.id), &seen).into_iter().map(Ok));
            now.insert(alloc.id, seen);
        }
        self.allocs_now = Some(now);
    }

    /// The IDs of the allocations the drain still has to stop.
    fn left_to_stop(&self) -> Vec<&str> {
        let Some(allocs) = &self.allocs_now else { return Vec::new() };
        let mut left: Vec<&str> = allocs
            .iter()
            .filter(|(_, a)| {
                a.client_status.is_alive()
                    && match a.job_type {
                        // Go's MonitorDrain skips an allocation without its job too.
                        None => false,
                        Some(JobType::System) => a.migrate || self.ignore_system == Some(false),
                        Some(_) => true,
                    }
            })
            .map(|(id, _)| id.as_str())
            .collect();
        left.sort_unstable();
        left
    }

    fn stuck(&self) -> Error {
        let after = self.give_up.as_ref().map_or(0.0, |g| g.after.as_secs_f64());
        let node = match &self.name {
            Some(name) => format!("node {} ({name})", self.id),
            None => format!("node {}", self.id),
        };
        let what = if self.name.is_none() {
            "the node did not answer yet".to_owned()
        } else if self.over_with.is_none() {
            "its drain strategy is still set".to_owned()
        } else {
            format!("allocations {} have not stopped", self.left_to_stop().join(", "))
        };
        Error::stream(
            "node drain",
            format!("{node} is still draining after {after}s ({what}); its deadline should have stopped what was left"),
        )
    }

    /// Queues the last item and stops asking (dropping the watches closes their connections).
    fn end_with(&mut self, item: Result<DrainProgress>) {
        self.queue.push_back(item);
        self.ended = true;
        self.node = None;
        self.allocs = None;
    }
}

/// What changed in one allocation between two answers. An allocation first
/// seen counts as pending or running and unmarked before, if it is alive now;
/// one first seen terminal (an earlier drain's, not collected yet) says nothing.
fn alloc_changes(id: &str, before: Option<&AllocSeen>, now: &AllocSeen) -> Vec<DrainProgress> {
    let (was_alive, was_marked, was_stopping) = match before {
        Some(b) => (b.client_status.is_alive(), b.migrate, b.desired_status == AllocDesiredStatus::Stop),
        None if now.client_status.is_alive() => (true, false, false),
        None => return Vec::new(),
    };
    let (alloc_id, job, task_group) = (id.to_owned(), now.job.clone(), now.task_group.clone());
    let mut changes = Vec::new();
    if now.migrate && !was_marked {
        changes.push(DrainProgress::AllocMarkedForMigration {
            alloc_id: alloc_id.clone(),
            job: job.clone(),
            task_group: task_group.clone(),
        });
    }
    if now.migrate && now.desired_status == AllocDesiredStatus::Stop && !was_stopping {
        changes.push(DrainProgress::AllocStopping {
            alloc_id: alloc_id.clone(),
            job: job.clone(),
            task_group: task_group.clone(),
        });
    }
    if was_alive && now.client_status.is_terminal() {
        changes.push(DrainProgress::AllocStopped {
            alloc_id,
            job,
            task_group,
            client_status: now.client_status.clone(),
        });
    }
    changes
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
