//! The dynamic configuration (`GET/PATCH/PUT /config`, DCS key `config`).

use client_core::Request;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::client::PatroniClient;
use crate::error::{Error, Result};

impl PatroniClient {
    /// `GET /config`: the dynamic configuration.
    pub async fn config(&self) -> Result<DynamicConfig> {
        self.get("/config").await
    }

    /// `GET /config` as raw JSON.
    pub async fn config_raw(&self) -> Result<Value> {
        self.get("/config").await
    }

    /// `PATCH /config`: merges `patch` into the configuration; returns the
    /// new configuration.
    pub async fn patch_config(&self, patch: &ConfigPatch) -> Result<DynamicConfig> {
        self.patch_config_as(&patch.as_json()).await
    }

    /// `PATCH /config` with a raw JSON object (`null` deletes a key);
    /// returns the new configuration as raw JSON.
    pub async fn patch_config_raw(&self, patch: &Value) -> Result<Value> {
        self.patch_config_as(patch).await
    }

    async fn patch_config_as<T: DeserializeOwned>(&self, patch: &Value) -> Result<T> {
        if !patch.is_object() {
            return Err(Error::invalid("config patch", &patch.to_string(), "must be a JSON object"));
        }
        let request = Request::patch("/config").json(patch)?;
        Ok(self.operation(request, "patch the configuration").await?.json()?)
    }

    /// `PUT /config`: replaces the whole configuration unconditionally;
    /// returns what Patroni stored.
    pub async fn replace_config(&self, config: &DynamicConfig) -> Result<DynamicConfig> {
        let request = Request::put("/config").json(config)?;
        let resp = self.operation(request, "replace the configuration").await?;
        Ok(resp.json()?)
    }
}

/// The cluster-wide dynamic configuration. Keys this crate does not model
/// are kept in `extra`, so a read-modify-write through [`PUT /config`]
/// loses nothing.
///
/// [`PUT /config`]: crate::PatroniClient::replace_config
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DynamicConfig {
    /// Leader lock TTL in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<u64>,
    /// Seconds between HA loop runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loop_wait: Option<u64>,
    /// Seconds to retry DCS and PostgreSQL operations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_timeout: Option<u64>,
    /// Replicas lagging more bytes than this never become leader.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maximum_lag_on_failover: Option<u64>,
    /// Synchronous replication mode (`true`, `false` or `"quorum"` in 4.x).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub synchronous_mode: Option<Value>,
    /// Failsafe mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failsafe_mode: Option<bool>,
    /// The cluster is paused (maintenance mode).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pause: Option<bool>,
    /// PostgreSQL settings managed by Patroni.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postgresql: Option<PostgresqlConfig>,
    /// Standby cluster settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub standby_cluster: Option<Map<String, Value>>,
    /// Keys this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The `postgresql` section of the dynamic configuration.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PostgresqlConfig {
    /// Whether `pg_rewind` may be used to rejoin a former primary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub use_pg_rewind: Option<bool>,
    /// Whether replication slots are used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub use_slots: Option<bool>,
    /// PostgreSQL parameters (`postgresql.conf`).
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub parameters: Map<String, Value>,
    /// Keys this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A partial update for `PATCH /config`: Patroni merges it recursively into
/// the current configuration, and a `null` value deletes a key.
///
/// ```
/// use patroni_client::ConfigPatch;
/// let patch = ConfigPatch::new().loop_wait(5).parameter("work_mem", "8MB").remove_parameter("archive_timeout");
/// assert_eq!(
///     patch.as_json().to_string(),
///     r#"{"loop_wait":5,"postgresql":{"parameters":{"work_mem":"8MB","archive_timeout":null}}}"#
/// );
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConfigPatch {
    body: Map<String, Value>,
}

impl ConfigPatch {
    /// An empty patch.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the leader lock TTL (seconds).
    #[must_use]
    pub fn ttl(self, seconds: u64) -> Self {
        self.set(&["ttl"], seconds)
    }

    /// Sets the HA loop interval (seconds).
    #[must_use]
    pub fn loop_wait(self, seconds: u64) -> Self {
        self.set(&["loop_wait"], seconds)
    }

    /// Sets the DCS/PostgreSQL retry timeout (seconds).
    #[must_use]
    pub fn retry_timeout(self, seconds: u64) -> Self {
        self.set(&["retry_timeout"], seconds)
    }

    /// Sets the most lag (bytes) a failover candidate may have.
    #[must_use]
    pub fn maximum_lag_on_failover(self, bytes: u64) -> Self {
        self.set(&["maximum_lag_on_failover"], bytes)
    }

    /// Pauses the cluster (`pause: true`) or resumes it (deletes `pause`),
    /// as `patronictl pause/resume` do.
    #[must_use]
    pub fn pause(self, paused: bool) -> Self {
        self.set(&["pause"], if paused { Value::Bool(true) } else { Value::Null })
    }

    /// Sets a PostgreSQL parameter.
    #[must_use]
    pub fn parameter(self, name: &str, value: impl Into<Value>) -> Self {
        self.set(&["postgresql", "parameters", name], value)
    }

    /// Deletes a PostgreSQL parameter (back to the member's default).
    #[must_use]
    pub fn remove_parameter(self, name: &str) -> Self {
        self.set(&["postgresql", "parameters", name], Value::Null)
    }

    /// Sets any key by its path, e.g. `&["postgresql", "use_slots"]`;
    /// `Value::Null` deletes it.
    #[must_use]
    pub fn set(mut self, path: &[&str], value: impl Into<Value>) -> Self {
        let Some((last, parents)) = path.split_last() else { return self };
        let mut node = &mut self.body;
        for key in parents {
            let entry = node.entry((*key).to_owned()).or_insert_with(|| Value::Object(Map::new()));
            if !entry.is_object() {
                *entry = Value::Object(Map::new());
            }
            let Value::Object(map) = entry else { unreachable!("just made an object") };
            node = map;
        }
        node.insert((*last).to_owned(), value.into());
        self
    }

    /// True when the patch changes nothing.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.body.is_empty()
    }

    /// The JSON body sent to Patroni.
    #[must_use]
    pub fn as_json(&self) -> Value {
        Value::Object(self.body.clone())
    }
}
