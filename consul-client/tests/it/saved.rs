//! Deleting exactly what was saved (`delete_saved`) and writing it back
//! (`restore_saved`), against the real Consul: concurrent writers between the
//! backup and the delete, folders larger than one transaction, and keys that
//! only transactions can write.

use consul_client::{ConsulClient, Error, IncompleteDelete, KvPair, PutOptions, QueryOptions, TxnOp};
use wiremock::MockServer;

use crate::common::{consul_or_skip, prefix};

fn q() -> QueryOptions {
    QueryOptions::new().consistent()
}

async fn list(consul: &ConsulClient, folder: &str) -> Vec<KvPair> {
    consul.kv().list(folder, &q()).await.unwrap().value
}

/// Key, flags and value bytes: what "written back exactly" compares.
fn content(pairs: &[KvPair]) -> Vec<(String, u64, Vec<u8>)> {
    let mut out: Vec<_> = pairs.iter().map(|p| (p.key.clone(), p.flags, p.value.clone().unwrap_or_default())).collect();
    out.sort();
    out
}

fn keys(pairs: &[KvPair]) -> Vec<String> {
    pairs.iter().map(|p| p.key.clone()).collect()
}

/// Writes keys through a transaction `set` (the key travels in the body), as
/// other Consul clients can, including keys `kv().put` refuses.
async fn txn_set(consul: &ConsulClient, pairs: &[(String, Option<Vec<u8>>, u64)]) {
    let ops: Vec<TxnOp> =
        pairs.iter().map(|(key, value, flags)| TxnOp::write(key, value.clone(), *flags, None)).collect();
    for chunk in ops.chunks(64) {
        consul.kv().txn(chunk, None).await.unwrap();
    }
}

fn incomplete(err: Error) -> IncompleteDelete {
    match err {
        Error::IncompleteDelete(report) => *report,
        other => panic!("expected an incomplete delete, got {other:?}"),
    }
}

#[tokio::test]
async fn a_writer_between_backup_and_delete_loses_nothing() {
    let consul = consul_or_skip!();
    let kv = consul.kv();
    let p = prefix("saved-race");
    let put = PutOptions::default();
    for (rel, value) in [("leader", "dbHA1"), ("members/dbHA1", "{}"), ("config", "{\"ttl\":30}")] {
        assert!(kv.put(&format!("{p}{rel}"), value.as_bytes(), &put).await.unwrap());
    }
    let saved = list(&consul, &p).await;
    assert_eq!(saved.len(), 3);

    // Between the backup and the delete: `leader` changes, `members/x` appears.
    assert!(kv.put(&format!("{p}leader"), b"dbHA2", &put).await.unwrap());
    assert!(kv.put(&format!("{p}members/x"), b"{}", &put).await.unwrap());

    let report = incomplete(kv.delete_saved(&p, &saved).await.unwrap_err());
    assert!(report.verified && report.nothing_deleted(), "{report}");
    assert_eq!(report.changed, [format!("{p}leader")], "{report}");
    assert_eq!(report.added, [format!("{p}members/x")], "{report}");
    let mut untouched = report.untouched.clone();
    untouched.sort();
    assert_eq!(untouched, [format!("{p}config"), format!("{p}members/dbHA1")]);
    assert_eq!(report.transactions, 0);
    let text = report.to_string();
    assert!(text.contains("0 of 3 saved keys deleted") && text.contains("leader"), "{text}");
    assert!(text.contains("members/x"), "{text}");

    // Nothing was deleted: the changed and the added key hold their new values.
    let now = list(&consul, &p).await;
    assert_eq!(now.len(), 4);
    let leader = now.iter().find(|k| k.key == format!("{p}leader")).unwrap();
    assert_eq!(leader.value_str(), Some("dbHA2"));

    // A fresh backup deletes everything, in one transaction, and the folder is empty.
    let done = kv.delete_saved(&p, &now).await.unwrap();
    assert_eq!((done.deleted.len(), done.transactions), (4, 1));
    assert!(list(&consul, &p).await.is_empty());
}

#[tokio::test]
async fn a_key_added_after_the_listing_is_never_deleted() {
    let consul = consul_or_skip!();
    let kv = consul.kv();
    let p = prefix("saved-added");
    assert!(kv.put(&format!("{p}leader"), b"dbHA1", &PutOptions::default()).await.unwrap());
    let saved = list(&consul, &p).await;
    assert!(kv.put(&format!("{p}initialize"), b"7312", &PutOptions::default()).await.unwrap());

    let report = incomplete(kv.delete_saved(&p, &saved).await.unwrap_err());
    assert_eq!(report.deleted, [format!("{p}leader")], "{report}");
    assert_eq!(report.added, [format!("{p}initialize")], "{report}");
    assert!(!report.nothing_deleted());
    assert_eq!(report.transactions, 1);
    assert_eq!(keys(&list(&consul, &p).await), [format!("{p}initialize")]);
    kv.delete_tree(&p).await.unwrap();
}

#[tokio::test]
async fn folders_beyond_one_transaction_go_in_batches_and_stop_at_a_change() {
    let consul = consul_or_skip!();
    let kv = consul.kv();
    let p = prefix("saved-big");
    let pairs: Vec<(String, Option<Vec<u8>>, u64)> =
        (0..150).map(|i| (format!("{p}k{i:03}"), Some(format!("v{i}").into_bytes()), 0)).collect();

    // Without a concurrent change: three transactions (64 + 64 + 22), folder empty.
    txn_set(&consul, &pairs).await;
    let saved = list(&consul, &p).await;
    assert_eq!(saved.len(), 150);
    let done = kv.delete_saved(&p, &saved).await.unwrap();
    assert_eq!((done.deleted.len(), done.transactions), (150, 3));
    assert!(list(&consul, &p).await.is_empty());

    // A change in the second batch after the backup: the first batch is
    // deleted, the second rolls back, the third is never sent.
    txn_set(&consul, &pairs).await;
    let saved = list(&consul, &p).await;
    assert!(kv.put(&format!("{p}k100"), b"changed", &PutOptions::default()).await.unwrap());
    let report = incomplete(kv.delete_saved(&p, &saved).await.unwrap_err());
    assert!(report.verified, "{report}");
    assert_eq!(report.transactions, 1);
    assert_eq!(report.deleted, keys(&saved[..64]), "{report}");
    assert_eq!(report.changed, [format!("{p}k100")]);
    assert_eq!(report.untouched.len(), 85);
    assert!(report.added.is_empty());
    assert!(report.to_string().contains("rolled back transaction 2"), "{report}");

    // Everything gone is in the backup: restoring it gives the folder back.
    let restored = kv.restore_saved(&saved).await.unwrap();
    assert_eq!(restored.written.len(), 64);
    assert_eq!(restored.unchanged.len(), 85);
    assert_eq!(restored.conflicting, [format!("{p}k100")], "the changed key is never overwritten");
    let back = list(&consul, &p).await;
    assert_eq!(back.len(), 150);
    let mut expected: std::collections::BTreeMap<String, Vec<u8>> =
        pairs.into_iter().map(|(k, v, _)| (k, v.unwrap())).collect();
    expected.insert(format!("{p}k100"), b"changed".to_vec());
    let back: std::collections::BTreeMap<String, Vec<u8>> =
        back.into_iter().map(|k| (k.key, k.value.unwrap_or_default())).collect();
    assert_eq!(back, expected);
    kv.delete_tree(&p).await.unwrap();
}

#[tokio::test]
async fn keys_only_a_transaction_can_write_are_deleted_and_restored_exactly() {
    let consul = consul_or_skip!();
    let kv = consul.kv();
    let p = prefix("saved-odd");
    let odd: Vec<(String, Option<Vec<u8>>, u64)> = vec![
        (format!("{p}S//x"), Some(b"double slash".to_vec()), 1),
        (format!("{p}S/a/../b"), Some(b"dot dot".to_vec()), 2),
        (format!("{p}/lead"), Some(b"leading slash after the folder".to_vec()), 0),
        (format!("{p}ctl\u{1}\n\t\u{7f}"), Some(vec![0, 255, 1, 128, 10]), 42),
        (format!("{p}nul\0byte"), Some(vec![0]), u64::MAX),
        (format!("{p}./dot"), Some(b"dot".to_vec()), 0),
        (format!("{p}no-value"), None, 7),
        (format!("{p}members/dbHA1"), Some(b"{\"role\":\"master\"}".to_vec()), 0),
    ];
    // kv().put refuses most of them: only a transaction can put them back.
    for (key, _, _) in &odd[..3] {
        assert!(kv.put(key, b"x", &PutOptions::default()).await.is_err(), "{key:?}");
    }
    txn_set(&consul, &odd).await;
    let before = list(&consul, &p).await;
    assert_eq!(before.len(), odd.len(), "{:?}", keys(&before));

    let done = kv.delete_saved(&p, &before).await.unwrap();
    assert_eq!(done.deleted.len(), odd.len());
    assert!(list(&consul, &p).await.is_empty());

    let restored = kv.restore_saved(&before).await.unwrap();
    assert_eq!(restored.written.len(), odd.len(), "{restored:?}");
    let after = list(&consul, &p).await;
    assert_eq!(content(&after), content(&before), "keys, flags and bytes come back exactly");
    let no_value = after.iter().find(|k| k.key.ends_with("no-value")).unwrap();
    assert_eq!(no_value.value, None, "a key without a value stays without one");

    // A second restore changes nothing and says so.
    let again = kv.restore_saved(&before).await.unwrap();
    assert!(again.written.is_empty() && again.conflicting.is_empty());
    assert_eq!(again.unchanged.len(), odd.len());
    kv.delete_tree(&p).await.unwrap();
    // The leading-slash key lies under the folder as a raw prefix only.
    assert!(list(&consul, &p).await.is_empty());
}

#[tokio::test]
async fn bad_saved_lists_are_refused_before_any_request() {
    let server = MockServer::start().await;
    let consul = ConsulClient::builder().address(&server.uri()).build().unwrap();
    let kv = consul.kv();
    let pair = |key: &str, index: u64| KvPair {
        key: key.to_owned(),
        create_index: index,
        modify_index: index,
        lock_index: 0,
        flags: 0,
        value: Some(b"v".to_vec()),
        session: None,
    };
    let cases: Vec<(&str, Vec<KvPair>, &str)> = vec![
        ("service/db", vec![pair("service/db/leader", 5)], "service/db/"),
        ("service/db/", vec![pair("service/db2/leader", 5)], "outside the folder"),
        ("service/db/", vec![pair("service/db/leader", 0)], "no ModifyIndex"),
        ("service/db/", vec![pair("service/db/leader", 5), pair("service/db/leader", 6)], "listed twice"),
        ("", vec![], "must not be empty"),
    ];
    for (folder, saved, expected) in cases {
        let err = kv.delete_saved(folder, &saved).await.unwrap_err();
        assert!(err.to_string().contains(expected), "{folder:?}: {err}");
    }
    let err = kv.restore_saved(&[pair("", 0)]).await.unwrap_err();
    assert!(err.to_string().contains("must not be empty"), "{err}");
    let err = kv.restore_saved(&[pair("a", 0), pair("a", 0)]).await.unwrap_err();
    assert!(err.to_string().contains("listed twice"), "{err}");
    assert!(server.received_requests().await.unwrap().is_empty(), "nothing was sent");
}
