//! Admin partitions (Consul Enterprise 1.11+): `/v1/partition` and
//! `/v1/partitions`. Requests elsewhere pick a partition with
//! [`crate::QueryOptions::partition`] (`?partition=`) or
//! [`crate::ConsulClientBuilder::partition`] (`X-Consul-Partition`).

use client_core::path::ApiPath;
use client_core::{Request, WithMeta};
use serde::{Deserialize, Serialize};

use crate::client::ConsulClient;
use crate::error::{Error, Result};
use crate::options::{QueryOptions, WriteOptions};
use crate::validate;

/// The partition every Enterprise cluster has, which cannot be deleted.
const DEFAULT: &str = "default";

/// A stored admin partition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct Partition {
    /// Name.
    pub name: String,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// When it was marked for deletion (RFC 3339); `None` for a live partition.
    #[serde(default)]
    pub deleted_at: Option<String>,
    /// Raft index of creation.
    #[serde(default)]
    pub create_index: u64,
    /// Raft index of the last change.
    #[serde(default)]
    pub modify_index: u64,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct PartitionBody<'a> {
    #[serde(skip_serializing_if = "str::is_empty")]
    name: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    description: &'a str,
}

/// The admin partition handler: `consul.partitions()` (Consul Enterprise 1.11+).
#[derive(Debug, Clone)]
pub struct Partitions {
    client: ConsulClient,
}

impl ConsulClient {
    /// Admin partitions (Consul Enterprise 1.11+).
    #[must_use]
    pub fn partitions(&self) -> Partitions {
        Partitions { client: self.clone() }
    }
}

fn name_path(name: &str) -> Result<ApiPath> {
    validate::label_path("/v1/partition", "admin partition name", name)
}

impl Partitions {
    /// Creates the partition `name` (needs `operator:write`).
    pub async fn create(&self, name: &str, description: &str, opts: &WriteOptions) -> Result<Partition> {
        validate::dns_label("admin partition name", name)?;
        let request = Request::put("/v1/partition").json(&PartitionBody { name, description })?;
        self.client.json(opts.apply(request)?.idempotent(false)).await
    }

    /// The partition `name`; `None` when there is none. One being deleted
    /// still reads, with [`Partition::deleted_at`] set.
    pub async fn get(&self, name: &str, opts: &QueryOptions) -> Result<WithMeta<Option<Partition>>> {
        self.client.read_optional(Request::get(name_path(name)?), opts).await
    }

    /// Every partition.
    pub async fn list(&self, opts: &QueryOptions) -> Result<WithMeta<Vec<Partition>>> {
        Ok(crate::client::null_list(self.client.read(Request::get("/v1/partitions"), opts).await?))
    }

    /// Sets the description of the partition `name`.
    pub async fn update(&self, name: &str, description: &str, opts: &WriteOptions) -> Result<Partition> {
        let request = Request::put(name_path(name)?).json(&PartitionBody { name: "", description })?;
        self.client.json(opts.apply(request)?).await
    }

    /// Marks the partition `name` (exactly) for deletion: Consul deletes
    /// its data in the background. The built-in `default` partition is
    /// refused before sending.
    pub async fn delete(&self, name: &str, opts: &WriteOptions) -> Result<()> {
        let path = name_path(name)?;
        if name == DEFAULT {
            return Err(Error::invalid(
                "admin partition name",
                name,
                "is the built-in partition, which cannot be deleted",
            ));
        }
        self.client.send(opts.apply(Request::delete(path))?).await.map(drop)
    }
}
