//! The machine and the versions a run measured, printed with every report.

use serde::Serialize;

/// Where a run happened.
#[derive(Debug, Clone, Serialize)]
pub struct Machine {
    /// Logical CPUs available to this process.
    pub cores: usize,
    /// CPU model from `/proc/cpuinfo`.
    pub cpu: String,
    /// Kernel release from `/proc/sys/kernel/osrelease`.
    pub kernel: String,
    /// `/proc/loadavg` when the run started: other work on the machine skews absolute figures.
    pub load_average: String,
    /// `rustc --version` at build time.
    pub rustc: String,
    /// Whether this binary was built with optimisations.
    pub release_build: bool,
    /// The CPU every thread of the bench process was pinned to (`--pin`), if any.
    pub pinned_cpu: Option<usize>,
    /// Version of the Consul server, when a benchmark started one.
    pub consul: Option<String>,
    /// Versions of the crates compared, from Cargo.lock.
    pub crates: Vec<(String, String)>,
}

impl Machine {
    /// Reads the machine description.
    #[must_use]
    pub fn detect() -> Self {
        let cpu = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|t| t.lines().find(|l| l.starts_with("model name")).map(|l| l.to_owned()))
            .and_then(|l| l.split_once(':').map(|(_, v)| v.trim().to_owned()))
            .unwrap_or_else(|| "unknown".to_owned());
        let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .map_or_else(|_| "unknown".to_owned(), |s| s.trim().to_owned());
        Self {
            cores: std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
            cpu,
            kernel,
            load_average: std::fs::read_to_string("/proc/loadavg")
                .map_or_else(|_| "unknown".to_owned(), |s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" ")),
            rustc: env!("OPS_BENCH_RUSTC").to_owned(),
            release_build: !cfg!(debug_assertions),
            pinned_cpu: None,
            consul: None,
            crates: vec![
                ("ops-sdk".to_owned(), env!("CARGO_PKG_VERSION").to_owned()),
                ("reqwest".to_owned(), env!("OPS_BENCH_REQWEST").to_owned()),
                ("rs-consul".to_owned(), env!("OPS_BENCH_RS_CONSUL").to_owned()),
                ("consulrs".to_owned(), env!("OPS_BENCH_CONSULRS").to_owned()),
                ("serde_json".to_owned(), env!("OPS_BENCH_SERDE_JSON").to_owned()),
                ("hyper".to_owned(), env!("OPS_BENCH_HYPER").to_owned()),
                ("tokio".to_owned(), env!("OPS_BENCH_TOKIO").to_owned()),
            ],
        }
    }

    /// One paragraph for the top of the table.
    #[must_use]
    pub fn summary(&self) -> String {
        let crates: Vec<String> = self.crates.iter().map(|(n, v)| format!("{n} {v}")).collect();
        format!(
            "machine: {} cores, {}, Linux {}, load average at start {}; {}; {} build; {}; Consul {}\ncrates: {}",
            self.cores,
            self.cpu,
            self.kernel,
            self.load_average,
            self.rustc,
            if self.release_build { "release" } else { "DEBUG (figures not representative)" },
            self.pinned_cpu.map_or_else(
                || "not pinned".to_owned(),
                |cpu| format!("bench threads pinned to CPU {cpu} (Consul agent not)")
            ),
            self.consul.as_deref().unwrap_or("not started"),
            crates.join(", ")
        )
    }
}

/// Pins every thread of this process to `cpu` with `taskset -a -p` (util-linux); threads
/// started later inherit it from the thread that starts them. A child process started
/// before (the Consul agent) keeps its own affinity. Checked through
/// `/proc/self/task/*/status`.
///
/// `taskset` rather than `sched_setaffinity` because the workspace forbids `unsafe` (a
/// `libc` call needs it) and a pinning crate would be a dependency for one call; rather
/// than re-executing under `taskset -c`, because the agent the bench starts would inherit
/// the pin and share the one core with the client it serves.
pub fn pin_process(cpu: usize) -> anyhow::Result<()> {
    use anyhow::Context as _;
    let out = std::process::Command::new("taskset")
        .args(["-a", "-p", "-c", &cpu.to_string(), &std::process::id().to_string()])
        .output()
        .context("running taskset (util-linux)")?;
    anyhow::ensure!(out.status.success(), "taskset failed: {}", String::from_utf8_lossy(&out.stderr).trim());
    for task in std::fs::read_dir("/proc/self/task")? {
        // A thread may end between the listing and the read.
        let Ok(status) = std::fs::read_to_string(task?.path().join("status")) else { continue };
        let allowed = status.lines().find_map(|l| l.strip_prefix("Cpus_allowed_list:")).map(str::trim);
        anyhow::ensure!(allowed == Some(cpu.to_string().as_str()), "a thread still runs on CPUs {allowed:?}");
    }
    Ok(())
}

/// Peak resident memory of this process since the last [`reset_peak_rss`] (VmHWM), in bytes.
#[must_use]
pub fn peak_rss() -> Option<u64> {
    status_kib("VmHWM:").map(|k| k * 1024)
}

/// Current resident memory (VmRSS), in bytes.
#[must_use]
pub fn current_rss() -> Option<u64> {
    status_kib("VmRSS:").map(|k| k * 1024)
}

/// Resets the peak resident memory to the current one (Linux `clear_refs` 5), so the next
/// [`peak_rss`] measures one phase only. Returns false where the kernel refuses.
pub fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

fn status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line[field.len()..].trim().trim_end_matches("kB").trim().parse().ok()
}
