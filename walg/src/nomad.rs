//! [`NomadRunner`]: wal-g inside a Nomad allocation, through nomad-client's exec.

use std::time::Duration;

use async_trait::async_trait;
use nomad_client::{ExecOptions, NomadClient};

use crate::error::Result;
use crate::runner::{CommandOutput, EnvValue, Runner, check_env};

/// Reads `NAME='value'` lines from stdin into the environment, then runs the rest of the
/// arguments. Values travel in the exec session's stdin, never in the command line (which Nomad
/// receives in the request URL and may log).
const ENV_FROM_STDIN: &str = "set -a && . /dev/stdin && set +a && exec \"$@\"";

/// Runs wal-g in a task of a Nomad allocation (where the database or backup container has it).
///
/// Without environment the command is `[envdir <dir>] wal-g <args>`. With environment (a
/// [`crate::WalgConfig`]) it is wrapped in `sh -c` reading the variables from the session's stdin,
/// so secrets never appear in the command line; the task image needs `/bin/sh`.
///
/// ```no_run
/// use walg::{NomadRunner, WalG, WalgConfig, Storage, BackupListOptions};
/// # async fn demo() -> walg::Result<()> {
/// let nomad = nomad_client::NomadClient::from_env()?;
/// // The deployment keeps wal-g's settings in an envdir inside the container.
/// let runner = NomadRunner::new(nomad, "5ed09233-6390-617c-c3b3-0a742ce1554f", "patroni").envdir("/etc/wal-g.d/env");
/// let walg = WalG::new(runner, WalgConfig::new(Storage::from_var("WALG_S3_PREFIX", "s3://backups/db")?));
/// let backups = walg.backup_list(&BackupListOptions::default()).await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct NomadRunner {
    nomad: NomadClient,
    alloc_id: String,
    task: String,
    program: String,
    envdir: Option<String>,
    options: ExecOptions,
}

impl NomadRunner {
    /// wal-g from the task's `PATH`, in `task` of allocation `alloc_id`, with a one-hour timeout.
    #[must_use]
    pub fn new(nomad: NomadClient, alloc_id: impl Into<String>, task: impl Into<String>) -> Self {
        let options = ExecOptions { timeout: Duration::from_secs(3600), ..ExecOptions::default() };
        NomadRunner {
            nomad,
            alloc_id: alloc_id.into(),
            task: task.into(),
            program: "wal-g".into(),
            envdir: None,
            options,
        }
    }

    /// The wal-g binary inside the task.
    #[must_use]
    pub fn program(mut self, program: impl Into<String>) -> Self {
        self.program = program.into();
        self
    }

    /// Runs `envdir <dir> wal-g ...`, as deployments that keep wal-g's settings in an envdir do.
    #[must_use]
    pub fn envdir(mut self, dir: impl Into<String>) -> Self {
        self.envdir = Some(dir.into());
        self
    }

    /// Gives up when wal-g has not exited after this long.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.options.timeout = timeout;
        self
    }

    /// Exec options (namespace, region, token, output limit).
    #[must_use]
    pub fn exec_options(mut self, options: ExecOptions) -> Self {
        self.options = options;
        self
    }

    /// The command sent to Nomad and the bytes sent on its stdin, for these arguments and environment.
    /// Variable names must be shell names (they are read by `sh`) and values free of NUL.
    pub fn remote_command(
        &self,
        args: &[String],
        env: &[(String, EnvValue)],
    ) -> Result<(Vec<String>, Option<Vec<u8>>)> {
        check_env(env)?;
        let mut command = Vec::new();
        let mut stdin = None;
        if !env.is_empty() {
            command.extend(["sh".to_owned(), "-c".to_owned(), ENV_FROM_STDIN.to_owned(), "sh".to_owned()]);
            let mut script = String::new();
            for (name, value) in env {
                script.push_str(&format!("{name}='{}'\n", value.expose().replace('\'', r"'\''")));
            }
            stdin = Some(script.into_bytes());
        }
        if let Some(dir) = &self.envdir {
            command.extend(["envdir".to_owned(), dir.clone()]);
        }
        command.push(self.program.clone());
        command.extend(args.iter().cloned());
        Ok((command, stdin))
    }
}

#[async_trait]
impl Runner for NomadRunner {
    async fn run(&self, args: &[String], env: &[(String, EnvValue)]) -> Result<CommandOutput> {
        let (command, stdin) = self.remote_command(args, env)?;
        let options = ExecOptions { stdin, ..self.options.clone() };
        let out = self.nomad.allocations().exec_output(&self.alloc_id, &self.task, &command, &options).await?;
        Ok(CommandOutput { stdout: out.stdout, stderr: out.stderr, status: Some(out.exit_code) })
    }

    fn program(&self) -> String {
        match &self.envdir {
            Some(dir) => format!("envdir {dir} {}", self.program),
            None => self.program.clone(),
        }
    }
}
