//! A concurrent writer against scope removal, on the real Consul: while
//! `DcsView::remove_scope_state` (patroni-client) or the recipes' scope
//! removal (`ConsulScopeStore`: snapshot, backup file, `delete_scope`) runs,
//! a task keeps changing `leader` and adding member keys in the same scope.
//! After each of 50 trials, every key that is gone is in the backup with the
//! last value written to it, and restoring the backup gives every lost key
//! back.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use base64::Engine as _;
use consul_client::{ConsulClient, KvPair, PutOptions, QueryOptions};
use patroni_client::{DcsView, RemoveOptions};
use recipes::adapters::consul::ConsulScopeStore;
use recipes::ports::ScopeStore;
use tokio::sync::Mutex;

const TRIALS: usize = 50;

/// Every value written to a key, last one last.
type Written = Arc<Mutex<BTreeMap<String, Vec<u8>>>>;

async fn write(consul: &ConsulClient, written: &Written, key: String, value: Vec<u8>) {
    // Recorded before the write: a write that lands is always in the map.
    let mut map = written.lock().await;
    map.insert(key.clone(), value.clone());
    assert!(consul.kv().put(&key, &value, &PutOptions::default()).await.unwrap(), "{key}");
}

/// Changes `leader` and adds a member key, again and again, until stopped,
/// pausing `pause` between writes (trials vary it so that some removals run
/// between two writes and others collide with one).
fn spawn_writer(
    pause: std::time::Duration,

    consul: ConsulClient,
    prefix: String,
    written: Written,
    stop: Arc<AtomicBool>,
) -> tokio::task::JoinHandle<usize> {
    tokio::spawn(async move {
        let mut n = 0;
        while !stop.load(Ordering::Relaxed) {
            n += 1;
            let key = if n % 2 == 0 { format!("{prefix}leader") } else { format!("{prefix}members/w{n}") };
            write(&consul, &written, key, format!("written {n}").into_bytes()).await;
            if pause.is_zero() {
                tokio::task::yield_now().await;
            } else {
                tokio::time::sleep(pause).await;
            }
        }
        n
    })
}

async fn listing(consul: &ConsulClient, prefix: &str) -> BTreeMap<String, Vec<u8>> {
    let pairs = consul.kv().list(prefix, &QueryOptions::default()).await.unwrap().value;
    pairs.into_iter().map(|p| (p.key, p.value.unwrap_or_default())).collect()
}

fn pair(key: &str, flags: u64, value: Vec<u8>) -> KvPair {
    KvPair {
        key: key.to_owned(),
        create_index: 0,
        modify_index: 0,
        lock_index: 0,
        flags,
        value: Some(value),
        session: None,
    }
}

#[derive(Debug, Default)]
struct Tally {
    complete: usize,
    nothing_deleted: usize,
    partial: usize,
    writes: usize,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removal_under_a_concurrent_writer_never_loses_a_key() {
    let Some(server) = sandbox::shared_consul() else { return };
    let consul = ConsulClient::builder().address(&server.http_addr()).build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut tally = Tally::default();
    for trial in 0..TRIALS {
        let scope = format!("cs-{trial}-{}", sandbox::unique_suffix());
        let prefix = format!("service/{scope}/");
        let written: Written = Arc::default();
        for rel in ["leader", "members/dbHA1", "members/dbHA2", "config", "initialize"] {
            write(&consul, &written, format!("{prefix}{rel}"), format!("{rel} at start").into_bytes()).await;
        }
        let stop = Arc::new(AtomicBool::new(false));
        let pause = std::time::Duration::from_micros([0, 500, 2_000, 5_000, 10_000][trial % 5]);
        let writer = spawn_writer(pause, consul.clone(), prefix.clone(), written.clone(), stop.clone());
        tokio::task::yield_now().await;

        // The removal, by patroni-client or by the recipes, with its backup.
        let backup_file = dir.path().join(format!("trial-{trial}.json"));
        let (backup, outcome): (Option<Vec<KvPair>>, Result<(), String>) = if trial % 2 == 0 {
            let dcs = DcsView::new(consul.clone(), &scope).unwrap();
            let result = dcs.remove_scope_state(&backup_file, RemoveOptions::default()).await;
            let backup = backup_file.exists().then(|| {
                patroni_client::backup::read_backup(&backup_file)
                    .unwrap()
                    .keys
                    .iter()
                    .map(|k| {
                        let value =
                            k.value.as_deref().map(|v| base64::engine::general_purpose::STANDARD.decode(v).unwrap());
                        pair(&k.key, k.flags, value.unwrap_or_default())
                    })
                    .collect()
            });
            match result {
                Ok(_) => (backup, Ok(())),
                Err(patroni_client::Error::IncompleteRemoval { incomplete, backup_kept, .. }) => {
                    assert_eq!(backup_kept, backup.is_some(), "trial {trial}");
                    assert_eq!(backup_kept, !incomplete.nothing_deleted(), "trial {trial}: {incomplete}");
                    (backup, Err(incomplete.to_string()))
                }
                Err(other) => panic!("trial {trial}: {other}"),
            }
        } else {
            let store = ConsulScopeStore::new(consul.clone());
            let snapshot = store.snapshot(&scope).await.unwrap();
            recipes::BackupDir::new(dir.path()).save(&format!("trial-{trial}"), &snapshot).await.unwrap();
            let backup = snapshot.entries.iter().map(|e| pair(&e.key, e.flags, e.value())).collect();
            match store.delete_scope(&scope, &snapshot).await {
                Ok(()) => (Some(backup), Ok(())),
                Err(e) => (Some(backup), Err(e.to_string())),
            }
        };
        stop.store(true, Ordering::Relaxed);
        tally.writes += writer.await.unwrap();

        // Every key that is gone is in the backup, with the last value written to it.
        let written = written.lock().await.clone();
        let now = listing(&consul, &prefix).await;
        let saved: BTreeMap<String, Vec<u8>> =
            backup.clone().unwrap_or_default().into_iter().map(|p| (p.key, p.value.unwrap_or_default())).collect();
        let gone: Vec<&String> = written.keys().filter(|k| !now.contains_key(*k)).collect();
        for key in &gone {
            assert_eq!(
                saved.get(*key),
                Some(&written[*key]),
                "trial {trial}: {key} is gone without its last value saved"
            );
        }
        match &outcome {
            Ok(()) => tally.complete += 1,
            Err(_) if gone.is_empty() => tally.nothing_deleted += 1,
            Err(_) => tally.partial += 1,
        }
        if backup.is_none() {
            assert!(gone.is_empty(), "trial {trial}: the backup was removed although keys are gone");
        }

        // Restoring the backup gives back every lost key (nothing is overwritten).
        if let Some(backup) = backup {
            let restored = consul.kv().restore_saved(&backup).await.unwrap();
            let back = listing(&consul, &prefix).await;
            for key in &gone {
                assert_eq!(back.get(*key), Some(&written[*key]), "trial {trial}: {key} did not come back");
                assert!(restored.written.contains(key), "trial {trial}: {key}");
            }
            for key in &restored.conflicting {
                assert_eq!(back.get(key), Some(&written[key]), "trial {trial}: a newer value of {key} was kept");
            }
        }
        consul.kv().delete_tree(&prefix).await.unwrap();
    }
    eprintln!("{TRIALS} trials under a concurrent writer: {tally:?}");
    assert_eq!(tally.complete + tally.nothing_deleted + tally.partial, TRIALS);
}
