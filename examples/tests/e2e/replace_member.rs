//! replace_member on a real Patroni cluster scheduled by the local scheduler.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ops_examples::local::LocalVolumeProbe;
use patroni_client::State;
use recipes::adapters::patroni::{PatroniControl, PatroniMemberApi};
use recipes::bootstrap::Bootstrap;
use recipes::ports::{ClusterStatus, JobState, Scheduler, VolumeProbe};
use recipes::replace_member::{Capabilities, Phase, ReplaceMember, ReplaceOptions, Target};
use recipes::{BackupDir, Error, Event, Outcome, Progress};

use crate::bootstrap::{Setup, options, setup};

/// What was seen, with when.
type Timeline<T> = Arc<Mutex<Vec<(Instant, T)>>>;

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
    let names: Vec<&str> = plan.steps.iter().map(|s| s.name.as_str()).collect();
    let report = recipe.run(Progress::none()).await.unwrap();
    assert_eq!(report.done, names, "the run did exactly the steps its plan listed");
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
    // The leader was never touched; the state file says how far dbHA2 got.
    assert_eq!(leader(&s).await.as_deref(), Some("dbHA1"));
    let state = recipe.state().await.unwrap().expect("a state file for the unfinished replacement");
    assert_eq!((state.member.as_str(), state.phase), ("dbHA2", Phase::Started));
    // Another target waits until dbHA2 is finished.
    let other = ReplaceMember::new(opts(&s, Target::Member("dbHA1".into())), caps(&s)).unwrap().plan().await;
    let reasons = other.unwrap_err().refusal_reasons().join("\n");
    assert!(reasons.contains("the replacement of dbHA2 stopped midway"), "{reasons}");
    // A new run resumes dbHA2: its job is started again and awaited, nothing is purged again.
    let plan = recipe.plan().await.unwrap();
    let names: Vec<&str> = plan.steps.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["start dbHA2", "wait for dbHA2"], "{plan:#?}");
    let report = recipe.run(Progress::none()).await.unwrap();
    assert_eq!(report.done, names);
    assert_eq!(report.backups, [state.backup], "the first run's backup stands for the member");
    assert!(recipe.state().await.unwrap().is_none(), "the state file is removed once dbHA2 streams");
    assert!(healthy(&s).await);
}

/// The scope's status now.
async fn status(s: &Setup) -> ClusterStatus {
    let scope = recipes::input::default_scope(&s.namespace);
    s.caps.scope_store.snapshot(&scope).await.unwrap().cluster_status()
}

async fn healthy(s: &Setup) -> bool {
    status(s).await.is_healthy(&["dbHA1".into(), "dbHA2".into()], 16 << 20)
}

/// Members that run as leader or as a replica, by the DCS.
fn healthy_members(status: &ClusterStatus) -> usize {
    status.members.iter().filter(|m| matches!(m.state, State::Running | State::Streaming)).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_killed_after_the_purge_resumes_then_all_members_are_replaced_with_the_floor_and_a_leader_held() {
    let Some(s) = cluster("kill").await else { return };
    // The run dies at the worst moment: dbHA2's job is purged, nothing is started.
    let recipe = ReplaceMember::new(opts(&s, Target::Member("dbHA2".into())), caps(&s)).unwrap();
    let killed = recipe.clone();
    let progress = Progress::callback(|e| {
        if matches!(e, Event::StepFinished { step, .. } if step == "stop and purge dbHA2") {
            panic!("killed after the purge");
        }
    });
    let died = tokio::spawn(async move { killed.run(progress).await }).await;
    assert!(died.unwrap_err().is_panic());
    assert_eq!(s.scheduler.job_state(&s.namespace, "dbHA2").await.unwrap(), JobState::Absent);
    let state = recipe.state().await.unwrap().expect("the state file written before the stop");
    assert_eq!((state.member.as_str(), state.phase), ("dbHA2", Phase::Stopping));

    // The rerun resumes: the stop again (it may not have happened), the start, the wait.
    let plan = recipe.plan().await.unwrap();
    let names: Vec<&str> = plan.steps.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["stop and purge dbHA2", "start dbHA2", "wait for dbHA2"], "{plan:#?}");
    let resumes = |c: &recipes::Check| matches!(&c.outcome, Outcome::Passed(d) if d.contains("resumes"));
    assert!(plan.checks.iter().any(|c| c.name == "replacement of dbHA2" && resumes(c)), "{plan:#?}");
    let report = recipe.run(Progress::none()).await.unwrap();
    assert_eq!(report.done, names);
    assert!(recipe.state().await.unwrap().is_none());
    assert_eq!(leader(&s).await.as_deref(), Some("dbHA1"));

    // --all: the replica, then the leader after a switchover, watched from outside the whole time.
    let all = ReplaceMember::new(opts(&s, Target::All).min_healthy(1), caps(&s)).unwrap();
    let plan = all.plan().await.unwrap();
    let names: Vec<&str> = plan.steps.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "save dbHA2",
            "stop and purge dbHA2",
            "start dbHA2",
            "wait for dbHA2",
            "switch over from dbHA1",
            "wait for dbHA2 to lead",
            "save dbHA1",
            "stop and purge dbHA1",
            "start dbHA1",
            "wait for dbHA1"
        ]
    );
    let seen: Timeline<(Option<String>, usize)> = Arc::default();
    let steps: Timeline<Event> = Arc::default();
    let done = Arc::new(AtomicBool::new(false));
    let watcher = {
        let (store, scope) = (s.caps.scope_store.clone(), recipes::input::default_scope(&s.namespace));
        let (seen, done) = (Arc::clone(&seen), Arc::clone(&done));
        tokio::spawn(async move {
            while !done.load(Ordering::SeqCst) {
                let status = store.snapshot(&scope).await.unwrap().cluster_status();
                let leader = status.running_leader().map(|l| l.name.clone());
                seen.lock().unwrap().push((Instant::now(), (leader, healthy_members(&status))));
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };
    let log = Arc::clone(&steps);
    let report = all.run(Progress::callback(move |e| log.lock().unwrap().push((Instant::now(), e.clone())))).await;
    done.store(true, Ordering::SeqCst);
    watcher.await.unwrap();
    let report = report.unwrap();
    assert_eq!(report.done, names, "the run did exactly the steps its plan listed");
    let seen = seen.lock().unwrap().clone();
    assert!(seen.len() > 50, "watched throughout: {} observations", seen.len());
    // The floor held at every observed moment.
    let low: Vec<_> = seen.iter().filter(|(_, (_, n))| *n < 1).collect();
    assert!(low.is_empty(), "fewer healthy members than the floor 1: {low:?}");
    // A leader at every observed moment, except while the leadership was handed over.
    let at = |what: &str, started: bool| {
        steps.lock().unwrap().iter().find_map(|(t, e)| match e {
            Event::StepStarted { step } if started && step == what => Some(*t),
            Event::StepFinished { step, .. } if !started && step == what => Some(*t),
            _ => None,
        })
    };
    let handover = at("switch over from dbHA1", true).unwrap()..=at("wait for dbHA2 to lead", false).unwrap();
    let leaderless: Vec<Instant> = seen.iter().filter(|(_, (l, _))| l.is_none()).map(|(t, _)| *t).collect();
    assert!(leaderless.iter().all(|t| handover.contains(t)), "no leader outside the switchover");
    if let (Some(first), Some(last)) = (leaderless.first(), leaderless.last()) {
        assert!(*last - *first < Duration::from_secs(10), "the handover left no leader for {:?}", *last - *first);
    }
    let before = seen.iter().filter(|(t, _)| t < handover.start()).all(|(_, (l, _))| l.as_deref() == Some("dbHA1"));
    let after = seen.iter().filter(|(t, _)| t > handover.end()).all(|(_, (l, _))| l.as_deref() == Some("dbHA2"));
    assert!(before && after, "dbHA1 led until the switchover, dbHA2 after it");
    assert!(healthy(&s).await);
}
