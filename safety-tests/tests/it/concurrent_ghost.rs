//! Ghost cleanup against a concurrent registrar on a real Consul: a task keeps
//! registering services (each with a check) on the ghost node while the cleanup
//! plans, backs up and removes, 50 trials. After each: every service and check
//! that is gone is in the backup, and re-registering from the backup gives back
//! every lost item. Every fifth trial the registrar stops before the run, so the
//! node itself is deleted and the remaining unguarded window is measured.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use consul_client::{
    CatalogDeregistration, CatalogRegistration, ConsulClient, HealthCheckRegistration, QueryOptions,
    ServiceRegistration,
};
use recipes::adapters::consul::ConsulCatalog;
use recipes::ghost::{GhostCleanup, GhostOptions};
use recipes::{BackupDir, Progress};

const TRIALS: usize = 50;
/// Longer than a registration takes on a loaded CI box, so that a registrar that keeps
/// registering is always seen between the backup and the read before the node deletion.
const QUIET: Duration = Duration::from_millis(150);

async fn register(consul: &ConsulClient, node: &str, id: &str) {
    let reg = CatalogRegistration {
        node: node.into(),
        address: "10.255.0.9".into(),
        service: Some(ServiceRegistration {
            id: Some(id.into()),
            service: "ghostrace".into(),
            port: Some(5432),
            ..ServiceRegistration::default()
        }),
        checks: vec![HealthCheckRegistration {
            node: node.into(),
            check_id: format!("{id}-check"),
            name: "tcp".into(),
            status: "critical".into(),
            service_id: id.into(),
            ..HealthCheckRegistration::default()
        }],
        ..CatalogRegistration::default()
    };
    consul.catalog().register(&reg).await.unwrap();
}

/// The service IDs and check IDs on `node` now (empty when the node is gone).
async fn items_on(consul: &ConsulClient, node: &str) -> (BTreeSet<String>, BTreeSet<String>) {
    let q = QueryOptions::default();
    let services = consul.catalog().node_services(node, &q).await.unwrap().value;
    let services = services.map(|n| n.services.into_iter().map(|s| s.id).collect()).unwrap_or_default();
    let checks = consul.health().node(node, &q).await.unwrap().value.into_iter().map(|c| c.check_id).collect();
    (services, checks)
}

/// The service and check IDs a ghost cleanup backup saved for removal.
fn saved_items(backup: &std::path::Path) -> (BTreeSet<String>, BTreeSet<String>) {
    let records: Vec<serde_json::Value> = serde_json::from_slice(&std::fs::read(backup).unwrap()).unwrap();
    let (mut services, mut checks) = (BTreeSet::new(), BTreeSet::new());
    for r in &records {
        for s in r["Catalog"]["NodeServices"]["Services"].as_array().into_iter().flatten() {
            services.insert(s["ID"].as_str().unwrap().to_owned());
        }
        for c in r["Catalog"]["Checks"].as_array().into_iter().flatten() {
            checks.insert(c["CheckID"].as_str().unwrap().to_owned());
        }
    }
    (services, checks)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn services_registered_while_ghost_cleanup_runs_are_never_lost() {
    let agent = match sandbox::Consul::start() {
        Ok(c) => c,
        Err(e) => return sandbox::unavailable("Consul", &e),
    };
    let consul = ConsulClient::builder().address(&agent.http_addr()).build().unwrap();
    let catalog = ConsulCatalog::new(consul.clone());
    let tag = sandbox::unique_suffix();
    let dir = tempfile::tempdir().unwrap();
    let (mut nodes_deleted, mut nodes_kept, mut lost_total, mut windows) = (0, 0, 0, Vec::new());
    for trial in 0..TRIALS {
        let node = format!("ghost-{tag}-{trial}");
        let mut registered: BTreeSet<String> = (0..2).map(|i| format!("{node}-first-{i}")).collect();
        for id in &registered {
            register(&consul, &node, id).await;
        }
        // The registrar: back to back, or with a pause shorter than the quiet period.
        let pause = Duration::from_millis([0, 1, 5, 20][trial % 4]);
        let stop = Arc::new(AtomicBool::new(false));
        let late = Arc::new(Mutex::new(Vec::new()));
        let mut registrar = Some({
            let (consul, node, stop, late) = (consul.clone(), node.clone(), stop.clone(), late.clone());
            tokio::spawn(async move {
                for i in 0.. {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let id = format!("{node}-late-{i}");
                    register(&consul, &node, &id).await;
                    late.lock().unwrap().push(id);
                    tokio::time::sleep(pause).await;
                }
            })
        });
        while late.lock().unwrap().is_empty() {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        let cleanup = GhostCleanup::new(
            GhostOptions::default().node_pattern(node.clone()).node_quiet_period(QUIET),
            Arc::new(catalog.clone()),
            None,
            BackupDir::new(dir.path().join(trial.to_string())),
        )
        .unwrap();
        let plan = cleanup.plan().await.unwrap();
        assert_eq!(plan.findings.len(), 1, "trial {trial}: {plan:#?}");
        let quiet_run = trial % 5 == 4;
        if quiet_run {
            stop.store(true, Ordering::SeqCst);
            registrar.take().unwrap().await.unwrap();
        }
        let report = cleanup.run(&plan, Progress::none()).await.unwrap();
        stop.store(true, Ordering::SeqCst);
        if let Some(registrar) = registrar {
            registrar.await.unwrap();
        }
        registered.extend(late.lock().unwrap().iter().cloned());
        let checks: BTreeSet<String> = registered.iter().map(|id| format!("{id}-check")).collect();

        // Everything gone is in the backup.
        let (services_now, checks_now) = items_on(&consul, &node).await;
        let gone: Vec<&String> = registered.difference(&services_now).collect();
        let gone_checks: Vec<&String> = checks.difference(&checks_now).collect();
        let (saved_services, saved_checks) = saved_items(&report.report.backups[0]);
        for id in &gone {
            assert!(saved_services.contains(*id), "trial {trial}: {id} was deleted without being in the backup");
        }
        for id in &gone_checks {
            assert!(saved_checks.contains(*id), "trial {trial}: check {id} was deleted without being in the backup");
        }
        if services_now.is_empty() {
            nodes_deleted += 1;
            windows.extend(report.unguarded_windows_us.iter().copied());
        } else {
            nodes_kept += 1;
            assert!(!report.left_in_place.is_empty(), "trial {trial}: what stayed is reported: {report:#?}");
        }
        lost_total += gone.len();

        // The backup gives back every lost item.
        let back = catalog.reregister_from_backup(&report.report.backups[0]).await.unwrap();
        assert_eq!(back.len(), gone.len(), "trial {trial}: {back:?}");
        let (services_after, checks_after) = items_on(&consul, &node).await;
        assert_eq!(services_after, registered, "trial {trial}: every service is back");
        assert_eq!(checks_after, checks, "trial {trial}: every check is back");
        consul.catalog().deregister(&CatalogDeregistration::node(&node)).await.unwrap();
    }
    windows.sort_unstable();
    println!(
        "{TRIALS} trials: {nodes_deleted} nodes deleted, {nodes_kept} kept (registrar seen), {lost_total} services \
         removed and put back from the backups; unguarded window (fresh read to node delete-cas answer) \
         min {} us, median {} us, max {} us",
        windows.first().unwrap_or(&0),
        windows.get(windows.len() / 2).unwrap_or(&0),
        windows.last().unwrap_or(&0),
    );
    assert!(nodes_deleted >= TRIALS / 5, "the trials without a registrar delete the node");
    assert!(nodes_kept > 0, "a registrar that keeps registering keeps the node");
}
