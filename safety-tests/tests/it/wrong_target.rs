//! Wrong-target safety on a look-alike world in a real Consul: every
//! destructive operation aimed at `prod-database` leaves every other key and
//! catalog entry identical (whole-KV and whole-catalog snapshots, diffed),
//! and what it removed comes back byte for byte from its backup.

use std::collections::BTreeMap;
use std::sync::Arc;

use client_core::Request;
use consul_client::{AgentServiceRegistration, ConsulClient, PutOptions};
use patroni_client::{DcsView, RemoveOptions};
use recipes::adapters::consul::ConsulCatalog;
use recipes::ghost::{GhostCleanup, GhostOptions, Target};
use recipes::{BackupDir, Progress};
use serde_json::Value;

const SCOPES: [&str; 4] = ["prod-database", "prod-database2", "prod-database-old", "prod"];

/// Every KV pair as key -> (flags, base64 value, session), raw from the HTTP API.
async fn kv_snapshot(consul: &ConsulClient) -> BTreeMap<String, Value> {
    let resp = consul.http().send(Request::get("/v1/kv/").flag("recurse", true).accept_status(&[404])).await.unwrap();
    if resp.status.as_u16() == 404 {
        return BTreeMap::new();
    }
    let pairs: Vec<Value> = resp.json().unwrap();
    pairs
        .into_iter()
        .map(|p| {
            let key = p["Key"].as_str().unwrap().to_owned();
            (key, serde_json::json!({"Flags": p["Flags"], "Value": p["Value"], "Session": p.get("Session")}))
        })
        .collect()
}

/// Every catalog node with its services, index fields removed.
async fn catalog_snapshot(consul: &ConsulClient) -> BTreeMap<String, Value> {
    let nodes: Vec<Value> = consul.http().json(Request::get("/v1/catalog/nodes")).await.unwrap();
    let mut out = BTreeMap::new();
    for node in nodes {
        let name = node["Node"].as_str().unwrap().to_owned();
        let path =
            client_core::path::PathBuf::new("/v1/catalog/node-services").segment("node name", &name).unwrap().finish();
        let mut services: Value = consul.http().json(Request::get(path)).await.unwrap();
        strip_indexes(&mut services);
        out.insert(name, services);
    }
    out
}

fn strip_indexes(v: &mut Value) {
    match v {
        Value::Object(map) => {
            map.remove("CreateIndex");
            map.remove("ModifyIndex");
            map.values_mut().for_each(strip_indexes);
        }
        Value::Array(items) => items.iter_mut().for_each(strip_indexes),
        _ => {}
    }
}

/// Keys present in `before` and changed or missing in `after`, and keys new in `after`.
fn diff(before: &BTreeMap<String, Value>, after: &BTreeMap<String, Value>) -> Vec<String> {
    let mut changed: Vec<String> =
        before.iter().filter(|(k, v)| after.get(*k) != Some(v)).map(|(k, _)| k.clone()).collect();
    changed.extend(after.keys().filter(|k| !before.contains_key(*k)).cloned());
    changed.sort();
    changed
}

async fn plant_world(consul: &ConsulClient) {
    for scope in SCOPES {
        for (key, value) in [
            ("leader", "dbHA1".to_owned()),
            (
                "members/dbHA1",
                r#"{"conn_url":"postgres://127.0.0.1:5432/postgres","state":"running","role":"primary"}"#.to_owned(),
            ),
            ("config", r#"{"ttl":30,"loop_wait":10}"#.to_owned()),
            ("initialize", "7312345678901234567".to_owned()),
            ("history", "[[1,25165984,\"no recovery target specified\"]]".to_owned()),
        ] {
            let opts = PutOptions { flags: 7, ..PutOptions::default() };
            assert!(consul.kv().put(&format!("service/{scope}/{key}"), value.as_bytes(), &opts).await.unwrap());
        }
    }
    for (key, value) in [
        ("service/prod-database", "a key that looks like the scope but has no slash"),
        ("vault/core/keyring", "\u{0}\u{1}binary-ish vault storage"),
        ("vault/sys/token/id/h1234", "token entry"),
    ] {
        assert!(consul.kv().put(key, value.as_bytes(), &PutOptions::default()).await.unwrap());
    }
    for (id, name) in [("pg-1", "pg"), ("pg-replica-1", "pg-replica"), ("pg2-1", "pg2")] {
        let svc = AgentServiceRegistration {
            id: Some(id.into()),
            name: name.into(),
            port: Some(5432),
            ..AgentServiceRegistration::default()
        };
        consul.agent().service_register(&svc).await.unwrap();
    }
}

#[tokio::test]
async fn destructive_operations_touch_only_their_exact_target() {
    let agent = match sandbox::Consul::start() {
        Ok(c) => c,
        Err(e) => return sandbox::unavailable("Consul", &e),
    };
    let consul = ConsulClient::builder().address(&agent.http_addr()).build().unwrap();
    plant_world(&consul).await;
    let dir = tempfile::tempdir().unwrap();
    let target_keys: Vec<String> =
        kv_snapshot(&consul).await.into_keys().filter(|k| k.starts_with("service/prod-database/")).collect();
    assert_eq!(target_keys.len(), 5);

    // 1. Patroni scope state removal: exactly service/prod-database/ goes, into a backup file.
    let kv0 = kv_snapshot(&consul).await;
    let catalog0 = catalog_snapshot(&consul).await;
    let dcs = DcsView::new(consul.clone(), "prod-database").unwrap();
    let backup = dir.path().join("prod-database.json");
    dcs.remove_scope_state(&backup, RemoveOptions::default()).await.unwrap();
    let kv1 = kv_snapshot(&consul).await;
    assert_eq!(diff(&kv0, &kv1), target_keys, "only the target scope may change");
    assert_eq!(catalog_snapshot(&consul).await, catalog0);

    // The backup alone puts it back, byte for byte (values and flags).
    dcs.restore_scope_state(&backup).await.unwrap();
    assert_eq!(diff(&kv0, &kv_snapshot(&consul).await), Vec::<String>::new());

    // 2. KV tree delete with the slash-terminated prefix: same exact set.
    consul.kv().delete_tree("service/prod-database/").await.unwrap();
    assert_eq!(diff(&kv0, &kv_snapshot(&consul).await), target_keys);
    dcs.restore_scope_state(&backup).await.unwrap();

    // 3. A prefix without the slash is refused before anything is deleted.
    let err = consul.kv().delete_tree("service/prod-database").await.unwrap_err();
    assert!(err.to_string().contains("service/prod-database"), "{err}");
    assert_eq!(diff(&kv0, &kv_snapshot(&consul).await), Vec::<String>::new());

    // 4. Ghost cleanup removes the planted ghost node and nothing else.
    let ghost = format!("ghost-pg-{}", sandbox::unique_suffix());
    crate::register_ghost_node(&consul, &ghost, "pg-ghost", "pg").await;
    let kv_before = kv_snapshot(&consul).await;
    let catalog_before = catalog_snapshot(&consul).await;
    let cleanup = GhostCleanup::new(
        GhostOptions::default(),
        Arc::new(ConsulCatalog::new(consul.clone())),
        None,
        BackupDir::new(dir.path().join("ghosts")),
    )
    .unwrap();
    let plan = cleanup.plan().await.unwrap();
    let targets: Vec<Target> = plan.findings.iter().map(|f| f.target.clone()).collect();
    assert_eq!(targets, vec![Target::CatalogNode { datacenter: "dc1".into(), node: ghost.clone() }]);
    let report = cleanup.run(&plan, Progress::none()).await.unwrap();
    assert_eq!(report.counts.total(), 1);
    let catalog_after = catalog_snapshot(&consul).await;
    assert_eq!(diff(&catalog_before, &catalog_after), vec![ghost.clone()]);
    assert_eq!(catalog_after, catalog0, "every healthy look-alike service (pg, pg-replica, pg2) is untouched");
    assert_eq!(diff(&kv_before, &kv_snapshot(&consul).await), Vec::<String>::new());
    let saved = std::fs::read_to_string(&report.report.backups[0]).unwrap();
    assert!(saved.contains(&ghost) && saved.contains("pg-ghost"), "the backup holds what was deregistered: {saved}");
}

#[tokio::test]
async fn a_crash_between_backup_and_delete_leaves_everything_restorable() {
    let agent = match sandbox::Consul::start() {
        Ok(c) => c,
        Err(e) => return sandbox::unavailable("Consul", &e),
    };
    let consul = ConsulClient::builder().address(&agent.http_addr()).build().unwrap();
    plant_world(&consul).await;
    let kv0 = kv_snapshot(&consul).await;
    let dir = tempfile::tempdir().unwrap();
    let backup = dir.path().join("prod-database.json");
    let dcs = DcsView::new(consul.clone(), "prod-database").unwrap();

    // Crash right after the backup was written: stop the removal at the first
    // moment the backup file exists (the delete is one atomic transaction
    // after it, so the world holds either everything or the backup does).
    let task = {
        let dcs = dcs.clone();
        let backup = backup.clone();
        tokio::spawn(async move { dcs.remove_scope_state(&backup, RemoveOptions::default()).await })
    };
    while !backup.exists() {
        tokio::task::yield_now().await;
    }
    task.abort();
    let _ = task.await;
    let saved = patroni_client::backup::read_backup(&backup).unwrap();
    let saved_keys: Vec<&str> = saved.keys.iter().map(|k| k.key.as_str()).collect();
    assert_eq!(saved_keys.len(), 5, "the backup holds every key of the scope");
    // The delete transaction may already be on the wire when the process
    // "dies", and land a moment later: watch the scope settle, and whenever
    // keys are gone, check they are in the backup and put them back from it.
    let mut restored = false;
    for _ in 0..10 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        let now = kv_snapshot(&consul).await;
        let missing: Vec<&String> = kv0.keys().filter(|k| !now.contains_key(*k)).collect();
        for key in &missing {
            assert!(saved_keys.contains(&key.as_str()), "{key} was deleted without being in the backup");
        }
        if !missing.is_empty() {
            assert!(!restored, "the scope may be deleted once, not again after the restore");
            dcs.restore_scope_state(&backup).await.unwrap();
            restored = true;
        }
    }
    assert_eq!(diff(&kv0, &kv_snapshot(&consul).await), Vec::<String>::new());
}
