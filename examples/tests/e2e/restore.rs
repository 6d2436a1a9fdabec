//! Restore on the sandbox as far as wal-g's absence allows: the walg planner reads the real
//! archive PostgreSQL wrote, and the settings, job and Consul state handling is real. The
//! restore itself (wal-g fetching into the new data directory) cannot run here, so the test
//! follows the recipe until its bootstrap step refuses the old cluster's data, then checks
//! that everything it removed can be put back.

use std::sync::Arc;

use recipes::adapters::local::LocalArchiveSource;
use recipes::bootstrap::Bootstrap;
use recipes::ports::{BootstrapMethod, JobState, ScopeSnapshot};
use recipes::restore::{Phase, Restore, RestoreMode, RestoreOptions};
use recipes::{BackupDir, Error, Progress};

use crate::bootstrap::{options, setup};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restore_stops_purges_saves_and_removes_then_waits_for_clean_volumes() {
    let Some(s) = setup("restore").await else { return };
    let scope = recipes::input::default_scope(&s.namespace);
    Bootstrap::new(options(&s.namespace), s.caps.clone()).unwrap().run(Progress::none()).await.unwrap();
    let archive_dir = s.scheduler.cluster().lock().unwrap().archive_dir();
    let backups = BackupDir::new(s.settings_dir.0.join("backups"));
    let restore = Restore::new(
        RestoreOptions::new(options(&s.namespace), RestoreMode::timeline(1).unwrap()),
        s.caps.clone(),
        Arc::new(LocalArchiveSource::new(&archive_dir)),
        backups,
    )
    .unwrap();

    let plan = match restore.plan().await {
        Ok(plan) => plan,
        Err(e) => panic!("the live archive in {} should allow a timeline 1 restore: {e}", archive_dir.display()),
    };
    assert!(plan.checks.iter().any(|c| c.name.starts_with("wal-g archive")), "{plan:#?}");

    let err = restore.run(Progress::none()).await.unwrap_err();
    let reasons = err.refusal_reasons().join("\n");
    assert!(matches!(err, Error::Refused { .. }) && reasons.contains("PostgreSQL data is left"), "{err}");
    assert_eq!(restore.state().await.unwrap().unwrap().phase, Phase::ScopeRemoved);
    for job in ["dbHA1", "dbHA2", "backup"] {
        assert_eq!(s.caps.scheduler.job_state(&s.namespace, job).await.unwrap(), JobState::Absent, "{job}");
    }
    assert!(s.caps.scope_store.snapshot(&scope).await.unwrap().is_empty(), "scope state removed");
    let method = s.caps.settings.read(&s.namespace).await.unwrap().unwrap().bootstrap_method;
    assert_eq!(method, Some(BootstrapMethod::WalgTimeline));

    // Everything removed can be put back from the backup files.
    let saved = std::fs::read_dir(s.settings_dir.0.join("backups"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.file_name().unwrap().to_string_lossy().contains("consul-state"))
        .expect("a backup of the scope's Consul state");
    let snapshot: ScopeSnapshot = serde_json::from_slice(&std::fs::read(saved).unwrap()).unwrap();
    assert!(snapshot.text("initialize").is_some(), "{snapshot:#?}");
    s.caps.scope_store.restore(&snapshot.entries).await.unwrap();
    let back = s.caps.scope_store.snapshot(&scope).await.unwrap();
    assert_eq!(back.text("initialize"), snapshot.text("initialize"));
    restore.abort().await.unwrap();
    let method = s.caps.settings.read(&s.namespace).await.unwrap().unwrap().bootstrap_method;
    assert_eq!(method, Some(BootstrapMethod::Initdb));
    s.consul.kv().delete_tree(&format!("service/{scope}/")).await.unwrap();
}
