//! Health: `/v1/health` (service instances with their checks, node checks, checks by state).

use std::collections::BTreeMap;

use client_core::path::PathBuf;
use client_core::{Request, WatchOptions, WithMeta};
use futures::Stream;
use serde::{Deserialize, Serialize};

use crate::catalog::{AgentService, Node};
use crate::client::ConsulClient;
use crate::error::Result;
use crate::kv::{MapCore, into_core};
use crate::options::QueryOptions;
use crate::validate;

/// A check status.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HealthStatus {
    /// The check passes.
    Passing,
    /// The check warns.
    Warning,
    /// The check fails.
    Critical,
    /// The node or service is in maintenance mode.
    Maintenance,
    /// A status this crate does not know (kept as sent).
    #[serde(untagged)]
    Other(String),
}

impl HealthStatus {
    /// The status as Consul spells it.
    #[must_use]
    pub fn as_str(&self) -> &str {
        match self {
            Self::Passing => "passing",
            Self::Warning => "warning",
            Self::Critical => "critical",
            Self::Maintenance => "maintenance",
            Self::Other(s) => s,
        }
    }
}

impl std::fmt::Display for HealthStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A health check's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct HealthCheck {
    /// Node the check runs on.
    pub node: String,
    /// Check ID, e.g. `service:web-1` or `_nomad-check-<hash>`.
    #[serde(rename = "CheckID")]
    pub check_id: String,
    /// Check name.
    #[serde(default)]
    pub name: String,
    /// Current status.
    pub status: HealthStatus,
    /// Human notes.
    #[serde(default)]
    pub notes: String,
    /// Output of the last run.
    #[serde(default)]
    pub output: String,
    /// Service ID the check belongs to (empty for a node check).
    #[serde(rename = "ServiceID", default)]
    pub service_id: String,
    /// Service name the check belongs to.
    #[serde(default)]
    pub service_name: String,
    /// Tags of that service.
    #[serde(default, deserialize_with = "crate::de::null_default")]
    pub service_tags: Vec<String>,
    /// Check type (`ttl`, `http`, `tcp`, ... or empty).
    #[serde(rename = "Type", default)]
    pub check_type: String,
    /// Raft index of creation.
    #[serde(default)]
    pub create_index: u64,
    /// Raft index of the last change.
    #[serde(default)]
    pub modify_index: u64,
}

/// A service instance with its node and checks (`/v1/health/service/<name>`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ServiceEntry {
    /// The node.
    pub node: Node,
    /// The service instance.
    pub service: AgentService,
    /// Node and service checks.
    #[serde(default, deserialize_with = "crate::de::null_default")]
    pub checks: Vec<HealthCheck>,
}

impl ServiceEntry {
    /// The worst status among the checks (`Passing` with no checks).
    #[must_use]
    pub fn aggregated_status(&self) -> HealthStatus {
        let rank = |s: &HealthStatus| match s {
            HealthStatus::Passing => 0,
            HealthStatus::Warning => 1,
            HealthStatus::Other(_) => 2,
            HealthStatus::Critical => 3,
            HealthStatus::Maintenance => 4,
        };
        self.checks.iter().map(|c| &c.status).max_by_key(|s| rank(s)).cloned().unwrap_or(HealthStatus::Passing)
    }
}

/// A check in a catalog registration.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct HealthCheckRegistration {
    /// Node the check belongs to.
    pub node: String,
    /// Check ID.
    #[serde(rename = "CheckID")]
    pub check_id: String,
    /// Check name.
    pub name: String,
    /// Initial status (`passing`, `warning`, `critical`).
    pub status: String,
    /// Service ID the check belongs to (empty for a node check).
    #[serde(rename = "ServiceID", default, skip_serializing_if = "String::is_empty")]
    pub service_id: String,
    /// Notes.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub notes: String,
    /// Fields this crate does not model (`Definition`...), sent as given.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// Which instances [`Health::service`] returns.
#[derive(Debug, Clone, Default)]
pub struct ServiceHealthOptions {
    /// Only instances whose checks all pass (`?passing`).
    pub passing: bool,
    /// Only instances with all these tags (`?tag=` repeated).
    pub tags: Vec<String>,
}

/// A state to list checks in (`/v1/health/state/<state>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckState {
    /// Every check.
    Any,
    /// Passing checks.
    Passing,
    /// Warning checks.
    Warning,
    /// Critical checks.
    Critical,
}

impl CheckState {
    fn as_str(self) -> &'static str {
        match self {
            Self::Any => "any",
            Self::Passing => "passing",
            Self::Warning => "warning",
            Self::Critical => "critical",
        }
    }
}

/// The health handler: `consul.health()`.
#[derive(Debug, Clone)]
pub struct Health {
    client: ConsulClient,
}

impl ConsulClient {
    /// Health information.
    #[must_use]
    pub fn health(&self) -> Health {
        Health { client: self.clone() }
    }
}

impl Health {
    /// Instances of service `name` with their checks. Honours `near`,
    /// `node_meta` and `filter` in `opts`.
    pub async fn service(
        &self,
        name: &str,
        which: &ServiceHealthOptions,
        opts: &QueryOptions,
    ) -> Result<WithMeta<Vec<ServiceEntry>>> {
        validate::name("service name", name)?;
        let mut request = Request::get(PathBuf::new("/v1/health/service").segment("service name", name)?.finish());
        for tag in &which.tags {
            validate::name("service tag", tag)?;
            request = request.query("tag", tag);
        }
        let request = opts.apply_node_meta_near(request.flag("passing", which.passing))?;
        Ok(crate::client::null_list(self.client.read::<Option<Vec<ServiceEntry>>>(request, opts).await?))
    }

    /// Checks of node `node` (an unknown node has none).
    pub async fn node(&self, node: &str, opts: &QueryOptions) -> Result<WithMeta<Vec<HealthCheck>>> {
        validate::name("node name", node)?;
        let request = Request::get(PathBuf::new("/v1/health/node").segment("node name", node)?.finish());
        Ok(crate::client::null_list(self.client.read::<Option<Vec<HealthCheck>>>(request, opts).await?))
    }

    /// Checks of service `service`.
    pub async fn checks(&self, service: &str, opts: &QueryOptions) -> Result<WithMeta<Vec<HealthCheck>>> {
        validate::name("service name", service)?;
        let request = opts.apply_node_meta_near(Request::get(
            PathBuf::new("/v1/health/checks").segment("service name", service)?.finish(),
        ))?;
        Ok(crate::client::null_list(self.client.read::<Option<Vec<HealthCheck>>>(request, opts).await?))
    }

    /// Every check in `state` across the datacenter.
    pub async fn state(&self, state: CheckState, opts: &QueryOptions) -> Result<WithMeta<Vec<HealthCheck>>> {
        let request =
            opts.apply_node_meta_near(Request::get(PathBuf::new("/v1/health/state").literal(state.as_str()).finish()))?;
        Ok(crate::client::null_list(self.client.read::<Option<Vec<HealthCheck>>>(request, opts).await?))
    }

    /// Watches the health of service `name`: yields at once, then on every change.
    pub fn watch_service(
        &self,
        name: &str,
        which: &ServiceHealthOptions,
        opts: &QueryOptions,
        options: WatchOptions,
    ) -> impl Stream<Item = Result<WithMeta<Vec<ServiceEntry>>>> + Send + 'static + use<> {
        let client = self.client.clone();
        let (name, which, opts) = (name.to_owned(), which.clone(), opts.clone());
        client_core::watch(options, move |blocking| {
            let client = client.clone();
            let (name, which) = (name.clone(), which.clone());
            let opts = QueryOptions { blocking, ..opts.clone() };
            async move { client.health().service(&name, &which, &opts).await.map_err(into_core) }
        })
        .map_core()
    }
}

/// Check definitions keyed by ID, as `/v1/agent/checks` returns them.
pub type CheckMap = BTreeMap<String, HealthCheck>;

#[cfg(test)]
mod tests {
    use super::HealthStatus;

    #[test]
    fn statuses_decode_including_unknown_ones() {
        let parsed: Vec<HealthStatus> =
            serde_json::from_str(r#"["passing","warning","critical","maintenance","degraded"]"#).unwrap();
        assert_eq!(parsed[2], HealthStatus::Critical);
        assert_eq!(parsed[4], HealthStatus::Other("degraded".into()));
        assert_eq!(parsed[4].to_string(), "degraded");
        assert_eq!(serde_json::to_string(&HealthStatus::Warning).unwrap(), r#""warning""#);
    }
}
