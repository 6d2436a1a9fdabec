//! The crate's error type.

use client_core::ClientError;

/// Result alias used across this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong when talking to Nomad.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A transport, API, decoding, configuration or input error from the shared plumbing.
    #[error(transparent)]
    Core(#[from] client_core::Error),

    /// The object asked for does not exist (Nomad answered 404).
    #[error("{kind} {name:?} was not found{}", in_namespace(.namespace.as_deref()))]
    NotFound {
        /// What was looked up, e.g. "namespace" or "job".
        kind: &'static str,
        /// The name or ID that was looked up.
        name: String,
        /// The namespace searched, when the object lives in one.
        namespace: Option<String>,
    },

    /// No allocation of the task group is running.
    #[error(
        "no running allocation of task group {task_group:?} of job {job_id:?}{}{}",
        in_namespace(.namespace.as_deref()),
        describe_others(.others)
    )]
    NoRunningAllocation {
        /// The job ID.
        job_id: String,
        /// The task group name.
        task_group: String,
        /// The namespace searched.
        namespace: Option<String>,
        /// `id (client status)` of the allocations that exist but do not run.
        others: Vec<String>,
    },

    /// An allocation failed and nothing replaces it: waiting for the job to run is pointless.
    #[error(
        "allocation {alloc_id} of job {job_id:?}{} failed and nothing replaces it: task {task:?}: {events}",
        in_namespace(.namespace.as_deref())
    )]
    AllocationFailed {
        /// The job ID.
        job_id: String,
        /// The failed allocation.
        alloc_id: String,
        /// The namespace.
        namespace: Option<String>,
        /// The task that failed.
        task: String,
        /// The task's last events, e.g. `Terminated: Exit Code: 1; Not Restarting: Policy allows no restarts`.
        events: String,
    },

    /// No allocation of the job was running when the time allowed ran out.
    #[error(
        "no allocation of job {job_id:?}{} was running after {}s{}",
        in_namespace(.namespace.as_deref()),
        .after.as_secs_f64(),
        if .others.is_empty() { "; it has no allocation".to_owned() } else { format!("; allocations: {}", .others.join(", ")) }
    )]
    WaitTimeout {
        /// The job ID.
        job_id: String,
        /// The namespace.
        namespace: Option<String>,
        /// How long was waited.
        after: std::time::Duration,
        /// `id (client status, desired status)` of the allocations that exist.
        others: Vec<String>,
    },

    /// The ACL token is missing, malformed, unknown, revoked or refused. The message
    /// never shows the token.
    #[error("the Nomad ACL token does not work: {reason}")]
    Token {
        /// What is wrong with it.
        reason: String,
    },

    /// More than one allocation of the task group is running, so "the" allocation is ambiguous.
    #[error(
        "{} allocations of task group {task_group:?} of job {job_id:?}{} are running ({}); pick one by ID",
        .alloc_ids.len(),
        in_namespace(.namespace.as_deref()),
        .alloc_ids.join(", ")
    )]
    SeveralRunningAllocations {
        /// The job ID.
        job_id: String,
        /// The task group name.
        task_group: String,
        /// The namespace searched.
        namespace: Option<String>,
        /// IDs of the running allocations.
        alloc_ids: Vec<String>,
    },

    /// Nomad refused or aborted an exec session (a close frame with its reason and code,
    /// 1011 for an unknown task or a command that cannot start).
    #[error("exec of {command:?} in task {task:?} of allocation {alloc_id} failed: {reason}")]
    Exec {
        /// The allocation ID.
        alloc_id: String,
        /// The task name.
        task: String,
        /// The program that was run (its arguments are left out: they may hold secrets).
        command: String,
        /// Nomad's reason, or what went wrong on the connection.
        reason: String,
    },

    /// A destructive call refused its target before changing anything (e.g. purging a
    /// node that is not down); the reason says how to go ahead anyway when that is possible.
    #[error("refusing to {action}: {reason}")]
    Refused {
        /// What was refused, e.g. `purge node 076c2a89-... (node-1)`.
        action: String,
        /// Why, and how to ask for it explicitly.
        reason: String,
    },

    /// Reading or writing a local stream failed, e.g. the terminal's stdout of an
    /// attached exec session ([`crate::ExecSession::attach`]). The I/O error is the source,
    /// so a closed pipe (`| head`) can be told from a failure.
    #[error("cannot {what}: {source}")]
    Io {
        /// What was being done, e.g. "write the command's stdout".
        what: &'static str,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },

    /// A checked write of a variable (`cas`) lost: the variable is not at the
    /// index the write expected. `current` is what Nomad holds now (without
    /// items when the token may not read them).
    #[error(
        "variable {path:?} in namespace {namespace:?} was not written: the write expected modify index {check_index}, \
         but {}; read it again and retry",
        describe_current(.current)
    )]
    CasConflict {
        /// The variable's path.
        path: String,
        /// Its namespace.
        namespace: String,
        /// The `cas` index the write carried (0: create only).
        check_index: u64,
        /// The variable as Nomad holds it now.
        current: Box<crate::models::Variable>,
    },

    /// A lock operation on a variable was refused (HTTP 409): the lock is held
    /// by someone else, or the lock ID given is not the holder's.
    #[error(
        "the lock of variable {path:?} in namespace {namespace:?} is held by someone else, or the lock ID is not the holder's (HTTP 409)"
    )]
    LockConflict {
        /// The variable's path.
        path: String,
        /// Its namespace.
        namespace: String,
    },

    /// A streaming endpoint (logs, events, exec) sent something that is not its documented format.
    #[error("the {stream} stream sent data that cannot be decoded: {reason}")]
    Stream {
        /// Which stream, e.g. "log" or "event".
        stream: &'static str,
        /// What was wrong.
        reason: String,
    },
}

/// The contract's checks ([`ClientError`]): a status, not-found and transient
/// come from the core error underneath; [`Error::NotFound`] is also not-found
/// and [`Error::Token`] is also permission-denied.
///
/// ```
/// use nomad_client::{ClientError, Error};
/// let e = Error::NotFound { kind: "job", name: "web".into(), namespace: Some("default".into()) };
/// assert!(e.is_not_found() && !e.is_transient() && e.core().is_none());
/// ```
impl ClientError for Error {
    fn core(&self) -> Option<&client_core::Error> {
        match self {
            Self::Core(e) => Some(e),
            _ => None,
        }
    }

    fn is_not_found(&self) -> bool {
        matches!(self, Self::NotFound { .. }) || self.core().is_some_and(client_core::Error::is_not_found)
    }

    fn is_permission_denied(&self) -> bool {
        matches!(self, Self::Token { .. }) || self.core().is_some_and(client_core::Error::is_permission_denied)
    }
}

impl Error {
    pub(crate) fn stream(stream: &'static str, reason: impl Into<String>) -> Self {
        Self::Stream { stream, reason: reason.into() }
    }
}

fn in_namespace(namespace: Option<&str>) -> String {
    namespace.map(|ns| format!(" in namespace {ns:?}")).unwrap_or_default()
}

fn describe_current(current: &crate::models::Variable) -> String {
    if current.modify_index == 0 {
        "it does not exist".to_owned()
    } else {
        format!("it exists at modify index {}", current.modify_index)
    }
}

fn describe_others(others: &[String]) -> String {
    if others.is_empty() {
        "; the job has no allocation of that group".to_owned()
    } else {
        format!("; other allocations: {}", others.join(", "))
    }
}

/// Turns an API 404 into [`Error::NotFound`] naming the object; other errors pass through.
pub(crate) fn not_found(kind: &'static str, name: &str, namespace: Option<&str>) -> impl FnOnce(Error) -> Error {
    let name = name.to_owned();
    let namespace = namespace.map(str::to_owned);
    move |e| match e {
        Error::Core(core) if core.is_not_found() => Error::NotFound { kind, name, namespace },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(status: u16) -> Error {
        Error::Core(client_core::Error::Api {
            status,
            method: "GET".into(),
            path: "/v1/job/web".into(),
            message: "no".into(),
        })
    }

    #[test]
    fn checks_answer_as_the_contract_says() {
        assert_eq!(ClientError::status(&api(404)), Some(404));
        assert!(ClientError::is_not_found(&api(404)) && !api(404).is_transient());
        assert!(api(403).is_permission_denied() && !ClientError::is_not_found(&api(403)));
        assert!(api(503).is_transient() && api(503).core().is_some());
        let token = Error::Token { reason: "Nomad refused it (HTTP 403: Permission denied)".into() };
        assert!(token.is_permission_denied() && token.status().is_none() && token.core().is_none());
        let missing = Error::NotFound { kind: "job", name: "web".into(), namespace: None };
        assert!(ClientError::is_not_found(&missing) && !missing.is_permission_denied());
        assert!(!Error::stream("log", "not a log frame").is_transient());
    }
}
