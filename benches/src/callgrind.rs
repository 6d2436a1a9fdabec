//! Instructions per request, counted by callgrind: stable where timings on a shared
//! machine are not (no hardware counters here). For each contender the driver
//! ([`crate::driver`]) runs twice under `valgrind --tool=callgrind`, with a short and a long
//! request count; the difference of the two totals divided by the difference of the
//! counts cancels start-up, warm-up and shut-down, leaving the cost of one GET + decode:
//! client, runtime and the in-process local server's share (the same for every contender).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::Context as _;

use crate::overhead::Kind;
use crate::report::Section;
use crate::{Options, Sizes, driver};

/// The contenders counted: the SDK, both floors, and the fastest peer.
pub const KINDS: [Kind; 4] = [Kind::Sdk, Kind::Raw, Kind::RawTimeout, Kind::RsConsulPooled];

/// The instruction counts of one contender.
#[derive(Debug, Clone, Copy)]
pub struct Count {
    /// Which contender.
    pub kind: Kind,
    /// Instructions of the short run (whole process).
    pub short: u64,
    /// Instructions of the long run (whole process).
    pub long: u64,
    /// `(long - short) / (long requests - short requests)`.
    pub per_request: f64,
}

/// How the driver is started: the program and the arguments before `<contender> <n>`.
fn driver_command() -> anyhow::Result<(PathBuf, Vec<&'static str>)> {
    let exe = std::env::current_exe().context("finding the bench's own executable")?;
    if exe.file_stem().is_some_and(|s| s == "ops-benches") {
        return Ok((exe, vec![driver::SUBCOMMAND]));
    }
    // A test harness lives in target/<profile>/deps; cargo builds the package's binaries
    // for integration tests into target/<profile>.
    let name = format!("ops-bench-driver{}", std::env::consts::EXE_SUFFIX);
    let dirs = exe.parent().into_iter().flat_map(|d| [Some(d), d.parent()]).flatten();
    for dir in dirs {
        let candidate = dir.join(&name);
        if candidate.is_file() {
            return Ok((candidate, Vec::new()));
        }
    }
    anyhow::bail!("{name} not found beside {}: build it with `cargo build -p ops-benches`", exe.display())
}

/// The total instruction count in a callgrind output file (`summary:` or `totals:`).
fn total(file: &Path) -> anyhow::Result<u64> {
    let text = std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("summary:").or_else(|| l.strip_prefix("totals:")))
        .with_context(|| format!("no summary line in {}", file.display()))?;
    let first = line.split_whitespace().next().unwrap_or_default();
    first.parse().with_context(|| format!("bad summary {line:?} in {}", file.display()))
}

/// Runs the driver for `kind` and `n` requests under callgrind, output in `dir`.
fn count(dir: &Path, kind: Kind, n: usize) -> anyhow::Result<u64> {
    let (program, prefix) = driver_command()?;
    let file = dir.join(format!("callgrind.{}.{n}.out", kind.slug()));
    let out = Command::new("valgrind")
        .arg("--tool=callgrind")
        .arg(format!("--callgrind-out-file={}", file.display()))
        .arg(&program)
        .args(prefix)
        .arg(kind.slug())
        .arg(n.to_string())
        .output()
        .context("running valgrind")?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let tail: Vec<&str> = stderr.lines().rev().take(12).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        anyhow::bail!(
            "callgrind run of {} with {n} requests failed ({}):\n{}",
            kind.name(),
            out.status,
            tail.join("\n")
        );
    }
    total(&file)
}

/// Whether `valgrind` can be run here (its version, if so).
#[must_use]
pub fn valgrind_version() -> Option<String> {
    let out = Command::new("valgrind").arg("--version").output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// Counts every contender of [`KINDS`] with the request counts of `sizes`, as many runs at
/// once as there are CPUs (a run's count does not depend on what else runs: valgrind
/// counts the instructions of its own process).
pub fn counts(dir: &Path, sizes: &Sizes) -> anyhow::Result<Vec<Count>> {
    let [short_n, long_n] = sizes.callgrind_requests;
    anyhow::ensure!(long_n > short_n, "the long callgrind run must make more requests than the short one");
    let jobs: Vec<(Kind, usize)> = KINDS.into_iter().flat_map(|k| [(k, short_n), (k, long_n)]).collect();
    let next = AtomicUsize::new(0);
    let workers = std::thread::available_parallelism().map_or(1, std::num::NonZero::get).min(jobs.len());
    let mut totals: Vec<(usize, anyhow::Result<u64>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(&(kind, n)) = jobs.get(i) else { break };
                        done.push((i, count(dir, kind, n)));
                    }
                    done
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap_or_default()).collect()
    });
    anyhow::ensure!(totals.len() == jobs.len(), "a callgrind worker thread panicked");
    totals.sort_by_key(|(i, _)| *i);
    let totals = totals.into_iter().map(|(_, t)| t).collect::<anyhow::Result<Vec<u64>>>()?;
    Ok(KINDS
        .into_iter()
        .zip(totals.chunks(2))
        .map(|(kind, pair)| {
            let (short, long) = (pair[0], pair[1]);
            let per_request = (long as f64 - short as f64) / (long_n - short_n) as f64;
            Count { kind, short, long, per_request }
        })
        .collect())
}

/// Adds the instruction counts (figures, and the headline ratios with their targets) to
/// `section`. Without valgrind it says so in a note and adds nothing else.
pub fn measure(section: &mut Section, sizes: &Sizes, options: &Options) -> anyhow::Result<()> {
    let Some(version) = valgrind_version() else {
        let msg = "valgrind is not installed: instructions per request were NOT measured (scripts/install-deps.sh \
                   installs it; or apt-get install valgrind)";
        eprintln!("overhead: {msg}");
        section.note(msg);
        return Ok(());
    };
    // Output files are kept under --out for callgrind_annotate; without one, in a
    // temporary folder removed afterwards.
    let (dir, keep) = match &options.out {
        Some(out) => (out.join("callgrind"), true),
        None => (std::env::temp_dir().join(format!("ops-bench-callgrind-{}", std::process::id())), false),
    };
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let result = counts(&dir, sizes);
    if !keep {
        let _ = std::fs::remove_dir_all(&dir);
    }
    let counts = result?;
    let [short_n, long_n] = sizes.callgrind_requests;
    for c in &counts {
        let name = c.kind.name();
        section.figure(format!("instructions per request, {name}"), c.per_request, "instr");
        section.figure(format!("instructions, whole run of {short_n} requests, {name}"), c.short as f64, "instr");
        section.figure(format!("instructions, whole run of {long_n} requests, {name}"), c.long as f64, "instr");
    }
    let of = |kind: Kind| counts.iter().find(|c| c.kind == kind).map_or(f64::NAN, |c| c.per_request);
    let sdk = of(Kind::Sdk);
    let vs_timeout = sdk / of(Kind::RawTimeout);
    section.ratio(
        "ops-sdk / raw reqwest 30s timeout, instructions per request",
        vs_timeout,
        "<= 1.03",
        vs_timeout <= 1.03,
    );
    let vs_pooled = sdk / of(Kind::RsConsulPooled);
    section.ratio("ops-sdk / rs-consul pooled, instructions per request", vs_pooled, "<= 1.10", vs_pooled <= 1.10);
    section.ratio("ops-sdk / raw reqwest, instructions per request", sdk / of(Kind::Raw), "(information)", true);
    section.note(format!(
        "instructions: {version} --tool=callgrind on the driver (`ops-bench-driver <contender> <n>`: n sequential \
         GET + decode against the local server, in a task on a one-worker runtime, after 10 warm-up GETs); per \
         request = (total of a {long_n}-request run - total of a {short_n}-request run) / {}, which cancels start-up; \
         the totals are the whole process, the local server's share included (the same for every contender){}",
        long_n - short_n,
        if keep { format!("; callgrind files for callgrind_annotate in {}", dir.display()) } else { String::new() }
    ));
    Ok(())
}
