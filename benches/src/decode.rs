//! Bench 2: decoding big listings. The SDK's decode path (`client_core::http::decode_json`,
//! which every handler uses) against `serde_json::from_slice` into the same structs (the
//! typed floor) and into `serde_json::Value`.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use consul_client::CatalogService;
use nomad_client::{JobListStub, JobStatus, JobSummary, JobType, TaskGroupSummary};
use serde::de::DeserializeOwned;

use crate::report::Section;
use crate::stats::median_ms;
use crate::{Sizes, uuid_like};

/// A catalog listing of `n` instances as Consul 1.8 answers `/v1/catalog/service/<name>`.
pub fn catalog_listing(n: usize) -> anyhow::Result<Vec<u8>> {
    let items: Vec<CatalogService> = (0..n)
        .map(|i| CatalogService {
            id: uuid_like(i as u64),
            node: format!("node-{:04}", i / 20),
            address: format!("10.0.{}.{}", (i / 20) / 250, (i / 20) % 250),
            datacenter: "dc1".to_owned(),
            tagged_addresses: BTreeMap::from([
                ("lan".to_owned(), format!("10.0.{}.{}", (i / 20) / 250, (i / 20) % 250)),
                ("wan".to_owned(), format!("10.0.{}.{}", (i / 20) / 250, (i / 20) % 250)),
            ]),
            node_meta: BTreeMap::from([("consul-network-segment".to_owned(), String::new())]),
            service_kind: String::new(),
            service_id: format!("_nomad-task-{}-database-patroni-patroni-5432", uuid_like(1_000_000 + i as u64)),
            service_name: "atala-testnet-database".to_owned(),
            service_tags: vec!["replica".to_owned(), format!("instance-{i}")],
            service_address: format!("10.1.{}.{}", i / 250 % 250, i % 250),
            service_meta: BTreeMap::from([("external-source".to_owned(), "nomad".to_owned())]),
            service_port: 20_000 + (i % 10_000) as u16,
            create_index: 1000 + i as u64,
            modify_index: 1000 + i as u64,
        })
        .collect();
    Ok(serde_json::to_vec(&items)?)
}

/// A Nomad `/v1/jobs` listing of `n` jobs.
pub fn job_listing(n: usize) -> anyhow::Result<Vec<u8>> {
    let items: Vec<JobListStub> = (0..n)
        .map(|i| {
            let summary = TaskGroupSummary { running: 1, ..TaskGroupSummary::default() };
            JobListStub {
                id: format!("job-{i:05}"),
                name: format!("job-{i:05}"),
                namespace: "atala-testnet".to_owned(),
                job_type: if i % 7 == 0 { JobType::Batch } else { JobType::Service },
                priority: 50,
                status: JobStatus::Running,
                job_summary: Some(JobSummary {
                    job_id: format!("job-{i:05}"),
                    namespace: "atala-testnet".to_owned(),
                    summary: BTreeMap::from([("database".to_owned(), summary), ("backup".to_owned(), summary)]),
                    create_index: 10 + i as u64,
                    modify_index: 20 + i as u64,
                    ..JobSummary::default()
                }),
                create_index: 10 + i as u64,
                modify_index: 20 + i as u64,
                job_modify_index: 10 + i as u64,
                submit_time: 1_600_000_000_000_000_000 + i as i64,
                ..JobListStub::default()
            }
        })
        .collect();
    Ok(serde_json::to_vec(&items)?)
}

/// Time of one run of `f`.
fn once<T>(f: impl FnOnce() -> anyhow::Result<T>) -> anyhow::Result<Duration> {
    let t = Instant::now();
    std::hint::black_box(f()?);
    Ok(t.elapsed())
}

fn compare<T: DeserializeOwned>(
    section: &mut Section,
    what: &str,
    path: &str,
    body: &[u8],
    iterations: usize,
) -> anyhow::Result<()> {
    let get = http::Method::GET;
    // Interleave the three decoders so drift hits all alike.
    let (mut sdk, mut typed, mut value) = (Vec::new(), Vec::new(), Vec::new());
    // One warm-up round, then the measured ones.
    for round in 0..=iterations.max(1) {
        let s = once(|| {
            Ok(client_core::decode::decode_json::<Vec<T>>(&get, path, body, client_core::BodyInErrors::Excerpt)?)
        })?;
        let t = once(|| Ok(serde_json::from_slice::<Vec<T>>(body)?))?;
        let v = once(|| Ok(serde_json::from_slice::<serde_json::Value>(body)?))?;
        if round > 0 {
            sdk.push(s);
            typed.push(t);
            value.push(v);
        }
    }
    let (sdk, typed, value) = (median_ms(sdk), median_ms(typed), median_ms(value));
    section.figure(format!("{what}: body size"), body.len() as f64 / 1e6, "MB");
    section.figure(format!("{what}: ops-sdk decode"), sdk, "ms");
    section.figure(format!("{what}: serde_json typed"), typed, "ms");
    section.figure(format!("{what}: serde_json Value"), value, "ms");
    section.figure(format!("{what}: ops-sdk throughput"), body.len() as f64 / 1e6 / (sdk / 1000.0), "MB/s");
    let ratio = sdk / typed;
    section.ratio(format!("ops-sdk / serde typed, {what}"), ratio, "<= 1.1", ratio <= 1.1);
    section.ratio(format!("ops-sdk / serde Value, {what}"), sdk / value, "(information)", true);
    Ok(())
}

/// Runs the decode benchmark.
pub fn run(sizes: &Sizes) -> anyhow::Result<Section> {
    let mut section = Section::new("decode");
    let catalog = catalog_listing(sizes.catalog_instances)?;
    compare::<CatalogService>(
        &mut section,
        &format!("catalog {} instances", sizes.catalog_instances),
        "/v1/catalog/service/atala-testnet-database",
        &catalog,
        sizes.decode_iterations,
    )?;
    let jobs = job_listing(sizes.nomad_jobs)?;
    compare::<JobListStub>(
        &mut section,
        &format!("nomad {} jobs", sizes.nomad_jobs),
        "/v1/jobs",
        &jobs,
        sizes.decode_iterations,
    )?;
    section.note(format!("median of {} interleaved runs per decoder, one thread", sizes.decode_iterations));
    Ok(section)
}
