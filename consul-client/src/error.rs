//! The crate's error type, and the reports it carries (a transaction's failed operations, an incomplete delete).

use serde::Deserialize;

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
        errors: Vec<TxnError>,
    },

    /// `Kv::delete_saved` did not leave the folder empty: what it deleted and
    /// what is left (every deleted key is one of the saved ones).
    #[error(transparent)]
    IncompleteDelete(Box<IncompleteDelete>),

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

    /// Reading or writing a local stream failed (a snapshot's file).
    #[error("{what}: {source}")]
    Io {
        /// What was being done, in a sentence.
        what: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
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
    pub(crate) fn invalid(what: &str, value: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::Core(client_core::Error::invalid(what, value, reason))
    }
}

/// The checks every client's error answers. A 403 is
/// [`client_core::ClientError::is_permission_denied`] whatever Consul's message (a
/// missing token's `Permission denied` as well as an unknown token's
/// `ACL not found`, which is not [`client_core::ClientError::is_not_found`]); a rolled
/// back transaction has the status of its answer, 409.
impl client_core::ClientError for Error {
    fn core(&self) -> Option<&client_core::Error> {
        match self {
            Self::Core(e) => Some(e),
            _ => None,
        }
    }

    fn status(&self) -> Option<u16> {
        match self {
            Self::Core(e) => e.status(),
            Self::TxnRolledBack { .. } => Some(409),
            _ => None,
        }
    }
}

fn describe_txn_errors(errors: &[TxnError]) -> String {
    if errors.is_empty() {
        return "Consul gave no reason".to_owned();
    }
    errors.iter().map(|e| format!("operation #{}: {}", e.op_index, e.what)).collect::<Vec<_>>().join("; ")
}

fn humantime_like(d: std::time::Duration) -> String {
    if d.subsec_millis() == 0 { format!("{}s", d.as_secs()) } else { format!("{:.1}s", d.as_secs_f64()) }
}

/// Why one operation of a rolled-back transaction failed.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TxnError {
    /// Position of the failed operation (0-based).
    pub op_index: usize,
    /// Consul's explanation.
    pub what: String,
}

/// [`crate::Kv::delete_saved`] did not leave the folder empty: the state it
/// left, from a fresh listing of the folder taken after the last transaction.
///
/// Every saved key is deleted only on the `ModifyIndex` it was saved with, in
/// transactions of at most [`crate::txn::MAX_TXN_OPS`] keys that apply entirely or not at
/// all. A key changed after it was saved rolls its whole transaction back and
/// stops the run, so with more than one transaction a concurrent change can
/// leave the earlier transactions' keys deleted and the others in place: a
/// partial state in which every deleted key is one of the saved ones, with the
/// value it was saved with. A key created in the folder after the listing is
/// never deleted; it is reported in [`IncompleteDelete::added`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncompleteDelete {
    /// The folder.
    pub folder: String,
    /// Saved keys that are gone now (all of them were saved before).
    pub deleted: Vec<String>,
    /// Saved keys still there with another `ModifyIndex` (changed or
    /// re-created after they were saved): not deleted.
    pub changed: Vec<String>,
    /// Saved keys still there exactly as saved: not deleted, because their
    /// transaction was rolled back or never sent.
    pub untouched: Vec<String>,
    /// Keys in the folder that were not saved (created after the listing):
    /// not deleted.
    pub added: Vec<String>,
    /// Transactions committed.
    pub transactions: usize,
    /// Why the run stopped or the folder is not empty, in a sentence.
    pub reason: String,
    /// False when the folder could not be listed again: then `deleted` and
    /// `untouched` come from the transactions' answers, and a transaction
    /// whose answer was lost may have been applied.
    pub verified: bool,
}

impl IncompleteDelete {
    /// True when a fresh listing showed that no saved key was deleted (a
    /// backup taken for this delete is then stale and can go).
    #[must_use]
    pub fn nothing_deleted(&self) -> bool {
        self.verified && self.deleted.is_empty()
    }
}

impl std::fmt::Display for IncompleteDelete {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let saved = self.deleted.len() + self.changed.len() + self.untouched.len();
        write!(
            f,
            "the conditional delete of {:?} stopped with {} of {saved} saved keys deleted",
            self.folder,
            self.deleted.len()
        )?;
        if !self.deleted.is_empty() {
            write!(f, " (each one is in the backup with the value it was saved with)")?;
        }
        write!(f, ": {}", self.reason)?;
        for (what, keys) in [
            ("changed since saved, not deleted", &self.changed),
            ("left as saved", &self.untouched),
            ("created after the backup, not deleted", &self.added),
        ] {
            if !keys.is_empty() {
                write!(f, "; {what}: {}", list_keys(keys))?;
            }
        }
        if !self.verified {
            write!(f, "; the folder could not be listed again, so this is what the transactions answered")?;
        }
        Ok(())
    }
}

impl std::error::Error for IncompleteDelete {}

pub(crate) fn list_keys(keys: &[String]) -> String {
    const SHOWN: usize = 10;
    let mut text = keys.iter().take(SHOWN).map(|k| format!("{k:?}")).collect::<Vec<_>>().join(", ");
    if keys.len() > SHOWN {
        text.push_str(&format!(" and {} more", keys.len() - SHOWN));
    }
    text
}

#[cfg(test)]
mod tests {
    use client_core::ClientError;

    use super::Error;

    fn api(status: u16, message: &str) -> Error {
        Error::Core(client_core::Error::Api {
            status,
            method: "GET".into(),
            path: "/v1/acl/token/self".into(),
            message: message.into(),
        })
    }

    #[test]
    fn consul_answers_map_to_the_shared_checks() {
        let unknown_token = api(403, "ACL not found");
        assert!(unknown_token.is_permission_denied());
        assert!(!unknown_token.is_not_found(), "an unknown token is refused, not a missing resource");
        assert!(api(403, "Permission denied").is_permission_denied());
        assert!(api(404, "").is_not_found());
        assert!(api(503, "No cluster leader").is_transient());
        let rolled_back = Error::TxnRolledBack { errors: Vec::new() };
        assert_eq!(rolled_back.status(), Some(409));
        assert!(rolled_back.core().is_none() && !rolled_back.is_transient());
        let invalid = Error::invalid("KV key", "", "must not be empty");
        assert_eq!(invalid.status(), None);
        assert!(invalid.core().is_some());
    }
}
