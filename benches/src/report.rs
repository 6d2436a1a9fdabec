//! The results of a run: figures grouped in sections, printed as a table and saved as JSON.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::machine::Machine;
use crate::stats::Spread;

/// One measured number.
#[derive(Debug, Clone, Serialize)]
pub struct Figure {
    /// What was measured, e.g. `ops-sdk c=64 local req/s`.
    pub name: String,
    /// The value.
    pub value: f64,
    /// Its unit, e.g. `req/s`, `ms`, `MB/s`, `x`.
    pub unit: String,
}

/// A headline ratio and the target it is judged against.
#[derive(Debug, Clone, Serialize)]
pub struct Ratio {
    /// What the ratio compares, e.g. `ops-sdk / raw reqwest, c=1, local`.
    pub name: String,
    /// The ratio.
    pub value: f64,
    /// The target in words, e.g. `>= 0.95`.
    pub target: String,
    /// Whether the target was met in this run.
    pub met: bool,
    /// For a median of per-round ratios: their quartiles and the median's 95% interval.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spread: Option<Spread>,
}

/// The figures of one benchmark.
#[derive(Debug, Clone, Serialize)]
pub struct Section {
    /// Subcommand name of the benchmark.
    pub name: String,
    /// Every figure measured.
    pub figures: Vec<Figure>,
    /// The headline ratios.
    pub ratios: Vec<Ratio>,
    /// Caveats: what was measured instead of what was asked, and why.
    pub notes: Vec<String>,
    /// Why the benchmark failed, if it did.
    pub errors: Vec<String>,
}

impl Section {
    /// An empty section.
    #[must_use]
    pub fn new(name: &str) -> Self {
        Self { name: name.to_owned(), figures: Vec::new(), ratios: Vec::new(), notes: Vec::new(), errors: Vec::new() }
    }

    /// Adds a figure.
    pub fn figure(&mut self, name: impl Into<String>, value: f64, unit: &str) {
        self.figures.push(Figure { name: name.into(), value, unit: unit.to_owned() });
    }

    /// Adds a headline ratio; `met` says whether the target holds.
    pub fn ratio(&mut self, name: impl Into<String>, value: f64, target: &str, met: bool) {
        self.ratios.push(Ratio { name: name.into(), value, target: target.to_owned(), met, spread: None });
    }

    /// Adds a headline ratio that is the median of per-round ratios (`spread.median`),
    /// shown with its interquartile range and the 95% interval of the median.
    pub fn ratio_spread(&mut self, name: impl Into<String>, spread: Spread, target: &str, met: bool) {
        let (name, target) = (name.into(), target.to_owned());
        self.ratios.push(Ratio { name, value: spread.median, target, met, spread: Some(spread) });
    }

    /// Adds a caveat.
    pub fn note(&mut self, note: impl Into<String>) {
        self.notes.push(note.into());
    }

    /// Figures or ratios that are NaN or infinite (a broken measurement).
    #[must_use]
    pub fn non_finite(&self) -> Vec<String> {
        let figures = self.figures.iter().filter(|f| !f.value.is_finite()).map(|f| f.name.clone());
        let ratios = self
            .ratios
            .iter()
            .filter(|r| !r.value.is_finite() || r.spread.is_some_and(|s| !s.is_finite()))
            .map(|r| r.name.clone());
        figures.chain(ratios).collect()
    }
}

/// A whole run.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Where it ran and with which versions.
    pub machine: Machine,
    /// `quick` or `full`.
    pub mode: String,
    /// Seconds since the Unix epoch when the run started.
    pub started_unix: u64,
    /// One section per benchmark run.
    pub sections: Vec<Section>,
}

impl Report {
    /// The table printed at the end of a run: headline ratios first, then every figure.
    #[must_use]
    pub fn table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "{}", self.machine.summary());
        let _ = writeln!(out, "mode: {}\n", self.mode);
        let _ = writeln!(out, "| bench | headline ratio | value | target | met |");
        let _ = writeln!(out, "|---|---|---:|---|---|");
        for s in &self.sections {
            for r in &s.ratios {
                let met = if r.met { "yes" } else { "NO" };
                let value = match &r.spread {
                    Some(sp) => format!(
                        "{} (IQR {}–{}, 95% CI {}–{}, n={})",
                        fmt_ratio(r.value),
                        fmt_ratio(sp.q1),
                        fmt_ratio(sp.q3),
                        fmt_ratio(sp.ci_low),
                        fmt_ratio(sp.ci_high),
                        sp.n
                    ),
                    None => fmt_ratio(r.value),
                };
                let _ = writeln!(out, "| {} | {} | {value} | {} | {met} |", s.name, r.name, r.target);
            }
        }
        for s in &self.sections {
            let _ = writeln!(out, "\n### {}\n\n| figure | value | unit |\n|---|---:|---|", s.name);
            for f in &s.figures {
                let _ = writeln!(out, "| {} | {} | {} |", f.name, fmt_value(f.value), f.unit);
            }
            for n in &s.notes {
                let _ = writeln!(out, "\nNote: {n}");
            }
            for e in &s.errors {
                let _ = writeln!(out, "\nFAILED: {e}");
            }
        }
        out
    }

    /// Every failure: benchmark errors and non-finite figures, as `section: what`.
    #[must_use]
    pub fn errors(&self) -> Vec<String> {
        let mut out = Vec::new();
        for s in &self.sections {
            out.extend(s.errors.iter().map(|e| format!("{}: {e}", s.name)));
            out.extend(s.non_finite().into_iter().map(|f| format!("{}: {f} is not a finite number", s.name)));
        }
        out
    }

    /// Writes the report as pretty JSON to `dir/<mode>-<started>.json` and returns the path.
    pub fn write_json(&self, dir: &Path) -> anyhow::Result<PathBuf> {
        std::fs::create_dir_all(dir)?;
        let path = dir.join(format!("{}-{}.json", self.mode, self.started_unix));
        std::fs::write(&path, serde_json::to_vec_pretty(self)?)?;
        Ok(path)
    }
}

/// A ratio: three decimals near 1 (where a target like 1.03 is judged), else as a value.
fn fmt_ratio(v: f64) -> String {
    if v.is_finite() && v.abs() < 10.0 && v != v.trunc() { format!("{v:.3}") } else { fmt_value(v) }
}

/// Three significant digits without scientific notation for the usual ranges.
fn fmt_value(v: f64) -> String {
    let a = v.abs();
    if !v.is_finite() {
        format!("{v}")
    } else if a >= 100.0 || v == v.trunc() {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else if a >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}
