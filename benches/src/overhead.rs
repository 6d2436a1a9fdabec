//! Bench 1: per-request overhead of a KV GET, this SDK against raw reqwest (the floor) and
//! the peer crates, at concurrency 1 and 64, on a fixed-answer local server (pure client
//! cost) and on a real Consul.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use consul_client::{ConsulClient, KvPair, QueryOptions};

use crate::Sizes;
use crate::report::Section;
use crate::server::{self, LocalServer};
use crate::stats::LoadStats;

/// The key every contender reads.
pub const KEY: &str = "bench/overhead/small";

/// What a real Consul 1.8 answers for [`KEY`] holding `{"replicas":2}`.
const KV_BODY: &[u8] = br#"[{"LockIndex":0,"Key":"bench/overhead/small","Flags":0,"Value":"eyJyZXBsaWNhcyI6Mn0=","CreateIndex":101,"ModifyIndex":101}]"#;

/// One client under test, doing the same KV GET and decode.
enum Contender {
    Sdk(ConsulClient),
    Raw { http: reqwest::Client, url: String },
    RsConsul(Box<rs_consul::Consul>),
    Consulrs(consulrs::client::ConsulClient),
}

/// The contenders, in the order they first run.
const NAMES: [&str; 5] = ["ops-sdk", "raw reqwest", "rs-consul", "rs-consul pooled", "consulrs"];

impl Contender {
    /// A fresh client (its own connection pool) for `name` against `base`.
    fn build(name: &str, base: &str) -> anyhow::Result<Arc<Self>> {
        let rs_consul = |pooled: bool| {
            let mut config = rs_consul::Config { address: base.to_owned(), ..rs_consul::Config::default() };
            if pooled {
                config.hyper_builder = hyper_util::client::legacy::Builder::new(hyper_util::rt::TokioExecutor::new());
            }
            Self::RsConsul(Box::new(rs_consul::Consul::new(config)))
        };
        Ok(Arc::new(match name {
            "ops-sdk" => Self::Sdk(ConsulClient::from_addr(base)?),
            "raw reqwest" => Self::Raw {
                http: reqwest::Client::builder().tcp_nodelay(true).build()?,
                url: format!("{base}/v1/kv/{KEY}"),
            },
            "rs-consul" => rs_consul(false),
            "rs-consul pooled" => rs_consul(true),
            "consulrs" => Self::Consulrs(consulrs::client::ConsulClient::new(
                consulrs::client::ConsulClientSettingsBuilder::default().address(base).build()?,
            )?),
            other => anyhow::bail!("unknown contender {other:?}"),
        }))
    }

    /// One GET; returns the value length so the work cannot be optimised away.
    async fn get(&self) -> anyhow::Result<usize> {
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

/// Runs `concurrency` loops of GETs for `duration` after a short warm-up. Failed requests
/// are counted (with the first error) rather than ending the run: a peer that fails under
/// load is a result too.
async fn load(c: &Arc<Contender>, concurrency: usize, duration: Duration) -> anyhow::Result<(LoadStats, Failures)> {
    for _ in 0..concurrency.min(8) {
        c.get().await?;
    }
    let start = Instant::now();
    let deadline = start + duration;
    let tasks: Vec<_> = (0..concurrency)
        .map(|_| {
            let c = c.clone();
            tokio::spawn(async move {
                let mut lat = Vec::with_capacity(4096);
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
    let (mut all, mut failures) = (Vec::new(), Failures::default());
    for t in tasks {
        let (lat, f) = t.await?;
        all.extend(lat);
        failures.merge(f);
    }
    Ok((LoadStats::from_latencies(all, start.elapsed()), failures))
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

/// Measures every contender against `base`, in interleaved rounds so drift hits all alike.
async fn measure(section: &mut Section, target: &str, base: &str, sizes: &Sizes) -> anyhow::Result<()> {
    for concurrency in [1usize, 64] {
        let mut merged: Vec<(&str, Vec<LoadStats>)> = NAMES.iter().map(|n| (*n, Vec::new())).collect();
        let mut failed: Vec<Failures> = NAMES.iter().map(|_| Failures::default()).collect();
        for round in 0..sizes.rounds {
            for i in 0..NAMES.len() {
                // Rotate the order each round so no contender always runs first.
                let idx = (i + round) % NAMES.len();
                let name = NAMES[idx];
                // A fresh client per run, dropped after it: idle pooled connections of one
                // contender must not count against the server's per-client connection limit
                // (Consul's http_max_conns_per_client, 200) while the next one runs.
                let c = Contender::build(name, base)?;
                let (stats, failures) =
                    load(&c, concurrency, sizes.load_duration).await.with_context(|| format!("{name} on {target}"))?;
                drop(c);
                tokio::time::sleep(Duration::from_millis(200)).await;
                merged[idx].1.push(stats);
                failed[idx].merge(failures);
            }
        }
        let mut rps = Vec::new();
        for (name, runs) in &merged {
            let n = runs.len() as f64;
            let avg = |f: fn(&LoadStats) -> f64| runs.iter().map(f).sum::<f64>() / n;
            let r = avg(|s| s.rps);
            section.figure(format!("{target} c={concurrency} {name} req/s"), r, "req/s");
            section.figure(format!("{target} c={concurrency} {name} p50"), avg(|s| s.p50_ms), "ms");
            section.figure(format!("{target} c={concurrency} {name} p99"), avg(|s| s.p99_ms), "ms");
            rps.push((*name, r));
        }
        for (name, f) in NAMES.iter().zip(&failed) {
            if let Some(first) = &f.first {
                section.figure(format!("{target} c={concurrency} {name} failed requests"), f.count as f64, "requests");
                section.note(format!(
                    "{name} on {target} at c={concurrency}: {} requests failed, first: {first}",
                    f.count
                ));
            }
        }
        let get = |n: &str| rps.iter().find(|(name, _)| *name == n).map_or(f64::NAN, |(_, r)| *r);
        let sdk = get("ops-sdk");
        let raw = get("raw reqwest");
        let ratio = sdk / raw;
        section.ratio(
            format!("ops-sdk / raw reqwest req/s, {target}, c={concurrency}"),
            ratio,
            ">= 0.95",
            ratio >= 0.95,
        );
        // Peers as shipped (their default configuration) make the headline; rs-consul with
        // pooling switched on is a configuration we chose, reported beside it.
        let (best_name, best) = ["rs-consul", "consulrs"]
            .into_iter()
            .map(|n| (n, get(n)))
            .fold(("none", 0.0), |acc, (n, r)| if r > acc.1 { (n, r) } else { acc });
        let vs_peer = sdk / best;
        section.ratio(
            format!("ops-sdk / best default-config peer ({best_name}) req/s, {target}, c={concurrency}"),
            vs_peer,
            ">= 1.0",
            vs_peer >= 1.0,
        );
        let vs_pooled = sdk / get("rs-consul pooled");
        section.ratio(
            format!("ops-sdk / rs-consul pooled req/s, {target}, c={concurrency}"),
            vs_pooled,
            ">= 1.0",
            vs_pooled >= 1.0,
        );
    }
    Ok(())
}

/// Runs the overhead benchmark (the real-Consul half only with `consul_url`).
pub async fn run(consul_url: Option<&str>, sizes: &Sizes) -> anyhow::Result<Section> {
    let mut section = Section::new("overhead");
    let local = LocalServer::start(server::fixed(
        200,
        &[
            ("Content-Type", "application/json"),
            ("X-Consul-Index", "101"),
            ("X-Consul-Knownleader", "true"),
            ("X-Consul-Lastcontact", "0"),
        ],
        KV_BODY,
    ))?;
    measure(&mut section, "local", &local.url(), sizes).await?;
    drop(local);
    match consul_url {
        Some(url) => {
            let sdk = ConsulClient::from_addr(url)?;
            sdk.kv().put(KEY, br#"{"replicas":2}"#, &consul_client::PutOptions::default()).await?;
            measure(&mut section, "consul", url, sizes).await?;
        }
        None => section.note("no real Consul on this machine: only the local-server figures were measured"),
    }
    section.note(
        "rs-consul's default Config turns connection pooling off (pool_max_idle_per_host(0)), so every request opens \
         a new connection; 'rs-consul pooled' passes a default hyper Builder to show the crate with pooling on",
    );
    section.note(format!(
        "each figure is the mean of {} interleaved rounds of {} ms; the local server runs on its own thread and \
         runtime (1 worker) in the same process",
        sizes.rounds,
        sizes.load_duration.as_millis()
    ));
    Ok(section)
}
