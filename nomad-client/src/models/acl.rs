//! ACL tokens, policies, roles, auth methods and binding rules. Every secret
//! (token secret IDs, one-time secrets, OIDC client secrets) is a
//! [`Secret`]: Debug prints `<redacted>`.

use std::collections::BTreeMap;

use client_core::Secret;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// An ACL token (`/v1/acl/token`, `/v1/acl/bootstrap`, OIDC and JWT logins).
/// List rows have no secret (an empty `secret_id`). The secret is redacted in Debug output.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AclToken {
    /// Public ID.
    #[serde(rename = "AccessorID")]
    pub accessor_id: String,
    /// The secret sent as `X-Nomad-Token` (empty in list rows; left out of a
    /// create body when empty, so Nomad generates one).
    #[serde(rename = "SecretID", skip_serializing_if = "Secret::is_empty")]
    pub secret_id: Secret,
    /// Name.
    pub name: String,
    /// `client` or `management`.
    #[serde(rename = "Type")]
    pub token_type: String,
    /// Policies of a client token.
    pub policies: Option<Vec<String>>,
    /// Roles of a client token (Nomad 1.4+).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub roles: Option<Vec<AclLink>>,
    /// Replicated to every region.
    pub global: bool,
    /// When the token expires (RFC 3339; Nomad 1.4+).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expiration_time: Option<String>,
    /// Creation time (RFC 3339).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub create_time: String,
    /// Creation index.
    pub create_index: u64,
    /// Last modification index.
    pub modify_index: u64,
    /// Every field not modelled above (`Hash`, `ExpirationTTL`...), sent back unchanged.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl AclToken {
    /// A client token named `name` with these policies, for [`crate::acl::AclTokens::create`].
    #[must_use]
    pub fn client(name: impl Into<String>, policies: &[&str]) -> Self {
        let policies = policies.iter().map(|p| (*p).to_owned()).collect();
        Self { name: name.into(), token_type: "client".into(), policies: Some(policies), ..Self::default() }
    }

    /// A management token named `name`.
    #[must_use]
    pub fn management(name: impl Into<String>) -> Self {
        Self { name: name.into(), token_type: "management".into(), ..Self::default() }
    }
}

/// A link to a role or policy by ID and/or name (`Roles` of a token, `Policies` of a role).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AclLink {
    /// ID (roles only; empty when linked by name).
    #[serde(rename = "ID", skip_serializing_if = "String::is_empty")]
    pub id: String,
    /// Name.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
}

impl AclLink {
    /// A link by name.
    #[must_use]
    pub fn name(name: impl Into<String>) -> Self {
        Self { id: String::new(), name: name.into() }
    }
}

/// An ACL policy. List rows leave `rules` empty.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AclPolicy {
    /// Name (also the path segment).
    pub name: String,
    /// Description.
    pub description: String,
    /// The HCL rules.
    pub rules: String,
    /// Workload identity the policy is attached to (Nomad 1.7+).
    #[serde(rename = "JobACL", skip_serializing_if = "Option::is_none")]
    pub job_acl: Option<Value>,
    /// Creation index.
    pub create_index: u64,
    /// Last modification index.
    pub modify_index: u64,
    /// Every field not modelled above (`RulesJSON`, `Hash`...).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A one-time token (`POST /v1/acl/token/onetime`): exchanged once for the
/// token it belongs to. The one-time secret is redacted in Debug output.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct OneTimeToken {
    /// The one-time secret to exchange.
    #[serde(rename = "OneTimeSecretID")]
    pub one_time_secret_id: Secret,
    /// Accessor of the token it stands for.
    #[serde(rename = "AccessorID")]
    pub accessor_id: String,
    /// Expiry (RFC 3339).
    pub expires_at: String,
    /// Creation index.
    pub create_index: u64,
    /// Last modification index.
    pub modify_index: u64,
}

/// An ACL role (Nomad 1.4+): a named set of policies.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AclRole {
    /// Role ID (empty on create).
    #[serde(rename = "ID", skip_serializing_if = "String::is_empty")]
    pub id: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Policies by name.
    pub policies: Vec<AclLink>,
    /// Creation index.
    pub create_index: u64,
    /// Last modification index.
    pub modify_index: u64,
    /// Every field not modelled above (`Hash`...).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// An ACL auth method (Nomad 1.5+: `OIDC`, `JWT`). List rows carry only
/// name, type, default and indexes.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AclAuthMethod {
    /// Name (also the path segment).
    pub name: String,
    /// `OIDC` or `JWT`.
    #[serde(rename = "Type")]
    pub method_type: String,
    /// `local` or `global`.
    pub token_locality: String,
    /// Template of the names of tokens it issues.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_name_format: Option<String>,
    /// Longest life of a token it issues (a Go duration, e.g. `1h0m0s`).
    #[serde(rename = "MaxTokenTTL")]
    pub max_token_ttl: String,
    /// The default method of `nomad login`.
    pub default: bool,
    /// Provider settings (absent in list rows).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub config: Option<AclAuthMethodConfig>,
    /// Creation index.
    pub create_index: u64,
    /// Last modification index.
    pub modify_index: u64,
    /// Every field not modelled above (`CreateTime`, `ModifyTime`, `Hash`...).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Provider settings of an auth method. The client secret is redacted in Debug output.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AclAuthMethodConfig {
    /// OIDC discovery URL.
    #[serde(rename = "OIDCDiscoveryURL", skip_serializing_if = "Option::is_none")]
    pub oidc_discovery_url: Option<String>,
    /// OIDC client ID.
    #[serde(rename = "OIDCClientID", skip_serializing_if = "Option::is_none")]
    pub oidc_client_id: Option<String>,
    /// OIDC client secret (Nomad answers `redacted` on reads).
    #[serde(rename = "OIDCClientSecret", skip_serializing_if = "Option::is_none")]
    pub oidc_client_secret: Option<Secret>,
    /// Audiences a token must carry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bound_audiences: Option<Vec<String>>,
    /// Redirect URIs the provider may send the user back to.
    #[serde(rename = "AllowedRedirectURIs", skip_serializing_if = "Option::is_none")]
    pub allowed_redirect_uris: Option<Vec<String>>,
    /// Claim → variable mappings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub claim_mappings: Option<BTreeMap<String, String>>,
    /// List claim → variable mappings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub list_claim_mappings: Option<BTreeMap<String, String>>,
    /// Every field not modelled above (scopes, JWKS, signing algorithms...).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// An ACL binding rule (Nomad 1.5+): maps identities of an auth method to roles or policies.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AclBindingRule {
    /// Rule ID (empty on create).
    #[serde(rename = "ID", skip_serializing_if = "String::is_empty")]
    pub id: String,
    /// Description.
    pub description: String,
    /// Auth method the rule belongs to.
    pub auth_method: String,
    /// Selector expression over the identity's claims.
    pub selector: String,
    /// `role`, `policy` or `management`.
    pub bind_type: String,
    /// Role or policy name (templated).
    pub bind_name: String,
    /// Creation index.
    pub create_index: u64,
    /// Last modification index.
    pub modify_index: u64,
    /// Every field not modelled above (`CreateTime`, `ModifyTime`, `Hash`...).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The first step of an OIDC login (`POST /v1/acl/oidc/auth-url`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct OidcAuthUrlRequest {
    /// The OIDC auth method.
    pub auth_method_name: String,
    /// Where the provider sends the user back (one of the method's allowed URIs).
    #[serde(rename = "RedirectURI")]
    pub redirect_uri: String,
    /// A nonce of the caller's, given again to complete the login.
    pub client_nonce: String,
}

/// The second step of an OIDC login (`POST /v1/acl/oidc/complete-auth`):
/// what the provider's redirect carried. The code is redacted in Debug output.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct OidcCompleteAuthRequest {
    /// The OIDC auth method.
    pub auth_method_name: String,
    /// The redirect URI of the first step.
    #[serde(rename = "RedirectURI")]
    pub redirect_uri: String,
    /// The nonce of the first step.
    pub client_nonce: String,
    /// The `state` of the redirect.
    pub state: String,
    /// The `code` of the redirect.
    pub code: Secret,
}
