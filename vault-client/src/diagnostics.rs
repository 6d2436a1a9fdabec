//! What a Vault node tells about itself, as `vault debug` collects it:
//! `sys/metrics` (JSON or Prometheus text), `sys/host-info` and
//! `sys/config/state/sanitized`.
//!
//! Version ranges: `sys/metrics` exists since Vault 1.1 (its Prometheus
//! format needs `telemetry { prometheus_retention_time }` in the server
//! configuration, else Vault answers 400), `sys/host-info` since 1.3 and
//! `sys/config/state/sanitized` since 1.8; an older Vault answers 404.

use std::collections::BTreeMap;

use client_core::Method;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::sys::Sys;

/// `GET sys/metrics`: the last finished interval of Vault's in-memory
/// telemetry (go-metrics' `MetricsSummary`; its keys are PascalCase).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct Metrics {
    /// Start of the interval, e.g. `2024-01-02 10:00:00 +0000 UTC`.
    #[serde(default)]
    pub timestamp: String,
    /// Gauges (`vault.runtime.alloc_bytes`, `vault.expire.num_leases`...).
    #[serde(default)]
    pub gauges: Vec<Gauge>,
    /// Counters, aggregated over the interval.
    #[serde(default)]
    pub counters: Vec<Sample>,
    /// Timings and other samples, aggregated over the interval.
    #[serde(default)]
    pub samples: Vec<Sample>,
}

/// One gauge of [`Metrics`].
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct Gauge {
    /// Metric name.
    pub name: String,
    /// Last value.
    pub value: f64,
    /// Labels.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
}

/// One counter or sample of [`Metrics`], aggregated over the interval.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct Sample {
    /// Metric name.
    pub name: String,
    /// Values seen.
    #[serde(default)]
    pub count: u64,
    /// Count per second.
    #[serde(default)]
    pub rate: f64,
    /// Sum of the values.
    #[serde(default)]
    pub sum: f64,
    /// Smallest value.
    #[serde(default)]
    pub min: f64,
    /// Largest value.
    #[serde(default)]
    pub max: f64,
    /// Mean value.
    #[serde(default)]
    pub mean: f64,
    /// Standard deviation.
    #[serde(default)]
    pub stddev: f64,
    /// Labels.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
}

/// `GET sys/host-info` (Vault 1.3+): the host the node runs on, as gopsutil
/// reports it. The parts this type does not model stay in `cpu`, `disk`...
/// as sent.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[non_exhaustive]
pub struct HostInfo {
    /// When the information was collected (RFC 3339).
    #[serde(default)]
    pub timestamp: String,
    /// The host.
    #[serde(default)]
    pub host: Option<HostStat>,
    /// Memory.
    #[serde(default)]
    pub memory: Option<MemoryStat>,
    /// Per-CPU details, as sent.
    #[serde(default)]
    pub cpu: Vec<serde_json::Value>,
    /// CPU times, as sent.
    #[serde(default)]
    pub cpu_times: Vec<serde_json::Value>,
    /// Disks, as sent.
    #[serde(default)]
    pub disk: Vec<serde_json::Value>,
}

/// [`HostInfo::host`].
#[derive(Debug, Clone, Deserialize, Serialize)]
#[non_exhaustive]
pub struct HostStat {
    /// Host name.
    #[serde(default)]
    pub hostname: String,
    /// Seconds since boot.
    #[serde(default)]
    pub uptime: u64,
    /// Boot time (Unix seconds).
    #[serde(default, rename = "bootTime")]
    pub boot_time: u64,
    /// Running processes.
    #[serde(default)]
    pub procs: u64,
    /// Operating system (`linux`).
    #[serde(default)]
    pub os: Option<String>,
}

/// [`HostInfo::memory`], in bytes.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[non_exhaustive]
pub struct MemoryStat {
    /// Total memory.
    #[serde(default)]
    pub total: u64,
    /// Memory available to programs.
    #[serde(default)]
    pub available: u64,
    /// Memory in use.
    #[serde(default)]
    pub used: u64,
}

/// `GET sys/config/state/sanitized` (Vault 1.8+): the server's configuration
/// with secrets left out by Vault. The keys this type does not model are in
/// `extra`, as sent.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[non_exhaustive]
pub struct ConfigState {
    /// `api_addr`.
    #[serde(default)]
    pub api_addr: String,
    /// `cluster_addr`.
    #[serde(default)]
    pub cluster_addr: String,
    /// `cluster_name`.
    #[serde(default)]
    pub cluster_name: String,
    /// `disable_mlock`.
    #[serde(default)]
    pub disable_mlock: bool,
    /// `enable_ui`.
    #[serde(default)]
    pub enable_ui: bool,
    /// `log_level`.
    #[serde(default)]
    pub log_level: String,
    /// `listeners`, as sent (`type` and `config`).
    #[serde(default)]
    pub listeners: Vec<serde_json::Value>,
    /// `seals`, as sent.
    #[serde(default)]
    pub seals: Vec<serde_json::Value>,
    /// `storage` (`type`, `redirect_addr`, `cluster_addr`, `disable_clustering`), as sent.
    #[serde(default)]
    pub storage: Option<serde_json::Value>,
    /// Every other key.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl Sys {
    /// `GET sys/metrics` (Vault 1.1+): the node's telemetry as JSON.
    pub async fn metrics(&self) -> Result<Metrics> {
        let path = "sys/metrics";
        let req = self.client.request(Method::GET, "Vault path", path)?;
        crate::client::decode(&self.client.send(req, path, &[]).await?)
    }

    /// `GET sys/metrics?format=prometheus` (Vault 1.1+): the node's telemetry
    /// in Prometheus' text format, as a scraper reads it. Vault answers 400
    /// unless its configuration sets `telemetry { prometheus_retention_time }`.
    pub async fn metrics_prometheus(&self) -> Result<String> {
        let path = "sys/metrics";
        let req = self.client.request(Method::GET, "Vault path", path)?.query("format", "prometheus");
        let resp = self.client.send(req, path, &[]).await?;
        String::from_utf8(resp.body.to_vec()).map_err(|_| Error::UnexpectedResponse {
            method: "GET".into(),
            path: path.into(),
            reason: "the Prometheus text is not UTF-8".into(),
        })
    }

    /// `GET sys/host-info` (Vault 1.3+): the host this node runs on. Needs
    /// `sudo`.
    pub async fn host_info(&self) -> Result<HostInfo> {
        let path = "sys/host-info";
        let req = self.client.request(Method::GET, "Vault path", path)?;
        self.client.send_data(req, path, &[]).await
    }

    /// `GET sys/config/state/sanitized` (Vault 1.8+): the server
    /// configuration without its secrets. Needs `sudo`.
    pub async fn config_state(&self) -> Result<ConfigState> {
        let path = "sys/config/state/sanitized";
        let req = self.client.request(Method::GET, "Vault path", path)?;
        self.client.send_data(req, path, &[]).await
    }
}
