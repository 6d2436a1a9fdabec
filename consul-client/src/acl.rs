//! ACL management: `/v1/acl` — bootstrap, tokens, policies, roles, auth
//! methods, binding rules, login/logout and replication status.
//!
//! Every secret Consul returns (a token's `SecretID`) is a [`Secret`]: it
//! never shows in `Debug`. IDs are checked to be UUIDs and names to be one
//! path segment before anything is sent.

use std::collections::BTreeMap;

use client_core::path::PathBuf;
use client_core::{Request, Secret, WithMeta};
use serde::{Deserialize, Serialize};

use crate::client::ConsulClient;
use crate::error::{Error, Result};
use crate::options::{QueryOptions, WriteOptions};
use crate::validate;

/// A policy or role linked to a token or role, by ID or by name (either is
/// enough when writing; Consul fills in both when reading).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AclLink {
    /// Policy or role ID.
    #[serde(rename = "ID", default, skip_serializing_if = "String::is_empty")]
    pub id: String,
    /// Its name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
}

impl AclLink {
    /// A link by name.
    #[must_use]
    pub fn name(name: impl Into<String>) -> Self {
        Self { id: String::new(), name: name.into() }
    }

    /// A link by ID.
    #[must_use]
    pub fn id(id: impl Into<String>) -> Self {
        Self { id: id.into(), name: String::new() }
    }
}

/// A service identity: the policy templated for one service (and its sidecar).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AclServiceIdentity {
    /// The service name.
    pub service_name: String,
    /// Datacenters it applies in (empty: all).
    #[serde(default, skip_serializing_if = "Vec::is_empty", deserialize_with = "crate::de::null_default")]
    pub datacenters: Vec<String>,
}

/// A node identity (Consul 1.8.1+): the policy templated for one node.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AclNodeIdentity {
    /// The node name.
    pub node_name: String,
    /// The datacenter it applies in.
    pub datacenter: String,
}

/// An ACL token. The secret is a [`Secret`]: it never shows in `Debug`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AclToken {
    /// Public identifier of the token.
    #[serde(rename = "AccessorID")]
    pub accessor_id: String,
    /// The secret (what is sent as `X-Consul-Token`); absent when not readable.
    #[serde(rename = "SecretID", default, skip_serializing_if = "Option::is_none")]
    pub secret_id: Option<Secret>,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// Linked policies.
    #[serde(default, deserialize_with = "crate::de::null_default")]
    pub policies: Vec<AclLink>,
    /// Linked roles.
    #[serde(default, deserialize_with = "crate::de::null_default")]
    pub roles: Vec<AclLink>,
    /// Service identities.
    #[serde(default, deserialize_with = "crate::de::null_default")]
    pub service_identities: Vec<AclServiceIdentity>,
    /// Node identities.
    #[serde(default, deserialize_with = "crate::de::null_default")]
    pub node_identities: Vec<AclNodeIdentity>,
    /// True when the token is valid only in its own datacenter.
    #[serde(default)]
    pub local: bool,
    /// The auth method that issued it (a login token), if any.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub auth_method: String,
    /// Creation time (RFC 3339).
    #[serde(default)]
    pub create_time: String,
    /// Expiry time, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration_time: Option<String>,
    /// Raft index of creation.
    #[serde(default)]
    pub create_index: u64,
    /// Raft index of the last change.
    #[serde(default)]
    pub modify_index: u64,
}

/// A token to create or the new state of one to update. Leave
/// `accessor_id`/`secret_id` unset to have Consul generate them.
///
/// ```
/// use consul_client::{AclLink, AclTokenRequest};
/// let token = AclTokenRequest::new("deploy bot").policy(AclLink::name("deploy")).expiration_ttl("1h");
/// assert_eq!(token.policies[0].name, "deploy");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AclTokenRequest {
    /// The accessor ID to use (a UUID), or unset for a generated one.
    #[serde(rename = "AccessorID", skip_serializing_if = "Option::is_none")]
    pub accessor_id: Option<String>,
    /// The secret to use (a UUID), or unset for a generated one.
    #[serde(rename = "SecretID", skip_serializing_if = "Option::is_none")]
    pub secret_id: Option<Secret>,
    /// Description.
    pub description: String,
    /// Policies to link.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub policies: Vec<AclLink>,
    /// Roles to link.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<AclLink>,
    /// Service identities.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub service_identities: Vec<AclServiceIdentity>,
    /// Node identities (Consul 1.8.1+).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub node_identities: Vec<AclNodeIdentity>,
    /// Valid only in this datacenter.
    pub local: bool,
    /// Lifetime, Go syntax (`1h`, `30m`); unset: the token never expires.
    #[serde(rename = "ExpirationTTL", skip_serializing_if = "Option::is_none")]
    pub expiration_ttl: Option<String>,
}

impl AclTokenRequest {
    /// A token with this description and nothing linked yet.
    #[must_use]
    pub fn new(description: impl Into<String>) -> Self {
        Self { description: description.into(), ..Self::default() }
    }

    /// Links a policy.
    #[must_use]
    pub fn policy(mut self, link: AclLink) -> Self {
        self.policies.push(link);
        self
    }

    /// Links a role.
    #[must_use]
    pub fn role(mut self, link: AclLink) -> Self {
        self.roles.push(link);
        self
    }

    /// Adds a service identity for `service` in every datacenter.
    #[must_use]
    pub fn service_identity(mut self, service: impl Into<String>) -> Self {
        self.service_identities.push(AclServiceIdentity { service_name: service.into(), datacenters: Vec::new() });
        self
    }

    /// Makes the token expire after `ttl` (Go syntax: `10m`, `1h`).
    #[must_use]
    pub fn expiration_ttl(mut self, ttl: impl Into<String>) -> Self {
        self.expiration_ttl = Some(ttl.into());
        self
    }

    fn check(&self) -> Result<()> {
        if let Some(id) = &self.accessor_id {
            validate::uuid("ACL accessor ID", id)?;
        }
        if let Some(secret) = &self.secret_id {
            if !client_core::path::is_uuid(secret.expose()) {
                return Err(Error::invalid("ACL secret ID", "<redacted>", "must be a UUID"));
            }
        }
        for link in self.policies.iter().chain(&self.roles) {
            check_link(link)?;
        }
        Ok(())
    }
}

fn check_link(link: &AclLink) -> Result<()> {
    if link.id.is_empty() && link.name.is_empty() {
        return Err(Error::invalid("ACL link", "{}", "needs a policy or role ID or name"));
    }
    Ok(())
}

/// Filters of [`Acl::token_list`] (each narrows the list; all must match).
#[derive(Debug, Clone, Default)]
pub struct TokenListFilter {
    /// Only tokens linked to this policy ID.
    pub policy: Option<String>,
    /// Only tokens linked to this role ID.
    pub role: Option<String>,
    /// Only tokens issued by this auth method.
    pub auth_method: Option<String>,
}

/// An ACL policy with its rules (HCL or JSON text, as written).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AclPolicy {
    /// Policy ID.
    #[serde(rename = "ID")]
    pub id: String,
    /// Name.
    pub name: String,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// The rules, as text.
    #[serde(default)]
    pub rules: String,
    /// Datacenters it applies to (empty: all).
    #[serde(default, deserialize_with = "crate::de::null_default")]
    pub datacenters: Vec<String>,
    /// Raft index of creation.
    #[serde(default)]
    pub create_index: u64,
    /// Raft index of the last change.
    #[serde(default)]
    pub modify_index: u64,
}

/// A policy in the policy list (rules are not included by Consul).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AclPolicyListEntry {
    /// Policy ID.
    #[serde(rename = "ID")]
    pub id: String,
    /// Name.
    pub name: String,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// Datacenters it applies to (empty: all).
    #[serde(default, deserialize_with = "crate::de::null_default")]
    pub datacenters: Vec<String>,
    /// Raft index of creation.
    #[serde(default)]
    pub create_index: u64,
    /// Raft index of the last change.
    #[serde(default)]
    pub modify_index: u64,
}

/// A policy to create, or the new state of one to update.
///
/// ```
/// use consul_client::AclPolicyRequest;
/// let p = AclPolicyRequest::new("kv-app", r#"key_prefix "app/" { policy = "write" }"#);
/// assert!(p.rules.contains("key_prefix"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AclPolicyRequest {
    /// Name (unique).
    pub name: String,
    /// Description.
    pub description: String,
    /// The rules, HCL or JSON text.
    pub rules: String,
    /// Datacenters it applies to (empty: all).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub datacenters: Vec<String>,
}

impl AclPolicyRequest {
    /// A policy named `name` with `rules`.
    #[must_use]
    pub fn new(name: impl Into<String>, rules: impl Into<String>) -> Self {
        Self { name: name.into(), rules: rules.into(), ..Self::default() }
    }
}

/// An ACL role: a named set of policies and identities tokens can link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AclRole {
    /// Role ID.
    #[serde(rename = "ID")]
    pub id: String,
    /// Name.
    pub name: String,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// Linked policies.
    #[serde(default, deserialize_with = "crate::de::null_default")]
    pub policies: Vec<AclLink>,
    /// Service identities.
    #[serde(default, deserialize_with = "crate::de::null_default")]
    pub service_identities: Vec<AclServiceIdentity>,
    /// Node identities.
    #[serde(default, deserialize_with = "crate::de::null_default")]
    pub node_identities: Vec<AclNodeIdentity>,
    /// Raft index of creation.
    #[serde(default)]
    pub create_index: u64,
    /// Raft index of the last change.
    #[serde(default)]
    pub modify_index: u64,
}

/// A role to create, or the new state of one to update.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AclRoleRequest {
    /// Name (unique).
    pub name: String,
    /// Description.
    pub description: String,
    /// Policies to link.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub policies: Vec<AclLink>,
    /// Service identities.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub service_identities: Vec<AclServiceIdentity>,
    /// Node identities.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub node_identities: Vec<AclNodeIdentity>,
}

impl AclRoleRequest {
    /// A role named `name` linking `policies`.
    #[must_use]
    pub fn new(name: impl Into<String>, policies: Vec<AclLink>) -> Self {
        Self { name: name.into(), policies, ..Self::default() }
    }
}

/// An auth method: how a login's bearer token is verified (`kubernetes`,
/// `jwt`, `oidc`), with its type's configuration kept as JSON.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AclAuthMethod {
    /// Name (unique, the path segment).
    pub name: String,
    /// Type: `kubernetes`, `jwt`, `oidc`.
    #[serde(rename = "Type")]
    pub method_type: String,
    /// Name shown in UIs.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub display_name: String,
    /// Description.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Longest lifetime of a token it issues, Go syntax (`10m`); empty: no limit.
    #[serde(rename = "MaxTokenTTL", default, skip_serializing_if = "String::is_empty")]
    pub max_token_ttl: String,
    /// `local` or `global` tokens (empty: local).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub token_locality: String,
    /// The type's configuration (`Host`/`CACert`/`ServiceAccountJWT` for
    /// kubernetes, `JWTValidationPubKeys`/`ClaimMappings`… for jwt).
    #[serde(default)]
    pub config: serde_json::Map<String, serde_json::Value>,
    /// Raft index of creation (read only).
    #[serde(default, skip_serializing)]
    pub create_index: u64,
    /// Raft index of the last change (read only).
    #[serde(default, skip_serializing)]
    pub modify_index: u64,
}

/// An auth method in the list (without its configuration).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AclAuthMethodListEntry {
    /// Name.
    pub name: String,
    /// Type.
    #[serde(rename = "Type")]
    pub method_type: String,
    /// Name shown in UIs.
    #[serde(default)]
    pub display_name: String,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// Raft index of creation.
    #[serde(default)]
    pub create_index: u64,
    /// Raft index of the last change.
    #[serde(default)]
    pub modify_index: u64,
}

/// What a binding rule binds a login to.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BindType {
    /// A service identity named `BindName`.
    #[default]
    Service,
    /// The existing role named `BindName`.
    Role,
    /// A node identity named `BindName` (Consul 1.8.1+).
    Node,
}

/// A binding rule: which logins of an auth method get which identity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AclBindingRule {
    /// Rule ID.
    #[serde(rename = "ID")]
    pub id: String,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// The auth method it belongs to.
    pub auth_method: String,
    /// A selector over the login's claims (empty: every login).
    #[serde(default)]
    pub selector: String,
    /// What is bound.
    pub bind_type: BindType,
    /// The name bound, with `${value.claim}` interpolation.
    pub bind_name: String,
    /// Raft index of creation.
    #[serde(default)]
    pub create_index: u64,
    /// Raft index of the last change.
    #[serde(default)]
    pub modify_index: u64,
}

/// A binding rule to create, or the new state of one to update.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AclBindingRuleRequest {
    /// Description.
    pub description: String,
    /// The auth method it belongs to.
    pub auth_method: String,
    /// A selector over the login's claims (empty: every login).
    pub selector: String,
    /// What is bound.
    pub bind_type: BindType,
    /// The name bound, with `${value.claim}` interpolation.
    pub bind_name: String,
}

/// `/v1/acl/replication`: this datacenter's ACL replication status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AclReplicationStatus {
    /// True when replication is configured (a secondary datacenter).
    pub enabled: bool,
    /// True while the replication routine runs.
    pub running: bool,
    /// The primary it replicates from.
    #[serde(default)]
    pub source_datacenter: String,
    /// `legacy`, `policies` or `tokens`.
    #[serde(default)]
    pub replication_type: String,
    /// Last replicated policy index.
    #[serde(default)]
    pub replicated_index: u64,
    /// Last replicated role index.
    #[serde(default)]
    pub replicated_role_index: u64,
    /// Last replicated token index.
    #[serde(default)]
    pub replicated_token_index: u64,
    /// Time of the last success (RFC 3339).
    #[serde(default)]
    pub last_success: String,
    /// Time of the last error (RFC 3339).
    #[serde(default)]
    pub last_error: String,
    /// Fields of newer versions (`LastErrorMessage`), kept as sent.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// A login with an auth method (`POST /v1/acl/login`).
#[derive(Debug, Clone)]
pub struct AclLogin {
    /// The auth method's name.
    pub auth_method: String,
    /// The bearer token it verifies (a Kubernetes service account JWT, a JWT).
    pub bearer_token: Secret,
    /// Metadata stored on the token Consul issues.
    pub meta: BTreeMap<String, String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct LoginBody<'a> {
    auth_method: &'a str,
    bearer_token: &'a str,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    meta: &'a BTreeMap<String, String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct CloneBody<'a> {
    description: &'a str,
}

/// The ACL handler: `consul.acl()`.
#[derive(Debug, Clone)]
pub struct Acl {
    client: ConsulClient,
}

impl ConsulClient {
    /// ACL management: tokens, policies, roles, auth methods, binding rules.
    #[must_use]
    pub fn acl(&self) -> Acl {
        Acl { client: self.clone() }
    }
}

/// `/v1/acl/<kind>/<uuid>`.
fn id_path(kind: &'static str, what: &str, id: &str) -> Result<client_core::path::ApiPath> {
    validate::uuid(what, id)?;
    Ok(PathBuf::new("/v1/acl").literal(kind).segment(what, id)?.finish())
}

/// `/v1/acl/<kind>/<name>`.
fn name_path(kind: &'static str, what: &str, name: &str) -> Result<client_core::path::ApiPath> {
    validate::name(what, name)?;
    Ok(PathBuf::new("/v1/acl").literal(kind).segment(what, name)?.finish())
}

impl Acl {
    async fn write<T: serde::de::DeserializeOwned>(&self, request: Request, opts: &WriteOptions) -> Result<T> {
        self.client.json(opts.apply(request)?).await.map_err(acl_hint)
    }

    async fn get_one<T: serde::de::DeserializeOwned>(
        &self,
        path: client_core::path::ApiPath,
        opts: &QueryOptions,
    ) -> Result<WithMeta<T>> {
        self.client.read(Request::get(path), opts).await.map_err(acl_hint)
    }

    /// A read whose 404 (an unknown role, auth method or binding rule) is `None`.
    async fn get_optional<T: serde::de::DeserializeOwned>(
        &self,
        path: client_core::path::ApiPath,
        opts: &QueryOptions,
    ) -> Result<WithMeta<Option<T>>> {
        self.client.read_optional(Request::get(path), opts).await.map_err(acl_hint)
    }

    async fn list_of<T: serde::de::DeserializeOwned>(
        &self,
        request: Request,
        opts: &QueryOptions,
    ) -> Result<WithMeta<Vec<T>>> {
        let read = self.client.read::<Option<Vec<T>>>(request, opts).await.map_err(acl_hint)?;
        Ok(crate::client::null_list(read))
    }

    async fn delete_true(&self, path: client_core::path::ApiPath, what: String, opts: &WriteOptions) -> Result<()> {
        let request = opts.apply(Request::delete(path))?;
        self.client.write_true(request, &what).await.map_err(acl_hint)
    }

    /// Bootstraps the ACL system of a fresh cluster: returns the initial
    /// management token (its `SecretID` a [`Secret`]). Consul allows it once;
    /// afterwards (or with a configured master token) it answers 403
    /// `ACL bootstrap no longer allowed (reset index: N)`. Never retried:
    /// a lost answer would be a lost management token.
    pub async fn bootstrap(&self) -> Result<AclToken> {
        let request = Request::put("/v1/acl/bootstrap").idempotent(false);
        self.client.json(request).await.map_err(acl_hint)
    }

    /// The token the request is sent with (the client's, or `opts.token`).
    /// A missing, unknown or revoked token is a 403 `ACL not found` error.
    pub async fn token_self(&self, opts: &QueryOptions) -> Result<WithMeta<AclToken>> {
        self.client.read(Request::get("/v1/acl/token/self"), opts).await.map_err(acl_hint)
    }

    /// A token by accessor ID (needs `acl:read`). An unknown one is an error:
    /// Consul 1.8 answers 403 `ACL not found` (`is_permission_denied()`),
    /// which it also answers for an unknown request token.
    pub async fn token_get(&self, accessor_id: &str, opts: &QueryOptions) -> Result<WithMeta<AclToken>> {
        self.get_one(id_path("token", "ACL accessor ID", accessor_id)?, opts).await
    }

    /// Creates a token (needs `acl:write`); the answer carries its secret.
    /// Not retried after sending: a retry could create a second token.
    pub async fn token_create(&self, token: &AclTokenRequest, opts: &WriteOptions) -> Result<AclToken> {
        token.check()?;
        self.write(Request::put("/v1/acl/token").json(token)?.idempotent(token.accessor_id.is_some()), opts).await
    }

    /// Replaces the token `accessor_id` with `token` (its secret is kept).
    pub async fn token_update(
        &self,
        accessor_id: &str,
        token: &AclTokenRequest,
        opts: &WriteOptions,
    ) -> Result<AclToken> {
        let path = id_path("token", "ACL accessor ID", accessor_id)?;
        token.check()?;
        if token.accessor_id.as_deref().is_some_and(|id| id != accessor_id) {
            return Err(Error::invalid(
                "ACL token update",
                accessor_id,
                "the request's accessor ID names another token; leave it unset or equal",
            ));
        }
        self.write(Request::put(path).json(token)?, opts).await
    }

    /// A new token with the same policies, roles and identities as
    /// `accessor_id`, described by `description`, with new IDs.
    pub async fn token_clone(&self, accessor_id: &str, description: &str, opts: &WriteOptions) -> Result<AclToken> {
        validate::uuid("ACL accessor ID", accessor_id)?;
        let path = PathBuf::new("/v1/acl/token").segment("ACL accessor ID", accessor_id)?.literal("clone").finish();
        self.write(Request::put(path).json(&CloneBody { description })?.idempotent(false), opts).await
    }

    /// Deletes the token `accessor_id` (an unknown one succeeds).
    pub async fn token_delete(&self, accessor_id: &str, opts: &WriteOptions) -> Result<()> {
        let path = id_path("token", "ACL accessor ID", accessor_id)?;
        self.delete_true(path, format!("the deletion of ACL token {accessor_id}"), opts).await
    }

    /// Every token, narrowed by `filter` (policy, role, auth method); Consul
    /// 1.8 lists no secrets (`secret_id` is `None`). Consul 1.8 ignores a `?filter=` expression here.
    pub async fn token_list(&self, filter: &TokenListFilter, opts: &QueryOptions) -> Result<WithMeta<Vec<AclToken>>> {
        for id in [&filter.policy, &filter.role].into_iter().flatten() {
            validate::uuid("ACL policy or role ID", id)?;
        }
        if let Some(method) = &filter.auth_method {
            validate::name("auth method name", method)?;
        }
        let request = Request::get("/v1/acl/tokens")
            .query_opt("policy", filter.policy.as_deref())
            .query_opt("role", filter.role.as_deref())
            .query_opt("authmethod", filter.auth_method.as_deref());
        self.list_of(request, opts).await
    }

    /// Creates a policy (its rules are parsed by Consul: a syntax error is a 400).
    pub async fn policy_create(&self, policy: &AclPolicyRequest, opts: &WriteOptions) -> Result<AclPolicy> {
        validate::name("ACL policy name", &policy.name)?;
        self.write(Request::put("/v1/acl/policy").json(policy)?.idempotent(false), opts).await
    }

    /// A policy by ID, with its rules. An unknown one is an error: Consul 1.8
    /// answers 403 `ACL not found`.
    pub async fn policy_get(&self, id: &str, opts: &QueryOptions) -> Result<WithMeta<AclPolicy>> {
        self.get_one(id_path("policy", "ACL policy ID", id)?, opts).await
    }

    /// A policy by name, with its rules.
    pub async fn policy_get_by_name(&self, name: &str, opts: &QueryOptions) -> Result<WithMeta<AclPolicy>> {
        validate::name("ACL policy name", name)?;
        let path = PathBuf::new("/v1/acl/policy/name").segment("ACL policy name", name)?.finish();
        self.get_one(path, opts).await
    }

    /// Replaces the policy `id` with `policy`.
    pub async fn policy_update(&self, id: &str, policy: &AclPolicyRequest, opts: &WriteOptions) -> Result<AclPolicy> {
        let path = id_path("policy", "ACL policy ID", id)?;
        validate::name("ACL policy name", &policy.name)?;
        self.write(Request::put(path).json(policy)?, opts).await
    }

    /// Deletes the policy `id`. The built-in `global-management` policy
    /// (`00000000-0000-0000-0000-000000000001`) is refused before sending.
    pub async fn policy_delete(&self, id: &str, opts: &WriteOptions) -> Result<()> {
        let path = id_path("policy", "ACL policy ID", id)?;
        if id == GLOBAL_MANAGEMENT_POLICY_ID {
            return Err(Error::invalid(
                "ACL policy ID",
                id,
                "is the built-in global-management policy, which Consul never lets anyone delete",
            ));
        }
        self.delete_true(path, format!("the deletion of ACL policy {id}"), opts).await
    }

    /// Every policy (rules are not included).
    pub async fn policy_list(&self, opts: &QueryOptions) -> Result<WithMeta<Vec<AclPolicyListEntry>>> {
        self.list_of(Request::get("/v1/acl/policies"), opts).await
    }

    /// Creates a role.
    pub async fn role_create(&self, role: &AclRoleRequest, opts: &WriteOptions) -> Result<AclRole> {
        validate::name("ACL role name", &role.name)?;
        role.policies.iter().try_for_each(check_link)?;
        self.write(Request::put("/v1/acl/role").json(role)?.idempotent(false), opts).await
    }

    /// A role by ID; `None` when there is none (Consul answers 404).
    pub async fn role_get(&self, id: &str, opts: &QueryOptions) -> Result<WithMeta<Option<AclRole>>> {
        self.get_optional(id_path("role", "ACL role ID", id)?, opts).await
    }

    /// A role by name; `None` when there is none.
    pub async fn role_get_by_name(&self, name: &str, opts: &QueryOptions) -> Result<WithMeta<Option<AclRole>>> {
        validate::name("ACL role name", name)?;
        let path = PathBuf::new("/v1/acl/role/name").segment("ACL role name", name)?.finish();
        self.get_optional(path, opts).await
    }

    /// Replaces the role `id` with `role`.
    pub async fn role_update(&self, id: &str, role: &AclRoleRequest, opts: &WriteOptions) -> Result<AclRole> {
        let path = id_path("role", "ACL role ID", id)?;
        validate::name("ACL role name", &role.name)?;
        role.policies.iter().try_for_each(check_link)?;
        self.write(Request::put(path).json(role)?, opts).await
    }

    /// Deletes the role `id`.
    pub async fn role_delete(&self, id: &str, opts: &WriteOptions) -> Result<()> {
        let path = id_path("role", "ACL role ID", id)?;
        self.delete_true(path, format!("the deletion of ACL role {id}"), opts).await
    }

    /// Every role, or those linking the policy `policy_id`.
    pub async fn role_list(&self, policy_id: Option<&str>, opts: &QueryOptions) -> Result<WithMeta<Vec<AclRole>>> {
        if let Some(id) = policy_id {
            validate::uuid("ACL policy ID", id)?;
        }
        self.list_of(Request::get("/v1/acl/roles").query_opt("policy", policy_id), opts).await
    }

    /// Creates an auth method; Consul checks its type's configuration.
    pub async fn auth_method_create(&self, method: &AclAuthMethod, opts: &WriteOptions) -> Result<AclAuthMethod> {
        validate::name("auth method name", &method.name)?;
        self.write(Request::put("/v1/acl/auth-method").json(method)?.idempotent(false), opts).await
    }

    /// An auth method by name, with its configuration; `None` when there is none.
    pub async fn auth_method_get(&self, name: &str, opts: &QueryOptions) -> Result<WithMeta<Option<AclAuthMethod>>> {
        self.get_optional(name_path("auth-method", "auth method name", name)?, opts).await
    }

    /// Replaces the auth method `name` (its type cannot change).
    pub async fn auth_method_update(
        &self,
        name: &str,
        method: &AclAuthMethod,
        opts: &WriteOptions,
    ) -> Result<AclAuthMethod> {
        let path = name_path("auth-method", "auth method name", name)?;
        if method.name != name {
            return Err(Error::invalid(
                "auth method update",
                name,
                format!("the method's body names {:?}; an update keeps the name", method.name),
            ));
        }
        self.write(Request::put(path).json(method)?, opts).await
    }

    /// Deletes the auth method `name`, with its binding rules and the tokens it issued.
    pub async fn auth_method_delete(&self, name: &str, opts: &WriteOptions) -> Result<()> {
        let path = name_path("auth-method", "auth method name", name)?;
        self.delete_true(path, format!("the deletion of auth method {name:?}"), opts).await
    }

    /// Every auth method (without configuration).
    pub async fn auth_method_list(&self, opts: &QueryOptions) -> Result<WithMeta<Vec<AclAuthMethodListEntry>>> {
        self.list_of(Request::get("/v1/acl/auth-methods"), opts).await
    }

    /// Creates a binding rule.
    pub async fn binding_rule_create(
        &self,
        rule: &AclBindingRuleRequest,
        opts: &WriteOptions,
    ) -> Result<AclBindingRule> {
        validate::name("auth method name", &rule.auth_method)?;
        self.write(Request::put("/v1/acl/binding-rule").json(rule)?.idempotent(false), opts).await
    }

    /// A binding rule by ID; `None` when there is none.
    pub async fn binding_rule_get(&self, id: &str, opts: &QueryOptions) -> Result<WithMeta<Option<AclBindingRule>>> {
        self.get_optional(id_path("binding-rule", "binding rule ID", id)?, opts).await
    }

    /// Replaces the binding rule `id` (its auth method cannot change).
    pub async fn binding_rule_update(
        &self,
        id: &str,
        rule: &AclBindingRuleRequest,
        opts: &WriteOptions,
    ) -> Result<AclBindingRule> {
        let path = id_path("binding-rule", "binding rule ID", id)?;
        validate::name("auth method name", &rule.auth_method)?;
        self.write(Request::put(path).json(rule)?, opts).await
    }

    /// Deletes the binding rule `id`.
    pub async fn binding_rule_delete(&self, id: &str, opts: &WriteOptions) -> Result<()> {
        let path = id_path("binding-rule", "binding rule ID", id)?;
        self.delete_true(path, format!("the deletion of binding rule {id}"), opts).await
    }

    /// Every binding rule, or those of the auth method `auth_method`.
    pub async fn binding_rule_list(
        &self,
        auth_method: Option<&str>,
        opts: &QueryOptions,
    ) -> Result<WithMeta<Vec<AclBindingRule>>> {
        if let Some(method) = auth_method {
            validate::name("auth method name", method)?;
        }
        self.list_of(Request::get("/v1/acl/binding-rules").query_opt("authmethod", auth_method), opts).await
    }

    /// Exchanges a bearer token for a Consul token through an auth method
    /// (no ACL token needed). Not retried: each login issues a token.
    pub async fn login(&self, login: &AclLogin, opts: &WriteOptions) -> Result<AclToken> {
        validate::name("auth method name", &login.auth_method)?;
        let body =
            LoginBody { auth_method: &login.auth_method, bearer_token: login.bearer_token.expose(), meta: &login.meta };
        self.write(Request::post("/v1/acl/login").json(&body)?, opts).await
    }

    /// Destroys a token issued by [`Acl::login`]: `token` is its secret.
    pub async fn logout(&self, token: &Secret, opts: &WriteOptions) -> Result<()> {
        let request = opts.apply(Request::post("/v1/acl/logout"))?.token(token.clone());
        self.client.send(request).await.map_err(acl_hint).map(drop)
    }

    /// This datacenter's ACL replication status (`Enabled: false` in the primary).
    pub async fn replication(&self, opts: &QueryOptions) -> Result<WithMeta<AclReplicationStatus>> {
        self.client.read(Request::get("/v1/acl/replication"), opts).await.map_err(acl_hint)
    }
}

/// The ID of Consul's built-in `global-management` policy.
pub const GLOBAL_MANAGEMENT_POLICY_ID: &str = "00000000-0000-0000-0000-000000000001";

/// ACLs disabled answers 401 "ACL support disabled": say so plainly.
pub(crate) fn acl_hint(e: Error) -> Error {
    match &e {
        Error::Core(client_core::Error::Api { status: 401, message, .. })
            if message.contains("ACL support disabled") =>
        {
            Error::Unsupported { what: "the ACL API".into(), reason: "ACLs are disabled on this Consul agent".into() }
        }
        _ => e,
    }
}
