//! Namespaces (Consul Enterprise 1.7+): `/v1/namespace` and
//! `/v1/namespaces`. Requests elsewhere pick a namespace with
//! [`crate::QueryOptions::namespace`] (`?ns=`) or
//! [`ConsulClient::with_namespace`] (`X-Consul-Namespace`).

use std::collections::BTreeMap;

use client_core::path::ApiPath;
use client_core::{Request, WithMeta};
use serde::{Deserialize, Serialize};

use crate::acl::AclLink;
use crate::client::ConsulClient;
use crate::error::{Error, Result};
use crate::options::{QueryOptions, WriteOptions};
use crate::validate;

/// The namespace every Enterprise cluster has, which cannot be deleted.
const DEFAULT: &str = "default";

/// Default policies and roles of every token in a namespace.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct NamespaceAcls {
    /// Policies applied to every token of the namespace (by ID or name).
    #[serde(default, deserialize_with = "crate::de::null_default", skip_serializing_if = "Vec::is_empty")]
    pub policy_defaults: Vec<AclLink>,
    /// Roles applied to every token of the namespace (by ID or name).
    #[serde(default, deserialize_with = "crate::de::null_default", skip_serializing_if = "Vec::is_empty")]
    pub role_defaults: Vec<AclLink>,
}

/// A namespace to create, or the new state of one to update.
///
/// ```
/// use consul_client::NamespaceRequest;
/// let mut team = NamespaceRequest::new("team-1");
/// team.description = "Namespace for Team 1".into();
/// team.meta.insert("owner".into(), "team-1@example.com".into());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct NamespaceRequest {
    /// Name: a DNS hostname label. On update it must be the name updated (or empty).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// Free-form description.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Default policies and roles of its tokens.
    #[serde(rename = "ACLs", skip_serializing_if = "Option::is_none")]
    pub acls: Option<NamespaceAcls>,
    /// Arbitrary metadata.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub meta: BTreeMap<String, String>,
}

impl NamespaceRequest {
    /// A namespace named `name`, with nothing else set.
    #[must_use]
    pub fn new(name: impl Into<String>) -> Self {
        Self { name: name.into(), ..Self::default() }
    }
}

/// A stored namespace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct Namespace {
    /// Name.
    pub name: String,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// Default policies and roles of its tokens.
    #[serde(rename = "ACLs", default)]
    pub acls: Option<NamespaceAcls>,
    /// Metadata.
    #[serde(default, deserialize_with = "crate::de::null_default")]
    pub meta: BTreeMap<String, String>,
    /// When it was marked for deletion (RFC 3339): its data is being removed
    /// and it disappears once that is done. `None` for a live namespace.
    #[serde(default)]
    pub deleted_at: Option<String>,
    /// Raft index of creation.
    #[serde(default)]
    pub create_index: u64,
    /// Raft index of the last change.
    #[serde(default)]
    pub modify_index: u64,
}

/// The namespace handler: `consul.namespaces()` (Consul Enterprise 1.7+).
#[derive(Debug, Clone)]
pub struct Namespaces {
    client: ConsulClient,
}

impl ConsulClient {
    /// Namespaces (Consul Enterprise 1.7+).
    #[must_use]
    pub fn namespaces(&self) -> Namespaces {
        Namespaces { client: self.clone() }
    }
}

fn name_path(name: &str) -> Result<ApiPath> {
    validate::label_path("/v1/namespace", "namespace name", name)
}

impl Namespaces {
    /// Creates a namespace (needs `operator:write`) and returns it as stored.
    pub async fn create(&self, namespace: &NamespaceRequest, opts: &WriteOptions) -> Result<Namespace> {
        validate::dns_label("namespace name", &namespace.name)?;
        let request = opts.apply(Request::put("/v1/namespace").json(namespace)?)?;
        self.client.json(request.idempotent(false)).await
    }

    /// The namespace `name`; `None` when there is none. A namespace being
    /// deleted still reads, with [`Namespace::deleted_at`] set.
    pub async fn get(&self, name: &str, opts: &QueryOptions) -> Result<WithMeta<Option<Namespace>>> {
        self.client.read_optional(Request::get(name_path(name)?), opts).await
    }

    /// Every namespace the token may see.
    pub async fn list(&self, opts: &QueryOptions) -> Result<WithMeta<Vec<Namespace>>> {
        Ok(crate::client::null_list(self.client.read(Request::get("/v1/namespaces"), opts).await?))
    }

    /// Replaces the description, ACL defaults and metadata of `name`. A
    /// request naming another namespace is refused before sending.
    pub async fn update(&self, name: &str, namespace: &NamespaceRequest, opts: &WriteOptions) -> Result<Namespace> {
        let path = name_path(name)?;
        if !namespace.name.is_empty() && namespace.name != name {
            return Err(Error::invalid(
                "namespace request name",
                &namespace.name,
                format!("must be empty or the namespace updated, {name:?}"),
            ));
        }
        self.client.json(opts.apply(Request::put(path).json(namespace)?)?).await
    }

    /// Marks the namespace `name` (exactly) for deletion: Consul then
    /// deletes everything in it in the background. The built-in `default`
    /// namespace is refused before sending.
    pub async fn delete(&self, name: &str, opts: &WriteOptions) -> Result<()> {
        let path = name_path(name)?;
        if name == DEFAULT {
            return Err(Error::invalid("namespace name", name, "is the built-in namespace, which cannot be deleted"));
        }
        self.client.send(opts.apply(Request::delete(path))?).await.map(drop)
    }
}
