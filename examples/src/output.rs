//! What every example script prints: aligned tables for people, JSON for
//! machines, and one clear line on stderr when something fails.
//!
//! Results go to stdout and progress/errors to stderr, so `--json` output can
//! be piped into `jq` while the progress display still shows.

use std::fmt;
use std::future::Future;
use std::process::ExitCode;

use serde::Serialize;

/// The `--json` flag every script accepts (flatten it into the script's args).
#[derive(Debug, Clone, Copy, Default, clap::Args)]
pub struct OutputArgs {
    /// Print machine-readable JSON on stdout instead of tables.
    #[arg(long, global = true)]
    pub json: bool,
}

/// The `--dry-run` / `--yes` pair of the recipe scripts: nothing changes
/// unless the operator says `--yes`.
#[derive(Debug, Clone, Copy, Default, clap::Args)]
pub struct RunArgs {
    /// Only check the live systems and print the plan; change nothing.
    #[arg(long, conflicts_with = "yes")]
    pub dry_run: bool,
    /// Carry out the plan (required to change anything).
    #[arg(long, short = 'y')]
    pub yes: bool,
}

/// What a recipe script was asked to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Print the plan and stop (`--dry-run`).
    DryRun,
    /// Print the plan, then refuse: the operator gave neither flag.
    PlanOnly,
    /// Carry out the plan (`--yes`).
    Run,
}

impl RunArgs {
    /// The mode these flags select.
    #[must_use]
    pub fn mode(&self) -> Mode {
        match (self.dry_run, self.yes) {
            (_, true) => Mode::Run,
            (true, false) => Mode::DryRun,
            (false, false) => Mode::PlanOnly,
        }
    }
}

/// The error a script returns when it showed a plan but was not told `--yes`.
#[must_use]
pub fn not_confirmed() -> anyhow::Error {
    anyhow::anyhow!("nothing was changed: run again with --yes to carry out this plan (or --dry-run to only plan)")
}

/// Runs a script's async main on a multi-threaded runtime and turns its
/// result into an exit code: 0 on success, 1 with a one-line `error: ...`
/// on stderr otherwise. `RUST_LOG` enables the SDK's tracing on stderr.
pub fn run_main<F>(main: F) -> ExitCode
where
    F: Future<Output = anyhow::Result<()>>,
{
    init_tracing();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => return fail(&anyhow::anyhow!("cannot start the async runtime: {e}")),
    };
    match runtime.block_on(main) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&e),
    }
}

/// Prints `error: <cause chain on one line>` on stderr and returns exit code 1.
#[must_use]
pub fn fail(err: &anyhow::Error) -> ExitCode {
    eprintln!("error: {}", one_line(err));
    ExitCode::FAILURE
}

/// The error and its causes on one line (`outer: inner: root`), newlines
/// folded so a failure is always one line in a terminal or a log.
#[must_use]
pub fn one_line(err: &anyhow::Error) -> String {
    format!("{err:#}").split('\n').map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join(" | ")
}

fn init_tracing() {
    // Silent unless asked: the scripts print their own progress.
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("off"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).try_init();
}

/// Prints `value` as pretty JSON on stdout.
///
/// # Errors
/// When the value cannot be serialized.
pub fn print_json<T: Serialize + ?Sized>(value: &T) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

/// A plain text table with a header row and left-aligned columns, like the
/// official CLIs print.
///
/// ```
/// use ops_examples::output::Table;
/// let mut t = Table::new(["NAME", "STATE"]);
/// t.row(["dbHA1", "running"]);
/// assert_eq!(t.to_string(), "NAME   STATE\ndbHA1  running\n");
/// ```
#[derive(Debug, Clone, Default)]
pub struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these column titles.
    pub fn new<I, S>(header: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self { header: header.into_iter().map(Into::into).collect(), rows: Vec::new() }
    }

    /// Appends a row (missing cells print empty, extra cells are kept).
    pub fn row<I, S>(&mut self, cells: I) -> &mut Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.rows.push(cells.into_iter().map(Into::into).collect());
        self
    }

    /// True when no row was added.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}

impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let columns = self.rows.iter().map(Vec::len).chain([self.header.len()]).max().unwrap_or(0);
        let mut widths = vec![0; columns];
        for line in std::iter::once(&self.header).chain(&self.rows) {
            for (w, cell) in widths.iter_mut().zip(line) {
                *w = (*w).max(cell.chars().count());
            }
        }
        for line in std::iter::once(&self.header).chain(&self.rows) {
            let mut text = String::new();
            for (i, w) in widths.iter().enumerate() {
                let cell = line.get(i).map_or("", String::as_str);
                text.push_str(cell);
                if i + 1 < columns {
                    text.extend(std::iter::repeat_n(' ', w - cell.chars().count() + 2));
                }
            }
            writeln!(f, "{}", text.trim_end())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_aligns_columns_and_trims_trailing_space() {
        let mut t = Table::new(["A", "LONG HEADER", "C"]);
        t.row(["xxxx", "y", ""]).row(["z"]);
        assert_eq!(t.to_string(), "A     LONG HEADER  C\nxxxx  y\nz\n");
    }

    #[test]
    fn one_line_folds_causes_and_newlines() {
        let err = anyhow::anyhow!("root\ncause").context("outer");
        assert_eq!(one_line(&err), "outer: root | cause");
    }

    #[test]
    fn mode_needs_yes_to_run() {
        assert_eq!(RunArgs { dry_run: false, yes: false }.mode(), Mode::PlanOnly);
        assert_eq!(RunArgs { dry_run: true, yes: false }.mode(), Mode::DryRun);
        assert_eq!(RunArgs { dry_run: false, yes: true }.mode(), Mode::Run);
    }
}
