//! Restore logic on in-memory capabilities and a synthetic wal-g archive.

use std::sync::Arc;
use std::time::Duration;

use recipes::adapters::local::FileSettings;
use recipes::bootstrap::{BootstrapOptions, Capabilities};
use recipes::ports::ArchiveSource;
use recipes::ports::{BootstrapMethod, DatabaseSettings, JobState, SettingsStore, VolumeCheck};
use recipes::restore::{Phase, Restore, RestoreMode, RestoreOptions};
use recipes::{BackupDir, Error, Progress, Result, async_trait};
use walg::{ArchiveState, BackupInfo, TimelineTree, WalInventory, WalSegmentSize};

use crate::fakes::{FakeScheduler, FakeScope};

const NS: &str = "atala-testnet";

/// A base backup on timeline 1 and the WAL after it.
struct Archive(bool);

#[async_trait]
impl ArchiveSource for Archive {
    async fn archive_state(&self, _namespace: &str) -> Result<ArchiveState> {
        let wal = WalInventory::from_listing("000000010000000000000002\n000000010000000000000003\n");
        let backups = if self.0 {
            vec![BackupInfo {
                name: "base_000000010000000000000002".into(),
                start_segment: "000000010000000000000002".parse().unwrap(),
                start_lsn: None,
                finish_lsn: None,
                start_time: Some(walg::parse_timestamp("2026-11-22T02:59:00Z").unwrap()),
                finish_time: Some(walg::parse_timestamp("2026-11-22T03:00:00Z").unwrap()),
            }]
        } else {
            Vec::new()
        };
        Ok(ArchiveState { backups, wal, timelines: TimelineTree::default(), segment_size: WalSegmentSize::default() })
    }
}

struct World {
    dcs: Arc<FakeScope>,
    sched: Arc<FakeScheduler>,
    settings: Arc<FileSettings>,
    dir: tempfile::TempDir,
}

async fn running_cluster() -> World {
    let dir = tempfile::tempdir().unwrap();
    let settings = Arc::new(FileSettings::new(dir.path().join("settings")));
    let mut original =
        DatabaseSettings { bootstrap_method: Some(BootstrapMethod::Initdb), ..DatabaseSettings::default() };
    original.extra.insert("postgresMaxConnections".into(), "200".into());
    settings.write(NS, &original).await.unwrap();
    let dcs = Arc::new(FakeScope::default());
    dcs.member("atala-testnet-database", "dbHA1", "master", 5000);
    dcs.put("service/atala-testnet-database/leader", "dbHA1");
    dcs.put("service/atala-testnet-database-old/leader", "dbHA7");
    let sched = Arc::new(FakeScheduler::new(NS, Arc::clone(&dcs)));
    for job in ["dbHA1", "dbHA2", "backup"] {
        sched.set(job, JobState::Running);
    }
    World { dcs, sched, settings, dir }
}

fn restore(w: &World, mode: RestoreMode, archive_ok: bool) -> Restore {
    let caps = Capabilities {
        scheduler: w.sched.clone(),
        settings: w.settings.clone(),
        scope_store: w.dcs.clone(),
        volumes: VolumeCheck::skip("fake volumes"),
    };
    let opts =
        BootstrapOptions::new(NS).timeouts(Duration::from_secs(1), Duration::from_secs(1), Duration::from_millis(300));
    Restore::new(
        RestoreOptions::new(opts, mode),
        caps,
        Arc::new(Archive(archive_ok)),
        BackupDir::new(w.dir.path().join("backups")),
    )
    .unwrap()
}

#[tokio::test]
async fn unreachable_target_is_refused_without_touching_anything() {
    let w = running_cluster().await;
    let r = restore(&w, RestoreMode::timeline(1).unwrap(), false);
    let err = r.run(Progress::none()).await.unwrap_err();
    assert!(matches!(err, Error::Refused { .. }), "{err}");
    assert!(err.to_string().contains("wal-g archive for timeline 1"), "{err}");
    assert!(w.sched.calls().is_empty());
    assert!(w.dcs.deleted.lock().unwrap().is_empty());
    assert_eq!(w.settings.read(NS).await.unwrap().unwrap().bootstrap_method, Some(BootstrapMethod::Initdb));
    assert!(r.state().await.unwrap().is_none());
}

#[tokio::test]
async fn a_job_without_a_spec_refuses_the_restore_before_anything_is_stopped() {
    // Restore purges the jobs and then starts them from the job source: a spec
    // the source cannot give must refuse the plan, not the bootstrap step
    // after the jobs and the scope are gone.
    let w = running_cluster().await;
    w.sched.no_spec.lock().unwrap().insert("backup".into());
    let r = restore(&w, RestoreMode::timeline(1).unwrap(), true);
    let err = r.run(Progress::none()).await.unwrap_err();
    assert!(matches!(err, Error::Refused { .. }), "{err}");
    assert!(err.to_string().contains("job spec backup"), "{err}");
    assert!(w.sched.calls().is_empty(), "nothing stopped: {:?}", w.sched.calls());
    assert!(w.dcs.deleted.lock().unwrap().is_empty());
    assert_eq!(w.settings.read(NS).await.unwrap().unwrap().bootstrap_method, Some(BootstrapMethod::Initdb));
}

#[tokio::test]
async fn timeline_restore_runs_the_runbook_in_order() {
    let w = running_cluster().await;
    *w.dcs.timeline.lock().unwrap() = 2; // the restored cluster promotes to a new timeline
    let r = restore(&w, RestoreMode::timeline(1).unwrap(), true);
    let plan = r.plan().await.unwrap();
    assert_eq!(plan.steps.len(), 7, "{plan:#?}");
    let report = r.run(Progress::none()).await.unwrap();
    assert_eq!(
        w.sched.calls(),
        [
            "stop dbHA1 purge=true",
            "stop dbHA2 purge=true",
            "stop backup purge=true",
            "start dbHA1",
            "wait dbHA1",
            "start dbHA2",
            "wait dbHA2",
            "start backup",
            "wait backup"
        ]
    );
    assert_eq!(*w.dcs.deleted.lock().unwrap(), ["service/atala-testnet-database/"]);
    assert_eq!(w.dcs.entries.lock().unwrap().get("service/atala-testnet-database-old/leader").unwrap(), "dbHA7");
    let after = w.settings.read(NS).await.unwrap().unwrap();
    assert_eq!(after.bootstrap_method, Some(BootstrapMethod::Initdb));
    assert_eq!(after.walg_timeline, Some(1));
    assert_eq!(after.extra["postgresMaxConnections"], "200");
    assert_eq!(report.backups.len(), 2, "settings and the removed scope state");
    let saved: serde_json::Value = serde_json::from_slice(&std::fs::read(&report.backups[1]).unwrap()).unwrap();
    assert_eq!(saved["prefix"], "service/atala-testnet-database/");
    assert!(r.state().await.unwrap().is_none(), "the state file is gone once done");
}

#[tokio::test]
async fn failure_midway_continues_on_rerun_and_abort_restores_settings() {
    let w = running_cluster().await;
    *w.dcs.timeline.lock().unwrap() = 2;
    w.sched.silent.lock().unwrap().insert("dbHA2".into());
    let mode = RestoreMode::point_in_time(1, "2026-11-22T05:12:00+01:00").unwrap();
    let r = restore(&w, mode.clone(), true);
    let first = r.run(Progress::none()).await.unwrap_err();
    assert!(matches!(first, Error::Timeout { .. }), "{first}");
    let state = r.state().await.unwrap().unwrap();
    assert_eq!(state.phase, Phase::ScopeRemoved);
    let during = w.settings.read(NS).await.unwrap().unwrap();
    assert_eq!(during.bootstrap_method, Some(BootstrapMethod::WalgPitr));
    assert_eq!(during.walg_pitr_timestamp.as_deref(), Some("2026-11-22T05:12:00+01:00"));

    // A different target is refused while this one is half done.
    let other = restore(&w, RestoreMode::timeline(1).unwrap(), true);
    assert!(other.plan().await.unwrap_err().to_string().contains("is half done"));

    // The re-run continues where the world stands: no second stop, no second removal.
    w.dcs.member("atala-testnet-database", "dbHA2", "replica", 1000);
    let history = r#"[[1,67109024,"before 2026-11-22 04:12:00+00","2026-11-22T04:54:36+00:00","dbHA1"]]"#;
    w.dcs.put("service/atala-testnet-database/history", history);
    let stops_before = w.sched.calls().iter().filter(|c| c.starts_with("stop")).count();
    let report = r.run(Progress::none()).await.unwrap();
    assert_eq!(w.sched.calls().iter().filter(|c| c.starts_with("stop")).count(), stops_before);
    assert!(report.skipped.iter().any(|s| s.step == "remove scope state"));
    assert!(report.done.contains(&"recovery target reached: before 2026-11-22 04:12:00+00".to_owned()), "{report:#?}");
    assert_eq!(w.settings.read(NS).await.unwrap().unwrap().bootstrap_method, Some(BootstrapMethod::Initdb));

    // Abort after another half-done restore puts the recorded settings back.
    let w2 = running_cluster().await;
    w2.sched.silent.lock().unwrap().insert("dbHA2".into());
    let r2 = restore(&w2, mode, true);
    r2.run(Progress::none()).await.unwrap_err();
    r2.abort().await.unwrap();
    let back = w2.settings.read(NS).await.unwrap().unwrap();
    assert_eq!(back.bootstrap_method, Some(BootstrapMethod::Initdb));
    assert_eq!(back.walg_pitr_timestamp, None);
    assert!(r2.state().await.unwrap().is_none());
}

#[tokio::test]
async fn leader_on_the_old_timeline_fails_verification() {
    let w = running_cluster().await; // members publish timeline 1: nothing was replayed
    let r = restore(&w, RestoreMode::timeline(1).unwrap(), true);
    let err = r.run(Progress::none()).await.unwrap_err().to_string();
    assert!(err.contains("runs on timeline 1, expected a timeline after 1"), "{err}");
    assert_eq!(r.state().await.unwrap().unwrap().phase, Phase::Bootstrapped);
}

#[tokio::test]
async fn pitr_without_a_recorded_recovery_target_warns() {
    let w = running_cluster().await;
    *w.dcs.timeline.lock().unwrap() = 2;
    let r = restore(&w, RestoreMode::point_in_time(1, "2026-11-22T05:12:00Z").unwrap(), true);
    let report = r.run(Progress::none()).await.unwrap();
    assert!(
        report.warnings.iter().any(|m| m.contains("does not show that recovery stopped at 2026-11-22T05:12:00+00:00")),
        "{report:#?}"
    );
}

#[test]
fn bad_restore_inputs() {
    assert!(RestoreMode::timeline(0).unwrap_err().to_string().contains("timelines start at 1"));
    assert!(RestoreMode::point_in_time(2, "2026-11-22 05:12").unwrap_err().to_string().contains("recovery timestamp"));
}
