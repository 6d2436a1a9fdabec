//! `ConsulScopeStore` against the real Consul: the scope deletion deletes
//! only what its snapshot saved, on the saved indexes; what it deleted can
//! be written back, odd keys included; one scope validator for the SDK.

use consul_client::{ConsulClient, IncompleteDelete, KvPair, PutOptions, QueryOptions, TxnOp};
use recipes::Error;
use recipes::adapters::consul::ConsulScopeStore;
use recipes::ports::{ScopeSnapshot, ScopeStore};

fn consul() -> Option<ConsulClient> {
    let server = sandbox::shared_consul()?;
    Some(ConsulClient::builder().address(&server.http_addr()).build().unwrap())
}

fn scope(what: &str) -> String {
    format!("rc-{what}-{}", sandbox::unique_suffix())
}

async fn list(consul: &ConsulClient, prefix: &str) -> Vec<KvPair> {
    consul.kv().list(prefix, &QueryOptions::default()).await.unwrap().value
}

async fn put(consul: &ConsulClient, key: &str, value: &str) {
    assert!(consul.kv().put(key, value.as_bytes(), &PutOptions::default()).await.unwrap(), "{key}");
}

/// The typed report inside a failed scope deletion.
fn incomplete(err: &Error) -> &IncompleteDelete {
    let Error::Backend { source: Some(source), .. } = err else { panic!("expected a Consul KV error, got {err:?}") };
    match source.downcast_ref::<consul_client::Error>() {
        Some(consul_client::Error::IncompleteDelete(report)) => report,
        other => panic!("expected an incomplete delete, got {other:?}"),
    }
}

/// Key, flags and value bytes.
fn content(pairs: &[KvPair]) -> Vec<(String, u64, Vec<u8>)> {
    let mut out: Vec<_> = pairs.iter().map(|p| (p.key.clone(), p.flags, p.value.clone().unwrap_or_default())).collect();
    out.sort();
    out
}

#[tokio::test]
async fn a_writer_between_snapshot_and_delete_loses_nothing() {
    let Some(consul) = consul() else { return };
    let store = ConsulScopeStore::new(consul.clone());
    let scope = scope("race");
    let prefix = store.prefix(&scope);
    for (rel, value) in [("leader", "dbHA1"), ("members/dbHA1", "{}"), ("initialize", "7312")] {
        put(&consul, &format!("{prefix}{rel}"), value).await;
    }
    let saved = store.snapshot(&scope).await.unwrap();
    assert!(saved.entries.iter().all(|e| e.modify_index > 0), "{saved:?}");

    // Between the backup and the delete: `leader` changes, `members/x` appears.
    put(&consul, &format!("{prefix}leader"), "dbHA2").await;
    put(&consul, &format!("{prefix}members/x"), "{}").await;
    let err = store.delete_scope(&scope, &saved).await.unwrap_err();
    let report = incomplete(&err);
    assert!(report.nothing_deleted(), "{err}");
    assert_eq!(report.changed, [format!("{prefix}leader")]);
    assert_eq!(report.added, [format!("{prefix}members/x")]);
    assert!(err.with_causes().contains("members/x"), "{err}");
    assert_eq!(list(&consul, &prefix).await.len(), 4, "nothing was deleted");

    // With a fresh snapshot the scope goes, and the backup brings it back.
    let saved = store.snapshot(&scope).await.unwrap();
    store.delete_scope(&scope, &saved).await.unwrap();
    assert!(store.snapshot(&scope).await.unwrap().is_empty());
    store.restore(&saved.entries).await.unwrap();
    assert_eq!(store.snapshot(&scope).await.unwrap().entries.len(), 4);
    consul.kv().delete_tree(&prefix).await.unwrap();
}

#[tokio::test]
async fn a_scope_beyond_one_transaction_stops_at_a_change_fully_backed_up() {
    let Some(consul) = consul() else { return };
    let store = ConsulScopeStore::new(consul.clone());
    let scope = scope("big");
    let prefix = store.prefix(&scope);
    for i in 0..100 {
        put(&consul, &format!("{prefix}members/m{i:03}"), &format!("v{i}")).await;
    }
    let saved = store.snapshot(&scope).await.unwrap();
    let changed = format!("{prefix}members/m080");
    put(&consul, &changed, "new").await;

    let err = store.delete_scope(&scope, &saved).await.unwrap_err();
    let report = incomplete(&err);
    assert_eq!((report.deleted.len(), report.transactions), (64, 1), "{err}");
    assert_eq!(report.changed, std::slice::from_ref(&changed));
    assert_eq!(report.untouched.len(), 35);
    // Every key that is gone is in the snapshot with its value.
    let now: Vec<String> = list(&consul, &prefix).await.into_iter().map(|p| p.key).collect();
    let gone: Vec<&str> =
        saved.entries.iter().map(|e| e.key.as_str()).filter(|k| !now.iter().any(|n| n == k)).collect();
    assert_eq!(gone.len(), 64);
    assert_eq!(gone, report.deleted.iter().map(String::as_str).collect::<Vec<_>>());

    // Restoring writes back every lost key and refuses to overwrite the changed one.
    let err = store.restore(&saved.entries).await.unwrap_err();
    assert!(matches!(err, Error::PartialFailure { .. }) && err.to_string().contains("members/m080"), "{err}");
    let back = list(&consul, &prefix).await;
    assert_eq!(back.len(), 100);
    assert_eq!(back.iter().find(|p| p.key == changed).unwrap().value_str(), Some("new"));
    consul.kv().delete_tree(&prefix).await.unwrap();
}

#[tokio::test]
async fn odd_keys_binary_values_and_flags_come_back_from_the_backup_file() {
    let Some(consul) = consul() else { return };
    let store = ConsulScopeStore::new(consul.clone());
    let scope = scope("odd");
    let prefix = store.prefix(&scope);
    // Keys kv().put refuses, written the way other clients can: a txn `set`.
    let odd: Vec<(String, Option<Vec<u8>>, u64)> = vec![
        (format!("{prefix}S//x"), Some(b"x".to_vec()), 1),
        (format!("{prefix}S/a/../b"), Some(b"b".to_vec()), 2),
        (format!("{prefix}ctl\u{1}\n"), Some(vec![0, 159, 146, 150, 255]), 3),
        (format!("{prefix}\u{7}bell"), None, 4),
        (format!("{prefix}leader"), Some(b"dbHA1".to_vec()), 0),
    ];
    let ops: Vec<TxnOp> =
        odd.iter().map(|(key, value, flags)| TxnOp::write(key, value.clone(), *flags, None)).collect();
    consul.kv().txn(&ops, None).await.unwrap();
    let before = list(&consul, &prefix).await;
    assert_eq!(before.len(), odd.len());

    // The backup file of the recipes is JSON; the restore reads it back from there.
    let saved = store.snapshot(&scope).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = recipes::BackupDir::new(dir.path()).save("odd", &saved).await.unwrap();
    store.delete_scope(&scope, &saved).await.unwrap();
    assert!(list(&consul, &prefix).await.is_empty());
    let from_file: ScopeSnapshot = serde_json::from_slice(&std::fs::read(file).unwrap()).unwrap();
    store.restore(&from_file.entries).await.unwrap();
    assert_eq!(content(&list(&consul, &prefix).await), content(&before), "keys, flags and bytes exactly");
    // Restoring again changes nothing and is not an error.
    store.restore(&from_file.entries).await.unwrap();
    consul.kv().delete_tree(&prefix).await.unwrap();
}

#[tokio::test]
async fn bad_snapshots_and_entries_are_refused_before_anything_changes() {
    let consul = ConsulClient::builder().address("http://127.0.0.1:1").build().unwrap();
    let store = ConsulScopeStore::new(consul);
    let other = ScopeSnapshot { prefix: "service/other/".into(), ..ScopeSnapshot::default() };
    let err = store.delete_scope("db", &other).await.unwrap_err();
    assert!(matches!(err, Error::InvalidInput { .. }) && err.to_string().contains("not a snapshot of"), "{err}");
    let no_index = ScopeSnapshot {
        prefix: "service/db/".into(),
        index: 1,
        entries: vec![recipes::ports::ScopeEntry::new("service/db/leader".into(), 0, None)],
    };
    let err = store.delete_scope("db", &no_index).await.unwrap_err();
    assert!(err.to_string().contains("no ModifyIndex"), "{err}");
    let outside = [recipes::ports::ScopeEntry::new("vault/secret".into(), 0, None)];
    let err = store.restore(&outside).await.unwrap_err();
    assert!(matches!(err, Error::InvalidInput { .. }) && err.to_string().contains("outside"), "{err}");
}

#[test]
fn recipes_and_patroni_client_agree_on_every_scope() {
    let consul = ConsulClient::builder().address("http://127.0.0.1:1").build().unwrap();
    let long = "x".repeat(257);
    let cases = [
        ("prod-database", true),
        ("demo_db.2", true),
        ("prod database", false),
        ("tab\there", false),
        ("new\nline", false),
        ("a/b", false),
        ("", false),
        (".", false),
        ("..", false),
        (" pad", false),
        ("nul\0", false),
        (long.as_str(), false),
        ("ünïcødé", true),
    ];
    for (scope, ok) in cases {
        let by_recipes = recipes::input::validate_scope(scope);
        let by_patroni = patroni_client::validate_scope(scope);
        let by_view = patroni_client::DcsView::new(consul.clone(), scope);
        assert_eq!(by_recipes.is_ok(), ok, "{scope:?}: {by_recipes:?}");
        assert_eq!(by_patroni.is_ok(), ok, "{scope:?}");
        assert_eq!(by_view.is_ok(), ok, "{scope:?}");
        if let (Err(r), Err(p)) = (by_recipes, by_patroni) {
            assert_eq!(r.to_string(), p.to_string(), "one validator, one sentence");
            assert!(matches!(r, Error::InvalidInput { ref what, .. } if what == "scope"));
        }
    }
}
