//! The crate's error type: client-core's errors plus what only Vault says.

use client_core::ClientError;

/// Everything a Vault call can fail with.
///
/// Every variant names the request (method and path, never a token) and reads
/// as a sentence. Vault's own messages (`{"errors": [...]}`) are kept whole,
/// all of them, in `errors`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A transport, timeout, decode, redirect, configuration or input error.
    #[error(transparent)]
    Core(#[from] client_core::Error),
    /// Vault answered 403: the token is unknown, expired, revoked, or lacks
    /// the capability on this path.
    #[error(
        "permission denied on {path} ({method} /v1/{path} answered HTTP 403: {}); the token is expired, revoked or lacks a policy for this path",
        join(errors)
    )]
    PermissionDenied {
        /// HTTP method of the request.
        method: String,
        /// The logical path (without `/v1/`).
        path: String,
        /// Vault's messages.
        errors: Vec<String>,
    },
    /// Vault is sealed (HTTP 503 "Vault is sealed"): it must be unsealed before it answers.
    #[error("Vault is sealed: {method} /v1/{path} answered HTTP 503 ({}); unseal it first", join(errors))]
    Sealed {
        /// HTTP method of the request.
        method: String,
        /// The logical path.
        path: String,
        /// Vault's messages.
        errors: Vec<String>,
    },
    /// Vault is not initialised (HTTP 503 "Vault is sealed", and
    /// `sys/seal-status` says `initialized: false`): it must be initialised
    /// (`vault operator init`) and then unsealed.
    #[error(
        "Vault is not initialised: {method} /v1/{path} answered HTTP 503 (Vault is sealed) and sys/seal-status says \
         initialized=false; initialise it (vault operator init), then unseal it"
    )]
    Uninitialized {
        /// HTTP method of the request.
        method: String,
        /// The logical path.
        path: String,
    },
    /// No secrets engine is mounted at this path. Vault answers
    /// `sys/internal/ui/mounts/<path>` with 403 for an unknown mount, even
    /// to the root token.
    #[error(
        "no secrets engine is mounted at {mount}/ (Vault answered HTTP 403: {}); list the mounts with \
         `vault secrets list`, or check that the token has a policy on {mount}/",
        join(errors)
    )]
    NoMount {
        /// The mount path that was asked for.
        mount: String,
        /// Vault's messages.
        errors: Vec<String>,
    },
    /// A login was posted to an auth path where no auth method is mounted.
    /// Vault answers such a login without a token "missing client token"
    /// (HTTP 400), with a token "no handler for route" (HTTP 404).
    #[error(
        "no auth method is mounted at {mount}/ (POST /v1/{path} answered HTTP {status}: {}); list the auth \
         methods with `vault auth list` and pass the right mount",
        join(errors)
    )]
    NoAuthMount {
        /// The auth mount, e.g. `auth/approle`.
        mount: String,
        /// The login path.
        path: String,
        /// HTTP status (400 or 404).
        status: u16,
        /// Vault's messages.
        errors: Vec<String>,
    },
    /// The answer was response-wrapped (the client has a wrap TTL): the data
    /// stays in Vault, and `wrap_info` holds the single-use token to unwrap
    /// it with [`crate::wrapping::Wrapping::unwrap`]. For dynamic credentials the
    /// lease was minted: this token is the only handle on it.
    #[error(
        "{method} /v1/{path}: the answer was response-wrapped (wrapping token accessor {}, valid {}s); unwrap it \
         with sys().wrapping().unwrap(token) from this error's wrap_info, or use a client without a wrap TTL",
        wrap_info.accessor,
        wrap_info.ttl
    )]
    Wrapped {
        /// HTTP method of the request.
        method: String,
        /// The logical path.
        path: String,
        /// The wrapping token and its details (the token is redacted in `Debug`).
        wrap_info: Box<crate::response::WrapInfo>,
    },
    /// Vault answered 429 (rate limit quota) after every retry.
    #[error("{method} /v1/{path} is rate limited by Vault (HTTP 429: {}); retry later", join(errors))]
    RateLimited {
        /// HTTP method of the request.
        method: String,
        /// The logical path.
        path: String,
        /// Vault's messages.
        errors: Vec<String>,
    },
    /// A KV v2 write with check-and-set did not match the current version.
    #[error(
        "check-and-set failed on {path}: the secret's current version is not {expected_version} (someone else wrote it; read it again)"
    )]
    CasMismatch {
        /// The logical path.
        path: String,
        /// The version the caller expected (0 = must not exist).
        expected_version: u64,
    },
    /// A KV v1 call was made on a KV v2 mount, or the other way round.
    #[error("{path}: {detail}")]
    WrongKvVersion {
        /// The path that was used.
        path: String,
        /// What the mount is and which call to use instead.
        detail: String,
    },
    /// The mount exists but is not a KV engine.
    #[error("mount {mount:?} is a {engine_type:?} engine, not a KV secrets engine")]
    NotKv {
        /// The mount path.
        mount: String,
        /// The engine type Vault reported.
        engine_type: String,
    },
    /// The server does not support this operation (e.g. KV v2 patch before Vault 1.9).
    #[error("{method} /v1/{path} is not supported by this Vault server: {reason}")]
    Unsupported {
        /// HTTP method of the request.
        method: String,
        /// The logical path.
        path: String,
        /// Why, and what to do instead.
        reason: String,
    },
    /// Any other error status.
    #[error("{method} /v1/{path} failed with HTTP {status}: {}", join(errors))]
    Api {
        /// HTTP status.
        status: u16,
        /// HTTP method of the request.
        method: String,
        /// The logical path.
        path: String,
        /// Vault's messages (empty for a plain 404).
        errors: Vec<String>,
    },
    /// A success answer lacked a part the call needs (e.g. a login without `auth`).
    #[error("{method} /v1/{path}: unexpected answer: {reason}")]
    UnexpectedResponse {
        /// HTTP method of the request.
        method: String,
        /// The logical path.
        path: String,
        /// What was missing or wrong.
        reason: String,
    },
    /// Reading or writing a local stream failed (the file a raft snapshot
    /// is saved to or restored from).
    #[error("could not {what}: {source}")]
    Io {
        /// What was being done, e.g. "write the raft snapshot".
        what: &'static str,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// AWS credentials were missing or the `sts:GetCallerIdentity` request could not be signed.
    #[error("AWS IAM login: {reason}")]
    Aws {
        /// What went wrong.
        reason: String,
    },
}

/// The contract's checks ([`ClientError`]), from Vault's own variants: the
/// status each one answered with, [`Error::PermissionDenied`] as
/// permission-denied (not [`Error::NoMount`], whose 403 means no mount), and
/// as transient what a later call may cure: what the pipeline retries (a
/// transport failure or timeout, 412, 429, 500, 502, 503, 504) and a sealed
/// Vault, which the pipeline does not retry (unsealing takes an operator)
/// but a caller that keeps trying, such as a lease renewer, may outwait.
///
/// ```
/// use vault_client::{ClientError, Error};
/// let sealed = Error::Sealed { method: "GET".into(), path: "kv/x".into(), errors: vec!["Vault is sealed".into()] };
/// assert!(sealed.is_transient() && sealed.status() == Some(503) && sealed.core().is_none());
/// let missing = Error::Api { status: 404, method: "GET".into(), path: "kv/x".into(), errors: vec![] };
/// assert!(missing.is_not_found() && !missing.is_transient());
/// ```
impl ClientError for Error {
    fn core(&self) -> Option<&client_core::Error> {
        match self {
            Self::Core(e) => Some(e),
            _ => None,
        }
    }

    fn status(&self) -> Option<u16> {
        match self {
            Self::Core(e) => e.status(),
            Self::PermissionDenied { .. } | Self::NoMount { .. } => Some(403),
            Self::Sealed { .. } | Self::Uninitialized { .. } => Some(503),
            Self::NoAuthMount { status, .. } | Self::Api { status, .. } => Some(*status),
            Self::RateLimited { .. } => Some(429),
            Self::CasMismatch { .. } => Some(400),
            _ => None,
        }
    }

    fn is_permission_denied(&self) -> bool {
        matches!(self, Self::PermissionDenied { .. })
    }

    fn is_transient(&self) -> bool {
        match self {
            Self::Core(e) => e.is_transient(),
            Self::RateLimited { .. } | Self::Sealed { .. } => true,
            Self::Api { status, .. } => {
                crate::client::RETRY_STATUSES.contains(status) || crate::client::UNAPPLIED_STATUSES.contains(status)
            }
            _ => false,
        }
    }
}

impl Error {
    /// True when Vault says a lease does not exist (any more): renew answers
    /// 400 `lease not found` once a lease has expired or was revoked, lookup
    /// answers 400 `invalid lease`. Permanent: renewing again cannot help.
    #[must_use]
    pub fn is_lease_gone(&self) -> bool {
        matches!(self, Self::Api { status: 400, errors, .. }
            if errors.iter().any(|e| e.contains("lease not found") || e.contains("invalid lease")))
    }

    /// The wrapping token and its details when the answer was response-wrapped.
    #[must_use]
    pub fn wrap_info(&self) -> Option<&crate::response::WrapInfo> {
        match self {
            Self::Wrapped { wrap_info, .. } => Some(wrap_info),
            _ => None,
        }
    }

    /// Vault's messages, when the error came from an error answer.
    #[must_use]
    pub fn errors(&self) -> &[String] {
        match self {
            Self::PermissionDenied { errors, .. }
            | Self::Sealed { errors, .. }
            | Self::RateLimited { errors, .. }
            | Self::NoMount { errors, .. }
            | Self::NoAuthMount { errors, .. }
            | Self::Api { errors, .. } => errors,
            _ => &[],
        }
    }

    pub(crate) fn invalid(what: &str, value: &str, reason: &str) -> Self {
        Self::Core(client_core::Error::invalid(what, value, reason))
    }
}

/// Vault's messages on one line; Vault's multi-error text ("1 error occurred:\n\t* x\n\n") is flattened.
fn join(errors: &[String]) -> String {
    if errors.is_empty() {
        return "no message (nothing at this path, or no handler for it)".to_owned();
    }
    errors.iter().map(|e| flatten(e)).collect::<Vec<_>>().join("; ")
}

fn flatten(message: &str) -> String {
    let items: Vec<&str> = message
        .lines()
        .map(|l| l.trim().trim_start_matches("* ").trim())
        .filter(|l| !(l.is_empty() || l.ends_with("error occurred:") || l.ends_with("errors occurred:")))
        .collect();
    if items.is_empty() { message.trim().to_owned() } else { items.join(", ") }
}

/// Result alias of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multi_error_text_is_flattened() {
        let e = Error::PermissionDenied {
            method: "POST".into(),
            path: "secret/data/x".into(),
            errors: vec!["1 error occurred:\n\t* permission denied\n\n".into()],
        };
        let text = e.to_string();
        assert!(
            text.starts_with(
                "permission denied on secret/data/x (POST /v1/secret/data/x answered HTTP 403: permission denied)"
            ),
            "{text}"
        );
        assert_eq!(e.status(), Some(403));
        let nf = Error::Api { status: 404, method: "GET".into(), path: "kv/x".into(), errors: vec![] };
        assert!(nf.is_not_found());
        assert!(nf.to_string().contains("nothing at this path"), "{nf}");
    }
}
