//! [`WalG`]: wal-g's commands as typed calls.

use std::sync::Arc;

use client_core::secret::redact;

use crate::backup_name::BackupName;
use crate::config::WalgConfig;
use crate::error::{Error, Result, quote};
use crate::lsn::Lsn;
use crate::models::{BackupListEntry, WalShowTimeline, WalVerifyReport};
use crate::runner::{CommandOutput, Runner, command_line};
use crate::segment::TimelineId;

/// A parser of a command's stdout.
type ParseFn<T> = fn(&str) -> Result<T>;

/// How many stderr lines an error keeps when there is no `ERROR:` line.
const STDERR_TAIL_LINES: usize = 5;

/// wal-g driven through a [`Runner`] with a [`WalgConfig`].
///
/// ```no_run
/// use walg::{BackupListOptions, LocalRunner, Storage, WalG, WalgConfig};
/// # async fn demo() -> walg::Result<()> {
/// let config = WalgConfig::new(Storage::from_var("WALG_FILE_PREFIX", "/backups/db")?);
/// let walg = WalG::new(LocalRunner::new("wal-g"), config);
/// for b in walg.backup_list(&BackupListOptions::default()).await? {
///     println!("{} {:?}", b.backup_name, b.time);
/// }
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct WalG {
    runner: Arc<dyn Runner>,
    config: WalgConfig,
}

impl std::fmt::Debug for WalG {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WalG").field("program", &self.runner.program()).field("config", &self.config).finish()
    }
}

/// How `backup-list` is asked and read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ListFormat {
    /// `--json` (default).
    #[default]
    Json,
    /// The plain table (for wal-g versions whose JSON is broken or absent).
    Table,
}

/// Options of `backup-list`.
#[derive(Debug, Clone, Default)]
pub struct BackupListOptions {
    /// `--detail`: start/finish times and LSNs, host, permanence.
    pub detail: bool,
    /// JSON or table.
    pub format: ListFormat,
}

/// Options of `backup-push`.
#[derive(Debug, Clone, Default)]
pub struct BackupPushOptions {
    /// The data directory; `None` streams the backup over a replication connection (`PGHOST`).
    pub data_dir: Option<String>,
    /// `--full`: a full backup even when deltas are configured.
    pub full: bool,
    /// `--delta-from-name`: base a delta on this backup.
    pub delta_from: Option<BackupName>,
    /// `--permanent`: never deleted by retention.
    pub permanent: bool,
    /// `--verify`: verify page checksums.
    pub verify: bool,
    /// `--add-user-data`: JSON stored in the backup's metadata.
    pub user_data: Option<serde_json::Value>,
}

/// The result of `backup-push`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupPushOutcome {
    /// The new backup's name, from the "Wrote backup with name ..." log line (wal-g does not
    /// print it on stdout); `None` when that line was not found.
    pub backup_name: Option<String>,
}

/// Which backup `backup-fetch` restores.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackupSelector {
    /// The newest backup.
    Latest,
    /// A backup by name.
    Named(BackupName),
}

/// Options of `backup-fetch`.
#[derive(Debug, Clone)]
pub struct BackupFetchOptions {
    /// Where to unpack (created if missing; should be empty).
    pub target_dir: String,
    /// Which backup.
    pub backup: BackupSelector,
    /// `--reverse-unpack`.
    pub reverse_unpack: bool,
    /// `--skip-redundant-tars` (needs reverse unpack).
    pub skip_redundant_tars: bool,
}

/// A `wal-verify` check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WalVerifyCheck {
    /// Are all segments from the oldest backup to now in storage?
    Integrity,
    /// Is the cluster on the highest timeline in storage?
    Timeline,
}

/// Options of `wal-verify`.
#[derive(Debug, Clone)]
pub struct WalVerifyOptions {
    /// Checks to run (at least one).
    pub checks: Vec<WalVerifyCheck>,
    /// Where "now" is (`--timeline N --lsn X/Y`); `None` makes wal-g ask PostgreSQL (PG* settings).
    pub current: Option<(TimelineId, Lsn)>,
    /// `--backup-name`: start the integrity range at this backup instead of the oldest.
    pub backup: Option<BackupName>,
}

impl Default for WalVerifyOptions {
    /// Both checks, position from PostgreSQL.
    fn default() -> Self {
        WalVerifyOptions {
            checks: vec![WalVerifyCheck::Integrity, WalVerifyCheck::Timeline],
            current: None,
            backup: None,
        }
    }
}

/// `retain` modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetainMode {
    /// Keep the last N backups (fails if the Nth is a delta).
    All,
    /// `FULL`: keep N full backups and their deltas.
    Full,
    /// `FIND_FULL`: keep the full base of the Nth backup and everything after.
    FindFull,
}

/// What `delete` removes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeleteTarget {
    /// `delete retain [FULL|FIND_FULL] <count> [--after <name|time>]`.
    Retain {
        /// Mode.
        mode: RetainMode,
        /// How many to keep (at least 1).
        count: u32,
        /// Keep everything after this backup name or RFC 3339 time too.
        after: Option<String>,
    },
    /// `delete before [FIND_FULL] <name|time>`: everything older than the target (the target is kept).
    Before {
        /// `FIND_FULL`: move the target back to its full base if it is a delta.
        find_full: bool,
        /// A backup name or an RFC 3339 time.
        target: String,
    },
    /// `delete target [FIND_FULL] <name>`: one backup and the deltas depending on it.
    Target {
        /// `FIND_FULL`: delete the full backup of a delta chain.
        find_full: bool,
        /// The backup.
        backup: BackupName,
    },
}

/// Options of `delete`. Without `confirm`, wal-g only says what it would delete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteOptions {
    /// What to delete.
    pub target: DeleteTarget,
    /// `--confirm`: really delete. Off unless set explicitly.
    pub confirm: bool,
    /// `--use-sentinel-time`: order by sentinel time (after `pg_upgrade` or a timeline reset).
    pub use_sentinel_time: bool,
}

impl DeleteOptions {
    /// A dry run for `target`.
    #[must_use]
    pub fn dry_run(target: DeleteTarget) -> Self {
        DeleteOptions { target, confirm: false, use_sentinel_time: false }
    }
}

/// What `delete` reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteReport {
    /// False for a dry run: nothing was deleted.
    pub confirmed: bool,
    /// wal-g's log (what it deletes or would delete).
    pub log: String,
}

/// wal-g's version, from `wal-g --version`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalgVersion {
    /// The version, e.g. `v3.0.0`.
    pub version: String,
    /// The git revision, when printed.
    pub git_revision: Option<String>,
    /// The major version number, when it parses (2 prints the old table, 3 the new one).
    pub major: Option<u32>,
}

impl WalgVersion {
    /// Parses `wal-g version v3.0.0\t3a5b2c1\t2024.05.01_12:00:00\tPostgreSQL`.
    pub fn parse(stdout: &str) -> Result<Self> {
        let line = stdout.lines().find(|l| l.contains("version")).unwrap_or_default();
        let mut fields = line.split_whitespace().skip_while(|f| *f != "version").skip(1);
        let version = fields
            .next()
            .ok_or_else(|| crate::error::parse_error("wal-g version", stdout, "expected `wal-g version <ver> ...`"))?;
        let major = version.trim_start_matches('v').split('.').next().and_then(|m| m.parse().ok());
        Ok(WalgVersion { version: version.to_owned(), git_revision: fields.next().map(str::to_owned), major })
    }
}

fn check_dir(what: &str, dir: &str) -> Result<()> {
    let bad = |reason: &str| Err(client_core::Error::invalid(what, dir, reason).into());
    if dir.trim().is_empty() {
        return bad("must not be empty");
    }
    if dir.contains('\0') {
        return bad("must not contain NUL");
    }
    if dir.split('/').any(|s| s == "..") {
        return bad("must not contain `..`");
    }
    if dir.starts_with('-') {
        return bad("must not start with `-` (it would read as a flag)");
    }
    Ok(())
}

impl WalG {
    /// wal-g behind `runner`, configured by `config`.
    pub fn new(runner: impl Runner + 'static, config: WalgConfig) -> Self {
        WalG { runner: Arc::new(runner), config }
    }

    /// The same with a shared runner.
    #[must_use]
    pub fn with_runner(runner: Arc<dyn Runner>, config: WalgConfig) -> Self {
        WalG { runner, config }
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &WalgConfig {
        &self.config
    }

    /// Runs a command and returns its output when it exited 0; a non-zero exit becomes
    /// [`Error::NotFound`] (74) or [`Error::CommandFailed`], with secrets redacted.
    pub async fn run(&self, args: &[String]) -> Result<CommandOutput> {
        let out = self.runner.run(args, &self.config.render()).await.map_err(|e| self.redact_error(e))?;
        if out.status == Some(0) {
            return Ok(out);
        }
        let command = self.redact(&command_line(&self.runner.program(), args));
        let stderr_tail = self.redact(&stderr_tail(&out));
        Err(match out.status {
            Some(74) => Error::NotFound { command, stderr_tail },
            Some(code) => Error::CommandFailed { command, status: format!("exit status {code}"), stderr_tail },
            None => Error::CommandFailed { command, status: "killed by a signal".into(), stderr_tail },
        })
    }

    fn redact(&self, text: &str) -> String {
        redact(text, &self.config.secrets())
    }

    fn redact_error(&self, e: Error) -> Error {
        match e {
            Error::Timeout { command, timeout } => Error::Timeout { command: self.redact(&command), timeout },
            Error::Spawn { program, reason } => Error::Spawn { program, reason: self.redact(&reason) },
            other => other,
        }
    }

    fn decode<T>(
        &self,
        args: &[String],
        stdout: &str,
        expected: &'static str,
        parse: impl FnOnce(&str) -> Result<T>,
    ) -> Result<T> {
        parse(stdout).map_err(|e| Error::Output {
            command: self.redact(&command_line(&self.runner.program(), args)),
            expected,
            reason: self.redact(&e.to_string()),
            excerpt: self.redact(&quote(stdout.trim())),
        })
    }

    /// `wal-g --version`.
    pub async fn version(&self) -> Result<WalgVersion> {
        let args = vec!["--version".to_owned()];
        let out = self.run(&args).await?;
        self.decode(&args, &out.stdout_text(), "a version line", WalgVersion::parse)
    }

    /// `backup-list [--detail] [--json]`, oldest first (the last one is LATEST). No backups is
    /// an empty list, whatever the wal-g version prints for it.
    pub async fn backup_list(&self, opts: &BackupListOptions) -> Result<Vec<BackupListEntry>> {
        let mut args = vec!["backup-list".to_owned()];
        if opts.detail {
            args.push("--detail".into());
        }
        let (expected, parse): (&'static str, ParseFn<Vec<BackupListEntry>>) = match opts.format {
            ListFormat::Json => {
                args.push("--json".into());
                ("a JSON array of backups", BackupListEntry::parse_json)
            }
            ListFormat::Table => ("a backup table", BackupListEntry::parse_table),
        };
        let out = self.run(&args).await?;
        self.decode(&args, &out.stdout_text(), expected, parse)
    }

    /// `backup-push`.
    pub async fn backup_push(&self, opts: &BackupPushOptions) -> Result<BackupPushOutcome> {
        if opts.full && opts.delta_from.is_some() {
            return Err(client_core::Error::invalid(
                "backup-push options",
                "full + delta_from",
                "a backup is either full or a delta, not both",
            )
            .into());
        }
        let mut args = vec!["backup-push".to_owned()];
        if let Some(dir) = &opts.data_dir {
            check_dir("data directory", dir)?;
            args.push(dir.clone());
        }
        for (on, flag) in [(opts.full, "--full"), (opts.permanent, "--permanent"), (opts.verify, "--verify")] {
            if on {
                args.push(flag.into());
            }
        }
        if let Some(from) = &opts.delta_from {
            args.extend(["--delta-from-name".into(), from.to_string()]);
        }
        if let Some(data) = &opts.user_data {
            args.extend(["--add-user-data".into(), data.to_string()]);
        }
        let out = self.run(&args).await?;
        let log = out.stderr_text();
        let backup_name = log
            .lines()
            .find_map(|l| l.split("Wrote backup with name ").nth(1))
            .map(|rest| rest.split_whitespace().next().unwrap_or_default().to_owned())
            .filter(|n| !n.is_empty());
        Ok(BackupPushOutcome { backup_name })
    }

    /// `backup-fetch <dir> <name|LATEST>`. A missing backup is [`Error::CommandFailed`] with
    /// wal-g's "does not exist" message.
    pub async fn backup_fetch(&self, opts: &BackupFetchOptions) -> Result<()> {
        check_dir("target directory", &opts.target_dir)?;
        let name = match opts.backup {
            BackupSelector::Latest => "LATEST".to_owned(),
            BackupSelector::Named(n) => n.to_string(),
        };
        let mut args = vec!["backup-fetch".to_owned(), opts.target_dir.clone(), name];
        if opts.reverse_unpack {
            args.push("--reverse-unpack".into());
        }
        if opts.skip_redundant_tars {
            args.push("--skip-redundant-tars".into());
        }
        self.run(&args).await.map(drop)
    }

    /// `wal-show --detailed-json`: WAL per timeline, with missing segments and backups.
    pub async fn wal_show(&self) -> Result<Vec<WalShowTimeline>> {
        let args = vec!["wal-show".to_owned(), "--detailed-json".to_owned()];
        let out = self.run(&args).await?;
        self.decode(&args, &out.stdout_text(), "a wal-show JSON array", WalShowTimeline::parse_json)
    }

    /// What the PITR planner needs, from `backup-list --detail --json` and `wal-show
    /// --detailed-json` (timeline ancestry from wal-show's parent links; the segment size from
    /// `WALG_PG_WAL_SIZE`). Add history files' contents to `extra_histories` when you have them.
    pub async fn archive_state(
        &self,
        extra_histories: Vec<crate::timeline::TimelineHistory>,
    ) -> Result<crate::pitr::ArchiveState> {
        let size = self.config.wal_segment_size()?;
        let backups = self.backup_list(&BackupListOptions { detail: true, format: ListFormat::Json }).await?;
        let wal = self.wal_show().await?;
        crate::pitr::ArchiveState::from_walg(&backups, &wal, extra_histories, size)
    }

    /// `wal-verify <checks> --json`. wal-g exits 0 even when a check fails: look at
    /// [`WalVerifyReport::status`].
    pub async fn wal_verify(&self, opts: &WalVerifyOptions) -> Result<WalVerifyReport> {
        if opts.checks.is_empty() {
            return Err(client_core::Error::invalid(
                "wal-verify checks",
                "[]",
                "name at least one of integrity, timeline",
            )
            .into());
        }
        let mut args = vec!["wal-verify".to_owned()];
        for c in &opts.checks {
            args.push(match c {
                WalVerifyCheck::Integrity => "integrity".into(),
                WalVerifyCheck::Timeline => "timeline".into(),
            });
        }
        args.push("--json".into());
        if let Some((tli, lsn)) = opts.current {
            args.extend(["--timeline".into(), tli.to_string(), "--lsn".into(), lsn.to_string()]);
        }
        if let Some(b) = &opts.backup {
            args.extend(["--backup-name".into(), b.to_string()]);
        }
        let out = self.run(&args).await?;
        self.decode(&args, &out.stdout_text(), "a wal-verify JSON object", WalVerifyReport::parse_json)
    }

    /// `delete ...`: a dry run unless `opts.confirm` is set.
    pub async fn delete(&self, opts: &DeleteOptions) -> Result<DeleteReport> {
        let mut args = vec!["delete".to_owned()];
        match &opts.target {
            DeleteTarget::Retain { mode, count, after } => {
                if *count == 0 {
                    return Err(client_core::Error::invalid("retain count", "0", "keep at least one backup").into());
                }
                args.push("retain".into());
                match mode {
                    RetainMode::All => {}
                    RetainMode::Full => args.push("FULL".into()),
                    RetainMode::FindFull => args.push("FIND_FULL".into()),
                }
                args.push(count.to_string());
                if let Some(after) = after {
                    check_target(after)?;
                    args.extend(["--after".into(), after.clone()]);
                }
            }
            DeleteTarget::Before { find_full, target } => {
                check_target(target)?;
                args.push("before".into());
                if *find_full {
                    args.push("FIND_FULL".into());
                }
                args.push(target.clone());
            }
            DeleteTarget::Target { find_full, backup } => {
                args.push("target".into());
                if *find_full {
                    args.push("FIND_FULL".into());
                }
                args.push(backup.to_string());
            }
        }
        if opts.use_sentinel_time {
            args.push("--use-sentinel-time".into());
        }
        if opts.confirm {
            args.push("--confirm".into());
        }
        let out = self.run(&args).await?;
        Ok(DeleteReport { confirmed: opts.confirm, log: self.redact(&out.stderr_text()) })
    }

    /// `wal-fetch <name> <destination>`: a WAL segment or history file from storage into a file
    /// (which must not exist yet) where wal-g runs. A missing file is [`Error::NotFound`].
    pub async fn wal_fetch(&self, wal_name: &str, destination: &str) -> Result<()> {
        let base = wal_name.strip_suffix(".partial").unwrap_or(wal_name);
        let known = crate::archive::ArchiveFile::classify(wal_name).is_some() && !wal_name.contains('/');
        if !known || base.len() < 8 {
            return Err(client_core::Error::invalid(
                "WAL file name",
                wal_name,
                "expected a segment (24 hex digits), a .partial, a .backup or a <TLI>.history name",
            )
            .into());
        }
        check_dir("destination file", destination)?;
        self.run(&["wal-fetch".to_owned(), wal_name.to_owned(), destination.to_owned()]).await.map(drop)
    }

    /// `backup-mark <name>` (permanent) or `backup-mark -i <name>` (impermanent).
    pub async fn backup_mark(&self, backup: &BackupName, permanent: bool) -> Result<()> {
        let mut args = vec!["backup-mark".to_owned(), backup.to_string()];
        if !permanent {
            args.push("--impermanent".into());
        }
        self.run(&args).await.map(drop)
    }
}

/// A `delete before/--after` target: a backup name or an RFC 3339 time with a zone.
fn check_target(target: &str) -> Result<()> {
    if target.parse::<BackupName>().is_ok() || chrono::DateTime::parse_from_rfc3339(target).is_ok() {
        return Ok(());
    }
    Err(client_core::Error::invalid(
        "delete target",
        target,
        "expected a backup name (base_...) or an RFC 3339 time like 2024-05-01T12:00:00Z",
    )
    .into())
}

/// The `ERROR:` lines of stderr, or else its last lines (or stdout's, where cobra prints argument errors).
fn stderr_tail(out: &CommandOutput) -> String {
    let stderr = out.stderr_text();
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("ERROR:") || l.starts_with("Error:")).collect();
    if !errors.is_empty() {
        return errors[errors.len().saturating_sub(STDERR_TAIL_LINES)..].join("\n");
    }
    let text = if stderr.trim().is_empty() { out.stdout_text() } else { stderr };
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    if lines.is_empty() {
        return "(no output)".into();
    }
    lines[lines.len().saturating_sub(STDERR_TAIL_LINES)..].join("\n")
}
