//! Health: `/v1/health` (service instances with their checks, node checks, checks by state).

use client_core::path::PathBuf;
use client_core::{Request, WatchOptions, WithMeta};
use futures::Stream;
use serde::{Deserialize, Serialize};

use crate::client::ConsulClient;
use crate::error::Result;
use crate::models::{AgentService, HealthCheck, HealthStatus, Node};
use crate::options::QueryOptions;
use crate::validate;

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
        self.entries("service", name, which, opts).await
    }

    /// The Connect-capable instances of `name` (its sidecar proxies and
    /// native Connect instances), with health, filtered like [`Health::service`].
    pub async fn connect(
        &self,
        name: &str,
        which: &ServiceHealthOptions,
        opts: &QueryOptions,
    ) -> Result<WithMeta<Vec<ServiceEntry>>> {
        self.entries("connect", name, which, opts).await
    }

    /// The ingress gateways that expose `name`, with health (Consul 1.8+).
    pub async fn ingress(
        &self,
        name: &str,
        which: &ServiceHealthOptions,
        opts: &QueryOptions,
    ) -> Result<WithMeta<Vec<ServiceEntry>>> {
        self.entries("ingress", name, which, opts).await
    }

    /// `/v1/health/<kind>/<name>`.
    async fn entries(
        &self,
        kind: &'static str,
        name: &str,
        which: &ServiceHealthOptions,
        opts: &QueryOptions,
    ) -> Result<WithMeta<Vec<ServiceEntry>>> {
        validate::name("service name", name)?;
        let mut request =
            Request::get(PathBuf::new("/v1/health").literal(kind).segment("service name", name)?.finish());
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
        let (health, name, which, opts) = (self.clone(), name.to_owned(), which.clone(), opts.clone());
        crate::watch::watch(options, move |blocking| {
            let (health, name, which) = (health.clone(), name.clone(), which.clone());
            let opts = QueryOptions { blocking, ..opts.clone() };
            async move { health.service(&name, &which, &opts).await }
        })
    }
}
