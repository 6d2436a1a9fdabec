//! User events: `/v1/event` — fire an event over gossip and read the ones
//! this agent saw, once or as a watch.

use client_core::path::PathBuf;
use client_core::{Request, WatchOptions, WithMeta};
use futures::Stream;
use serde::{Deserialize, Serialize};

use crate::client::ConsulClient;
use crate::error::Result;
use crate::options::{QueryOptions, WriteOptions};
use crate::validate;

/// Largest payload Consul gossips (its limit is 512 bytes for the whole event; the docs advise ~100).
pub const MAX_EVENT_PAYLOAD: usize = 512;

/// A user event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UserEvent {
    /// Event ID (a UUID, unique per fire).
    #[serde(rename = "ID")]
    pub id: String,
    /// Event name.
    pub name: String,
    /// The payload bytes (`None` when empty).
    #[serde(default, with = "crate::b64::option")]
    pub payload: Option<Vec<u8>>,
    /// Regular expression of node names that handle it (empty: all).
    #[serde(default)]
    pub node_filter: String,
    /// Regular expression of service names whose nodes handle it.
    #[serde(default)]
    pub service_filter: String,
    /// Regular expression of tags (with `service_filter`).
    #[serde(default)]
    pub tag_filter: String,
    /// Event protocol version.
    #[serde(default)]
    pub version: u32,
    /// Lamport time of the event.
    #[serde(rename = "LTime", default)]
    pub ltime: u64,
}

/// Whom an event is for: regular expressions over node names, service names and tags.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    /// Nodes whose name matches.
    pub node: Option<String>,
    /// Nodes running a service whose name matches.
    pub service: Option<String>,
    /// With `service`: instances with a matching tag.
    pub tag: Option<String>,
}

/// The events handler: `consul.events()`.
#[derive(Debug, Clone)]
pub struct Events {
    client: ConsulClient,
}

impl ConsulClient {
    /// User events.
    #[must_use]
    pub fn events(&self) -> Events {
        Events { client: self.clone() }
    }
}

impl Events {
    /// Fires the event `name` with `payload` (at most [`MAX_EVENT_PAYLOAD`]
    /// bytes) to the nodes `filter` selects; returns the event as Consul
    /// recorded it. Not retried: each fire is a new event.
    pub async fn fire(
        &self,
        name: &str,
        payload: &[u8],
        filter: &EventFilter,
        opts: &WriteOptions,
    ) -> Result<UserEvent> {
        validate::name("event name", name)?;
        if payload.len() > MAX_EVENT_PAYLOAD {
            return Err(crate::Error::invalid(
                "event payload",
                format!("{} bytes", payload.len()),
                format!("must be at most {MAX_EVENT_PAYLOAD} bytes: events travel over gossip"),
            ));
        }
        if filter.tag.is_some() && filter.service.is_none() {
            return Err(crate::Error::invalid(
                "event tag filter",
                filter.tag.clone().unwrap_or_default(),
                "needs a service filter",
            ));
        }
        let path = PathBuf::new("/v1/event/fire").segment("event name", name)?.finish();
        let request = Request::put(path)
            .body(payload.to_vec())
            .idempotent(false)
            .query_opt("node", filter.node.as_deref())
            .query_opt("service", filter.service.as_deref())
            .query_opt("tag", filter.tag.as_deref());
        self.client.json(opts.apply(request)?).await
    }

    /// The most recent events this agent saw (oldest first), or only those
    /// named `name`. Blocking reads wait for a new event.
    pub async fn list(&self, name: Option<&str>, opts: &QueryOptions) -> Result<WithMeta<Vec<UserEvent>>> {
        if let Some(name) = name {
            validate::name("event name", name)?;
        }
        let read = self
            .client
            .read::<Option<Vec<UserEvent>>>(Request::get("/v1/event/list").query_opt("name", name), opts)
            .await?;
        Ok(crate::client::null_list(read))
    }

    /// Watches the events (named `name`, or all): yields the current list at
    /// once, then again each time a new event arrives. Errors are yielded
    /// and the watch continues.
    pub fn watch(
        &self,
        name: Option<&str>,
        options: WatchOptions,
    ) -> impl Stream<Item = Result<WithMeta<Vec<UserEvent>>>> + Send + 'static + use<> {
        let events = self.clone();
        let name = name.map(str::to_owned);
        crate::watch::watch(options, move |blocking| {
            let (events, name) = (events.clone(), name.clone());
            async move { events.list(name.as_deref(), &QueryOptions { blocking, ..QueryOptions::default() }).await }
        })
    }
}
