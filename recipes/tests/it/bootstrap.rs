//! Bootstrap logic on in-memory capabilities.

use std::sync::Arc;
use std::time::Duration;

use recipes::bootstrap::{Bootstrap, BootstrapOptions, Capabilities};
use recipes::capability::{BootstrapMethod, DatabaseSettings, FileSettings, JobState, SettingsStore, VolumeCheck};
use recipes::{Error, Event, Outcome, Progress};

use crate::fakes::{FakeScheduler, FakeScope, FixedProbe};

const NS: &str = "atala-testnet";

struct World {
    dcs: Arc<FakeScope>,
    sched: Arc<FakeScheduler>,
    settings: Arc<FileSettings>,
    _dir: tempfile::TempDir,
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
    World { dcs, sched, settings, _dir: dir }
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
    let recipe =
        Bootstrap::new(quick(BootstrapOptions::new(NS)), caps(&w, VolumeCheck::Probe(Arc::new(FixedProbe(vec![])))))
            .unwrap();
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
    let recipe = Bootstrap::new(quick(BootstrapOptions::new(NS)), caps(&w, VolumeCheck::skip("test"))).unwrap();
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
    let resumed =
        Bootstrap::new(quick(BootstrapOptions::new(NS).resume(true)), caps(&w, VolumeCheck::skip("t"))).unwrap();
    let report = resumed.run(Progress::none()).await.unwrap();
    assert!(report.skipped.iter().any(|s| s.step == "start dbHA1"), "{report:?}");
    assert!(report.done.contains(&"start backup".to_owned()));
}

#[tokio::test]
async fn a_scheduler_call_that_fails_once_stops_clearly_and_a_rerun_completes_without_duplicate_starts() {
    let w = world(Some(BootstrapMethod::Initdb)).await;
    w.sched.fail_once.lock().unwrap().insert("dbHA2".into());
    let recipe = Bootstrap::new(quick(BootstrapOptions::new(NS)), caps(&w, VolumeCheck::skip("test"))).unwrap();
    let err = recipe.run(Progress::none()).await.unwrap_err();
    assert!(err.to_string().contains("dbHA2") && err.to_string().contains("HTTP 500"), "{err}");
    assert_eq!(w.sched.calls(), ["start dbHA1", "wait dbHA1", "start dbHA2 failed"]);

    // Running again continues where the world stands: dbHA1 is not started twice.
    let resumed =
        Bootstrap::new(quick(BootstrapOptions::new(NS).resume(true)), caps(&w, VolumeCheck::skip("t"))).unwrap();
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
    let recipe =
        Bootstrap::new(quick(BootstrapOptions::new(NS).max_lag_bytes(10)), caps(&w, VolumeCheck::skip("t"))).unwrap();
    let handle = tokio::spawn(async move { recipe.run(Progress::none()).await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    w.dcs.member("atala-testnet-database", "dbHA2", "replica", 500);
    let err = handle.await.unwrap().unwrap_err();
    assert!(err.to_string().contains("replica dbHA2 is 500 bytes behind (bound 10)"), "{err}");
}
