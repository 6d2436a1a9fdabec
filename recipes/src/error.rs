//! The one error type of the recipes crate.

use std::time::Duration;

/// Everything that can stop a recipe, each variant reading as a sentence.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A client of the SDK failed at the HTTP level.
    #[error(transparent)]
    Core(#[from] client_core::Error),
    /// An input of the recipe was rejected before anything was contacted.
    #[error("invalid {what} {value:?}: {reason}")]
    InvalidInput {
        /// Which input, e.g. "namespace".
        what: String,
        /// The offending value.
        value: String,
        /// What was expected.
        reason: String,
    },
    /// The dry run found preconditions that do not hold; nothing was changed.
    #[error("{recipe} refused to run: {}", .reasons.join("; "))]
    Refused {
        /// The recipe that refused.
        recipe: String,
        /// Every reason found, not only the first.
        reasons: Vec<String>,
    },
    /// A wait ran out of time; the state reached so far is kept and a re-run continues from it.
    #[error("gave up waiting for {what} after {}", humantime_secs(*.after))]
    Timeout {
        /// What was awaited.
        what: String,
        /// How long the recipe waited.
        after: Duration,
    },
    /// A capability (scheduler, settings store, volume probe, Consul, Nomad...) failed.
    #[error("{system}: {message}")]
    Backend {
        /// Which system or capability, e.g. "Nomad scheduler".
        system: String,
        /// What went wrong, as the backend told it.
        message: String,
        /// The underlying error, when there is one.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
    /// The world changed under the recipe in a way it cannot handle on its own.
    #[error("{0}")]
    Conflict(String),
    /// A backup or state file could not be written or read.
    #[error("cannot {action} {path}: {source}")]
    Io {
        /// What was being done, e.g. "write the backup file".
        action: String,
        /// The file concerned.
        path: std::path::PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
}

fn humantime_secs(d: Duration) -> String {
    format!("{}s", d.as_secs())
}

impl Error {
    /// Builds an [`Error::InvalidInput`].
    pub fn invalid(what: impl Into<String>, value: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::InvalidInput { what: what.into(), value: value.into(), reason: reason.into() }
    }

    /// Wraps an error of a backend system, keeping it as the source.
    pub fn backend<E>(system: impl Into<String>, err: E) -> Self
    where
        E: std::error::Error + Send + Sync + 'static,
    {
        Self::Backend { system: system.into(), message: err.to_string(), source: Some(Box::new(err)) }
    }

    /// A backend failure described by a message only.
    pub fn backend_msg(system: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Backend { system: system.into(), message: message.into(), source: None }
    }

    /// The reasons of a refusal (empty for other errors).
    #[must_use]
    pub fn refusal_reasons(&self) -> &[String] {
        match self {
            Self::Refused { reasons, .. } => reasons,
            _ => &[],
        }
    }
}

/// Result alias of the recipes crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
