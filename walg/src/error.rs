//! The crate's error type.

use std::time::Duration;

/// Everything that can go wrong in this crate.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An error from the shared client plumbing (configuration, invalid input, ...).
    #[error(transparent)]
    Core(#[from] client_core::Error),

    /// A piece of text (an LSN, a WAL file name, a history file...) is not in the expected format.
    #[error("cannot parse {what} {input:?}: {reason}")]
    Parse {
        /// What was being parsed, e.g. "LSN".
        what: &'static str,
        /// The offending text, shortened when long.
        input: String,
        /// What was expected.
        reason: String,
    },

    /// The wal-g process could not be started.
    #[error("cannot start `{program}`: {reason}")]
    Spawn {
        /// The program that was started.
        program: String,
        /// The operating system's explanation.
        reason: String,
    },

    /// wal-g exited with a non-zero status.
    #[error("`{command}` failed ({status}): {stderr_tail}")]
    CommandFailed {
        /// The command line, secrets redacted.
        command: String,
        /// The exit status, e.g. "exit status 1" or "killed by a signal".
        status: String,
        /// The last lines of stderr (the `ERROR:` line when present), secrets redacted.
        stderr_tail: String,
    },

    /// wal-g exited with 74 (`EX_IOERR`): the requested file or backup does not exist in storage.
    #[error("`{command}`: not found in storage (exit status 74): {stderr_tail}")]
    NotFound {
        /// The command line, secrets redacted.
        command: String,
        /// The last lines of stderr, secrets redacted.
        stderr_tail: String,
    },

    /// Running wal-g inside a Nomad allocation failed (exec refused, connection lost, timeout).
    #[cfg(feature = "nomad")]
    #[error("running wal-g through Nomad exec failed: {0}")]
    Nomad(Box<nomad_client::Error>),

    /// wal-g did not finish in time and was killed.
    #[error("`{command}` did not finish within {} and was killed", humantime_secs(*.timeout))]
    Timeout {
        /// The command line, secrets redacted.
        command: String,
        /// The timeout that expired.
        timeout: Duration,
    },

    /// wal-g succeeded but printed something this crate cannot read.
    #[error("`{command}` printed output that is not {expected}: {reason}; output starts with: {excerpt}")]
    Output {
        /// The command line, secrets redacted.
        command: String,
        /// What was expected, e.g. "a JSON array of backups".
        expected: &'static str,
        /// The decoder's explanation.
        reason: String,
        /// The first bytes of the output.
        excerpt: String,
    },
}

/// Result alias used across the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

fn humantime_secs(d: Duration) -> String {
    if d.subsec_millis() == 0 { format!("{}s", d.as_secs()) } else { format!("{:.3}s", d.as_secs_f64()) }
}

/// Longest piece of input quoted in a parse error.
const QUOTE_LEN: usize = 80;

/// Shortens `input` for quoting in an error message, cutting on a char boundary.
pub(crate) fn quote(input: &str) -> String {
    match input.char_indices().nth(QUOTE_LEN) {
        Some((i, _)) => format!("{}...", &input[..i]),
        None => input.to_owned(),
    }
}

/// Builds an [`Error::Parse`].
pub(crate) fn parse_error(what: &'static str, input: &str, reason: impl Into<String>) -> Error {
    Error::Parse { what, input: quote(input), reason: reason.into() }
}

#[cfg(feature = "nomad")]
impl From<nomad_client::Error> for Error {
    fn from(e: nomad_client::Error) -> Self {
        Error::Nomad(Box::new(e))
    }
}
