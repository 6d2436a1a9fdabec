//! Running wal-g: the [`Runner`] trait and the local process runner.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use async_trait::async_trait;
use client_core::Secret;
use tracing::Instrument;

use crate::error::{Error, Result};

/// The value of one environment variable handed to wal-g.
#[derive(Clone, PartialEq, Eq)]
pub enum EnvValue {
    /// An ordinary value, fine to show in logs.
    Plain(String),
    /// A password or key: passed to the process, never printed.
    Secret(Secret),
}

impl EnvValue {
    /// The value to put in the process environment.
    #[must_use]
    pub fn expose(&self) -> &str {
        match self {
            EnvValue::Plain(v) => v,
            EnvValue::Secret(s) => s.expose(),
        }
    }

    /// The secret, if this is one.
    #[must_use]
    pub fn as_secret(&self) -> Option<&Secret> {
        match self {
            EnvValue::Secret(s) => Some(s),
            EnvValue::Plain(_) => None,
        }
    }
}

impl std::fmt::Debug for EnvValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EnvValue::Plain(v) => write!(f, "{v:?}"),
            EnvValue::Secret(_) => f.write_str("<redacted>"),
        }
    }
}

/// What a finished wal-g process left behind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandOutput {
    /// Standard output (the command's data: tables, JSON).
    pub stdout: Vec<u8>,
    /// Standard error (wal-g's `INFO:`/`WARNING:`/`ERROR:` log lines).
    pub stderr: Vec<u8>,
    /// Exit code; `None` when the process was killed by a signal.
    pub status: Option<i32>,
}

impl CommandOutput {
    /// Standard output as text (lossy).
    #[must_use]
    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    /// Standard error as text (lossy).
    #[must_use]
    pub fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }
}

/// Somewhere wal-g can run: a local process, a Nomad allocation...
///
/// `run` returns the output whatever the exit status (the caller interprets it); it fails only
/// when the command could not be run or did not finish in time. Secrets travel in `env`, never
/// in `args`.
#[async_trait]
pub trait Runner: Send + Sync {
    /// Runs wal-g with these arguments (without the program name) and environment.
    async fn run(&self, args: &[String], env: &[(String, EnvValue)]) -> Result<CommandOutput>;

    /// How the program is shown in error messages, e.g. `wal-g` or `/usr/local/bin/wal-g`.
    fn program(&self) -> String {
        "wal-g".to_owned()
    }
}

/// Variables a child keeps from this process's environment when the environment is not inherited.
const BASE_ENV: [&str; 6] = ["PATH", "HOME", "TMPDIR", "LANG", "LC_ALL", "TZ"];

/// Runs wal-g as a local child process (tokio), killed when the timeout expires or the future is dropped.
///
/// The child's environment is exactly the one given to [`Runner::run`] plus `PATH`, `HOME`,
/// `TMPDIR`, `LANG`, `LC_ALL` and `TZ`, so stray `WALG_*` variables of the caller cannot point it
/// at another storage (use [`LocalRunner::inherit_env`] to change that).
///
/// ```no_run
/// use std::time::Duration;
/// use walg::{LocalRunner, Runner};
/// # async fn demo() -> walg::Result<()> {
/// let runner = LocalRunner::new("/usr/local/bin/wal-g").timeout(Duration::from_secs(60));
/// let out = runner.run(&["--version".to_owned()], &[]).await?;
/// println!("{}", out.stdout_text());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct LocalRunner {
    program: PathBuf,
    timeout: Option<Duration>,
    inherit_env: bool,
    current_dir: Option<PathBuf>,
}

impl Default for LocalRunner {
    /// `wal-g` from `PATH`, with a one-hour timeout.
    fn default() -> Self {
        Self::new("wal-g")
    }
}

impl LocalRunner {
    /// Runs `program` (a path, or a name looked up in `PATH`), with a one-hour timeout.
    #[must_use]
    pub fn new(program: impl Into<PathBuf>) -> Self {
        LocalRunner {
            program: program.into(),
            timeout: Some(Duration::from_secs(3600)),
            inherit_env: false,
            current_dir: None,
        }
    }

    /// Kills the process when it runs longer than this.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Never kills the process for running long (a `backup-push` of a big cluster may take hours).
    #[must_use]
    pub fn no_timeout(mut self) -> Self {
        self.timeout = None;
        self
    }

    /// Passes this process's whole environment on to wal-g (the given variables still win).
    #[must_use]
    pub fn inherit_env(mut self, inherit: bool) -> Self {
        self.inherit_env = inherit;
        self
    }

    /// Runs wal-g in this directory.
    #[must_use]
    pub fn current_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.current_dir = Some(dir.into());
        self
    }
}

#[async_trait]
impl Runner for LocalRunner {
    async fn run(&self, args: &[String], env: &[(String, EnvValue)]) -> Result<CommandOutput> {
        check_env(env)?;
        let mut cmd = tokio::process::Command::new(&self.program);
        cmd.args(args).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).kill_on_drop(true);
        if !self.inherit_env {
            cmd.env_clear();
            for name in BASE_ENV {
                if let Some(v) = std::env::var_os(name) {
                    cmd.env(name, v);
                }
            }
        }
        for (name, value) in env {
            cmd.env(name, value.expose());
        }
        if let Some(dir) = &self.current_dir {
            cmd.current_dir(dir);
        }
        let command = command_line(&self.program(), args);
        let span = tracing::debug_span!("wal-g", command = %command);
        let timeout = self.timeout;
        let program = self.program();
        async move {
            let child = cmd.spawn().map_err(|e| Error::Spawn { program: program.clone(), reason: e.to_string() })?;
            let wait = child.wait_with_output();
            let output = match timeout {
                // Dropping the future on timeout drops the child, which kills it (kill_on_drop).
                Some(t) => tokio::time::timeout(t, wait).await.map_err(|_| Error::Timeout { command, timeout: t })?,
                None => wait.await,
            }
            .map_err(|e| Error::Spawn { program, reason: e.to_string() })?;
            tracing::debug!(status = ?output.status.code(), "wal-g finished");
            Ok(CommandOutput { stdout: output.stdout, stderr: output.stderr, status: output.status.code() })
        }
        .instrument(span)
        .await
    }

    fn program(&self) -> String {
        self.program.display().to_string()
    }
}

/// Rejects variable names that are not shell names (`[A-Za-z_][A-Za-z0-9_]*`) and values with NUL,
/// which no process environment can hold.
pub(crate) fn check_env(env: &[(String, EnvValue)]) -> Result<()> {
    for (name, value) in env {
        let shell_name = name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if !shell_name {
            return Err(client_core::Error::invalid(
                "environment variable name",
                name,
                "expected letters, digits and `_`, not starting with a digit",
            )
            .into());
        }
        if value.expose().contains('\0') {
            return Err(client_core::Error::invalid("environment variable value", name, "must not contain NUL").into());
        }
    }
    Ok(())
}

/// `program arg1 arg2`, quoting arguments with spaces, for messages.
pub(crate) fn command_line(program: &str, args: &[String]) -> String {
    std::iter::once(program.to_owned())
        .chain(
            args.iter()
                .map(|a| if a.is_empty() || a.contains(char::is_whitespace) { format!("{a:?}") } else { a.clone() }),
        )
        .collect::<Vec<_>>()
        .join(" ")
}
