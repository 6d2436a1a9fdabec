//! The base error type every client wraps.

use std::time::Duration;

/// Everything that can go wrong between a client and its server.
///
/// Each variant reads as a sentence an operator can act on. None of them
/// ever carries a token: requests are described by method and path only.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The server answered with a status that is not a success.
    #[error("{method} {path} failed with HTTP {status}: {message}")]
    Api {
        /// HTTP status code.
        status: u16,
        /// HTTP method of the request.
        method: String,
        /// Path of the request (no query string, no token).
        path: String,
        /// The server's own message, trimmed and bounded.
        message: String,
    },
    /// The request could not be sent or the response could not be read.
    #[error("{method} {path}: cannot reach {host}: {reason}")]
    Transport {
        /// HTTP method of the request.
        method: String,
        /// Path of the request.
        path: String,
        /// Host and port that was contacted.
        host: String,
        /// What went wrong, e.g. "connection refused".
        reason: String,
    },
    /// No complete answer arrived within the configured time.
    #[error("{method} {path}: no answer within {}", humantime::format_duration(*.timeout))]
    Timeout {
        /// HTTP method of the request.
        method: String,
        /// Path of the request.
        path: String,
        /// The timeout that expired.
        timeout: Duration,
    },
    /// The response body is not what the API documents.
    #[error("{method} {path}: cannot decode the response ({reason}); body starts with: {excerpt}")]
    Decode {
        /// HTTP method of the request.
        method: String,
        /// Path of the request.
        path: String,
        /// The decoder's explanation.
        reason: String,
        /// The first bytes of the body, lossily converted to text.
        excerpt: String,
    },
    /// The response body is larger than the configured limit.
    #[error("{method} {path}: response body exceeds the limit of {limit} bytes")]
    BodyTooLarge {
        /// HTTP method of the request.
        method: String,
        /// Path of the request.
        path: String,
        /// The configured limit in bytes.
        limit: u64,
    },
    /// The server redirected somewhere the client does not follow: another
    /// path (another resource), a host that is not allowed, another method.
    #[error("{method} {path}: refusing to follow a redirect to {location} ({reason})")]
    Redirect {
        /// HTTP method of the request.
        method: String,
        /// Path of the request.
        path: String,
        /// Where the server pointed (without query or credentials).
        location: String,
        /// Why it is not followed.
        reason: String,
    },
    /// The client configuration is wrong (bad address, unreadable CA file...).
    #[error("invalid configuration {source_name}: {reason}")]
    Config {
        /// The variable or builder setting at fault, e.g. `NOMAD_ADDR`.
        source_name: String,
        /// What is wrong and what was expected.
        reason: String,
    },
    /// A snapshot the server sent is not a complete, intact archive (see
    /// [`crate::snapshot`]): the server cut it short or it was damaged on
    /// the way. What was written must not be restored.
    #[error(
        "{method} {path}: the snapshot received cannot be restored ({reason}); the {bytes} bytes written \
         are a partial or damaged snapshot: discard them and save again"
    )]
    SnapshotDamaged {
        /// HTTP method of the request.
        method: String,
        /// Path of the request.
        path: String,
        /// Bytes written to the caller's writer before the damage was found.
        bytes: u64,
        /// What is wrong with the archive.
        reason: String,
    },
    /// An argument was rejected before any request was sent.
    #[error("invalid {what} {value:?}: {reason}")]
    InvalidInput {
        /// What kind of input, e.g. "job ID".
        what: String,
        /// The offending value (never a secret).
        value: String,
        /// What was expected.
        reason: String,
    },
}

impl Error {
    /// The HTTP status of an API error, if this is one.
    #[must_use]
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Api { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// True for an API error with HTTP 404.
    #[must_use]
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }

    /// True for an API error with HTTP 403.
    #[must_use]
    pub fn is_permission_denied(&self) -> bool {
        self.status() == Some(403)
    }

    /// True for errors that a retry of an idempotent request may cure: the
    /// ones the default [`crate::RetryPolicy`] retries (a transport failure,
    /// a timeout, HTTP 429, 502, 503, 504). By the time a caller sees one,
    /// the client has already retried it within its budget.
    #[must_use]
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Api { status, .. } => TRANSIENT_STATUSES.contains(status),
            Self::Transport { .. } | Self::Timeout { .. } => true,
            _ => false,
        }
    }

    /// Builds an [`Error::InvalidInput`].
    pub fn invalid(what: impl Into<String>, value: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::InvalidInput { what: what.into(), value: value.into(), reason: reason.into() }
    }

    /// Builds an [`Error::Config`].
    pub fn config(source_name: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::Config { source_name: source_name.into(), reason: reason.into() }
    }
}

/// The checks every client's error answers the same way, so that code
/// handling a Nomad, Consul, Vault or Patroni error asks the same questions.
///
/// Each client's `Error` implements it (and re-exports the trait at its
/// crate root); [`ClientError::core`] reaches the transport-level error
/// underneath when there is one.
///
/// ```
/// use client_core::{ClientError, Error};
/// let e = Error::Api { status: 404, method: "GET".into(), path: "/v1/job/web".into(), message: "job not found".into() };
/// assert!(e.is_not_found() && !e.is_transient());
/// assert_eq!(ClientError::status(&e), Some(404));
/// ```
pub trait ClientError: std::error::Error + Send + Sync + 'static {
    /// The client-core error underneath, if this error came from the pipeline
    /// (an API status, a transport failure, a timeout, a decode failure...).
    fn core(&self) -> Option<&Error>;

    /// The HTTP status of an error answer.
    fn status(&self) -> Option<u16> {
        self.core().and_then(Error::status)
    }

    /// True when the server said the thing asked for does not exist (404).
    fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }

    /// True when the server refused the token (403).
    fn is_permission_denied(&self) -> bool {
        self.status() == Some(403)
    }

    /// True when a later attempt of the same request may succeed: what the
    /// pipeline retries ([`Error::is_transient`]) once its budget is spent,
    /// and states a client does not retry itself because they pass only
    /// on a human's time, not a backoff's (a sealed Vault; its docs say so).
    fn is_transient(&self) -> bool {
        self.core().is_some_and(Error::is_transient)
    }
}

impl ClientError for Error {
    fn core(&self) -> Option<&Error> {
        Some(self)
    }

    fn status(&self) -> Option<u16> {
        Error::status(self)
    }

    fn is_not_found(&self) -> bool {
        Error::is_not_found(self)
    }

    fn is_permission_denied(&self) -> bool {
        Error::is_permission_denied(self)
    }

    fn is_transient(&self) -> bool {
        Error::is_transient(self)
    }
}

/// The statuses a retry may cure, retried by default for idempotent requests
/// (`RetryPolicy::statuses`) and reported by [`Error::is_transient`].
pub const TRANSIENT_STATUSES: &[u16] = &[429, 502, 503, 504];

/// Result alias used across client-core.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Longest excerpt of a body kept in an error.
pub(crate) const EXCERPT_LEN: usize = 512;

/// Returns at most [`EXCERPT_LEN`] bytes of `body` as text, cut on a char boundary.
pub(crate) fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(EXCERPT_LEN)]);
    let mut s = text.trim().to_owned();
    if body.len() > EXCERPT_LEN {
        s.push_str("...");
    }
    s
}

/// Extracts a server's message from an error body: Vault's `{"errors": [..]}`,
/// a `{"message"}`/`{"error"}` object, or the trimmed text.
#[cfg_attr(not(feature = "http"), allow(dead_code))]
pub(crate) fn server_message(body: &[u8]) -> String {
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) {
        if let Some(errors) = value.get("errors").and_then(|e| e.as_array()) {
            let msgs: Vec<String> =
                errors.iter().map(|e| e.as_str().map_or_else(|| e.to_string(), str::to_owned)).collect();
            if !msgs.is_empty() {
                return msgs.join("; ");
            }
        }
        for key in ["message", "error", "Message", "Error"] {
            if let Some(m) = value.get(key).and_then(|m| m.as_str()) {
                return m.to_owned();
            }
        }
    }
    let text = excerpt(body);
    if text.is_empty() { "(empty body)".to_owned() } else { text }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_extracted() {
        assert_eq!(server_message(br#"{"errors":["permission denied","x"]}"#), "permission denied; x");
        assert_eq!(server_message(b"Permission denied\n"), "Permission denied");
        assert_eq!(server_message(b""), "(empty body)");
        let long = vec![b'a'; 2000];
        assert!(server_message(&long).len() <= EXCERPT_LEN + 3);
    }

    #[test]
    fn display_reads_as_a_sentence() {
        let e = Error::Api {
            status: 403,
            method: "GET".into(),
            path: "/v1/kv/x".into(),
            message: "Permission denied".into(),
        };
        assert_eq!(e.to_string(), "GET /v1/kv/x failed with HTTP 403: Permission denied");
        let t = Error::Timeout { method: "GET".into(), path: "/p".into(), timeout: Duration::from_secs(5) };
        assert_eq!(t.to_string(), "GET /p: no answer within 5s");
    }
}
