//! Faults during a recipe on a real Consul: the agent restarts while ghost
//! cleanup is acting. The recipe completes (every planned target either acted
//! on or found no longer a ghost after the re-check) or stops with a clear
//! error; it never hangs, and a new run afterwards completes.

use std::sync::Arc;
use std::time::Duration;

use consul_client::ConsulClient;
use recipes::adapters::consul::ConsulCatalog;
use recipes::ghost::{GhostCleanup, GhostOptions};
use recipes::{BackupDir, Progress};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consul_restarted_during_ghost_cleanup() {
    let mut agent = match sandbox::Consul::start() {
        Ok(c) => c,
        Err(e) => return sandbox::unavailable("Consul", &e),
    };
    let consul = ConsulClient::builder().address(&agent.http_addr()).build().unwrap();
    let tag = sandbox::unique_suffix();
    let ghosts: Vec<String> = (0..24).map(|i| format!("gone-{tag}-{i}")).collect();
    for node in &ghosts {
        crate::register_ghost_node(&consul, node, &format!("{node}-pg"), &format!("restart-{tag}-pg")).await;
    }
    let dir = tempfile::tempdir().unwrap();
    let cleanup = GhostCleanup::new(
        GhostOptions::default().parallelism(1).max_actions(100),
        Arc::new(ConsulCatalog::new(consul.clone())),
        None,
        BackupDir::new(dir.path()),
    )
    .unwrap();
    let plan = cleanup.plan().await.unwrap();
    assert_eq!(plan.findings.len(), ghosts.len());

    // Restart the agent (dev mode: its catalog starts empty) while the run acts.
    let run = {
        let cleanup = cleanup.clone();
        let plan = plan.clone();
        tokio::spawn(async move { cleanup.run(&plan, Progress::none()).await })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    let restarted = tokio::task::spawn_blocking(move || agent.restart().map(|()| agent)).await.unwrap();
    let agent = restarted.expect("the agent restarts");
    let outcome = tokio::time::timeout(Duration::from_secs(120), run).await.expect("the recipe must not hang").unwrap();
    match outcome {
        Ok(report) => {
            let acted: u64 = report.counts.total();
            let skipped = report.no_longer_ghosts.len() as u64;
            println!("completed across the restart: {acted} deregistered, {skipped} no longer ghosts");
            assert_eq!(acted + skipped, ghosts.len() as u64, "every planned target is accounted for: {report:#?}");
            if acted > 0 {
                let saved = std::fs::read_to_string(&report.report.backups[0]).unwrap();
                assert!(saved.contains(&format!("gone-{tag}")), "what was deregistered was saved first");
            }
        }
        Err(e) => {
            let text = e.to_string();
            println!("stopped across the restart: {text}");
            assert!(!text.is_empty() && text.len() < 2000, "a clear, bounded error: {text}");
        }
    }
    // A new run on the restarted agent completes and finds nothing left to do.
    let consul = ConsulClient::builder().address(&agent.http_addr()).build().unwrap();
    let cleanup = GhostCleanup::new(
        GhostOptions::default(),
        Arc::new(ConsulCatalog::new(consul)),
        None,
        BackupDir::new(dir.path().join("second")),
    )
    .unwrap();
    let plan = cleanup.plan().await.unwrap();
    let report = cleanup.run(&plan, Progress::none()).await.unwrap();
    assert!(plan.findings.iter().all(|f| !format!("{:?}", f.target).contains(&tag)), "{plan:#?}");
    assert_eq!(report.counts.total(), plan.findings.len() as u64);
}
