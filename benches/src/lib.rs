//! Benchmarks of the ops SDK: per-request overhead against raw reqwest and the peer crates
//! (`rs-consul`, `consulrs`), decoding big listings, following Nomad log streams, watch
//! efficiency, the ghost-cleanup recipe at scale and the recipes' wait latency.
//!
//! Every benchmark reports ratios measured side by side in one run, so the figures hold on
//! a noisy machine. Run them with `cargo run --release -p ops-benches -- all` (or one
//! subcommand; `--quick` for small sizes). The library is what the binary and the CI
//! smoke test share:
//!
//! ```no_run
//! use ops_benches::{Bench, Options, Sizes, run};
//! # async fn demo() -> anyhow::Result<()> {
//! let report = run(&[Bench::Decode], &Sizes::quick(), &Options::default()).await;
//! println!("{}", report.table());
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

pub mod callgrind;
pub mod decode;
pub mod driver;
pub mod ghost;
pub mod logs;
pub mod machine;
pub mod overhead;
pub mod report;
pub mod server;
pub mod snapshot;
pub mod stats;
pub mod wait;
pub mod watch;

use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub use report::{Figure, Ratio, Report, Section};

/// One benchmark (one subcommand of the binary).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Bench {
    /// KV GET overhead: SDK vs raw reqwest vs peers, local server and real Consul, then
    /// instructions per request under callgrind.
    Overhead,
    /// Only the callgrind half of `overhead`: instructions per request (not part of `all`,
    /// which runs it within `overhead`).
    Callgrind,
    /// Decoding a 10,000-instance catalog listing and a 5,000-job Nomad listing.
    Decode,
    /// Following 1 GiB of Nomad log frames: MB/s and peak memory.
    Logs,
    /// Requests a watch makes in a quiet period and during a burst of writes.
    Watch,
    /// The ghost_cleanup recipe on 500 nodes / 10,000 instances.
    Ghost,
    /// Noticing Patroni's leader key: blocking query vs 1-second polling.
    Wait,
    /// Saving a 2 GiB Vault raft snapshot as a stream: peak RSS growth and MB/s.
    Snapshot,
}

impl Bench {
    /// Every benchmark, in the order `all` runs them.
    pub const ALL: [Self; 7] =
        [Self::Decode, Self::Logs, Self::Snapshot, Self::Overhead, Self::Watch, Self::Wait, Self::Ghost];

    /// The subcommand name, e.g. `overhead`.
    #[must_use]
    pub fn name(self) -> String {
        format!("{self:?}").to_lowercase()
    }

    /// Parses `all` or one benchmark name.
    pub fn parse_selection(text: &str) -> Result<Vec<Self>, String> {
        if text == "all" {
            return Ok(Self::ALL.to_vec());
        }
        <Self as clap::ValueEnum>::from_str(text, true).map(|b| vec![b]).map_err(|_| {
            let names: Vec<String> = Self::ALL.iter().chain(&[Self::Callgrind]).map(|b| b.name()).collect();
            format!("unknown benchmark {text:?}: expected all, {}", names.join(", "))
        })
    }

    fn needs_consul(self) -> bool {
        matches!(self, Self::Overhead | Self::Watch | Self::Ghost | Self::Wait)
    }
}

/// Sizes and durations of a run.
#[derive(Debug, Clone)]
pub struct Sizes {
    /// `full` or `quick`.
    pub mode: &'static str,
    /// Rounds of the overhead benchmark (each pairs the SDK with every other contender).
    pub overhead_rounds: usize,
    /// Duration of one contender's run in a pair.
    pub round_duration: Duration,
    /// Requests of the short and the long callgrind run of the driver.
    pub callgrind_requests: [usize; 2],
    /// Instances in the decoded catalog listing.
    pub catalog_instances: usize,
    /// Jobs in the decoded Nomad listing.
    pub nomad_jobs: usize,
    /// Measured runs per decoder.
    pub decode_iterations: usize,
    /// Bytes of log frames to follow.
    pub log_wire_bytes: u64,
    /// Server-side wait of the watch's blocking queries.
    pub watch_wait: Duration,
    /// How long the watched prefix stays quiet.
    pub quiet_period: Duration,
    /// Writes in the burst.
    pub burst_writes: usize,
    /// Catalog nodes registered for the ghost benchmark.
    pub ghost_nodes: usize,
    /// Service instances registered for the ghost benchmark (spread over the nodes).
    pub ghost_instances: usize,
    /// Trials of each wait strategy.
    pub wait_trials: usize,
    /// Bytes of the streamed Vault raft snapshot.
    pub snapshot_bytes: u64,
}

impl Sizes {
    /// The sizes the issue asks for (a few minutes).
    #[must_use]
    pub fn full() -> Self {
        Self {
            mode: "full",
            overhead_rounds: 40,
            round_duration: Duration::from_millis(60),
            callgrind_requests: [200, 2_000],
            catalog_instances: 10_000,
            nomad_jobs: 5_000,
            decode_iterations: 15,
            log_wire_bytes: 1 << 30,
            watch_wait: Duration::from_secs(10),
            quiet_period: Duration::from_secs(60),
            burst_writes: 1_000,
            ghost_nodes: 500,
            ghost_instances: 10_000,
            wait_trials: 10,
            snapshot_bytes: 2 << 30,
        }
    }

    /// Small sizes that run in seconds (CI keeps the bench from rotting with these).
    #[must_use]
    pub fn quick() -> Self {
        Self {
            mode: "quick",
            overhead_rounds: 3,
            round_duration: Duration::from_millis(20),
            callgrind_requests: [5, 25],
            catalog_instances: 1_000,
            nomad_jobs: 500,
            decode_iterations: 3,
            log_wire_bytes: 16 << 20,
            watch_wait: Duration::from_secs(1),
            quiet_period: Duration::from_secs(3),
            burst_writes: 100,
            ghost_nodes: 10,
            ghost_instances: 200,
            wait_trials: 2,
            snapshot_bytes: 32 << 20,
        }
    }
}

/// How a run is done, beside its sizes.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Pin every thread of the bench process to this CPU once the real Consul runs (the
    /// agent is not pinned): the timed figures then measure CPU work per request on one
    /// core, without the scheduler moving threads between cores.
    pub pin: Option<usize>,
    /// Where files worth keeping go (the callgrind outputs, under `callgrind/`); without
    /// it they are removed after the run.
    pub out: Option<PathBuf>,
}

/// What the benchmarks share: the real Consul, when this machine can run one.
struct Env {
    consul: Option<sandbox::Consul>,
    url: Option<String>,
}

impl Env {
    /// The real Consul's base URL, if one runs.
    #[must_use]
    pub fn consul_url(&self) -> Option<&str> {
        self.url.as_deref()
    }
}

/// A UUID-shaped ID derived from `n` (stable across runs, distinct for distinct `n`).
#[must_use]
pub fn uuid_like(n: u64) -> String {
    let h = n.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x5bd1_e995;
    format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        (h >> 32) as u32,
        (h >> 16) as u16,
        h as u16 & 0xfff,
        (h >> 48) as u16 & 0xfff,
        n & 0xffff_ffff_ffff
    )
}

async fn run_one(bench: Bench, sizes: &Sizes, options: &Options, env: &Env) -> anyhow::Result<Section> {
    let consul = env.consul_url();
    if let (None, Bench::Watch | Bench::Ghost | Bench::Wait) = (consul, bench) {
        let mut section = Section::new(&bench.name());
        section.note("no real Consul on this machine: this benchmark did not run");
        return Ok(section);
    }
    let url = consul.unwrap_or_default();
    match bench {
        Bench::Overhead => overhead::run(consul, sizes, options).await,
        Bench::Callgrind => {
            let (sizes, options) = (sizes.clone(), options.clone());
            tokio::task::spawn_blocking(move || {
                let mut section = Section::new("callgrind");
                callgrind::measure(&mut section, &sizes, &options).map(|()| section)
            })
            .await?
        }
        Bench::Decode => decode::run(sizes),
        Bench::Logs => {
            let sizes = sizes.clone();
            tokio::task::spawn_blocking(move || logs::run(&sizes)).await?
        }
        Bench::Watch => watch::run(url, sizes).await,
        Bench::Ghost => ghost::run(url, sizes).await,
        Bench::Wait => wait::run(url, sizes).await,
        Bench::Snapshot => snapshot::run(sizes).await,
    }
}

/// Runs `benches` in order; a benchmark that fails becomes a section holding the error
/// (see [`Report::errors`]) and the others still run.
pub async fn run(benches: &[Bench], sizes: &Sizes, options: &Options) -> Report {
    let started_unix = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let mut report =
        Report { machine: machine::Machine::detect(), mode: sizes.mode.to_owned(), started_unix, sections: Vec::new() };
    let mut env = Env { consul: None, url: None };
    if benches.iter().any(|b| b.needs_consul()) {
        match tokio::task::spawn_blocking(sandbox::Consul::start).await {
            Ok(Ok(consul)) => {
                let url = consul.http_addr();
                if let Ok(client) = consul_client::ConsulClient::builder().address(&url).build() {
                    report.machine.consul = client.agent().self_info().await.ok().map(|s| s.config.version);
                }
                env = Env { consul: Some(consul), url: Some(url) };
            }
            Ok(Err(e)) => eprintln!("no real Consul, its benchmarks are skipped: {e}"),
            Err(e) => eprintln!("starting Consul panicked: {e}"),
        }
    }
    // After Consul started, so the agent keeps every core.
    let pinned = options.pin.map(|cpu| (cpu, machine::pin_process(cpu)));
    let benches = match pinned {
        Some((cpu, Err(e))) => {
            let mut s = Section::new("pin");
            s.errors.push(format!("pinning the bench to CPU {cpu}: {e:#}"));
            report.sections.push(s);
            &[][..]
        }
        Some((cpu, Ok(()))) => {
            report.machine.pinned_cpu = Some(cpu);
            benches
        }
        None => benches,
    };
    for &bench in benches {
        let name = bench.name();
        eprintln!("running {name} ({})...", sizes.mode);
        let section = run_one(bench, sizes, options, &env).await.unwrap_or_else(|e| {
            let mut s = Section::new(&name);
            s.errors.push(format!("{e:#}"));
            s
        });
        report.sections.push(section);
    }
    if let Some(mut consul) = env.consul.take() {
        let _ = tokio::task::spawn_blocking(move || consul.stop()).await;
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid_like_ids_are_distinct_and_read_as_nomad_allocations() {
        let ids: std::collections::HashSet<String> = (0..10_000).map(uuid_like).collect();
        assert_eq!(ids.len(), 10_000);
        let service = format!("_nomad-task-{}-database-patroni-patroni-5432", uuid_like(42));
        assert_eq!(recipes::ghost::task_service_alloc(&service), Some(uuid_like(42).as_str()));
    }

    #[test]
    fn percentiles_pick_the_ranked_sample() {
        let samples: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert!((stats::percentile_ms(&samples, 0.5) - 50.0).abs() < 1e-9);
        assert!((stats::percentile_ms(&samples, 0.99) - 99.0).abs() < 1e-9);
        assert!(stats::percentile_ms(&[], 0.5).is_nan());
    }
}
