//! replace_member on a real Patroni cluster scheduled by the local scheduler.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use ops_examples::local::LocalVolumeProbe;
use recipes::adapters::patroni::{PatroniControl, PatroniMemberApi};
use recipes::bootstrap::Bootstrap;
use recipes::ports::VolumeProbe;
use recipes::replace_member::{Capabilities, ReplaceMember, ReplaceOptions, Target};
use recipes::{BackupDir, Error, Event, Progress};

use crate::bootstrap::{Setup, options, setup};

/// A bootstrapped 2-member cluster (dbHA1 leads, dbHA2 streams).
async fn cluster(tag: &str) -> Option<Setup> {
    let s = setup(tag).await?;
    Bootstrap::new(options(&s.namespace).backup_job(None), s.caps.clone())
        .unwrap()
        .run(Progress::none())
        .await
        .unwrap();
    Some(s)
}

fn caps(s: &Setup) -> Capabilities {
    Capabilities {
        scheduler: s.scheduler.clone(),
        scope_store: s.caps.scope_store.clone(),
        control: Arc::new(PatroniControl::new()),
        member_api: Arc::new(PatroniMemberApi::new()),
        volumes: Some(Arc::new(LocalVolumeProbe::new(&s.scheduler))),
        backups: BackupDir::new(s.settings_dir.0.join("backups")),
    }
}

fn opts(s: &Setup, target: Target) -> ReplaceOptions {
    ReplaceOptions::new(&s.namespace, target).timeouts(
        Duration::from_secs(30),
        Duration::from_secs(120),
        Duration::from_secs(90),
    )
}

async fn leader(s: &Setup) -> Option<String> {
    let scope = recipes::input::default_scope(&s.namespace);
    s.caps.scope_store.snapshot(&scope).await.unwrap().cluster_status().leader
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replace_a_replica_with_its_volume_cleared_then_the_leader_after_a_switchover() {
    let Some(s) = cluster("repl").await else { return };
    assert_eq!(leader(&s).await.as_deref(), Some("dbHA1"));

    // The floor: with 2 members, replacing one leaves 1 healthy; a floor of 2 is refused.
    let refused = ReplaceMember::new(opts(&s, Target::Member("dbHA2".into())).min_healthy(2), caps(&s))
        .unwrap()
        .plan()
        .await
        .unwrap_err();
    let reasons = refused.refusal_reasons().join("\n");
    assert!(
        reasons.contains("healthy-member floor 2: replacing a member leaves 1 healthy member(s) of 2"),
        "{reasons}"
    );
    // A near miss is no target: names are exact.
    let wrong =
        ReplaceMember::new(opts(&s, Target::Member("dbha2".into())), caps(&s)).unwrap().plan().await.unwrap_err();
    assert!(wrong.to_string().contains("did you mean dbHA2?"), "{wrong}");
    // The probe clears only the member's own volume.
    let probe = LocalVolumeProbe::new(&s.scheduler);
    let other = probe.member_volume(&s.namespace, "dbHA1").unwrap();
    let err = probe.clear_member_volume(&s.namespace, "dbHA2", &other).await.unwrap_err();
    assert!(err.to_string().contains("only"), "{err}");
    assert!(std::path::Path::new(&other).join("PG_VERSION").exists(), "dbHA1's data is untouched");

    // Replace the replica, clearing its volume: it comes back as a fresh replica.
    let volume = probe.member_volume(&s.namespace, "dbHA2").unwrap();
    let marker = std::path::Path::new(&volume).join("replace-marker");
    std::fs::write(&marker, b"old data").unwrap();
    let recipe = ReplaceMember::new(opts(&s, Target::Member("dbHA2".into())).clear_volume(true), caps(&s)).unwrap();
    let plan = recipe.plan().await.unwrap();
    let names: Vec<&str> = plan.steps.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        ["save dbHA2", "stop and purge dbHA2", "clear the volume of dbHA2", "start dbHA2", "wait for dbHA2"]
    );
    let report = recipe.run(Progress::none()).await.unwrap();
    assert_eq!(report.done, names);
    assert!(!marker.exists(), "the volume was cleared");
    assert!(std::path::Path::new(&volume).join("PG_VERSION").exists(), "and re-created from the leader");
    let saved: serde_json::Value = serde_json::from_slice(&std::fs::read(&report.backups[0]).unwrap()).unwrap();
    assert_eq!(saved["member"], "dbHA2");
    assert_eq!(leader(&s).await.as_deref(), Some("dbHA1"), "replacing a replica leaves the leader alone");

    // Replace the leader: a switchover to the replica first.
    let recipe = ReplaceMember::new(opts(&s, Target::Member("dbHA1".into())), caps(&s)).unwrap();
    let plan = recipe.plan().await.unwrap();
    assert_eq!(plan.steps[0].name, "switch over from dbHA1", "{plan:#?}");
    let report = recipe.run(Progress::none()).await.unwrap();
    assert_eq!(
        report.done,
        [
            "switch over from dbHA1",
            "wait for dbHA2 to lead",
            "save dbHA1",
            "stop and purge dbHA1",
            "start dbHA1",
            "wait for dbHA1"
        ]
    );
    assert_eq!(leader(&s).await.as_deref(), Some("dbHA2"));
    let scope = recipes::input::default_scope(&s.namespace);
    let status = s.caps.scope_store.snapshot(&scope).await.unwrap().cluster_status();
    assert!(status.is_healthy(&["dbHA1".into(), "dbHA2".into()], 16 << 20), "{status:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_that_does_not_come_back_stops_the_run_with_what_the_scheduler_saw() {
    let Some(s) = cluster("fail").await else { return };
    let cluster = s.scheduler.cluster();
    let fired = Arc::new(AtomicBool::new(false));
    let once = Arc::clone(&fired);
    // The re-deployed member dies as soon as the recipe waits for it.
    let progress = Progress::callback(move |e| {
        if matches!(e, Event::StepStarted { step } if step == "wait for dbHA2") && !once.swap(true, Ordering::SeqCst) {
            cluster.lock().unwrap().kill_member(1);
        }
    });
    let recipe = ReplaceMember::new(opts(&s, Target::Member("dbHA2".into())), caps(&s)).unwrap();
    let err = recipe.run(progress).await.unwrap_err();
    assert!(fired.load(Ordering::SeqCst));
    match &err {
        Error::Conflict(what) => {
            assert!(what.contains("job dbHA2") && what.contains("is dead"), "{err}");
            assert!(what.contains("waiting for dbHA2 to stream again"), "{err}");
        }
        other => panic!("expected the dead member to end the wait, got {other}"),
    }
    // The leader was never touched, and a new run refuses the now incomplete cluster.
    assert_eq!(leader(&s).await.as_deref(), Some("dbHA1"));
    let again = recipe.plan().await.unwrap_err();
    assert!(again.to_string().contains("job dbHA2: is absent"), "{again}");
}
