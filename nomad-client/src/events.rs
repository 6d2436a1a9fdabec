//! `/v1/event/stream`: cluster events as a stream that reconnects from the last index.
//!
//! The body is newline-delimited JSON: `{"Index":N,"Events":[..]}` batches and
//! `{}` heartbeats (at connect and every 30 s). Nomad first replays the buffered
//! events from `index`, then goes live. Nomad 1.1.2 takes `namespace=*`
//! literally on this endpoint (no events arrive): name the namespace.
//!
//! Nomad 1.1.2 sends **no** Job event for a purge (`DELETE /v1/job/:id?purge=true`,
//! [`crate::StopOptions::purge`]): a job that disappears that way is only seen by
//! reading it ([`crate::Jobs::get`] answers not-found) or by a blocking
//! [`crate::Jobs::list`]. A plain stop sends `JobDeregistered`, twice at the same index
//! (both are delivered).

use std::collections::VecDeque;
use std::time::Duration;

use bytes::BytesMut;
use client_core::{ByteStream, ClientError, Request};
use futures::{Stream, StreamExt};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::client::NomadClient;
use crate::error::{Error, Result};
use crate::models::{Allocation, Deployment, Evaluation, Job, Node};
use crate::options::QueryOptions;

/// Longest line accepted (a batch carrying whole jobs can be large, but not this large).
const MAX_LINE: usize = 32 * 1024 * 1024;

/// Options of [`Events::stream`].
#[derive(Debug, Clone)]
pub struct EventOptions {
    /// Namespace, region, token (prefix, filter and blocking are not used).
    pub query: QueryOptions,
    /// Topics, e.g. `Job`, `Job:dbHA1` (one key), `Allocation`, `Deployment`, `Node`, `*`.
    /// Empty means every topic.
    pub topics: Vec<String>,
    /// Start from this index (events with a lower index are not delivered).
    pub index: u64,
    /// Reconnect when the connection drops, resuming after the last event seen.
    pub reconnect: bool,
    /// Pause before reconnecting (doubled after each failed attempt, up to 16 times).
    pub reconnect_delay: Duration,
    /// Treat the connection as dead when nothing (not even Nomad's 30-second
    /// heartbeat) arrived for this long. Default 90 s.
    pub idle_timeout: Duration,
}

impl Default for EventOptions {
    fn default() -> Self {
        Self {
            query: QueryOptions::default(),
            topics: Vec::new(),
            index: 0,
            reconnect: true,
            reconnect_delay: Duration::from_secs(1),
            idle_timeout: Duration::from_secs(90),
        }
    }
}

impl EventOptions {
    /// Events of these topics, reconnecting on failure.
    #[must_use]
    pub fn topics<I: IntoIterator<Item = S>, S: Into<String>>(topics: I) -> Self {
        Self { topics: topics.into_iter().map(Into::into).collect(), ..Self::default() }
    }
}

/// One cluster event.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Event {
    /// `Job`, `Allocation`, `Deployment`, `Evaluation`, `Node`, ...
    pub topic: String,
    /// What happened, e.g. `JobRegistered`, `AllocationUpdated`, `PlanResult`.
    #[serde(rename = "Type")]
    pub event_type: String,
    /// The object's key (job ID, allocation ID...).
    pub key: String,
    /// Namespace of the object.
    pub namespace: String,
    /// Extra keys the event can be filtered on.
    pub filter_keys: Option<Vec<String>>,
    /// Raft index of the event.
    pub index: u64,
    /// The object, under its kind (`{"Job": {...}}`), kept as sent.
    pub payload: Value,
}

impl Event {
    fn payload_as<T: DeserializeOwned>(&self, key: &str) -> Option<T> {
        self.payload.get(key).and_then(|v| serde_json::from_value(v.clone()).ok())
    }

    /// The job of a `Job` event.
    #[must_use]
    pub fn job(&self) -> Option<Job> {
        self.payload_as("Job")
    }

    /// The allocation of an `Allocation` event.
    #[must_use]
    pub fn allocation(&self) -> Option<Allocation> {
        self.payload_as("Allocation")
    }

    /// The deployment of a `Deployment` event.
    #[must_use]
    pub fn deployment(&self) -> Option<Deployment> {
        self.payload_as("Deployment")
    }

    /// The evaluation of an `Evaluation` event.
    #[must_use]
    pub fn evaluation(&self) -> Option<Evaluation> {
        self.payload_as("Evaluation")
    }

    /// The node of a `Node` event.
    #[must_use]
    pub fn node(&self) -> Option<Node> {
        self.payload_as("Node")
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Batch {
    #[serde(default)]
    index: u64,
    #[serde(default)]
    events: Vec<Event>,
}

/// Handler for the event stream; get it with [`NomadClient::events`].
#[derive(Debug, Clone)]
pub struct Events {
    client: NomadClient,
}

impl NomadClient {
    /// The event stream.
    #[must_use]
    pub fn events(&self) -> Events {
        Events { client: self.clone() }
    }
}

struct State {
    client: NomadClient,
    opts: EventOptions,
    /// The next index wanted: events below it were delivered already.
    next_index: u64,
    /// `next_index` when the current connection was opened: events below it are a
    /// replay of what an earlier connection delivered. Within one connection a batch
    /// at the same index as the one before is a new event (Nomad sends a stop's two
    /// `JobDeregistered` as two batches at one index).
    floor: u64,
    body: Option<ByteStream>,
    buf: BytesMut,
    ready: VecDeque<Event>,
    failures: u32,
    done: bool,
}

impl Events {
    /// `GET /v1/event/stream`: events in index order. When the connection drops
    /// (and [`EventOptions::reconnect`] is on) it reconnects with `index` = last
    /// index + 1, so no event is lost or repeated. Errors that a reconnection
    /// cannot cure (bad token, bad topic) end the stream.
    ///
    /// A job purge produces no event on Nomad 1.1.2 (see the module docs): do not
    /// wait on this stream for one.
    pub fn stream(&self, opts: &EventOptions) -> impl Stream<Item = Result<Event>> + Send + 'static {
        let state = State {
            client: self.client.clone(),
            opts: opts.clone(),
            next_index: opts.index,
            floor: opts.index,
            body: None,
            buf: BytesMut::new(),
            ready: VecDeque::new(),
            failures: 0,
            done: false,
        };
        futures::stream::unfold(state, |mut st| async move {
            let item = st.next().await?;
            Some((item, st))
        })
    }
}

impl State {
    async fn next(&mut self) -> Option<Result<Event>> {
        loop {
            if let Some(event) = self.ready.pop_front() {
                return Some(Ok(event));
            }
            if self.done {
                return None;
            }
            let Some(body) = self.body.as_mut() else {
                match connect(&self.client, &self.opts, self.next_index).await {
                    Ok(body) => {
                        self.body = Some(body);
                        self.floor = self.next_index;
                    }
                    Err(e) if self.opts.reconnect && e.is_transient() => self.pause(&e.to_string()).await,
                    Err(e) => {
                        self.done = true;
                        return Some(Err(e));
                    }
                }
                continue;
            };
            let Ok(next) = tokio::time::timeout(self.opts.idle_timeout, body.next()).await else {
                self.dropped("no event or heartbeat arrived in time; the connection is presumed dead").await;
                continue;
            };
            match next {
                Some(Ok(chunk)) => {
                    self.buf.extend_from_slice(&chunk);
                    if let Err(e) = self.take_lines() {
                        self.done = true;
                        return Some(Err(e));
                    }
                }
                Some(Err(e)) => self.dropped(&e.to_string()).await,
                None => self.dropped("the server closed the stream").await,
            }
        }
    }

    async fn dropped(&mut self, reason: &str) {
        self.body = None;
        self.buf.clear();
        if self.opts.reconnect {
            self.pause(reason).await;
        } else {
            self.done = true;
        }
    }

    async fn pause(&mut self, reason: &str) {
        let delay = self.opts.reconnect_delay * (1u32 << self.failures.min(4));
        self.failures += 1;
        tracing::debug!(
            reason,
            next_index = self.next_index,
            delay_ms = delay.as_millis() as u64,
            "event stream reconnects"
        );
        tokio::time::sleep(delay).await;
    }

    /// Decodes every complete line in the buffer.
    fn take_lines(&mut self) -> Result<()> {
        while let Some(end) = self.buf.iter().position(|b| *b == b'\n') {
            let line = self.buf.split_to(end + 1);
            self.line(&line[..end])?;
        }
        if self.buf.len() > MAX_LINE {
            return Err(Error::stream("event", format!("a line is longer than {MAX_LINE} bytes")));
        }
        Ok(())
    }

    fn line(&mut self, line: &[u8]) -> Result<()> {
        let line = line.trim_ascii();
        if line.is_empty() || line == b"{}" {
            return Ok(());
        }
        let batch: Batch = serde_json::from_slice(line).map_err(|e| {
            let start = String::from_utf8_lossy(&line[..line.len().min(120)]).into_owned();
            Error::stream("event", format!("not an event batch ({e}): {start}"))
        })?;
        self.failures = 0;
        for event in batch.events {
            if event.index >= self.floor {
                self.ready.push_back(event);
            }
        }
        self.next_index = self.next_index.max(batch.index + 1);
        Ok(())
    }
}

/// Opens the stream from `next_index`.
async fn connect(client: &NomadClient, opts: &EventOptions, next_index: u64) -> Result<ByteStream> {
    let mut req = Request::get("/v1/event/stream");
    for topic in &opts.topics {
        crate::validate::name("event topic", topic)?;
        req = req.query("topic", topic);
    }
    if next_index > 0 {
        req = req.query("index", next_index);
    }
    let query = QueryOptions { prefix: None, filter: None, blocking: Default::default(), ..opts.query.clone() };
    Ok(client.http().stream(client.query(req, &query)?).await?.bytes())
}
