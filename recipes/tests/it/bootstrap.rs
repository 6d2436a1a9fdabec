//! Bootstrap logic on in-memory capabilities.

use std::sync::Arc;
use std::time::Duration;

use nomad_client::{AllocClientStatus as Alloc, TaskStatus as Task};
use recipes::adapters::local::FileSettings;
use recipes::bootstrap::{Bootstrap, BootstrapOptions, Capabilities};
use recipes::ports::{
    BootstrapMethod, DatabaseSettings, JobDiagnosis, JobState, SettingsStore, VolumeCheck, WalSender,
};
use recipes::{Error, Event, Outcome, Progress};

use crate::fakes::{FakeMemberApi, FakeScheduler, FakeScope, FixedProbe, SYSTEM_ID, member_spec};

const NS: &str = "atala-testnet";

struct World {
    dcs: Arc<FakeScope>,
    sched: Arc<FakeScheduler>,
    settings: Arc<FileSettings>,
    _dir: tempfile::TempDir,
    state_dir: std::path::PathBuf,
}

async fn world(method: Option<BootstrapMethod>) -> World {
    let dir = tempfile::tempdir().unwrap();
    let settings = Arc::new(FileSettings::new(dir.path()));
    if let Some(m) = method {
        let s = DatabaseSettings { bootstrap_method: Some(m), ..DatabaseSettings::default() };
        settings.write(NS, &s).await.unwrap();
    }
    let dcs = Arc::new(FakeScope::default());
    let sched = Arc::new(FakeScheduler::new(NS, Arc::clone(&dcs)));
    let state_dir = dir.path().join("state");
    World { dcs, sched, settings, _dir: dir, state_dir }
}

fn caps(w: &World, volumes: VolumeCheck) -> Capabilities {
    Capabilities { scheduler: w.sched.clone(), settings: w.settings.clone(), scope_store: w.dcs.clone(), volumes }
}

fn quick(opts: BootstrapOptions) -> BootstrapOptions {
    opts.timeouts(Duration::from_secs(1), Duration::from_secs(1), Duration::from_millis(300))
}

#[tokio::test]
async fn fresh_cluster_is_bootstrapped_in_runbook_order() {
    let w = world(Some(BootstrapMethod::Initdb)).await;
    let opts = quick(BootstrapOptions::new(NS).state_dir(&w.state_dir));
    let recipe = Bootstrap::new(opts, caps(&w, VolumeCheck::Probe(Arc::new(FixedProbe(vec![]))))).unwrap();
    let plan = recipe.plan().await.unwrap();
    let names: Vec<&str> = plan.steps.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["start dbHA1", "wait for dbHA1", "start dbHA2", "wait for dbHA2", "start backup"]);
    assert!(w.sched.calls().is_empty(), "plan must not act: {:?}", w.sched.calls());

    let (progress, mut rx) = Progress::channel();
    let report = recipe.run(progress).await.unwrap();
    assert_eq!(
        w.sched.calls(),
        ["start dbHA1", "wait dbHA1", "start dbHA2", "wait dbHA2", "start backup", "wait backup"]
    );
    assert_eq!(report.done, names);
    let mut events = Vec::new();
    while let Ok(e) = rx.try_recv() {
        events.push(e);
    }
    assert!(matches!(&events[0], Event::StepStarted { step } if step == "start dbHA1"), "{events:?}");
    assert!(events.iter().any(|e| matches!(e, Event::StepFinished { step, .. } if step == "start backup")));
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["recipe"], "bootstrap");
}

#[tokio::test]
async fn second_run_on_a_healthy_cluster_does_nothing() {
    let w = world(Some(BootstrapMethod::Initdb)).await;
    let recipe = Bootstrap::new(quick(BootstrapOptions::new(NS)), caps(&w, VolumeCheck::skip("test"))).unwrap();
    recipe.run(Progress::none()).await.unwrap();
    let calls_before = w.sched.calls().len();
    let plan = recipe.plan().await.unwrap();
    assert!(plan.is_noop(), "{plan:?}");
    let report = recipe.run(Progress::none()).await.unwrap();
    assert!(report.done.is_empty());
    assert_eq!(report.skipped[0].reason, "the cluster is already bootstrapped and healthy");
    assert_eq!(w.sched.calls().len(), calls_before);
}

#[tokio::test]
async fn refusal_lists_every_reason_and_acts_on_nothing() {
    let w = world(Some(BootstrapMethod::WalgPitr)).await;
    w.sched.set("dbHA1", JobState::Dead);
    w.sched.set("backup", JobState::Running);
    w.dcs.put("service/atala-testnet-database/initialize", "123");
    let probe = VolumeCheck::Probe(Arc::new(FixedProbe(vec!["client-1:/var/lib/nomad-volumes/x/PG_VERSION".into()])));
    let recipe = Bootstrap::new(BootstrapOptions::new(NS), caps(&w, probe)).unwrap();
    let err = recipe.run(Progress::none()).await.unwrap_err();
    let reasons = err.refusal_reasons();
    assert_eq!(reasons.len(), 5, "{reasons:#?}");
    let all = reasons.join("\n");
    for needle in [
        "job dbHA1: was stopped but not purged",
        "job backup: is running",
        "holds 1 keys",
        "PG_VERSION",
        "patroniBootstrapMethod is walg_pitr, expected initdb",
    ] {
        assert!(all.contains(needle), "missing {needle:?} in {all}");
    }
    assert!(w.sched.calls().is_empty());
    assert!(w.dcs.deleted.lock().unwrap().is_empty());
}

#[tokio::test]
async fn unknown_namespace_and_missing_settings_are_refused() {
    let w = world(None).await;
    let recipe = Bootstrap::new(BootstrapOptions::new("atala-nowhere"), caps(&w, VolumeCheck::skip("test"))).unwrap();
    let err = recipe.plan().await.unwrap_err();
    let all = err.to_string();
    assert!(all.contains("namespace atala-nowhere: does not exist"), "{all}");
    assert!(all.contains("do not exist; the jobs need them"), "{all}");
}

#[tokio::test]
async fn look_alike_scope_is_reported_and_left_alone() {
    let w = world(Some(BootstrapMethod::Initdb)).await;
    w.dcs.put("service/atala-testnet-database-old/leader", "dbHA9");
    let recipe = Bootstrap::new(quick(BootstrapOptions::new(NS)), caps(&w, VolumeCheck::skip("test"))).unwrap();
    let plan = recipe.plan().await.unwrap();
    let note = plan.checks.iter().find(|c| c.name == "neighbouring scopes").unwrap();
    assert!(matches!(&note.outcome, Outcome::Passed(d) if d.contains("service/atala-testnet-database-old/")));
    let skipped = plan.checks.iter().find(|c| c.name.starts_with("host volumes")).unwrap();
    assert_eq!(skipped.outcome, Outcome::Skipped("skipped by the caller: test".into()));
    recipe.run(Progress::none()).await.unwrap();
    assert_eq!(w.dcs.entries.lock().unwrap().get("service/atala-testnet-database-old/leader").unwrap(), "dbHA9");
}

#[tokio::test]
async fn a_replica_that_never_streams_times_out_and_resume_continues() {
    let w = world(Some(BootstrapMethod::Initdb)).await;
    w.sched.silent.lock().unwrap().insert("dbHA2".into());
    let opts = quick(BootstrapOptions::new(NS).state_dir(&w.state_dir));
    let recipe = Bootstrap::new(opts.clone(), caps(&w, VolumeCheck::skip("test"))).unwrap();
    let (progress, mut rx) = Progress::channel();
    let err = recipe.run(progress).await.unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err}");
    let mut failed = None;
    while let Ok(e) = rx.try_recv() {
        if let Event::StepFailed { step, .. } = e {
            failed = Some(step);
        }
    }
    assert_eq!(failed.as_deref(), Some("wait for dbHA2"));
    assert!(err.to_string().contains("member dbHA2 has not joined"), "{err}");

    // Without resume, the leftovers of the interrupted run are refused...
    let again = recipe.plan().await.unwrap_err();
    assert!(again.to_string().contains("use resume"), "{again}");
    // ...with resume, the run continues where the world stands.
    w.dcs.member("atala-testnet-database", "dbHA2", "replica", 1000);
    let resumed = Bootstrap::new(opts.resume(true), caps(&w, VolumeCheck::skip("t"))).unwrap();
    let report = resumed.run(Progress::none()).await.unwrap();
    assert!(report.skipped.iter().any(|s| s.step == "start dbHA1"), "{report:?}");
    assert!(report.done.contains(&"start backup".to_owned()));
    assert!(!w.state_dir.join("bootstrap-atala-testnet-database.state.json").exists(), "removed once done");
}

#[tokio::test]
async fn a_scheduler_call_that_fails_once_stops_clearly_and_a_rerun_completes_without_duplicate_starts() {
    let w = world(Some(BootstrapMethod::Initdb)).await;
    w.sched.fail_once.lock().unwrap().insert("dbHA2".into());
    let opts = quick(BootstrapOptions::new(NS).state_dir(&w.state_dir));
    let recipe = Bootstrap::new(opts.clone(), caps(&w, VolumeCheck::skip("test"))).unwrap();
    let err = recipe.run(Progress::none()).await.unwrap_err();
    assert!(err.to_string().contains("dbHA2") && err.to_string().contains("HTTP 500"), "{err}");
    assert_eq!(w.sched.calls(), ["start dbHA1", "wait dbHA1", "start dbHA2 failed"]);

    // Running again continues where the world stands: dbHA1 is not started twice.
    let resumed = Bootstrap::new(opts.resume(true), caps(&w, VolumeCheck::skip("t"))).unwrap();
    let report = resumed.run(Progress::none()).await.unwrap();
    assert!(report.skipped.iter().any(|s| s.step == "start dbHA1"), "{report:?}");
    let starts: Vec<String> =
        w.sched.calls().into_iter().filter(|c| c.starts_with("start ") && !c.ends_with("failed")).collect();
    assert_eq!(starts, ["start dbHA1", "start dbHA2", "start backup"], "each job started exactly once");
}

#[tokio::test]
async fn lagging_replica_is_not_accepted() {
    let w = world(Some(BootstrapMethod::Initdb)).await;
    w.sched.silent.lock().unwrap().insert("dbHA2".into());
    let opts = BootstrapOptions::new(NS).max_lag_bytes(10);
    let opts = opts.timeouts(Duration::from_secs(1), Duration::from_secs(1), Duration::from_secs(1));
    let recipe = Bootstrap::new(opts, caps(&w, VolumeCheck::skip("t"))).unwrap();
    let handle = tokio::spawn(async move { recipe.run(Progress::none()).await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    w.dcs.member("atala-testnet-database", "dbHA2", "replica", 500);
    let err = handle.await.unwrap().unwrap_err();
    assert!(err.to_string().contains("replica dbHA2 is 500 bytes behind (bound 10)"), "{err}");
}

const SCOPE: &str = "atala-testnet-database";

fn key(name: &str) -> String {
    format!("service/{SCOPE}/{name}")
}

/// What Patroni leaves of a finished cluster once its processes stopped and the sessions
/// expired: `leader` and `members/*` are gone, the rest stays.
fn old_finished_cluster(dcs: &FakeScope) {
    dcs.put(&key("initialize"), "7310000000000000001");
    dcs.put(&key("config"), r#"{"ttl":30,"loop_wait":10}"#);
    dcs.put(&key("history"), r#"[[1,67109024,"no recovery target specified","2026-11-22T04:54:36+00:00","dbHA2"]]"#);
    dcs.put(&key("status"), r#"{"optime":67109304}"#);
}

#[tokio::test]
async fn resume_refuses_an_old_finished_cluster_it_did_not_start() {
    let w = world(Some(BootstrapMethod::Initdb)).await;
    old_finished_cluster(&w.dcs);
    // Without resume: refused, the old scope is named.
    let plain = Bootstrap::new(quick(BootstrapOptions::new(NS)), caps(&w, VolumeCheck::skip("t"))).unwrap();
    assert!(plain.plan().await.unwrap_err().to_string().contains("holds 4 keys"));
    // With resume but no state directory: refused, it cannot tell its own run from a stranger.
    let no_dir = Bootstrap::new(quick(BootstrapOptions::new(NS).resume(true)), caps(&w, VolumeCheck::skip("t")));
    let err = no_dir.unwrap().plan().await.unwrap_err();
    assert!(err.to_string().contains("resume: needs the state directory"), "{err}");
    // With a state directory that holds no state file of this scope: refused with the reason.
    let opts = quick(BootstrapOptions::new(NS).resume(true).state_dir(&w.state_dir));
    let err = Bootstrap::new(opts, caps(&w, VolumeCheck::skip("t"))).unwrap().run(Progress::none()).await.unwrap_err();
    let all = err.refusal_reasons().join("\n");
    assert!(all.contains("bootstrap-atala-testnet-database.state.json: does not exist"), "{all}");
    assert!(all.contains("are not adopted"), "{all}");
    assert!(w.sched.calls().is_empty(), "nothing was started: {:?}", w.sched.calls());
}

#[tokio::test]
async fn resume_refuses_a_scope_whose_initialize_differs_from_the_first_run() {
    let w = world(Some(BootstrapMethod::Initdb)).await;
    w.sched.silent.lock().unwrap().insert("dbHA2".into());
    let opts = quick(BootstrapOptions::new(NS).state_dir(&w.state_dir));
    Bootstrap::new(opts.clone(), caps(&w, VolumeCheck::skip("t"))).unwrap().run(Progress::none()).await.unwrap_err();
    let state: serde_json::Value = serde_json::from_slice(
        &std::fs::read(w.state_dir.join("bootstrap-atala-testnet-database.state.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(state["started"], serde_json::json!(["dbHA1", "dbHA2"]));
    assert_eq!(state["initialize"], SYSTEM_ID);

    // The cluster was replaced behind the recipe's back: another system ID.
    w.dcs.put(&key("initialize"), "7999999999999999999");
    let err = Bootstrap::new(opts.clone().resume(true), caps(&w, VolumeCheck::skip("t"))).unwrap().plan().await;
    let err = err.unwrap_err().to_string();
    assert!(err.contains(&format!("the first run recorded initialize {SYSTEM_ID}")), "{err}");
    assert!(err.contains("this is another cluster"), "{err}");

    // A running job the first run never started is not adopted either.
    w.dcs.put(&key("initialize"), SYSTEM_ID);
    w.sched.set("backup", JobState::Running);
    let err = Bootstrap::new(opts.resume(true), caps(&w, VolumeCheck::skip("t"))).unwrap().plan().await;
    let err = err.unwrap_err().to_string();
    assert!(err.contains("job backup is running but this recipe never started it"), "{err}");
}

fn patroni_3_world_api(w: &World, senders: Vec<WalSender>) -> Arc<FakeMemberApi> {
    w.sched.patroni_3.store(true, std::sync::atomic::Ordering::SeqCst);
    let api = Arc::new(FakeMemberApi::default());
    *api.senders.lock().unwrap() = senders;
    api
}

#[tokio::test]
async fn a_running_replica_that_does_not_stream_is_not_accepted_on_patroni_3() {
    let w = world(Some(BootstrapMethod::Initdb)).await;
    // Patroni 3.0.2 publishes no replication state; the leader lists no WAL sender for dbHA2
    // (its slot is missing), though dbHA2 runs as a replica with no lag.
    let api = patroni_3_world_api(&w, Vec::new());
    let recipe = Bootstrap::new(quick(BootstrapOptions::new(NS)), caps(&w, VolumeCheck::skip("t")))
        .unwrap()
        .with_member_api(api.clone());
    let err = recipe.run(Progress::none()).await.unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err}");
    assert!(err.to_string().contains("replica dbHA2 runs but does not stream yet"), "{err}");
    assert!(api.calls.lock().unwrap().iter().all(|u| u == "http://127.0.0.1:8008/dbHA1"), "asks the leader");
    assert!(!w.sched.calls().contains(&"start backup".to_owned()), "the backup job waits for streaming");
}

#[tokio::test]
async fn a_streaming_wal_sender_on_the_leader_completes_the_wait_on_patroni_3() {
    let w = world(Some(BootstrapMethod::Initdb)).await;
    let sender = WalSender { application_name: "dbHA2".into(), state: "streaming".into() };
    let api = patroni_3_world_api(&w, vec![sender]);
    let recipe = Bootstrap::new(quick(BootstrapOptions::new(NS)), caps(&w, VolumeCheck::skip("t")))
        .unwrap()
        .with_member_api(api.clone());
    let report = recipe.run(Progress::none()).await.unwrap();
    assert!(report.done.contains(&"start backup".to_owned()), "{report:?}");
    assert!(!api.calls.lock().unwrap().is_empty());
}

#[tokio::test]
async fn patroni_4_replication_state_in_the_dcs_is_enough() {
    let w = world(Some(BootstrapMethod::Initdb)).await;
    let api = Arc::new(FakeMemberApi::default());
    let recipe = Bootstrap::new(quick(BootstrapOptions::new(NS)), caps(&w, VolumeCheck::skip("t")))
        .unwrap()
        .with_member_api(api.clone());
    recipe.run(Progress::none()).await.unwrap();
    assert!(api.calls.lock().unwrap().is_empty(), "replication_state streaming needs no REST call");
}

#[tokio::test]
async fn plan_reads_and_checks_every_spec_it_will_start() {
    let w = world(Some(BootstrapMethod::Initdb)).await;
    w.sched.no_spec.lock().unwrap().insert("backup".into());
    w.sched.specs.lock().unwrap().insert("dbHA2".into(), member_spec("dbHA2", Some("default")));
    let mut wrong_task = member_spec("dbHA1", None);
    wrong_task.groups[0].tasks = vec!["postgres".into()];
    w.sched.specs.lock().unwrap().insert("dbHA1".into(), wrong_task);
    let recipe = Bootstrap::new(quick(BootstrapOptions::new(NS)), caps(&w, VolumeCheck::skip("t"))).unwrap();
    let err = recipe.run(Progress::none()).await.unwrap_err();
    let all = err.refusal_reasons().join("\n");
    assert_eq!(err.refusal_reasons().len(), 3, "{all}");
    assert!(all.contains("job spec dbHA1: no task is named \"postgres-patroni\" (group dbHA1: postgres)"), "{all}");
    assert!(all.contains("job spec dbHA2: it names namespace \"default\", not \"atala-testnet\""), "{all}");
    assert!(all.contains("job spec backup: the job source has no spec for it"), "{all}");
    assert!(w.sched.calls().is_empty());

    // A good set of specs is listed in the plan.
    let ok = world(Some(BootstrapMethod::Initdb)).await;
    let plan = Bootstrap::new(quick(BootstrapOptions::new(NS)), caps(&ok, VolumeCheck::skip("t")))
        .unwrap()
        .plan()
        .await
        .unwrap();
    let spec = plan.checks.iter().find(|c| c.name == "job spec dbHA1").unwrap();
    assert_eq!(spec.outcome, Outcome::Passed("job dbHA1 in atala-testnet, group dbHA1: postgres-patroni".into()));
}

#[tokio::test]
async fn a_bad_settings_value_is_a_refusal_listed_with_the_others() {
    let w = world(None).await;
    std::fs::create_dir_all(w.settings.location(NS).rsplit_once('/').unwrap().0).unwrap();
    std::fs::write(w.settings.location(NS), r#"{"patroniBootstrapMethod": "intidb"}"#).unwrap();
    w.sched.set("dbHA1", JobState::Dead);
    let recipe = Bootstrap::new(quick(BootstrapOptions::new(NS)), caps(&w, VolumeCheck::skip("t"))).unwrap();
    let err = recipe.plan().await.unwrap_err();
    let all = err.refusal_reasons().join("\n");
    assert_eq!(err.refusal_reasons().len(), 2, "{all}");
    assert!(all.contains("settings ") && all.contains("cannot be used") && all.contains("intidb"), "{all}");
}

/// Waits far longer than a test may take: a wait that ends must have ended early.
fn long_waits(opts: BootstrapOptions) -> BootstrapOptions {
    opts.timeouts(Duration::from_secs(1), Duration::from_secs(60), Duration::from_secs(60))
}

/// Runs `recipe`, which must fail within seconds (not after its 60 s bounds); the error text.
async fn fails_early(recipe: &Bootstrap, progress: Progress) -> String {
    let started = std::time::Instant::now();
    let err = recipe.run(progress).await.unwrap_err().to_string();
    assert!(started.elapsed() < Duration::from_secs(5), "failed early, not after the 60 s bound: {err}");
    err
}

fn diagnosis(status: Alloc, task: Task, failed: bool, restarts: u64, event: &str, stderr: &[&str]) -> JobDiagnosis {
    let mut d = JobDiagnosis::new();
    d.allocation = Some("bf431f56".into());
    d.status = Some(status);
    d.task_state = Some(task);
    d.failed = failed;
    d.restarts = restarts;
    d.last_event = Some(event.into());
    d.stderr_tail = stderr.iter().map(|l| (*l).to_owned()).collect();
    d
}

#[tokio::test]
async fn a_dead_task_ends_the_wait_at_once_with_what_nomad_saw() {
    let w = world(Some(BootstrapMethod::Initdb)).await;
    w.sched.silent.lock().unwrap().insert("dbHA1".into());
    let d = diagnosis(Alloc::Failed, Task::Dead, true, 0, "Not Restarting: Policy allows no restarts", &["boom"]);
    w.sched.diagnoses.lock().unwrap().insert("dbHA1".into(), d);
    let recipe = Bootstrap::new(long_waits(BootstrapOptions::new(NS)), caps(&w, VolumeCheck::skip("t"))).unwrap();
    let err = fails_early(&recipe, Progress::none()).await;
    assert!(err.contains("job dbHA1 in atala-testnet is dead and will not be restarted"), "{err}");
    assert!(err.contains("allocation bf431f56 failed, task dead (failed), 0 restarts"), "{err}");
    assert!(err.contains("Not Restarting: Policy allows no restarts") && err.contains("stderr: boom"), "{err}");
    assert!(err.contains("initialize absent, leader none, member keys none"), "{err}");
}

#[tokio::test]
async fn a_task_restarting_in_a_loop_ends_the_wait_and_waiting_reports_diagnostics() {
    let w = world(Some(BootstrapMethod::Initdb)).await;
    w.sched.silent.lock().unwrap().insert("dbHA1".into());
    let d = diagnosis(
        Alloc::Running,
        Task::Running,
        false,
        1,
        "Restarting: Task restarting in 15s",
        &["cannot reach Consul"],
    );
    w.sched.diagnoses.lock().unwrap().insert("dbHA1".into(), d);
    let (progress, mut rx) = Progress::channel();
    let recipe = Bootstrap::new(quick(BootstrapOptions::new(NS)), caps(&w, VolumeCheck::skip("t"))).unwrap();
    let err = recipe.run(progress).await.unwrap_err().to_string();
    // One restart is below the limit: the wait ran its bound and says what it saw.
    assert!(err.contains("gave up waiting for dbHA1 to lead"), "{err}");
    assert!(err.contains("no member holds the leader key") && err.contains("1 restart"), "{err}");
    assert!(err.contains("stderr: cannot reach Consul"), "{err}");
    let mut waiting = Vec::new();
    while let Ok(e) = rx.try_recv() {
        if let Event::Waiting { what, seen, .. } = e {
            waiting.push((what, seen));
        }
    }
    let (what, seen) = waiting.last().unwrap();
    assert_eq!(what, "dbHA1 to lead scope atala-testnet-database (no member holds the leader key)");
    assert_eq!(
        seen,
        &[
            "scope service/atala-testnet-database/: initialize absent, leader none, member keys none".to_owned(),
            "dbHA1: allocation bf431f56 running, task running, 1 restart, last event \"Restarting: Task restarting in \
             15s\"; stderr: cannot reach Consul"
                .to_owned(),
        ]
    );

    let looping = world(Some(BootstrapMethod::Initdb)).await;
    looping.sched.silent.lock().unwrap().insert("dbHA1".into());
    let d = diagnosis(Alloc::Running, Task::Pending, false, 3, "Restarting: Task restarting in 15s", &[]);
    looping.sched.diagnoses.lock().unwrap().insert("dbHA1".into(), d);
    let recipe = Bootstrap::new(long_waits(BootstrapOptions::new(NS)), caps(&looping, VolumeCheck::skip("t"))).unwrap();
    let err = fails_early(&recipe, Progress::none()).await;
    assert!(err.contains("job dbHA1 in atala-testnet restarts in a loop"), "{err}");
}

#[tokio::test]
async fn an_interrupted_initdb_stops_at_once_naming_the_state_and_the_fix() {
    let w = world(Some(BootstrapMethod::Initdb)).await;
    w.sched.silent.lock().unwrap().insert("dbHA1".into());
    w.dcs.put(&key("initialize"), ""); // Patroni took the initialize lock, then died in initdb.
    let d = diagnosis(Alloc::Running, Task::Running, false, 1, "Restarting: Exit Code: 1", &["system ID is invalid"]);
    w.sched.diagnoses.lock().unwrap().insert("dbHA1".into(), d);
    let opts = long_waits(BootstrapOptions::new(NS).state_dir(&w.state_dir));
    // Only the scope's empty initialize stands in the way of the plan here.
    let recipe = Bootstrap::new(opts.clone(), caps(&w, VolumeCheck::skip("t"))).unwrap();
    let refused = recipe.plan().await.unwrap_err().to_string();
    assert!(refused.contains("holds an interrupted first bootstrap"), "{refused}");
    assert!(refused.contains("scope_remove --scope atala-testnet-database --yes"), "{refused}");
    assert!(refused.contains("nomad job stop -purge -namespace atala-testnet dbHA1"), "{refused}");

    // A first member still at work on it (running, no restart) is not stopped by the plan.
    w.sched.set("dbHA1", JobState::Running);
    let mut busy = diagnosis(Alloc::Running, Task::Running, false, 0, "Started", &[]);
    std::mem::swap(&mut busy, w.sched.diagnoses.lock().unwrap().get_mut("dbHA1").unwrap());
    let resume = Bootstrap::new(opts.clone().resume(true), caps(&w, VolumeCheck::skip("t"))).unwrap();
    let plan = resume.plan().await;
    assert!(plan.as_ref().is_err_and(|e| !e.to_string().contains("holds an interrupted first bootstrap")), "{plan:?}");
    std::mem::swap(&mut busy, w.sched.diagnoses.lock().unwrap().get_mut("dbHA1").unwrap());
    w.sched.set("dbHA1", JobState::Absent);

    // During a run (initialize emptied after the start): the wait stops at once.
    w.dcs.entries.lock().unwrap().remove(&key("initialize"));
    let dcs = w.dcs.clone();
    let progress = Progress::callback(move |e| {
        if matches!(e, Event::StepStarted { step } if step == "wait for dbHA1") {
            dcs.put("service/atala-testnet-database/initialize", "");
        }
    });
    let err = fails_early(&recipe, progress).await;
    assert!(err.contains("was interrupted during initdb"), "{err}");
    assert!(err.contains("initialize empty") && err.contains("dbHA1 restarted 1 time(s)"), "{err}");
    assert!(err.contains("clear only dbHA1's host volume"), "{err}");
}

#[tokio::test]
async fn a_replica_refused_by_the_leaders_authentication_stops_at_once() {
    let w = world(Some(BootstrapMethod::Initdb)).await;
    w.sched.silent.lock().unwrap().insert("dbHA2".into());
    let line = r#"FATAL:  password authentication failed for user "replicator""#;
    w.sched
        .diagnoses
        .lock()
        .unwrap()
        .insert("dbHA2".into(), diagnosis(Alloc::Running, Task::Running, false, 0, "Started", &[line]));
    let recipe = Bootstrap::new(long_waits(BootstrapOptions::new(NS)), caps(&w, VolumeCheck::skip("t"))).unwrap();
    let err = fails_early(&recipe, Progress::none()).await;
    assert!(err.contains("post-bootstrap created the replication user"), "{err}");
    assert!(err.contains("stop and purge dbHA1, dbHA2"), "{err}");
}

#[tokio::test]
async fn a_scope_that_changes_all_the_time_does_not_make_the_wait_spin() {
    let w = world(Some(BootstrapMethod::Initdb)).await;
    w.sched.silent.lock().unwrap().insert("dbHA1".into());
    // Every blocking query answers at once with a new index, as a scope whose member keys
    // Patroni keeps touching.
    let opts =
        BootstrapOptions::new(NS).timeouts(Duration::from_secs(1), Duration::from_secs(2), Duration::from_secs(1));
    let err = Bootstrap::new(opts, caps(&w, VolumeCheck::skip("t"))).unwrap().run(Progress::none()).await;
    assert!(matches!(err, Err(Error::Timeout { .. })), "{err:?}");
    let waits = w.dcs.waits.load(std::sync::atomic::Ordering::SeqCst);
    // Rounds start at least 250 ms apart: about 8 in 2 s, not hundreds.
    assert!((4..=10).contains(&waits), "{waits} blocking queries in 2 s");
}

#[tokio::test]
async fn resume_of_a_member_that_found_a_half_built_data_directory_is_refused_with_the_fix() {
    let w = world(Some(BootstrapMethod::Initdb)).await;
    w.sched.silent.lock().unwrap().insert("dbHA1".into());
    let opts = long_waits(BootstrapOptions::new(NS).state_dir(&w.state_dir));
    let line = "INFO: data dir for the cluster is not empty, but system ID is invalid; consider doing reinitialize";
    let d = diagnosis(Alloc::Running, Task::Running, false, 0, "Started", &[line]);
    w.sched.diagnoses.lock().unwrap().insert("dbHA1".into(), d);
    // The run stops at once (the initialize key is gone here, as seen on Patroni 3.0.2)...
    let recipe = Bootstrap::new(opts.clone(), caps(&w, VolumeCheck::skip("t"))).unwrap();
    let err = fails_early(&recipe, Progress::none()).await;
    assert!(err.contains("was interrupted during initdb") && err.contains("initialize absent"), "{err}");
    // ...and so does the plan of a resume, before anything runs.
    let resume = Bootstrap::new(opts.resume(true), caps(&w, VolumeCheck::skip("t"))).unwrap();
    let refused = resume.plan().await.unwrap_err().to_string();
    assert!(refused.contains("job dbHA1: running, but its first bootstrap was interrupted during initdb"), "{refused}");
    assert!(refused.contains("scope_remove --scope atala-testnet-database --yes"), "{refused}");
}

#[tokio::test]
async fn an_interrupted_initdb_is_named_even_when_the_task_restarts_in_a_loop() {
    let w = world(Some(BootstrapMethod::Initdb)).await;
    w.sched.silent.lock().unwrap().insert("dbHA1".into());
    let line = "INFO: data dir for the cluster is not empty, but system ID is invalid; consider doing reinitialize";
    let d = diagnosis(Alloc::Running, Task::Pending, false, 5, "Restarting: Task restarting in 15s", &[line]);
    w.sched.diagnoses.lock().unwrap().insert("dbHA1".into(), d);
    let recipe = Bootstrap::new(long_waits(BootstrapOptions::new(NS)), caps(&w, VolumeCheck::skip("t"))).unwrap();
    let err = fails_early(&recipe, Progress::none()).await;
    assert!(err.contains("was interrupted during initdb") && !err.contains("restarts in a loop"), "{err}");
}
