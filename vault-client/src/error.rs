//! The crate's error type: client-core's errors plus what only Vault says.

/// Everything a Vault call can fail with.
///
/// Every variant names the request (method and path, never a token) and reads
/// as a sentence. Vault's own messages (`{"errors": [...]}`) are kept whole,
/// all of them, in `errors`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VaultError {
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
    /// AWS credentials were missing or the `sts:GetCallerIdentity` request could not be signed.
    #[error("AWS IAM login: {reason}")]
    Aws {
        /// What went wrong.
        reason: String,
    },
}

impl VaultError {
    /// The HTTP status Vault answered with, when the error came from an answer.
    #[must_use]
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Core(e) => e.status(),
            Self::PermissionDenied { .. } => Some(403),
            Self::Sealed { .. } => Some(503),
            Self::RateLimited { .. } => Some(429),
            Self::CasMismatch { .. } => Some(400),
            Self::Api { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// True for HTTP 404 (nothing at this path, or no handler for it).
    #[must_use]
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }

    /// True for HTTP 403: the token is invalid, expired or lacks a policy.
    #[must_use]
    pub fn is_permission_denied(&self) -> bool {
        matches!(self, Self::PermissionDenied { .. })
    }

    /// Vault's messages, when the error came from an error answer.
    #[must_use]
    pub fn errors(&self) -> &[String] {
        match self {
            Self::PermissionDenied { errors, .. }
            | Self::Sealed { errors, .. }
            | Self::RateLimited { errors, .. }
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
pub type Result<T, E = VaultError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multi_error_text_is_flattened() {
        let e = VaultError::PermissionDenied {
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
        let nf = VaultError::Api { status: 404, method: "GET".into(), path: "kv/x".into(), errors: vec![] };
        assert!(nf.is_not_found());
        assert!(nf.to_string().contains("nothing at this path"), "{nf}");
    }
}
