//! The crate's error type.

/// Result alias used across this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong when talking to Consul.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A transport, API, decoding, configuration or input error from the shared plumbing.
    #[error(transparent)]
    Core(#[from] client_core::Error),

    /// `PUT /v1/txn` answered 409: Consul rolled the whole transaction back.
    #[error("the transaction was rolled back, nothing was changed: {}", describe_txn_errors(.errors))]
    TxnRolledBack {
        /// One entry per failed operation, as Consul reported it.
        errors: Vec<crate::txn::TxnError>,
    },

    /// `Kv::delete_saved` did not leave the folder empty: what it deleted and
    /// what is left (every deleted key is one of the saved ones).
    #[error(transparent)]
    IncompleteDelete(Box<crate::txn::IncompleteDelete>),

    /// A recursive delete was asked for a prefix that would also match look-alike neighbours.
    #[error(
        "refusing to delete the KV prefix {prefix:?} recursively: {reason}; pass a prefix ending in '/' \
         (e.g. {suggestion:?}) or call delete_raw_prefix to delete every key that merely starts with these characters"
    )]
    UnsafePrefix {
        /// The prefix that was refused.
        prefix: String,
        /// Why it was refused.
        reason: String,
        /// The safe spelling of the prefix.
        suggestion: String,
    },

    /// A lock could not be taken within the time allowed.
    #[error("could not acquire the lock on KV key {key:?} within {}: {holder}", humantime_like(*.waited))]
    LockTimeout {
        /// The lock key.
        key: String,
        /// How long we waited.
        waited: std::time::Duration,
        /// Who holds it, as far as we could tell.
        holder: String,
    },

    /// Consul answered `false` to a write that has no CAS or lock condition.
    #[error("Consul did not apply {what}: it answered false")]
    NotApplied {
        /// The write that was refused.
        what: String,
    },

    /// The server does not offer what was asked for (e.g. an intentions API of another version).
    #[error("{what} is not supported by this Consul server: {reason}")]
    Unsupported {
        /// The feature that was asked for.
        what: String,
        /// What the server offers instead.
        reason: String,
    },
}

impl Error {
    /// The HTTP status of an API error, if this is one.
    #[must_use]
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Core(e) => e.status(),
            Self::TxnRolledBack { .. } => Some(409),
            _ => None,
        }
    }

    /// True for an API error with HTTP 404.
    #[must_use]
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }

    /// True for a 403 answer (missing or insufficient ACL token).
    #[must_use]
    pub fn is_permission_denied(&self) -> bool {
        self.status() == Some(403)
    }

    pub(crate) fn invalid(what: &str, value: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::Core(client_core::Error::invalid(what, value, reason))
    }
}

fn describe_txn_errors(errors: &[crate::txn::TxnError]) -> String {
    if errors.is_empty() {
        return "Consul gave no reason".to_owned();
    }
    errors.iter().map(|e| format!("operation #{}: {}", e.op_index, e.what)).collect::<Vec<_>>().join("; ")
}

fn humantime_like(d: std::time::Duration) -> String {
    if d.subsec_millis() == 0 { format!("{}s", d.as_secs()) } else { format!("{:.1}s", d.as_secs_f64()) }
}
