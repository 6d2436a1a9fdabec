//! Bench 1: per-request overhead of a KV GET, this SDK against raw reqwest (the floor) and
//! the peer crates, at concurrency 1 and 64, on a fixed-answer local server (pure client
//! cost) and on a real Consul, in many short interleaved rounds; then the instructions per
//! request of the same GET under callgrind ([`crate::callgrind`]).

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use consul_client::{ConsulClient, KvPair, QueryOptions};

use crate::report::Section;
use crate::server::{self, LocalServer};
use crate::stats::{Shuffler, Spread, percentile_ms};
use crate::{Options, Sizes, callgrind};

/// The key every contender reads.
pub const KEY: &str = "bench/overhead/small";

/// What a real Consul 1.8 answers for [`KEY`] holding `{"replicas":2}`.
const KV_BODY: &[u8] = br#"[{"LockIndex":0,"Key":"bench/overhead/small","Flags":0,"Value":"eyJyZXBsaWNhcyI6Mn0=","CreateIndex":101,"ModifyIndex":101}]"#;

/// The SDK's default request timeout, which it now sets once on its reqwest client: the
/// "raw reqwest 30s timeout" floor sets the same on its client, so both pay for the same
/// per-request timer.
pub const SDK_TIMEOUT: Duration = client_core::ClientConfig::DEFAULT_TIMEOUT;

/// Starts the fixed-answer local server every local figure (and the callgrind driver)
/// reads [`KEY`] from: what a real Consul answers, with its headers.
pub fn local_server() -> anyhow::Result<LocalServer> {
    LocalServer::start(server::fixed(
        200,
        &[
            ("Content-Type", "application/json"),
            ("X-Consul-Index", "101"),
            ("X-Consul-Knownleader", "true"),
            ("X-Consul-Lastcontact", "0"),
        ],
        KV_BODY,
    ))
}

/// Which client does the KV GET.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// This SDK (`consul_client::ConsulClient`, default configuration).
    Sdk,
    /// reqwest with no timeout and the same decode: the floor.
    Raw,
    /// reqwest with the SDK's client-level timeout ([`SDK_TIMEOUT`]): the floor for a
    /// client that keeps a timeout, as the SDK does.
    RawTimeout,
    /// `rs-consul` as shipped (its default `Config` turns connection pooling off).
    RsConsul,
    /// `rs-consul` with a default (pooling) hyper builder.
    RsConsulPooled,
    /// `consulrs` as shipped.
    Consulrs,
}

impl Kind {
    /// Every contender of the timed benchmark.
    pub const ALL: [Self; 6] =
        [Self::Sdk, Self::Raw, Self::RawTimeout, Self::RsConsul, Self::RsConsulPooled, Self::Consulrs];

    /// The name in the report.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Sdk => "ops-sdk",
            Self::Raw => "raw reqwest",
            Self::RawTimeout => "raw reqwest 30s timeout",
            Self::RsConsul => "rs-consul",
            Self::RsConsulPooled => "rs-consul pooled",
            Self::Consulrs => "consulrs",
        }
    }

    /// The name on a command line (`ops-bench-driver <slug> <n>`).
    #[must_use]
    pub fn slug(self) -> &'static str {
        match self {
            Self::Sdk => "ops-sdk",
            Self::Raw => "raw",
            Self::RawTimeout => "raw-timeout",
            Self::RsConsul => "rs-consul",
            Self::RsConsulPooled => "rs-consul-pooled",
            Self::Consulrs => "consulrs",
        }
    }

    /// The contender named `text` (its slug or its report name).
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.slug() == text || k.name() == text)
    }
}

/// One client under test, doing the same KV GET and decode.
pub enum Contender {
    /// This SDK.
    Sdk(ConsulClient),
    /// reqwest plus `serde_json` into `KvPair`.
    Raw {
        /// The client (with or without a timeout).
        http: reqwest::Client,
        /// The KV URL of [`KEY`].
        url: String,
    },
    /// `rs-consul`, pooled or not.
    RsConsul(Box<rs_consul::Consul>),
    /// `consulrs`.
    Consulrs(consulrs::client::ConsulClient),
}

impl Contender {
    /// A fresh client (its own connection pool) of `kind` against `base`.
    pub fn build(kind: Kind, base: &str) -> anyhow::Result<Arc<Self>> {
        let rs_consul = |pooled: bool| {
            let mut config = rs_consul::Config { address: base.to_owned(), ..rs_consul::Config::default() };
            if pooled {
                config.hyper_builder = hyper_util::client::legacy::Builder::new(hyper_util::rt::TokioExecutor::new());
            }
            Self::RsConsul(Box::new(rs_consul::Consul::new(config)))
        };
        let raw = |builder: reqwest::ClientBuilder| -> anyhow::Result<Self> {
            Ok(Self::Raw { http: builder.tcp_nodelay(true).build()?, url: format!("{base}/v1/kv/{KEY}") })
        };
        Ok(Arc::new(match kind {
            Kind::Sdk => Self::Sdk(ConsulClient::builder().address(base).build()?),
            Kind::Raw => raw(reqwest::Client::builder())?,
            Kind::RawTimeout => raw(reqwest::Client::builder().timeout(SDK_TIMEOUT))?,
            Kind::RsConsul => rs_consul(false),
            Kind::RsConsulPooled => rs_consul(true),
            Kind::Consulrs => Self::Consulrs(consulrs::client::ConsulClient::new(
                consulrs::client::ConsulClientSettingsBuilder::default().address(base).build()?,
            )?),
        }))
    }

    /// One GET; returns the value length so the work cannot be optimised away.
    pub async fn get(&self) -> anyhow::Result<usize> {
        match self {
            Self::Sdk(c) => {
                let pair = c.kv().get(KEY, &QueryOptions::default()).await?.value.context("key missing")?;
                Ok(pair.value.map_or(0, |v| v.len()))
            }
            Self::Raw { http, url } => {
                let resp = http.get(url).send().await?.error_for_status()?;
                let pairs: Vec<KvPair> = serde_json::from_slice(&resp.bytes().await?)?;
                Ok(pairs.into_iter().next().and_then(|p| p.value).map_or(0, |v| v.len()))
            }
            Self::RsConsul(c) => {
                let read = c
                    .read_key(rs_consul::ReadKeyRequest { key: KEY, ..Default::default() })
                    .await
                    .map_err(|e| anyhow::anyhow!("rs-consul: {e}"))?;
                // rs-consul hands the value back already base64-decoded, like the SDK.
                Ok(read.response.into_iter().next().and_then(|p| p.value).map_or(0, |v| v.len()))
            }
            Self::Consulrs(c) => {
                let read = consulrs::kv::read(c, KEY, None).await.map_err(|e| anyhow::anyhow!("consulrs: {e}"))?;
                // consulrs decodes the value on demand: do it, as the others do.
                let Some(value) = read.response.into_iter().next().and_then(|p| p.value) else { return Ok(0) };
                let bytes: Vec<u8> = value.try_into().map_err(|e| anyhow::anyhow!("consulrs: {e}"))?;
                Ok(bytes.len())
            }
        }
    }
}

/// Opens every connection a run at `concurrency` will use (each of `concurrency` tasks
/// does two GETs at once) so no connect lands inside the measured window.
async fn warm_up(c: &Arc<Contender>, concurrency: usize) -> anyhow::Result<()> {
    let tasks: Vec<_> = (0..concurrency)
        .map(|_| {
            let c = c.clone();
            tokio::spawn(async move {
                for _ in 0..2 {
                    c.get().await?;
                }
                anyhow::Ok(())
            })
        })
        .collect();
    for t in tasks {
        t.await??;
    }
    Ok(())
}

/// One measured run: latencies of the requests that completed, and the time they took.
struct Run {
    latencies: Vec<Duration>,
    elapsed: Duration,
    failures: Failures,
}

/// Runs `concurrency` loops of GETs for `duration` after a warm-up. Failed requests are
/// counted (with the first error) rather than ending the run: a peer that fails under
/// load is a result too.
async fn load(c: &Arc<Contender>, concurrency: usize, duration: Duration) -> anyhow::Result<Run> {
    warm_up(c, concurrency).await?;
    let start = Instant::now();
    let deadline = start + duration;
    let tasks: Vec<_> = (0..concurrency)
        .map(|_| {
            let c = c.clone();
            tokio::spawn(async move {
                let mut lat = Vec::with_capacity(1024);
                let mut failures = Failures::default();
                while Instant::now() < deadline {
                    let t = Instant::now();
                    match c.get().await {
                        Ok(_) => lat.push(t.elapsed()),
                        Err(e) => failures.add(&e),
                    }
                }
                (lat, failures)
            })
        })
        .collect();
    let (mut latencies, mut failures) = (Vec::new(), Failures::default());
    for t in tasks {
        let (lat, f) = t.await?;
        latencies.extend(lat);
        failures.merge(f);
    }
    Ok(Run { latencies, elapsed: start.elapsed(), failures })
}

/// Requests that failed during a load run.
#[derive(Default)]
struct Failures {
    count: u64,
    first: Option<String>,
}

impl Failures {
    fn add(&mut self, e: &anyhow::Error) {
        self.count += 1;
        self.first.get_or_insert_with(|| format!("{e:#}"));
    }

    fn merge(&mut self, other: Self) {
        self.count += other.count;
        if self.first.is_none() {
            self.first = other.first;
        }
    }
}

/// Everything one contender measured over the rounds at one concurrency.
#[derive(Default)]
struct Rounds {
    /// Requests per second of each run.
    rps: Vec<f64>,
    /// For a contender other than the SDK: `sdk / contender` req/s of each round, from
    /// the two runs of the pair.
    ratios: Vec<f64>,
    /// Latencies of every round, pooled.
    latencies: Vec<Duration>,
    failures: Failures,
}

/// One run of a fresh `kind` client (dropped after it: idle pooled connections of one
/// contender must not count against the server's per-client connection limit while the
/// next one runs), recorded into `r`; returns its req/s.
async fn run_once(r: &mut Rounds, kind: Kind, base: &str, concurrency: usize, sizes: &Sizes) -> anyhow::Result<f64> {
    let c = Contender::build(kind, base)?;
    let run = load(&c, concurrency, sizes.round_duration).await?;
    drop(c);
    let rps = run.latencies.len() as f64 / run.elapsed.as_secs_f64();
    r.rps.push(rps);
    r.latencies.extend(run.latencies);
    r.failures.merge(run.failures);
    Ok(rps)
}

/// Measures every contender against `base` in many short rounds. A round pairs the SDK
/// with each other contender in turn (pairs in a new random order, the SDK first in every
/// other pair): the two runs of a pair are back to back, so drift on a shared machine hits
/// both alike, and each pair gives one SDK/contender ratio.
async fn measure(section: &mut Section, target: &str, base: &str, sizes: &Sizes, label: &str) -> anyhow::Result<()> {
    // Consul closes a dropped client's connections asynchronously and limits connections
    // per client address (http_max_conns_per_client, 200): let them go between runs.
    for concurrency in [1usize, 64] {
        let pause = Duration::from_millis(if target == "local" || concurrency == 1 { 5 } else { 50 });
        let mut rounds: Vec<Rounds> = Kind::ALL.iter().map(|_| Rounds::default()).collect();
        // Kind::ALL[0] is the SDK; every other contender is paired with it.
        let mut order: Vec<usize> = (1..Kind::ALL.len()).collect();
        let mut shuffler = Shuffler::new(concurrency as u64);
        for round in 0..sizes.overhead_rounds {
            shuffler.shuffle(&mut order);
            for (j, &idx) in order.iter().enumerate() {
                // The SDK and the contender run back to back, the SDK first in every other pair.
                let pair = if (round + j) % 2 == 0 { [0, idx] } else { [idx, 0] };
                let mut rps = [0.0; 2];
                for (slot, &k) in pair.iter().enumerate() {
                    let kind = Kind::ALL[k];
                    rps[slot] = run_once(&mut rounds[k], kind, base, concurrency, sizes)
                        .await
                        .with_context(|| format!("{} on {target}", kind.name()))?;
                    tokio::time::sleep(pause).await;
                }
                let (sdk, other) = if pair[0] == 0 { (rps[0], rps[1]) } else { (rps[1], rps[0]) };
                rounds[idx].ratios.push(sdk / other);
            }
        }
        let at = format!("{target}{label}, c={concurrency}");
        for (kind, r) in Kind::ALL.iter().zip(&mut rounds) {
            let name = kind.name();
            r.latencies.sort_unstable();
            section.figure(format!("{at} {name} req/s (median of runs)"), Spread::of(&r.rps).median, "req/s");
            section.figure(format!("{at} {name} p50"), percentile_ms(&r.latencies, 0.50), "ms");
            section.figure(format!("{at} {name} p99"), percentile_ms(&r.latencies, 0.99), "ms");
            if let Some(first) = &r.failures.first {
                section.figure(format!("{at} {name} failed requests"), r.failures.count as f64, "requests");
                section.note(format!("{name} on {at}: {} requests failed, first: {first}", r.failures.count));
            }
        }
        let of = |kind: Kind| &rounds[Kind::ALL.iter().position(|k| *k == kind).unwrap_or_default()];
        for kind in Kind::ALL.into_iter().skip(1) {
            let spread = Spread::of(&of(kind).ratios);
            section.figure(format!("{at} ops-sdk / {} req/s, median paired ratio", kind.name()), spread.median, "x");
        }
        let vs_raw = Spread::of(&of(Kind::Raw).ratios);
        section.ratio_spread(format!("ops-sdk / raw reqwest req/s, {at}"), vs_raw, ">= 0.95", vs_raw.median >= 0.95);
        let vs_timeout = Spread::of(&of(Kind::RawTimeout).ratios);
        section.ratio_spread(
            format!("ops-sdk / raw reqwest 30s timeout req/s, {at}"),
            vs_timeout,
            ">= 0.95",
            vs_timeout.median >= 0.95,
        );
        // Peers as shipped (their default configuration) make the headline; rs-consul with
        // pooling switched on is a configuration we chose, reported beside it.
        let best = [Kind::RsConsul, Kind::Consulrs]
            .into_iter()
            .max_by(|a, b| Spread::of(&of(*a).rps).median.total_cmp(&Spread::of(&of(*b).rps).median))
            .unwrap_or(Kind::Consulrs);
        let vs_peer = Spread::of(&of(best).ratios);
        section.ratio_spread(
            format!("ops-sdk / best default-config peer ({}) req/s, {at}", best.name()),
            vs_peer,
            ">= 1.0",
            vs_peer.median >= 1.0,
        );
        let vs_pooled = Spread::of(&of(Kind::RsConsulPooled).ratios);
        section.ratio_spread(
            format!("ops-sdk / rs-consul pooled req/s, {at}"),
            vs_pooled,
            ">= 1.0",
            vs_pooled.median >= 1.0,
        );
        if target == "consul" && concurrency > 1 {
            // At c=64 the agent itself is the limit: the fastest contender of each round
            // stands for it (the SDK itself when it beat every pair partner).
            let fastest: Vec<f64> = (0..sizes.overhead_rounds)
                .map(|i| rounds[1..].iter().map(|r| r.ratios[i]).fold(1.0, f64::min))
                .collect();
            section.ratio_spread(
                format!("ops-sdk / fastest contender of the round (the agent's limit) req/s, {at}"),
                Spread::of(&fastest),
                "(information)",
                true,
            );
        }
    }
    Ok(())
}

/// Runs the overhead benchmark (the real-Consul half only with `consul_url`), then the
/// instruction counts ([`crate::callgrind`]).
pub async fn run(consul_url: Option<&str>, sizes: &Sizes, options: &Options) -> anyhow::Result<Section> {
    let mut section = Section::new("overhead");
    let label = options.pin.map_or_else(String::new, |cpu| format!(" pinned to cpu {cpu}"));
    let local = local_server()?;
    measure(&mut section, "local", &local.url(), sizes, &label).await?;
    drop(local);
    match consul_url {
        Some(url) => {
            let sdk = ConsulClient::builder().address(url).build()?;
            sdk.kv().put(KEY, br#"{"replicas":2}"#, &consul_client::PutOptions::default()).await?;
            measure(&mut section, "consul", url, sizes, &label).await?;
        }
        None => section.note("no real Consul on this machine: only the local-server figures were measured"),
    }
    section.note(
        "rs-consul's default Config turns connection pooling off (pool_max_idle_per_host(0)), so every request opens \
         a new connection; 'rs-consul pooled' passes a default hyper Builder to show the crate with pooling on",
    );
    section.note(format!(
        "'raw reqwest 30s timeout' is raw reqwest with a client-level {} s timeout, as the SDK sets on its client \
         (reqwest then arms a timer per request, as for a per-request timeout)",
        SDK_TIMEOUT.as_secs()
    ));
    section.note(format!(
        "times: {} rounds; a round runs the SDK and each other contender back to back ({} ms each, a fresh client \
         whose connections are opened before the clock starts), the pairs in a new random order and the SDK first in \
         every other pair; a headline ratio is the median over the rounds of the pair's ratio (SDK / contender req/s), \
         with its interquartile range and the 95% confidence interval of the median; req/s figures are medians of \
         runs, p50/p99 over every request of every run; the local server runs on its own thread and runtime (1 \
         worker) in the same process{}",
        sizes.overhead_rounds,
        sizes.round_duration.as_millis(),
        match options.pin {
            Some(cpu) => format!("; every thread of the bench process (not the Consul agent) is pinned to CPU {cpu}"),
            None => String::new(),
        }
    ));
    let sizes = sizes.clone();
    let options = options.clone();
    tokio::task::spawn_blocking(move || callgrind::measure(&mut section, &sizes, &options).map(|()| section)).await?
}
