//! The `token_*` settings every auth method shares (Vault's `tokenutil`):
//! what the tokens a role, user or group logs in to look like.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::response::seconds;

/// `with = "opt_seconds"`: an optional duration written as `"<n>s"` and
/// read from seconds or a duration string (the shape of every TTL here).
pub(crate) mod opt_seconds {
    pub(crate) use super::seconds::{deserialize_opt as deserialize, serialize_opt as serialize};
}

/// Token settings of an AppRole role, a userpass or LDAP user, a cert role
/// or a JWT role (`token_policies`, `token_ttl`, ...). Unset fields are
/// not sent, so a write leaves them as they are; a read answers every
/// field. Durations are sent as seconds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenParams {
    /// Policies of the tokens (`Some(vec![])` clears them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_policies: Option<Vec<String>>,
    /// TTL of the tokens (zero: the mount's default).
    #[serde(default, skip_serializing_if = "Option::is_none", with = "opt_seconds")]
    pub token_ttl: Option<Duration>,
    /// Longest the tokens can be renewed to.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "opt_seconds")]
    pub token_max_ttl: Option<Duration>,
    /// Hard limit on the tokens' lifetime, renewals included.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "opt_seconds")]
    pub token_explicit_max_ttl: Option<Duration>,
    /// Makes the tokens periodic: renewable by this period forever.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "opt_seconds")]
    pub token_period: Option<Duration>,
    /// Uses of each token (0: unlimited).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_num_uses: Option<u64>,
    /// Leaves the `default` policy off the tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_no_default_policy: Option<bool>,
    /// CIDR blocks the tokens can be used from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_bound_cidrs: Option<Vec<String>>,
    /// `service`, `batch`, `default`, `default-service` or `default-batch`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_type: Option<String>,
}

impl TokenParams {
    /// Settings giving the tokens `policies`, everything else unset.
    pub fn with_policies(policies: impl IntoIterator<Item = impl Into<String>>) -> Self {
        Self { token_policies: Some(policies.into_iter().map(Into::into).collect()), ..Self::default() }
    }
}
