//! `NomadScheduler` and `VaultSettings` against wiremock servers answering with recorded
//! Nomad 1.1.2 / Vault bodies: the exact API calls of bootstrap and restore, and no
//! destructive call when preflight fails.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use nomad_client::{AllocClientStatus, TaskStatus};
use recipes::adapters::local::DirJobSource;
use recipes::adapters::nomad::NomadScheduler;
use recipes::adapters::vault::{KvVersion, VaultSettings};
use recipes::bootstrap::{Bootstrap, BootstrapOptions, Capabilities};
use recipes::ports::{JobState, Scheduler, VolumeCheck};
use recipes::restore::{Restore, RestoreMode, RestoreOptions};
use recipes::{BackupDir, Progress};
use serde_json::{Value, json};
use test_support::Fixtures;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::fakes::FakeScope;

const NS: &str = "atala-testnet";

/// This crate's `tests/fixtures`.
const FIXTURES: Fixtures = Fixtures::new(env!("CARGO_MANIFEST_DIR"));

/// A Nomad that keeps job states and makes Patroni publish members in the fake DCS
/// when a member job is registered.
struct NomadSim {
    jobs: Mutex<BTreeMap<String, &'static str>>,
    dcs: Arc<FakeScope>,
}

impl Respond for NomadSim {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let path = req.url.path();
        let index = [("X-Nomad-Index", "27"), ("X-Nomad-Knownleader", "true")];
        let with_index = |t: ResponseTemplate| index.iter().fold(t, |t, (k, v)| t.insert_header(*k, *v));
        if let Some(ns) = path.strip_prefix("/v1/namespace/") {
            return if ns == NS {
                with_index(FIXTURES.json_response(200, "nomad/namespace-read.json"))
            } else {
                FIXTURES.text_response(404, "nomad/namespace-read-missing.txt")
            };
        }
        if path == "/v1/jobs" && req.method.as_str() == "POST" {
            let body: Value = serde_json::from_slice(&req.body).unwrap();
            let id = body["Job"]["ID"].as_str().unwrap().to_owned();
            self.jobs.lock().unwrap().insert(id.clone(), "running");
            if id.starts_with("dbHA") {
                let scope = format!("{NS}-database");
                let leader_key = format!("service/{scope}/leader");
                let has_leader = self.dcs.entries.lock().unwrap().contains_key(&leader_key);
                self.dcs.member(&scope, &id, if has_leader { "replica" } else { "master" }, 1000);
                if !has_leader {
                    self.dcs.put(&leader_key, &id);
                }
            }
            return FIXTURES.json_response(200, "nomad/job-register.json");
        }
        if path.starts_with("/v1/client/fs/logs/") {
            // The recorded framed shape, as Nomad answers `origin=end` without follow.
            return FIXTURES.json_response(200, "nomad/logs-framed-stderr-nofollow.raw");
        }
        let Some(rest) = path.strip_prefix("/v1/job/") else { return ResponseTemplate::new(500) };
        if let Some(job) = rest.strip_suffix("/allocations") {
            assert!(self.jobs.lock().unwrap().contains_key(job), "allocations of unknown job {job}");
            return with_index(FIXTURES.json_response(200, "nomad/job-allocations.json"));
        }
        let job = rest.to_owned();
        if req.method.as_str() == "DELETE" {
            let purge = req.url.query().is_some_and(|q| q.contains("purge=true"));
            let mut jobs = self.jobs.lock().unwrap();
            if purge {
                jobs.remove(&job)
            } else {
                jobs.insert(job, "dead")
            };
            return FIXTURES.json_response(200, "nomad/job-stop-purge.json");
        }
        match self.jobs.lock().unwrap().get(&job) {
            None => FIXTURES.text_response(404, "nomad/error-job-not-found.txt"),
            Some(status) => {
                let mut body = FIXTURES.json("nomad/job-read.json");
                body["ID"] = json!(job);
                body["Name"] = json!(job);
                body["Status"] = json!(status);
                body["Stop"] = json!(*status == "dead");
                with_index(ResponseTemplate::new(200).set_body_json(body))
            }
        }
    }
}

/// Vault KV v2 holding one secret per path.
struct VaultSim {
    secrets: Mutex<BTreeMap<String, Value>>,
}

impl Respond for VaultSim {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let path = req.url.path().to_owned();
        assert_eq!(req.headers.get("X-Vault-Token").unwrap(), "test-root-token");
        if req.method.as_str() == "GET" {
            return match self.secrets.lock().unwrap().get(&path) {
                None => FIXTURES.json_response(404, "vault/error-404-missing-kv2-path.json"),
                Some(data) => {
                    let mut body = FIXTURES.json("vault/kv2-read.json");
                    body["data"]["data"] = data.clone();
                    ResponseTemplate::new(200).set_body_json(body)
                }
            };
        }
        let body: Value = serde_json::from_slice(&req.body).unwrap();
        self.secrets.lock().unwrap().insert(path, body["data"].clone());
        FIXTURES.json_response(200, "vault/kv2-write.json")
    }
}

struct Servers {
    nomad: MockServer,
    vault: MockServer,
    vault_sim: Arc<VaultSim>,
    dcs: Arc<FakeScope>,
    caps: Capabilities,
    dir: tempfile::TempDir,
}

const SETTINGS_PATH: &str = "/v1/kv/data/nomad-cluster/atala-testnet/database";

async fn servers(jobs: &[(&str, &'static str)], settings: Option<Value>) -> Servers {
    let dcs = Arc::new(FakeScope::default());
    let nomad = MockServer::start().await;
    let sim =
        NomadSim { jobs: Mutex::new(jobs.iter().map(|(j, s)| ((*j).to_owned(), *s)).collect()), dcs: dcs.clone() };
    Mock::given(any()).respond_with(sim).mount(&nomad).await;
    let vault = MockServer::start().await;
    let vault_sim = Arc::new(VaultSim { secrets: Mutex::default() });
    if let Some(s) = settings {
        vault_sim.secrets.lock().unwrap().insert(SETTINGS_PATH.to_owned(), s);
    }
    Mock::given(any()).respond_with(SharedVault(vault_sim.clone())).mount(&vault).await;

    let dir = tempfile::tempdir().unwrap();
    for job in ["dbHA1", "dbHA2", "backup"] {
        std::fs::write(dir.path().join(format!("{job}.json")), spec(job).to_string()).unwrap();
    }
    let nomad_client = nomad_client::NomadClient::builder().address(&nomad.uri()).token("nomad-token").build().unwrap();
    let vault_client =
        vault_client::VaultClient::builder().address(&vault.uri()).token("test-root-token").build().unwrap();
    let caps = Capabilities {
        scheduler: Arc::new(NomadScheduler::new(nomad_client, Arc::new(DirJobSource::new(dir.path())))),
        settings: Arc::new(VaultSettings::new(vault_client).kv_version(KvVersion::V2)),
        scope_store: dcs.clone(),
        volumes: VolumeCheck::skip("volumes checked by the platform team"),
    };
    Servers { nomad, vault, vault_sim, dcs, caps, dir }
}

/// A job file as `nomad job run -output` writes it (no namespace line in the HCL).
fn spec(job: &str) -> Value {
    let task = if job == "backup" { "walg-backup" } else { "postgres-patroni" };
    json!({"Job": {"ID": job, "Name": job, "Type": "service", "Datacenters": ["dc1"],
        "TaskGroups": [{"Name": job, "Tasks": [{"Name": task, "Driver": "raw_exec"}]}]}})
}

struct SharedVault(Arc<VaultSim>);

impl Respond for SharedVault {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        self.0.respond(req)
    }
}

/// "METHOD path?namespace&purge" of every request, blocking parameters left out.
async fn calls(server: &MockServer) -> Vec<String> {
    let reqs = server.received_requests().await.unwrap();
    reqs.iter()
        .map(|r| {
            let keep: Vec<String> = r
                .url
                .query_pairs()
                .filter(|(k, _)| k == "namespace" || k == "purge")
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            let q = if keep.is_empty() { String::new() } else { format!("?{}", keep.join("&")) };
            format!("{} {}{q}", r.method, r.url.path())
        })
        .collect()
}

fn opts() -> BootstrapOptions {
    BootstrapOptions::new(NS).timeouts(Duration::from_secs(5), Duration::from_secs(5), Duration::from_secs(5))
}

#[tokio::test]
async fn bootstrap_calls_nomad_and_vault_in_runbook_order() {
    let s = servers(&[], Some(json!({"patroniBootstrapMethod": "initdb", "walgDaysToRetain": "7"}))).await;
    let report = Bootstrap::new(opts(), s.caps.clone()).unwrap().run(Progress::none()).await.unwrap();
    assert_eq!(report.done.len(), 5);
    let ns = "?namespace=atala-testnet";
    let mut expected = vec![format!("GET /v1/namespace/{NS}")];
    for job in ["dbHA1", "dbHA2", "backup"] {
        expected.push(format!("GET /v1/job/{job}{ns}"));
    }
    for job in ["dbHA1", "dbHA2", "backup"] {
        expected.push(format!("GET /v1/job/{job}{ns}")); // is it running already?
        expected.push(format!("GET /v1/job/{job}{ns}")); // start_job re-checks
        expected.push(format!("POST /v1/jobs{ns}"));
    }
    // Allocations are read by wait_running and by the waits' diagnostics (with the task's
    // stderr); the rest of the calls keep the runbook's order.
    let all = calls(&s.nomad).await;
    let (reads, ordered): (Vec<String>, Vec<String>) =
        all.into_iter().partition(|c| c.contains("/allocations") || c.starts_with("GET /v1/client/fs/logs/"));
    assert_eq!(ordered, expected);
    for job in ["dbHA1", "dbHA2", "backup"] {
        assert!(reads.contains(&format!("GET /v1/job/{job}/allocations{ns}")), "{reads:#?}");
    }
    let alloc = "9df9c84d-e72a-b42f-b5da-5df98da53bda";
    assert!(reads.contains(&format!("GET /v1/client/fs/logs/{alloc}{ns}")), "stderr read while waiting: {reads:#?}");
    let registered: Vec<Value> = s
        .nomad
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.method.as_str() == "POST")
        .map(|r| serde_json::from_slice::<Value>(&r.body).unwrap()["Job"].clone())
        .collect();
    let mut expected = spec("dbHA1")["Job"].clone();
    expected["Namespace"] = json!(NS);
    assert_eq!(registered[0], expected);
    assert_eq!(calls(&s.vault).await, [format!("GET {SETTINGS_PATH}")]);
    let token = &s.nomad.received_requests().await.unwrap()[0].headers["X-Nomad-Token"];
    assert_eq!(token, "nomad-token");
}

#[tokio::test]
async fn failed_bootstrap_preflight_makes_no_write() {
    let s = servers(&[("dbHA1", "dead")], Some(json!({"patroniBootstrapMethod": "walg_pitr"}))).await;
    let err = Bootstrap::new(opts(), s.caps.clone()).unwrap().run(Progress::none()).await.unwrap_err();
    assert_eq!(err.refusal_reasons().len(), 2, "{err}");
    for call in calls(&s.nomad).await.iter().chain(&calls(&s.vault).await) {
        assert!(call.starts_with("GET "), "no destructive call may happen: {call}");
    }
}

#[tokio::test]
async fn restore_calls_in_order_and_refusal_writes_nothing() {
    let running = [("dbHA1", "running"), ("dbHA2", "running"), ("backup", "running")];
    let s = servers(&running, Some(json!({"patroniBootstrapMethod": "initdb", "teamKey": "kept"}))).await;
    *s.dcs.timeline.lock().unwrap() = 3;
    let archive = Arc::new(LocalArchive(s.dir.path().join("archive")));
    let backups = BackupDir::new(s.dir.path().join("backups"));

    // Without a base backup in the archive: refused, and nothing but reads happened.
    std::fs::create_dir_all(&archive.0).unwrap();
    let mode = RestoreMode::timeline(1).unwrap();
    let restore = Restore::new(RestoreOptions::new(opts(), mode), s.caps.clone(), archive.clone(), backups).unwrap();
    let err = restore.run(Progress::none()).await.unwrap_err();
    assert!(!err.refusal_reasons().is_empty(), "{err}");
    for call in calls(&s.nomad).await.iter().chain(&calls(&s.vault).await) {
        assert!(call.starts_with("GET "), "no destructive call may happen: {call}");
    }

    // With the recorded archive of a real switchover (timeline 2 history, backup label, segments).
    for (name, body) in archive_files() {
        std::fs::write(archive.0.join(name), body).unwrap();
    }
    s.nomad.reset().await;
    s.vault.reset().await;
    Mock::given(any())
        .respond_with(NomadSim {
            jobs: Mutex::new(running.iter().map(|(j, st)| ((*j).to_owned(), *st)).collect()),
            dcs: s.dcs.clone(),
        })
        .mount(&s.nomad)
        .await;
    Mock::given(any()).respond_with(SharedVault(s.vault_sim.clone())).mount(&s.vault).await;
    let report = restore.run(Progress::none()).await.unwrap();
    assert!(report.done.contains(&"verify timeline".to_owned()), "{report:#?}");
    let nomad_writes: Vec<String> = calls(&s.nomad).await.into_iter().filter(|c| !c.starts_with("GET")).collect();
    let ns = "?namespace=atala-testnet";
    assert_eq!(
        nomad_writes,
        [
            format!("DELETE /v1/job/dbHA1?purge=true&namespace={NS}"),
            format!("DELETE /v1/job/dbHA2?purge=true&namespace={NS}"),
            format!("DELETE /v1/job/backup?purge=true&namespace={NS}"),
            format!("POST /v1/jobs{ns}"),
            format!("POST /v1/jobs{ns}"),
            format!("POST /v1/jobs{ns}"),
        ]
    );
    let vault_writes: Vec<Value> = s
        .vault
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.method.as_str() != "GET")
        .map(|r| serde_json::from_slice::<Value>(&r.body).unwrap()["data"].clone())
        .collect();
    assert_eq!(
        vault_writes,
        [
            json!({"patroniBootstrapMethod": "walg_timeline", "patroniBootstrapMethodWalgTimeline": "1", "teamKey": "kept"}),
            json!({"patroniBootstrapMethod": "initdb", "patroniBootstrapMethodWalgTimeline": "1", "teamKey": "kept"}),
        ]
    );
    assert_eq!(*s.dcs.deleted.lock().unwrap(), Vec::<String>::new(), "the scope was empty: nothing to delete");
}

/// The archive of a real switchover (`fixtures/wal/archive-listing.txt`): the real history and
/// backup label files, and empty stand-ins for the 16 MiB segments.
fn archive_files() -> Vec<(&'static str, String)> {
    vec![
        ("00000002.history", FIXTURES.text("wal/00000002.history")),
        ("000000010000000000000002.00000028.backup", FIXTURES.text("wal/000000010000000000000002.00000028.backup")),
        ("000000010000000000000001", String::new()),
        ("000000010000000000000002", String::new()),
        ("000000010000000000000003", String::new()),
        ("000000010000000000000004.partial", String::new()),
    ]
}

struct LocalArchive(std::path::PathBuf);

#[recipes::async_trait]
impl recipes::ports::ArchiveSource for LocalArchive {
    async fn archive_state(&self, ns: &str) -> recipes::Result<walg::ArchiveState> {
        recipes::adapters::local::LocalArchiveSource::new(&self.0).archive_state(ns).await
    }
}

#[tokio::test]
async fn scheduler_states_map_from_nomad() {
    let s = servers(&[("dbHA1", "running"), ("dbHA2", "dead")], None).await;
    let sched = &s.caps.scheduler;
    assert_eq!(sched.job_state(NS, "dbHA1").await.unwrap(), JobState::Running);
    assert_eq!(sched.job_state(NS, "dbHA2").await.unwrap(), JobState::Dead);
    assert_eq!(sched.job_state(NS, "backup").await.unwrap(), JobState::Absent);
    assert!(!sched.namespace_exists("atala-nowhere").await.unwrap());
    assert!(sched.job_state(NS, "../x").await.is_err());
    let settings = VaultSettings::new(
        vault_client::VaultClient::builder().address(&s.vault.uri()).token("test-root-token").build().unwrap(),
    )
    .kv_version(KvVersion::V2);
    assert_eq!(recipes::ports::SettingsStore::read(&settings, NS).await.unwrap(), None);
    assert_eq!(recipes::ports::SettingsStore::location(&settings, NS), "kv/nomad-cluster/atala-testnet/database");
}

/// A Nomad answering job `job`'s allocations with a recording, and its stderr with one frame.
async fn nomad_with_allocations(job: &str, allocations: &str, stderr: &str) -> MockServer {
    use wiremock::matchers::{method, path, path_regex};
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/v1/job/{job}/allocations")))
        .respond_with(FIXTURES.json_response(200, &format!("nomad/{allocations}")).insert_header("X-Nomad-Index", "34"))
        .mount(&server)
        .await;
    // The recorded frame shape, carrying the given text.
    let mut frame = first_log_frame();
    frame["Data"] = json!(base64_encode(stderr.as_bytes()));
    Mock::given(method("GET"))
        .and(path_regex("^/v1/client/fs/logs/"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(frame.to_string(), "application/json"))
        .mount(&server)
        .await;
    server
}

fn first_log_frame() -> Value {
    let raw = FIXTURES.text("nomad/logs-framed-stderr-nofollow.raw");
    serde_json::Deserializer::from_str(&raw).into_iter::<Value>().next().unwrap().unwrap()
}

fn base64_encode(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn scheduler_on(server: &MockServer) -> NomadScheduler {
    let dir = tempfile::tempdir().unwrap().keep();
    let nomad = nomad_client::NomadClient::builder().address(&server.uri()).build().unwrap();
    NomadScheduler::new(nomad, Arc::new(DirJobSource::new(dir)))
}

#[tokio::test]
async fn an_allocation_that_failed_at_once_fails_wait_running_with_the_last_event() {
    // Recorded on Nomad 1.1.2: /bin/false, restart attempts 0, reschedule attempts 0.
    let server =
        nomad_with_allocations("fails-at-once", "job-allocations-failed-at-once.json", "boom: no such file\n").await;
    let sched = scheduler_on(&server);
    let started = std::time::Instant::now();
    let err = sched.wait_running(NS, "fails-at-once", Duration::from_secs(60)).await.unwrap_err().to_string();
    assert!(started.elapsed() < Duration::from_secs(5), "failed at once, not after 60 s: {err}");
    assert!(err.contains("job fails-at-once in atala-testnet failed to start"), "{err}");
    assert!(err.contains("allocation bf431f56 failed, task dead (failed), 0 restarts"), "{err}");
    assert!(err.contains("last event \"Alloc Unhealthy: Unhealthy because of failed task\""), "{err}");
    assert!(err.contains("stderr: boom: no such file"), "{err}");

    let d = sched.diagnose(NS, "fails-at-once").await.unwrap().unwrap();
    assert!(d.is_dead(), "{d:?}");
    assert_eq!(d.task_state, Some(TaskStatus::Dead));
    let logs = server.received_requests().await.unwrap();
    let log_req = logs.iter().find(|r| r.url.path().starts_with("/v1/client/fs/logs/")).unwrap();
    let q: BTreeMap<String, String> = log_req.url.query_pairs().map(|(k, v)| (k.into(), v.into())).collect();
    assert_eq!((q["task"].as_str(), q["type"].as_str(), q["origin"].as_str()), ("boom", "stderr", "end"));
}

#[tokio::test]
async fn a_running_allocation_is_diagnosed_with_its_restarts_and_stderr() {
    let server = nomad_with_allocations("dbHA1", "job-allocations.json", "warn\n").await;
    let sched = scheduler_on(&server);
    let d = sched.diagnose(NS, "dbHA1").await.unwrap().unwrap();
    assert_eq!(d.allocation.as_deref(), Some("9df9c84d"), "the newest allocation");
    assert_eq!(d.status, Some(AllocClientStatus::Running));
    assert!(!d.is_dead());
    assert_eq!(d.stderr_tail, ["warn"]);
    sched.wait_running(NS, "dbHA1", Duration::from_secs(5)).await.unwrap();
}

#[tokio::test]
async fn preflight_reads_every_job_file() {
    // An empty job directory: every spec is missing, and the plan says so before anything runs.
    let s = servers(&[], Some(json!({"patroniBootstrapMethod": "initdb"}))).await;
    for job in ["dbHA1", "dbHA2", "backup"] {
        std::fs::remove_file(s.dir.path().join(format!("{job}.json"))).unwrap();
    }
    let err = Bootstrap::new(opts(), s.caps.clone()).unwrap().run(Progress::none()).await.unwrap_err();
    let all = err.refusal_reasons().join("\n");
    for job in ["dbHA1", "dbHA2", "backup"] {
        assert!(all.contains(&format!("job spec {job}: the job source has no spec for it")), "{all}");
    }
    // A spec for namespace "default" and a malformed one are named with their file.
    let mut wrong = spec("dbHA1");
    wrong["Job"]["Namespace"] = json!("default");
    std::fs::write(s.dir.path().join("dbHA1.json"), wrong.to_string()).unwrap();
    std::fs::write(s.dir.path().join("dbHA2.json"), "{not json").unwrap();
    std::fs::write(s.dir.path().join("backup.json"), spec("backup").to_string()).unwrap();
    let err = Bootstrap::new(opts(), s.caps.clone()).unwrap().plan().await.unwrap_err();
    let all = err.refusal_reasons().join("\n");
    assert_eq!(err.refusal_reasons().len(), 2, "{all}");
    assert!(all.contains("job spec dbHA1: cannot be read") && all.contains("namespace \"default\""), "{all}");
    assert!(all.contains("job spec dbHA2: cannot be read") && all.contains("dbHA2.json: not JSON"), "{all}");
    for call in calls(&s.nomad).await {
        assert!(call.starts_with("GET "), "no destructive call may happen: {call}");
    }
    // A job directory that does not exist is named.
    let missing = NomadScheduler::new(
        nomad_client::NomadClient::builder().address(&s.nomad.uri()).build().unwrap(),
        Arc::new(DirJobSource::new(s.dir.path().join("nope"))),
    );
    let err = missing.job_spec(NS, "dbHA1").await.unwrap_err().to_string();
    assert!(err.contains("nope does not exist"), "{err}");
}
