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
    /// A port's implementation (scheduler, settings store, volume probe, Consul, Nomad...)
    /// failed. The message names the backend (and the step, when known); the backend's own
    /// error is the [`source`](std::error::Error::source), not repeated in the message, so an
    /// error chain printer shows it once.
    #[error("{}", backend_text(system, message.as_deref()))]
    Backend {
        /// Which system or capability, e.g. "Nomad scheduler".
        system: String,
        /// What went wrong, when the backend gave no error of its own ([`Error::backend_msg`]);
        /// `None` when [`source`](Error::Backend::source) tells it.
        message: Option<String>,
        /// The underlying error, when there is one.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
    /// The world changed under the recipe in a way it cannot handle on its own.
    #[error("{0}")]
    Conflict(String),
    /// An operation acted on several targets and some of the actions failed: what was done
    /// stays done (and backed up), what failed is listed with its error.
    #[error(
        "{recipe} did {} of its actions but {} failed: {}",
        .done.len(),
        .failed.len(),
        .failed.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
    )]
    PartialFailure {
        /// The recipe or operation that ran, e.g. "ghost cleanup".
        recipe: String,
        /// The actions that were done, one line each (as in [`Report::done`](crate::Report::done)).
        done: Vec<String>,
        /// The actions that failed.
        failed: Vec<FailedAction>,
    },
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

/// One action of a run that failed, with its error (see [`Error::PartialFailure`]).
#[derive(Debug)]
pub struct FailedAction {
    /// What was acted on, e.g. `catalog node old-worker-7 (dc1)`.
    pub target: String,
    /// Why it failed.
    pub error: Error,
}

impl std::fmt::Display for FailedAction {
    /// `<target>: <error with its causes>`: several failures share one message, so each
    /// carries its own causes.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.target, self.error.with_causes())
    }
}

fn backend_text(system: &str, message: Option<&str>) -> String {
    match message {
        Some(m) => format!("{system}: {m}"),
        None => format!("{system} failed"),
    }
}

fn humantime_secs(d: Duration) -> String {
    format!("{}s", d.as_secs())
}

impl Error {
    /// Builds an [`Error::InvalidInput`].
    pub fn invalid(what: impl Into<String>, value: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::InvalidInput { what: what.into(), value: value.into(), reason: reason.into() }
    }

    /// Wraps an error of a backend system, keeping it as the source (the message says
    /// `<system> failed`; the source says why).
    pub fn backend<E>(system: impl Into<String>, err: E) -> Self
    where
        E: std::error::Error + Send + Sync + 'static,
    {
        Self::Backend { system: system.into(), message: None, source: Some(Box::new(err)) }
    }

    /// Wraps an error of a backend system met at a given step, keeping it as the source
    /// (the message says `<system>: <step> failed`; the source says why).
    pub fn backend_step<E>(system: impl Into<String>, step: &str, err: E) -> Self
    where
        E: std::error::Error + Send + Sync + 'static,
    {
        Self::Backend { system: system.into(), message: Some(format!("{step} failed")), source: Some(Box::new(err)) }
    }

    /// A backend failure described by a message only.
    pub fn backend_msg(system: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Backend { system: system.into(), message: Some(message.into()), source: None }
    }

    /// The message with its causes on one line (`outer: inner: root`), for where an error
    /// becomes text (a plan check, a warning, a progress event) and its chain would
    /// otherwise be lost. A cause whose text is already in the line is not repeated.
    #[must_use]
    pub fn with_causes(&self) -> String {
        let mut text = self.to_string();
        let mut source = std::error::Error::source(self);
        while let Some(cause) = source {
            let part = cause.to_string();
            if !text.contains(&part) {
                text.push_str(": ");
                text.push_str(&part);
            }
            source = cause.source();
        }
        text
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

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("GET /v1/allocations: HTTP 500")]
    struct Cause;

    #[test]
    fn a_backend_error_names_the_backend_and_leaves_the_cause_to_its_source() {
        let e = Error::backend("Nomad", Cause);
        assert_eq!(e.to_string(), "Nomad failed");
        assert_eq!(
            std::error::Error::source(&e).map(ToString::to_string).as_deref(),
            Some("GET /v1/allocations: HTTP 500")
        );
        assert_eq!(e.with_causes(), "Nomad failed: GET /v1/allocations: HTTP 500", "the cause once");
        let s = Error::backend_step("Consul KV", "listing the scope", Cause);
        assert_eq!(s.to_string(), "Consul KV: listing the scope failed");
        assert_eq!(s.with_causes(), "Consul KV: listing the scope failed: GET /v1/allocations: HTTP 500");
        let m = Error::backend_msg("job file", "jobs/db.json: not JSON");
        assert_eq!(m.to_string(), "job file: jobs/db.json: not JSON");
        assert_eq!(m.with_causes(), m.to_string());
    }

    #[test]
    fn a_partial_failure_says_what_was_done_and_what_failed_with_its_cause() {
        let e = Error::PartialFailure {
            recipe: "ghost cleanup".into(),
            done: vec!["deregister node a: catalog node a (dc1)".into()],
            failed: vec![FailedAction {
                target: "catalog node b (dc1)".into(),
                error: Error::backend("Consul", Cause),
            }],
        };
        assert_eq!(
            e.to_string(),
            "ghost cleanup did 1 of its actions but 1 failed: catalog node b (dc1): Consul failed: GET \
             /v1/allocations: HTTP 500"
        );
        let Error::PartialFailure { done, failed, .. } = &e else { unreachable!() };
        assert_eq!(done.len(), 1);
        assert!(matches!(failed[0].error, Error::Backend { .. }));
    }
}
