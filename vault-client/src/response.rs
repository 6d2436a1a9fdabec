//! The standard response envelope every logical Vault endpoint answers with.

use std::collections::BTreeMap;
use std::time::Duration;

use client_core::Secret;
use serde::{Deserialize, Serialize};

/// Vault's standard answer (`request_id`, `lease_id`, `data`, `auth`, ...),
/// with `data` typed by the caller.
///
/// `Debug` shows `data` as `T` prints it: use [`Secret`] fields in `T` for
/// values that must never reach logs. `auth` and `wrap_info` redact their tokens.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct VaultResponse<T> {
    /// Request ID (useful when reading Vault's audit log).
    #[serde(default)]
    pub request_id: String,
    /// Lease of a dynamic secret; empty for static data.
    #[serde(default)]
    pub lease_id: String,
    /// Lease duration in seconds.
    #[serde(default)]
    pub lease_duration: u64,
    /// Whether the lease can be renewed.
    #[serde(default)]
    pub renewable: bool,
    /// The payload.
    #[serde(default = "none")]
    pub data: Option<T>,
    /// Set when the answer was wrapped (see [`crate::VaultClient::with_wrap_ttl`]).
    #[serde(default)]
    pub wrap_info: Option<WrapInfo>,
    /// Vault's warnings (deprecated parameters, ignored options, ...). A
    /// bare string (as some API pages print it) is read as one warning.
    #[serde(default, deserialize_with = "warnings")]
    pub warnings: Option<Vec<String>>,
    /// Set by logins and token creation.
    #[serde(default)]
    pub auth: Option<AuthInfo>,
}

fn none<T>() -> Option<T> {
    None
}

/// `null`, a list of warnings, or one warning as a string (`""`: none).
fn warnings<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Vec<String>>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Wire {
        List(Vec<String>),
        One(String),
    }
    Ok(match Option::<Wire>::deserialize(d)? {
        Some(Wire::List(list)) => Some(list),
        Some(Wire::One(one)) if one.is_empty() => None,
        Some(Wire::One(one)) => Some(vec![one]),
        None => None,
    })
}

impl<T> VaultResponse<T> {
    /// The lease of this answer (meaningful for dynamic secrets).
    #[must_use]
    pub fn lease(&self) -> Lease {
        Lease {
            id: self.lease_id.clone(),
            duration: Duration::from_secs(self.lease_duration),
            renewable: self.renewable,
        }
    }

    /// Vault's warnings, or an empty slice.
    #[must_use]
    pub fn warnings(&self) -> &[String] {
        self.warnings.as_deref().unwrap_or_default()
    }
}

/// The `auth` block of a login or token creation.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct AuthInfo {
    /// The new token (redacted in `Debug`/`Display`).
    pub client_token: Secret,
    /// The token's accessor (lets an operator look up or revoke the token without holding it).
    #[serde(default)]
    pub accessor: String,
    /// All policies attached to the token.
    #[serde(default)]
    pub policies: Vec<String>,
    /// Policies attached to the token itself (without identity policies).
    #[serde(default)]
    pub token_policies: Vec<String>,
    /// Metadata set by the auth method (GitHub username, AppRole role name, ...).
    #[serde(default)]
    pub metadata: Option<BTreeMap<String, String>>,
    /// Token TTL in seconds.
    #[serde(default)]
    pub lease_duration: u64,
    /// Whether the token can be renewed.
    #[serde(default)]
    pub renewable: bool,
    /// Identity entity of the login.
    #[serde(default)]
    pub entity_id: String,
    /// `service` or `batch`.
    #[serde(default)]
    pub token_type: String,
    /// Whether the token has no parent.
    #[serde(default)]
    pub orphan: bool,
}

impl AuthInfo {
    /// The token's time to live.
    #[must_use]
    pub fn ttl(&self) -> Duration {
        Duration::from_secs(self.lease_duration)
    }
}

/// The `wrap_info` block of a wrapped answer.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct WrapInfo {
    /// The single-use wrapping token (redacted in `Debug`/`Display`).
    pub token: Secret,
    /// Accessor of the wrapping token.
    #[serde(default)]
    pub accessor: String,
    /// Seconds until the wrapping token expires.
    #[serde(default)]
    pub ttl: u64,
    /// When the wrapping token was created (RFC 3339).
    #[serde(default)]
    pub creation_time: String,
    /// The path whose answer was wrapped.
    #[serde(default)]
    pub creation_path: String,
    /// Accessor of a wrapped token, when a token was wrapped.
    #[serde(default)]
    pub wrapped_accessor: Option<String>,
}

/// A lease: what to renew or revoke for a dynamic secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    /// Lease ID, e.g. `nomad/creds/admin/kRkfb1wM9b7Esv24D8N8QCsJ`.
    pub id: String,
    /// Time until the lease expires.
    pub duration: Duration,
    /// Whether the lease can be renewed.
    pub renewable: bool,
}

/// A dynamic secret together with its lease.
#[derive(Debug, Clone)]
pub struct Leased<T> {
    /// The lease to renew or revoke.
    pub lease: Lease,
    /// The credentials.
    pub data: T,
}

/// A successful login: a client that uses the new token, and the `auth` block.
#[derive(Debug, Clone)]
pub struct LoggedIn {
    /// A client sending the new token (same address, namespace and options).
    pub client: crate::VaultClient,
    /// What Vault said about the new token.
    pub auth: AuthInfo,
}

/// Serde helpers for Vault's durations: sent as `"<seconds>s"` strings, read
/// from a number of seconds (what Vault answers) or a duration string (what
/// some API pages print, e.g. `"1h"`).
pub(crate) mod seconds {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    /// A number of seconds or a Go duration string.
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Wire {
        Int(u64),
        Float(f64),
        Text(String),
    }

    fn from_wire<E: serde::de::Error>(wire: Wire) -> Result<Duration, E> {
        match wire {
            Wire::Int(secs) => Ok(Duration::from_secs(secs)),
            Wire::Float(secs) if secs.is_finite() && secs >= 0.0 => Ok(Duration::from_secs_f64(secs)),
            Wire::Float(secs) => Err(E::custom(format!("{secs} is not a number of seconds"))),
            Wire::Text(text) => client_core::config::parse_duration_seconds("Vault duration", &text).map_err(E::custom),
        }
    }

    /// Deserializes a required duration.
    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        from_wire(Wire::deserialize(d)?)
    }

    /// Deserializes an optional duration (`null` or absent is `None`).
    pub(crate) fn deserialize_opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
        Option::<Wire>::deserialize(d)?.map(from_wire).transpose()
    }

    /// Serializes an optional duration as `"<seconds>s"`; callers skip `None`.
    #[allow(clippy::ref_option)] // serde's `serialize_with` passes `&Option<T>`
    pub(crate) fn serialize_opt<S: Serializer>(value: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(d) => s.serialize_str(&format!("{}s", d.as_secs())),
            None => s.serialize_none(),
        }
    }
}
