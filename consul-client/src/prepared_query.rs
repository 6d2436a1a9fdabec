//! Prepared queries: `/v1/query` — stored service lookups with failover to
//! other datacenters, executed by ID or name.

use std::collections::BTreeMap;

use client_core::path::{ApiPath, PathBuf};
use client_core::{Request, Secret, WithMeta};
use serde::{Deserialize, Serialize};

use crate::client::ConsulClient;
use crate::error::{Error, Result};
use crate::health::ServiceEntry;
use crate::options::{QueryOptions, WriteOptions};
use crate::validate;

/// Where a query fails over when no healthy instance is found locally.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct QueryFailover {
    /// Try the N datacenters nearest by round-trip time.
    #[serde(default)]
    pub nearest_n: u32,
    /// Then these datacenters, in order.
    #[serde(default, deserialize_with = "crate::de::null_default")]
    pub datacenters: Vec<String>,
}

/// The service part of a prepared query.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct QueryService {
    /// The service to look up.
    pub service: String,
    /// Failover to other datacenters.
    #[serde(default)]
    pub failover: QueryFailover,
    /// Only instances whose checks all pass (warning excluded).
    #[serde(default)]
    pub only_passing: bool,
    /// Sort by round-trip time from this node (`_agent`: the agent answering; `_ip`: the caller's address).
    #[serde(default)]
    pub near: String,
    /// Tags every instance must have (`!tag`: must not have).
    #[serde(default, deserialize_with = "crate::de::null_default")]
    pub tags: Vec<String>,
    /// Node metadata every node must have.
    #[serde(default, deserialize_with = "crate::de::null_default")]
    pub node_meta: BTreeMap<String, String>,
    /// Service metadata every instance must have.
    #[serde(default, deserialize_with = "crate::de::null_default")]
    pub service_meta: BTreeMap<String, String>,
    /// Check IDs ignored when judging health.
    #[serde(rename = "IgnoreCheckIDs", default, deserialize_with = "crate::de::null_default")]
    pub ignore_check_ids: Vec<String>,
}

/// A prepared query to create, or the new state of one to update.
///
/// ```
/// use consul_client::PreparedQueryRequest;
/// let mut q = PreparedQueryRequest::new("db-primary", "db");
/// q.service.failover.nearest_n = 2;
/// q.service.only_passing = true;
/// assert_eq!(q.service.service, "db");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PreparedQueryRequest {
    /// Name (executes as `/v1/query/<name>/execute` and DNS `<name>.query.consul`).
    pub name: String,
    /// A session that bounds the query's life (deleted with it).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub session: String,
    /// The service lookup.
    pub service: QueryService,
    /// DNS answer TTL (Go syntax, `10s`), empty for the agent's default.
    #[serde(rename = "DNS")]
    pub dns: QueryDns,
    /// Makes the query a template: it answers every name starting with
    /// [`PreparedQueryRequest::name`], its fields interpolated
    /// (`${name.full}`, `${name.prefix}`, `${name.suffix}`, `${match(N)}`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub template: Option<QueryTemplate>,
    /// The ACL token the query executes with instead of the caller's
    /// (`Token`). A query is written whole, so an update without it clears
    /// the one Consul stores; Consul shows a stored token only to a
    /// management token ([`HIDDEN_QUERY_TOKEN`] to others), and that placeholder
    /// is refused here rather than written as the token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<Secret>,
}

/// What Consul answers in place of a stored prepared query token to a
/// reader without a management token.
pub const HIDDEN_QUERY_TOKEN: &str = "<hidden>";

/// What kind of template a query is. Consul knows one kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum TemplateType {
    /// The query answers every name that starts with its name (an empty
    /// name: every name), the longest matching prefix winning.
    #[default]
    #[serde(rename = "name_prefix_match")]
    NamePrefixMatch,
}

/// A prepared query template (`Template`): how a name executed against the
/// query is matched and captured for interpolation.
///
/// ```
/// use consul_client::{PreparedQueryRequest, QueryTemplate};
/// // `geo-db-<anything>` looks up the service named after the suffix.
/// let mut q = PreparedQueryRequest::new("geo-db-", "${match(1)}");
/// q.template = Some(QueryTemplate::name_prefix_match("^geo-db-(.*)$"));
/// assert_eq!(q.template.unwrap().regexp, "^geo-db-(.*)$");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct QueryTemplate {
    /// The kind of template.
    #[serde(rename = "Type")]
    pub kind: TemplateType,
    /// A regular expression (Go RE2 syntax) matched against the whole name
    /// executed; its capture groups are `${match(1)}`, `${match(2)}`...
    /// Empty: no captures.
    #[serde(default)]
    pub regexp: String,
    /// Drops tags that interpolate to an empty string instead of keeping them.
    #[serde(default)]
    pub remove_empty_tags: bool,
}

impl QueryTemplate {
    /// A `name_prefix_match` template capturing with `regexp`.
    #[must_use]
    pub fn name_prefix_match(regexp: impl Into<String>) -> Self {
        Self { kind: TemplateType::NamePrefixMatch, regexp: regexp.into(), remove_empty_tags: false }
    }

    /// The same template, dropping tags that interpolate to nothing.
    #[must_use]
    pub fn remove_empty_tags(mut self) -> Self {
        self.remove_empty_tags = true;
        self
    }
}

impl PreparedQueryRequest {
    /// A query named `name` for `service`.
    #[must_use]
    pub fn new(name: impl Into<String>, service: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            service: QueryService { service: service.into(), ..QueryService::default() },
            ..Self::default()
        }
    }

    fn check(&self) -> Result<()> {
        if !self.name.is_empty() {
            validate::name("prepared query name", &self.name)?;
        }
        if self.service.service.trim().is_empty() {
            return Err(Error::invalid("prepared query service", &self.service.service, "must name a service"));
        }
        if !self.session.is_empty() {
            validate::uuid("session ID", &self.session)?;
        }
        for dc in &self.service.failover.datacenters {
            validate::datacenter(dc)?;
        }
        if self.token.as_ref().is_some_and(|t| t.expose() == HIDDEN_QUERY_TOKEN) {
            return Err(Error::invalid(
                "prepared query token",
                HIDDEN_QUERY_TOKEN,
                "is Consul's placeholder for a token it does not show, not a token: writing it would make it the \
                 query's token; read the query with a management token to keep its token, or set the real one",
            ));
        }
        Ok(())
    }
}

/// DNS settings of a prepared query.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct QueryDns {
    /// TTL of DNS answers (Go syntax), empty for the agent's default.
    #[serde(rename = "TTL", default)]
    pub ttl: String,
}

/// A stored prepared query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PreparedQuery {
    /// Query ID.
    #[serde(rename = "ID")]
    pub id: String,
    /// Name.
    #[serde(default)]
    pub name: String,
    /// Bounding session, if any.
    #[serde(default)]
    pub session: String,
    /// The service lookup.
    pub service: QueryService,
    /// DNS settings.
    #[serde(rename = "DNS", default)]
    pub dns: QueryDns,
    /// The template, when the query is one (Consul answers an empty
    /// `Type` for a plain query).
    #[serde(default, deserialize_with = "template")]
    pub template: Option<QueryTemplate>,
    /// The stored token the query executes with: `None` when it has none;
    /// [`HIDDEN_QUERY_TOKEN`] unless read with a management token.
    #[serde(default, deserialize_with = "non_empty_secret")]
    pub token: Option<Secret>,
    /// Raft index of creation.
    #[serde(default)]
    pub create_index: u64,
    /// Raft index of the last change.
    #[serde(default)]
    pub modify_index: u64,
}

/// What an execution found (`/v1/query/<id>/execute`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct QueryExecution {
    /// The service looked up.
    pub service: String,
    /// The healthy instances, nearest first when the query sorts by `near`.
    #[serde(default, deserialize_with = "crate::de::null_default")]
    pub nodes: Vec<ServiceEntry>,
    /// The datacenter that answered (another one after a failover).
    pub datacenter: String,
    /// How many datacenters were tried after the local one.
    #[serde(default)]
    pub failovers: u32,
    /// DNS settings.
    #[serde(rename = "DNS", default)]
    pub dns: QueryDns,
}

/// Consul sends `"Template": {"Type": "", "Regexp": ""...}` for a plain query.
fn template<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Option<QueryTemplate>, D::Error> {
    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Raw {
        #[serde(rename = "Type", default)]
        kind: String,
        #[serde(default)]
        regexp: String,
        #[serde(default)]
        remove_empty_tags: bool,
    }
    let Some(raw) = Option::<Raw>::deserialize(d)? else { return Ok(None) };
    let kind = match raw.kind.as_str() {
        "" => return Ok(None),
        "name_prefix_match" => TemplateType::NamePrefixMatch,
        other => {
            return Err(serde::de::Error::custom(format!(
                "unknown prepared query template type {other:?} (this client knows name_prefix_match)"
            )));
        }
    };
    Ok(Some(QueryTemplate { kind, regexp: raw.regexp, remove_empty_tags: raw.remove_empty_tags }))
}

#[derive(Deserialize)]
struct Explained {
    #[serde(rename = "Query")]
    query: PreparedQuery,
}

#[derive(Deserialize)]
struct Created {
    #[serde(rename = "ID")]
    id: String,
}

/// Options of [`PreparedQueries::execute`].
#[derive(Debug, Clone, Default)]
pub struct ExecuteOptions {
    /// Sort by round-trip time from this node (`_agent` for the answering agent).
    pub near: Option<String>,
    /// At most this many instances.
    pub limit: Option<u32>,
}

/// The prepared-query handler: `consul.prepared_queries()`.
#[derive(Debug, Clone)]
pub struct PreparedQueries {
    client: ConsulClient,
}

impl ConsulClient {
    /// Prepared queries.
    #[must_use]
    pub fn prepared_queries(&self) -> PreparedQueries {
        PreparedQueries { client: self.clone() }
    }
}

fn id_path(id: &str) -> Result<ApiPath> {
    validate::uuid("prepared query ID", id)?;
    Ok(PathBuf::new("/v1/query").segment("prepared query ID", id)?.finish())
}

/// `/v1/query/<id or name>/<verb>`.
fn verb_path(id_or_name: &str, verb: &'static str) -> Result<ApiPath> {
    validate::name("prepared query ID or name", id_or_name)?;
    Ok(PathBuf::new("/v1/query").segment("prepared query ID or name", id_or_name)?.literal(verb).finish())
}

impl PreparedQueries {
    /// Creates a query and returns its ID. Not retried after sending (a
    /// retry could create a second one; a duplicate name is Consul's error).
    pub async fn create(&self, query: &PreparedQueryRequest, opts: &WriteOptions) -> Result<String> {
        query.check()?;
        let request = opts.apply(Request::post("/v1/query").json(query)?)?;
        Ok(self.client.json::<Created>(request).await?.id)
    }

    /// A query by ID (an unknown one is a 404 error, `is_not_found()`).
    pub async fn get(&self, id: &str, opts: &QueryOptions) -> Result<WithMeta<PreparedQuery>> {
        let read = self.client.read::<Vec<PreparedQuery>>(Request::get(id_path(id)?), opts).await?;
        let value = read
            .value
            .into_iter()
            .next()
            .ok_or_else(|| Error::invalid("prepared query ID", id, "Consul answered with no query for it"))?;
        Ok(WithMeta { value, meta: read.meta })
    }

    /// Every query.
    pub async fn list(&self, opts: &QueryOptions) -> Result<WithMeta<Vec<PreparedQuery>>> {
        Ok(crate::client::null_list(self.client.read(Request::get("/v1/query"), opts).await?))
    }

    /// Replaces the query `id` with `query`, as a whole: a `query.token` left
    /// `None` clears the token the query executes with (see
    /// [`PreparedQueryRequest::token`]).
    pub async fn update(&self, id: &str, query: &PreparedQueryRequest, opts: &WriteOptions) -> Result<()> {
        let path = id_path(id)?;
        query.check()?;
        self.client.send(opts.apply(Request::put(path).json(query)?)?).await.map(drop)
    }

    /// Deletes the query `id`.
    pub async fn delete(&self, id: &str, opts: &WriteOptions) -> Result<()> {
        let path = id_path(id)?;
        self.client.send(opts.apply(Request::delete(path))?).await.map(drop)
    }

    /// Runs the query `id_or_name`: the healthy instances of its service,
    /// from another datacenter when its failover had to (see
    /// [`QueryExecution::failovers`]).
    pub async fn execute(
        &self,
        id_or_name: &str,
        exec: &ExecuteOptions,
        opts: &QueryOptions,
    ) -> Result<WithMeta<QueryExecution>> {
        if let Some(near) = &exec.near {
            validate::name("near node", near)?;
        }
        let request = Request::get(verb_path(id_or_name, "execute")?)
            .query_opt("near", exec.near.as_deref())
            .query_opt("limit", exec.limit);
        self.client.read(request, opts).await
    }

    /// The query `id_or_name` as it would run, templates rendered.
    pub async fn explain(&self, id_or_name: &str, opts: &QueryOptions) -> Result<WithMeta<PreparedQuery>> {
        let read = self.client.read::<Explained>(Request::get(verb_path(id_or_name, "explain")?), opts).await?;
        Ok(WithMeta { value: read.value.query, meta: read.meta })
    }
}

/// `""` (Consul's "no token") as `None`.
fn non_empty_secret<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> std::result::Result<Option<Secret>, D::Error> {
    Ok(Option::<String>::deserialize(deserializer)?.filter(|t| !t.is_empty()).map(Secret::new))
}
