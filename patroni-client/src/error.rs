//! The crate's error type.

use std::path::PathBuf;
use std::time::Duration;

/// Everything that can go wrong talking to Patroni and its DCS state.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Transport, timeout, decoding, configuration or input error from the shared plumbing.
    #[error(transparent)]
    Core(#[from] client_core::Error),

    /// An error from the Consul client (DCS view).
    #[cfg(feature = "consul")]
    #[error(transparent)]
    Consul(#[from] consul_client::Error),

    /// Patroni answered an operation with a refusal; `message` is its own text.
    #[error("Patroni at {member} refused to {action} (HTTP {status}): {message}")]
    Refused {
        /// The member's REST API address.
        member: String,
        /// What was asked, e.g. "switch over".
        action: String,
        /// HTTP status (401 wrong credentials, 412 infeasible, 503 failed, ...).
        status: u16,
        /// Patroni's message, e.g. `candidate does not exists`.
        message: String,
    },

    /// The SDK refused an operation before sending it (e.g. a failover while
    /// a healthy leader runs); nothing reached Patroni.
    #[error("refusing to {action} through {member}: {reason}")]
    Guarded {
        /// The member's REST API address.
        member: String,
        /// What was asked, e.g. "fail over".
        action: String,
        /// Why, and what to do instead.
        reason: String,
    },

    /// None of the given member addresses answered.
    #[error("no Patroni member answered (tried {}): {last_error}", tried.join(", "))]
    NoMemberReachable {
        /// The addresses tried.
        tried: Vec<String>,
        /// The last failure.
        last_error: Box<Error>,
    },

    /// The cluster has no leader right now.
    #[error("the Patroni cluster {scope} has no leader right now")]
    NoLeader {
        /// The scope, as far as known.
        scope: String,
    },

    /// A wait on the cluster did not succeed in time.
    #[error("the Patroni cluster did not reach \"{condition}\" within {timeout:?}: {last_state}")]
    WaitTimeout {
        /// What was waited for.
        condition: String,
        /// How long.
        timeout: Duration,
        /// Why the condition did not hold at the last look (or the last error).
        last_state: String,
    },

    /// A DCS key holds a value this crate cannot read.
    #[error("the DCS key {key:?} holds a value that is not {expected}: {reason}")]
    DcsValue {
        /// The full key.
        key: String,
        /// What was expected, e.g. "a member JSON object".
        expected: String,
        /// The decoder's explanation.
        reason: String,
    },

    /// The scope's state cannot be removed or restored safely now.
    #[error("refusing to {action} the DCS state of scope {scope:?}: {reason}")]
    UnsafeState {
        /// "remove" or "restore".
        action: String,
        /// The scope.
        scope: String,
        /// Why, and what to do.
        reason: String,
    },

    /// `remove_scope_state` did not leave the scope empty: a key changed or
    /// appeared after the backup. Every deleted key is in the backup file.
    #[error(
        "the DCS state of scope {scope:?} was not removed completely: {incomplete}; {}",
        if *.backup_kept {
            format!("the backup {} holds every deleted key (put them back with restore_scope_state)", backup_file.display())
        } else {
            format!("nothing was deleted, so the stale backup {} was removed; retry", backup_file.display())
        }
    )]
    #[cfg(feature = "consul")]
    IncompleteRemoval {
        /// The scope.
        scope: String,
        /// The backup file written before the delete.
        backup_file: PathBuf,
        /// False when nothing was deleted and the (stale) backup file was removed.
        backup_kept: bool,
        /// What was deleted, changed, left as saved and added.
        incomplete: Box<consul_client::IncompleteDelete>,
    },

    /// A backup file could not be written, read or understood.
    #[error("scope backup file {}: {reason}", path.display())]
    Backup {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
}

/// Result alias of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn invalid(what: &str, value: &str, reason: &str) -> Self {
        Self::Core(client_core::Error::invalid(what, value, reason))
    }
}

/// The SDK's common checks. Patroni answers a missing endpoint or an
/// unscheduled operation to cancel with 404 ([`client_core::ClientError::is_not_found`]),
/// wrong or missing credentials with 401 and a client refused by
/// `restapi.allowlist` with 403 ([`client_core::ClientError::is_permission_denied`]).
///
/// ```
/// use patroni_client::{ClientError, Error};
/// let refused = Error::Refused {
///     member: "http://10.0.0.4:8008".into(),
///     action: "switch over".into(),
///     status: 401,
///     message: "not authenticated".into(),
/// };
/// assert!(refused.is_permission_denied() && !refused.is_transient());
/// assert_eq!(refused.status(), Some(401));
/// ```
impl client_core::ClientError for Error {
    fn core(&self) -> Option<&client_core::Error> {
        match self {
            Self::Core(e) => Some(e),
            #[cfg(feature = "consul")]
            Self::Consul(e) => e.core(),
            Self::NoMemberReachable { last_error, .. } => last_error.core(),
            _ => None,
        }
    }

    /// The HTTP status of an API error or refusal, if this is one.
    fn status(&self) -> Option<u16> {
        match self {
            Self::Refused { status, .. } => Some(*status),
            _ => self.core().and_then(client_core::Error::status),
        }
    }

    /// True for 401 (no or wrong credentials) and 403 (refused by the allowlist).
    fn is_permission_denied(&self) -> bool {
        matches!(self.status(), Some(401 | 403))
    }
}
