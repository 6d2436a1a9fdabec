//! A compact live progress display on stderr: one line per finished step and
//! a single redrawn line for the step in progress ("waiting for X (3.2s)").
//!
//! On a terminal the current line is redrawn in place every 100 ms so the
//! elapsed time of a wait keeps moving; elsewhere (CI logs, pipes) each step
//! prints once when it starts, once per new thing it waits for, and once when
//! it ends, so logs stay short.

use std::io::{IsTerminal, Write};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

const SPINNER: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const TICK: Duration = Duration::from_millis(100);

/// The progress display. Cheap to clone: clones draw on the same line, so a
/// recipe's progress callback can own one while the caller keeps another.
#[derive(Clone)]
pub struct Progress {
    inner: Arc<Mutex<State>>,
}

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Progress").field("live", &self.lock().live).finish_non_exhaustive()
    }
}

struct State {
    out: Box<dyn Write + Send>,
    /// Redraw in place (stderr is a terminal).
    live: bool,
    current: Option<Current>,
    frame: usize,
    /// Columns the live line may use.
    width: usize,
    /// The facts a wait showed last (see [`Progress::seen`]).
    seen: Vec<String>,
}

struct Current {
    step: String,
    started: Instant,
    /// What the step waits for and when that wait began (from the event's
    /// elapsed time, so the display agrees with the recipe).
    waiting: Option<(String, Instant)>,
}

impl Default for Progress {
    fn default() -> Self {
        Self::stderr()
    }
}

impl Progress {
    /// A display on stderr, live when stderr is a terminal.
    #[must_use]
    pub fn stderr() -> Self {
        let live = std::io::stderr().is_terminal() && std::env::var_os("NO_LIVE_PROGRESS").is_none();
        Self::new(Box::new(std::io::stderr()), live)
    }

    /// A display writing to `out`; `live` redraws the current line in place.
    #[must_use]
    pub fn new(out: Box<dyn Write + Send>, live: bool) -> Self {
        let inner = Arc::new(Mutex::new(State {
            out,
            live,
            current: None,
            frame: 0,
            width: terminal_width(),
            seen: Vec::new(),
        }));
        if live {
            let weak = Arc::downgrade(&inner);
            std::thread::spawn(move || ticker(&weak));
        }
        Self { inner }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while drawing must not take the whole script down.
        self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A heading for a phase of a script (`==> Bootstrap the cluster`).
    pub fn section(&self, title: &str) {
        let mut s = self.lock();
        s.close_current();
        s.line(&format!("==> {title}"));
    }

    /// A step began.
    pub fn started(&self, step: &str) {
        let mut s = self.lock();
        s.close_current();
        s.current = Some(Current { step: step.to_owned(), started: Instant::now(), waiting: None });
        if s.live {
            s.redraw();
        } else {
            s.line(&format!("  … {step}"));
        }
    }

    /// The step in progress waits for `what`, for `elapsed` so far (a wait
    /// outside any step shows as a step of its own).
    pub fn waiting(&self, what: &str, elapsed: Duration) {
        let mut s = self.lock();
        let since = Instant::now().checked_sub(elapsed).unwrap_or_else(Instant::now);
        let (changed, step) = match &mut s.current {
            Some(c) => {
                let changed = c.waiting.as_ref().is_none_or(|(w, _)| w != what);
                c.waiting = Some((what.to_owned(), since));
                (changed, c.step.clone())
            }
            None => {
                let step = "waiting".to_owned();
                s.current =
                    Some(Current { step: step.clone(), started: since, waiting: Some((what.to_owned(), since)) });
                (true, step)
            }
        };
        if s.live {
            s.redraw();
        } else if changed {
            s.line(&format!("  … {step}: waiting for {what}"));
        }
    }

    /// What a wait saw (the scope, the jobs' allocations), printed above the live line when it
    /// changed since the last time, one fact a line.
    pub fn seen(&self, facts: &[String]) {
        let mut s = self.lock();
        if s.seen == facts {
            return;
        }
        s.seen = facts.to_vec();
        for fact in facts {
            s.above_current(&format!("      {fact}"));
        }
    }

    /// Shows one of a recipe's progress events.
    pub fn event(&self, event: &recipes::Event) {
        match event {
            recipes::Event::StepStarted { step } => self.started(step),
            recipes::Event::StepFinished { step, elapsed } => self.finished(step, Some(*elapsed), ""),
            recipes::Event::StepSkipped { step, reason } => self.skipped(step, reason),
            recipes::Event::Waiting { what, elapsed, seen, .. } => {
                self.waiting(what, *elapsed);
                self.seen(seen);
            }
            recipes::Event::Warning { message } => self.warning(message),
            // The error itself is printed once, by the script's `error:` line.
            recipes::Event::StepFailed { step, .. } => self.step_failed(step),
            other => self.note(&serde_json::to_string(other).unwrap_or_else(|_| "(unprintable event)".to_owned())),
        }
    }

    /// A recipe progress sink that draws on this display.
    #[must_use]
    pub fn for_recipe(&self) -> recipes::Progress {
        let display = self.clone();
        recipes::Progress::callback(move |e| display.event(e))
    }

    /// The step finished; `detail` (may be empty) says what it found or did.
    pub fn finished(&self, step: &str, elapsed: Option<Duration>, detail: &str) {
        let mut s = self.lock();
        let elapsed = elapsed.or_else(|| s.current.as_ref().filter(|c| c.step == step).map(|c| c.started.elapsed()));
        s.clear_current(step);
        let time = elapsed.map(|e| format!(" ({})", fmt_elapsed(e))).unwrap_or_default();
        let detail = if detail.is_empty() { String::new() } else { format!(": {detail}") };
        s.line(&format!("  ✓ {step}{detail}{time}"));
    }

    /// The step was skipped, with the reason.
    pub fn skipped(&self, step: &str, reason: &str) {
        let mut s = self.lock();
        s.clear_current(step);
        s.line(&format!("  - {step}: skipped ({reason})"));
    }

    /// A warning that does not stop the run.
    pub fn warning(&self, message: &str) {
        let mut s = self.lock();
        s.above_current(&format!("  ! {message}"));
    }

    /// A plain informational line (kept above the live line).
    pub fn note(&self, message: &str) {
        let mut s = self.lock();
        s.above_current(&format!("    {message}"));
    }

    /// The step in progress (if any) failed with `message`.
    pub fn failed(&self, message: &str) {
        let mut s = self.lock();
        let step = s.current.take().map(|c| c.step);
        s.erase_live();
        match step {
            Some(step) => s.line(&format!("  ✗ {step}: {message}")),
            None => s.line(&format!("  ✗ {message}")),
        }
    }

    /// The recipe's step `step` failed; the error is left to the script's error line, so it
    /// is not printed twice.
    pub fn step_failed(&self, step: &str) {
        let mut s = self.lock();
        s.clear_current(step);
        s.line(&format!("  ✗ {step}: failed"));
    }

    /// Ends the display: the step in progress (if any) stays printed as is.
    pub fn finish(&self) {
        self.lock().close_current();
    }
}

/// Runs a recipe with a fresh display on stderr under the heading `title`,
/// handing the recipe its progress sink; the display ends with the run.
pub async fn show_while<F, Fut, T>(title: &str, run: F) -> T
where
    F: FnOnce(recipes::Progress) -> Fut,
    Fut: std::future::Future<Output = T>,
{
    let display = Progress::stderr();
    display.section(title);
    let out = run(display.for_recipe()).await;
    display.finish();
    out
}

impl State {
    fn line(&mut self, text: &str) {
        let _ = writeln!(self.out, "{text}");
        let _ = self.out.flush();
    }

    /// Prints `text` on its own line while keeping the live line below it.
    fn above_current(&mut self, text: &str) {
        self.erase_live();
        self.line(text);
        if self.live {
            self.redraw();
        }
    }

    fn erase_live(&mut self) {
        if self.live && self.current.is_some() {
            let _ = write!(self.out, "\r\x1b[2K");
        }
    }

    /// Forgets the current step if it is `step` (or any step that is not
    /// followed by its own end event), erasing its live line.
    fn clear_current(&mut self, step: &str) {
        if self.current.as_ref().is_some_and(|c| c.step != step) {
            self.close_current();
        }
        self.erase_live();
        self.current = None;
    }

    /// Leaves the step in progress on screen as a plain line.
    fn close_current(&mut self) {
        if self.live && self.current.is_some() {
            self.erase_live();
            if let Some(c) = self.current.take() {
                let text = format!("  … {}", c.step);
                self.line(&text);
            }
        }
        self.current = None;
    }

    fn redraw(&mut self) {
        let Some(c) = &self.current else { return };
        let spin = SPINNER[self.frame % SPINNER.len()];
        // Elapsed time first: the line is cut to the terminal's width, and a
        // wrapped line could not be redrawn in place.
        let text = match &c.waiting {
            Some((what, since)) => {
                format!("  {spin} {} ({}): waiting for {what}", c.step, fmt_elapsed(since.elapsed()))
            }
            None => format!("  {spin} {} ({})", c.step, fmt_elapsed(c.started.elapsed())),
        };
        let _ = write!(self.out, "\r\x1b[2K{}", fit(&text, self.width));
        let _ = self.out.flush();
    }
}

/// `text` cut to `width` characters, ending in `…` when cut.
fn fit(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(width.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// The terminal's width from `COLUMNS` (shells set it), else 80; one column
/// is kept free so the cursor never wraps.
fn terminal_width() -> usize {
    std::env::var("COLUMNS").ok().and_then(|c| c.trim().parse::<usize>().ok()).filter(|&w| w > 20).unwrap_or(80) - 1
}

fn ticker(state: &Weak<Mutex<State>>) {
    loop {
        std::thread::sleep(TICK);
        let Some(state) = state.upgrade() else { return };
        let mut s = state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        s.frame = s.frame.wrapping_add(1);
        s.redraw();
    }
}

/// `1.2s`, `42s`, `3m05s`, `2h30m`.
#[must_use]
pub fn fmt_elapsed(d: Duration) -> String {
    let (secs, whole) = (d.as_secs_f64(), d.as_secs());
    if secs < 10.0 {
        format!("{secs:.1}s")
    } else if whole < 60 {
        format!("{whole}s")
    } else if whole < 3600 {
        format!("{}m{:02}s", whole / 60, whole % 60)
    } else {
        format!("{}h{:02}m", whole / 3600, whole % 3600 / 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Default)]
    struct Buf(Arc<Mutex<Vec<u8>>>);
    impl Write for Buf {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn plain_mode_prints_each_wait_once_and_the_end() {
        let buf = Buf::default();
        let p = Progress::new(Box::new(buf.clone()), false);
        p.section("Bootstrap");
        p.started("start dbHA1");
        p.waiting("leader", Duration::from_secs(1));
        p.waiting("leader", Duration::from_secs(2));
        p.finished("start dbHA1", Some(Duration::from_millis(2500)), "leader dbHA1");
        p.skipped("backup job", "no backup job in the sandbox");
        p.warning("lag is high");
        let text = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
        assert_eq!(
            text,
            "==> Bootstrap\n  … start dbHA1\n  … start dbHA1: waiting for leader\n  ✓ start dbHA1: leader dbHA1 (2.5s)\n  \
             - backup job: skipped (no backup job in the sandbox)\n  ! lag is high\n"
        );
    }

    #[test]
    fn failed_names_the_step_in_progress() {
        let buf = Buf::default();
        let p = Progress::new(Box::new(buf.clone()), false);
        p.started("switchover");
        p.failed("no replica");
        let text = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
        assert!(text.ends_with("  ✗ switchover: no replica\n"), "{text}");
    }

    #[test]
    fn what_a_wait_saw_is_printed_when_it_changes() {
        let buf = Buf::default();
        let p = Progress::new(Box::new(buf.clone()), false);
        p.started("wait for dbHA1");
        let seen = vec!["scope service/x/: initialize empty".to_owned(), "dbHA1: allocation 1a2b running".to_owned()];
        let waiting = |seen: &[String]| recipes::Event::Waiting {
            what: "dbHA1 to lead (no member holds the leader key)".into(),
            elapsed: Duration::from_secs(1),
            timeout: Duration::from_secs(300),
            seen: seen.to_vec(),
        };
        p.event(&waiting(&seen));
        p.event(&waiting(&seen));
        let text = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
        assert_eq!(
            text,
            "  … wait for dbHA1\n  … wait for dbHA1: waiting for dbHA1 to lead (no member holds the leader key)\n      \
             scope service/x/: initialize empty\n      dbHA1: allocation 1a2b running\n"
        );
    }

    #[test]
    fn a_failed_step_is_printed_once_without_debug_text() {
        let buf = Buf::default();
        let p = Progress::new(Box::new(buf.clone()), false);
        p.event(&recipes::Event::StepStarted { step: "wait for dbHA2".into() });
        p.event(&recipes::Event::StepFailed { step: "wait for dbHA2".into(), error: "gave up waiting".into() });
        let text = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
        assert_eq!(text, "  … wait for dbHA2\n  ✗ wait for dbHA2: failed\n");
        assert!(!text.contains("StepFailed") && !text.contains("gave up"), "{text}");
    }

    #[test]
    fn live_lines_fit_the_width() {
        assert_eq!(fit("abcdef", 6), "abcdef");
        assert_eq!(fit("abcdefg", 6), "abcde…");
    }

    #[test]
    fn elapsed_is_short() {
        assert_eq!(fmt_elapsed(Duration::from_millis(1234)), "1.2s");
        assert_eq!(fmt_elapsed(Duration::from_secs(42)), "42s");
        assert_eq!(fmt_elapsed(Duration::from_secs(185)), "3m05s");
        assert_eq!(fmt_elapsed(Duration::from_secs(9000)), "2h30m");
    }
}
