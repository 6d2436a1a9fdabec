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

/// The environment variables the scripts read, for `--help`.
pub const ENV_HELP: &str = "\
Environment (as the official CLIs read it):
  NOMAD_ADDR, NOMAD_TOKEN, NOMAD_NAMESPACE, NOMAD_CACERT, NOMAD_SKIP_VERIFY
  CONSUL_HTTP_ADDR, CONSUL_HTTP_TOKEN, CONSUL_HTTP_TOKEN_FILE, CONSUL_CACERT, CONSUL_HTTP_SSL_VERIFY
  VAULT_ADDR, VAULT_TOKEN, VAULT_NAMESPACE, VAULT_CACERT, VAULT_SKIP_VERIFY
  RUST_LOG=debug shows every request (tokens are never printed)";

/// Parses a duration such as `90s`, `30m`, `24h` or `2d` (a bare number is
/// seconds).
///
/// # Errors
/// When the text is not a whole number with one of those units.
pub fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let text = text.trim();
    let (number, unit) = text.split_at(text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len()));
    let n: u64 = number.parse().map_err(|_| format!("{text:?} is not a duration such as 90s, 30m, 24h or 2d"))?;
    let secs = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(format!("{text:?}: unknown unit {unit:?} (use s, m, h or d)")),
    };
    Ok(std::time::Duration::from_secs(n.saturating_mul(secs)))
}

/// Shows a recipe's plan as the flags ask and says whether to carry it out:
/// `true` only with `--yes` and something to do. Without `--yes` or
/// `--dry-run` the plan is shown and [`not_confirmed`] is returned.
/// Under `--json` with `--yes` nothing is printed yet: [`show_outcome`]
/// prints the plan and the report as one document.
///
/// # Errors
/// [`not_confirmed`], or a failure to write stdout.
pub fn show_plan<P: Serialize>(
    plan: &P,
    text: impl Fn(&P) -> String,
    nothing_to_do: bool,
    run: RunArgs,
    out: OutputArgs,
) -> anyhow::Result<bool> {
    let mode = run.mode();
    if mode == Mode::Run && !nothing_to_do {
        if !out.json {
            stdout(&text(plan))?;
        }
        return Ok(true);
    }
    print_value(plan, text, out)?;
    if mode == Mode::PlanOnly && !nothing_to_do { Err(not_confirmed()) } else { Ok(false) }
}

/// Prints what a run did: the report as text, or `{"plan", "report"}` as JSON.
///
/// # Errors
/// When stdout cannot be written.
pub fn show_outcome<P: Serialize, R: Serialize>(
    plan: &P,
    report: &R,
    text: impl Fn(&R) -> String,
    out: OutputArgs,
) -> anyhow::Result<()> {
    if out.json { print_json(&serde_json::json!({ "plan": plan, "report": report })) } else { stdout(&text(report)) }
}

/// Exit code of a recipe that refused to run (its preflight failed), as the
/// walg examples use: scripts can tell "unsafe, nothing done" from a crash.
pub const EXIT_REFUSED: u8 = 3;

/// Runs a script's async main on a multi-threaded runtime and turns its
/// result into an exit code: 0 on success; otherwise a one-line `error: ...`
/// on stderr and [`EXIT_REFUSED`] for a recipe's refusal, 1 for the rest.
/// `RUST_LOG` enables the SDK's tracing on stderr.
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

/// Prints `error: <cause chain on one line>` on stderr and returns the exit
/// code: [`EXIT_REFUSED`] when a recipe refused, else 1.
#[must_use]
pub fn fail(err: &anyhow::Error) -> ExitCode {
    eprintln!("error: {}", one_line(err));
    let refused = err.chain().any(|c| matches!(c.downcast_ref(), Some(recipes::Error::Refused { .. })));
    if refused { ExitCode::from(EXIT_REFUSED) } else { ExitCode::FAILURE }
}

/// The error and its causes on one line (`outer: inner: root`), newlines
/// folded so a failure is always one line in a terminal or a log. A cause
/// that its parent's message already quotes is not repeated.
#[must_use]
pub fn one_line(err: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in err.chain() {
        let part = cause.to_string();
        if text.contains(&part) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&part);
    }
    text.split('\n').map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join(" | ")
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
    let mut text = serde_json::to_string_pretty(value)?;
    text.push('\n');
    stdout(&text)
}

/// Writes `text` on stdout. A closed pipe (`script | head`) is not an
/// error: the reader wanted no more.
///
/// # Errors
/// When stdout cannot be written for another reason.
pub fn stdout(text: &str) -> anyhow::Result<()> {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(anyhow::anyhow!("cannot write to stdout: {e}")),
        _ => Ok(()),
    }
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

/// A recipe's plan for people: every check with what it found, then the
/// numbered steps (or "nothing to do").
#[must_use]
pub fn plan_text(plan: &recipes::Plan) -> String {
    let mut checks = Table::new(["CHECK", "RESULT", "DETAIL"]);
    for c in &plan.checks {
        let (result, detail) = match &c.outcome {
            recipes::Outcome::Passed(d) => ("ok", d),
            recipes::Outcome::Skipped(d) => ("SKIPPED", d),
            recipes::Outcome::Failed(d) => ("FAILED", d),
        };
        checks.row([c.name.as_str(), result, detail.as_str()]);
    }
    let mut text = format!("Plan of {}:\n{checks}", plan.recipe);
    if plan.is_noop() {
        text.push_str("Nothing to do: the systems are already as this recipe would leave them.\n");
    } else {
        let mut steps = Table::new(["#", "STEP", "WHAT IT DOES"]);
        for (i, s) in plan.steps.iter().enumerate() {
            steps.row([(i + 1).to_string(), s.name.clone(), s.detail.clone()]);
        }
        text.push_str(&format!("{steps}"));
    }
    text
}

/// A recipe's report for people: what was done, skipped, saved and warned.
#[must_use]
pub fn report_text(report: &recipes::Report) -> String {
    let mut text = format!("Report of {}: {} step(s) done", report.recipe, report.done.len());
    if !report.skipped.is_empty() {
        text.push_str(&format!(", {} skipped", report.skipped.len()));
    }
    text.push('\n');
    for step in &report.done {
        text.push_str(&format!("  done     {step}\n"));
    }
    for s in &report.skipped {
        text.push_str(&format!("  skipped  {} ({})\n", s.step, s.reason));
    }
    for b in &report.backups {
        text.push_str(&format!("  backup   {}\n", b.display()));
    }
    for w in &report.warnings {
        text.push_str(&format!("  warning  {w}\n"));
    }
    text
}

/// A ghost cleanup plan for people: the generic plan, then every finding
/// with its evidence.
#[must_use]
pub fn ghost_plan_text(plan: &recipes::ghost::GhostPlan) -> String {
    let mut text = plan_text(&plan.plan);
    if !plan.findings.is_empty() {
        let mut findings = Table::new(["GHOST", "EVIDENCE"]);
        for f in &plan.findings {
            findings.row([f.target.to_string(), f.evidence.join("; ")]);
        }
        text.push_str(&format!("{findings}"));
    }
    text
}

/// A ghost cleanup report for people: counts per kind, findings left alone,
/// then the generic report.
#[must_use]
pub fn ghost_report_text(report: &recipes::ghost::GhostReport) -> String {
    let counts: Vec<String> = report.counts.iter().map(|(kind, n)| format!("{kind}: {n}")).collect();
    let mut text = format!("Removed: {}\n", if counts.is_empty() { "nothing".to_owned() } else { counts.join(", ") });
    for t in &report.no_longer_ghosts {
        text.push_str(&format!("  left alone (no longer a ghost)  {t}\n"));
    }
    text.push_str(&report_text(&report.report));
    text
}

/// Prints a recipe's plan on stdout, as JSON or as tables.
///
/// # Errors
/// When JSON serialization fails.
pub fn print_plan(plan: &recipes::Plan, out: OutputArgs) -> anyhow::Result<()> {
    print_value(plan, plan_text, out)
}

/// Prints a plan or report on stdout: JSON, or `text`'s rendering.
///
/// # Errors
/// When JSON serialization fails.
pub fn print_value<T: Serialize>(report: &T, text: impl FnOnce(&T) -> String, out: OutputArgs) -> anyhow::Result<()> {
    if out.json { print_json(report) } else { stdout(&text(report)) }
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
        let quoted = anyhow::anyhow!("root").context("Consul: root");
        assert_eq!(one_line(&quoted), "Consul: root");
    }

    #[test]
    fn plan_text_lists_checks_and_numbered_steps() {
        let plan = recipes::Plan {
            recipe: "bootstrap".into(),
            checks: vec![
                recipes::Check::passed("namespace demo exists", "yes"),
                recipes::Check::skipped("host volumes", "skipped by the caller"),
            ],
            steps: vec![recipes::Step::new("start dbHA1", "start the first member")],
        };
        assert_eq!(
            plan_text(&plan),
            "Plan of bootstrap:\nCHECK                  RESULT   DETAIL\nnamespace demo exists  ok       yes\n\
             host volumes           SKIPPED  skipped by the caller\n#  STEP         WHAT IT DOES\n\
             1  start dbHA1  start the first member\n"
        );
    }

    #[test]
    fn durations_take_a_unit() {
        assert_eq!(parse_duration("90"), Ok(std::time::Duration::from_secs(90)));
        assert_eq!(parse_duration("2d"), Ok(std::time::Duration::from_secs(172_800)));
        assert!(parse_duration("1.5h").unwrap_err().contains("unknown unit"));
        assert!(parse_duration("h").unwrap_err().contains("not a duration"));
    }

    #[test]
    fn mode_needs_yes_to_run() {
        assert_eq!(RunArgs { dry_run: false, yes: false }.mode(), Mode::PlanOnly);
        assert_eq!(RunArgs { dry_run: true, yes: false }.mode(), Mode::DryRun);
        assert_eq!(RunArgs { dry_run: false, yes: true }.mode(), Mode::Run);
    }
}
