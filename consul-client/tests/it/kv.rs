//! KV against the real Consul.

use std::time::Duration;

use consul_client::{DeleteOptions, Error, PutOptions, QueryOptions, TxnOp, WatchOptions};
use futures::StreamExt;

use crate::common::{consul_or_skip, prefix};

fn q() -> QueryOptions {
    QueryOptions::default()
}

#[tokio::test]
async fn put_get_raw_list_and_missing_keys() {
    let consul = consul_or_skip!();
    let kv = consul.kv();
    let p = prefix("kv");
    let key = format!("{p}config");
    assert!(kv.put(&key, br#"{"ttl":30}"#, &PutOptions { flags: 42, ..PutOptions::default() }).await.unwrap());

    let got = kv.get(&key, &q()).await.unwrap();
    let pair = got.value.expect("key exists");
    assert_eq!(pair.key, key);
    assert_eq!(pair.value_str(), Some(r#"{"ttl":30}"#));
    assert_eq!(pair.flags, 42);
    assert!(pair.modify_index > 0 && got.meta.last_index >= pair.modify_index);
    assert_eq!(kv.get_raw(&key, &q()).await.unwrap().value.as_deref(), Some(&br#"{"ttl":30}"#[..]));

    let missing = kv.get(&format!("{p}nope"), &q()).await.unwrap();
    assert!(missing.value.is_none());
    assert!(missing.meta.last_index > 0, "a 404 still carries the index");
    assert!(kv.get_raw(&format!("{p}nope"), &q()).await.unwrap().value.is_none());
    assert!(kv.list(&format!("{p}nope/"), &q()).await.unwrap().value.is_empty());
    assert!(kv.keys(&format!("{p}nope/"), None, &q()).await.unwrap().value.is_empty());

    // An empty value reads back as no value, not as an error.
    kv.put(&format!("{p}empty"), b"", &PutOptions::default()).await.unwrap();
    let empty = kv.get(&format!("{p}empty"), &q()).await.unwrap().value.unwrap();
    assert!(empty.value.as_deref().unwrap_or_default().is_empty());

    for opts in [q().consistent(), q().stale()] {
        let read = kv.get(&key, &opts).await.unwrap();
        assert_eq!(read.value.unwrap().value_str(), Some(r#"{"ttl":30}"#));
    }
    kv.delete_tree(&p).await.unwrap();
}

#[tokio::test]
async fn escaped_keys_read_back_exactly() {
    let consul = consul_or_skip!();
    let kv = consul.kv();
    let p = prefix("escape");
    let names = ["with space", "question?mark", "hash#tag", "percent%41", "ünïcødé/ключ", "plus+amp&eq=semi;", "x.y~z"];
    for (i, n) in names.iter().enumerate() {
        let key = format!("{p}{n}");
        assert!(kv.put(&key, format!("v{i}").as_bytes(), &PutOptions::default()).await.unwrap(), "{key}");
        let pair = kv.get(&key, &q()).await.unwrap().value.unwrap_or_else(|| panic!("{key} not found"));
        assert_eq!(pair.key, key);
        assert_eq!(pair.value_str(), Some(format!("v{i}").as_str()));
    }
    let mut listed: Vec<String> = kv.list(&p, &q()).await.unwrap().value.into_iter().map(|p| p.key).collect();
    let mut expected: Vec<String> = names.iter().map(|n| format!("{p}{n}")).collect();
    listed.sort();
    expected.sort();
    assert_eq!(listed, expected);
    let folders = kv.keys(&p, Some("/"), &q()).await.unwrap().value;
    assert!(folders.contains(&format!("{p}ünïcødé/")), "{folders:?}");
    kv.delete_tree(&p).await.unwrap();
    assert!(kv.list(&p, &q()).await.unwrap().value.is_empty());
}

#[tokio::test]
async fn cas_conflicts_answer_false() {
    let consul = consul_or_skip!();
    let kv = consul.kv();
    let key = format!("{}config", prefix("cas"));
    let create_only = PutOptions { cas: Some(0), ..PutOptions::default() };
    assert!(kv.put(&key, b"one", &create_only).await.unwrap(), "cas=0 creates a missing key");
    assert!(!kv.put(&key, b"two", &create_only).await.unwrap(), "cas=0 refuses an existing key");

    let index = kv.get(&key, &q()).await.unwrap().value.unwrap().modify_index;
    let stale = PutOptions { cas: Some(index - 1), ..PutOptions::default() };
    assert!(!kv.put(&key, b"stale", &stale).await.unwrap());
    assert!(kv.put(&key, b"fresh", &PutOptions { cas: Some(index), ..PutOptions::default() }).await.unwrap());
    let pair = kv.get(&key, &q()).await.unwrap().value.unwrap();
    assert_eq!(pair.value_str(), Some("fresh"));

    assert!(!kv.delete(&key, &DeleteOptions { cas: Some(index), ..DeleteOptions::default() }).await.unwrap());
    assert!(kv.get(&key, &q()).await.unwrap().value.is_some(), "a refused CAS delete keeps the key");
    let cas = DeleteOptions { cas: Some(pair.modify_index), ..DeleteOptions::default() };
    assert!(kv.delete(&key, &cas).await.unwrap());
    assert!(kv.get(&key, &q()).await.unwrap().value.is_none());
    assert!(kv.delete(&key, &DeleteOptions::default()).await.unwrap(), "deleting a missing key succeeds");
}

#[tokio::test]
async fn tree_delete_spares_look_alike_neighbours() {
    let consul = consul_or_skip!();
    let kv = consul.kv();
    let root = prefix("tree");
    for key in ["db1/config", "db1/leader", "db10/config", "db1-old/config"] {
        kv.put(&format!("{root}{key}"), b"x", &PutOptions::default()).await.unwrap();
    }
    let err = kv.delete_tree(&format!("{root}db1")).await.unwrap_err();
    assert!(matches!(err, Error::UnsafePrefix { .. }), "{err}");
    let text = err.to_string();
    assert!(text.contains("look-alike") && text.contains(&format!("{root}db1/")), "{text}");
    assert_eq!(kv.list(&root, &q()).await.unwrap().value.len(), 4, "nothing was deleted");

    // Raw recurse on the unslashed prefix really does match the neighbours.
    let raw = kv.list(&format!("{root}db1"), &q()).await.unwrap().value;
    assert_eq!(raw.len(), 4);

    kv.delete_tree(&format!("{root}db1/")).await.unwrap();
    let left: Vec<String> = kv.list(&root, &q()).await.unwrap().value.into_iter().map(|p| p.key).collect();
    assert_eq!(left, vec![format!("{root}db1-old/config"), format!("{root}db10/config")]);

    kv.delete_raw_prefix(&format!("{root}db1")).await.unwrap();
    assert!(kv.list(&root, &q()).await.unwrap().value.is_empty());
}

#[tokio::test]
async fn keys_with_separator_roll_up_folders() {
    let consul = consul_or_skip!();
    let kv = consul.kv();
    let root = prefix("keys");
    for key in ["a/x", "a/y", "b", "c/d/e"] {
        kv.put(&format!("{root}{key}"), b"1", &PutOptions::default()).await.unwrap();
    }
    let top = kv.keys(&root, Some("/"), &q()).await.unwrap().value;
    assert_eq!(top, vec![format!("{root}a/"), format!("{root}b"), format!("{root}c/")]);
    let all = kv.keys(&root, None, &q()).await.unwrap().value;
    assert_eq!(all.len(), 4);
    kv.delete_tree(&root).await.unwrap();
}

#[tokio::test]
async fn txn_commits_or_rolls_back_atomically() {
    let consul = consul_or_skip!();
    let kv = consul.kv();
    let root = prefix("txn");
    let (a, b, c) = (format!("{root}a"), format!("{root}b"), format!("{root}c"));
    kv.put(&b, b"old", &PutOptions::default()).await.unwrap();
    let b_index = kv.get(&b, &q()).await.unwrap().value.unwrap().modify_index;

    let ok = kv.txn(&[TxnOp::set(&a, "A"), TxnOp::cas(&b, "B", b_index), TxnOp::get(&b)], None).await.unwrap();
    let pairs: Vec<_> = ok.kv_pairs().collect();
    assert_eq!(pairs.len(), 3);
    assert_eq!(pairs[2].value_str(), Some("B"));

    let err = kv
        .txn(&[TxnOp::set(&c, "C"), TxnOp::cas(&b, "stale", b_index), TxnOp::get(&format!("{root}missing"))], None)
        .await
        .unwrap_err();
    let Error::TxnRolledBack { errors } = &err else { panic!("expected a rollback, got {err}") };
    assert_eq!(errors.iter().map(|e| e.op_index).collect::<Vec<_>>(), vec![1, 2]);
    assert!(err.to_string().contains("operation #1"), "{err}");
    assert!(kv.get(&c, &q()).await.unwrap().value.is_none(), "the first operation was rolled back too");
    assert_eq!(kv.get(&b, &q()).await.unwrap().value.unwrap().value_str(), Some("B"));
    kv.delete_tree(&root).await.unwrap();
}

#[tokio::test]
async fn watch_fires_on_write_and_stays_quiet_otherwise() {
    let consul = consul_or_skip!();
    let kv = consul.kv();
    let root = prefix("watch");
    kv.put(&format!("{root}first"), b"1", &PutOptions::default()).await.unwrap();
    let options = WatchOptions { wait: Duration::from_secs(1), ..WatchOptions::default() };
    // The stream owns what it needs: it outlives the client value and the prefix it was made from.
    let stream = {
        let (client, watched) = (consul.clone(), root.clone());
        client.kv().watch_prefix(&watched, options)
    };
    let mut stream = Box::pin(stream);
    let first = stream.next().await.unwrap().unwrap();
    assert_eq!(first.value.len(), 1);

    // Nothing changes under the prefix (other tests write elsewhere, which
    // moves the global KV index): several blocking rounds yield nothing.
    let quiet = tokio::time::timeout(Duration::from_secs(3), stream.next()).await;
    assert!(quiet.is_err(), "the watch yielded without a change under the prefix: {quiet:?}");

    kv.put(&format!("{root}second"), b"2", &PutOptions::default()).await.unwrap();
    let next = tokio::time::timeout(Duration::from_secs(30), stream.next()).await.unwrap().unwrap().unwrap();
    assert_eq!(next.value.len(), 2);
    assert!(next.meta.last_index > first.meta.last_index);
    kv.delete_tree(&root).await.unwrap();
}

/// Handlers own their client: a handler and the watch it returns are
/// `'static + Send`, so both move into tasks after the client value is gone.
fn owned<T: Send + 'static>(value: T) -> T {
    value
}

#[tokio::test]
async fn an_owning_handler_and_its_watch_move_into_tasks() {
    let consul = consul_or_skip!();
    let root = prefix("owned");
    let key = format!("{root}k");
    let kv = owned(consul.kv());
    let watch =
        owned(consul.kv().watch_key(&key, WatchOptions { wait: Duration::from_secs(2), ..WatchOptions::default() }));
    drop(consul);

    let watcher = tokio::spawn(async move {
        let mut watch = Box::pin(watch);
        let absent = watch.next().await.unwrap().unwrap();
        // A missing key's index is the store's: writes elsewhere yield `None` again.
        let written = tokio::time::timeout(Duration::from_secs(30), async {
            loop {
                if let Some(pair) = watch.next().await.unwrap().unwrap().value {
                    return pair;
                }
            }
        })
        .await
        .unwrap();
        (absent.value, written.value)
    });
    let writer = tokio::spawn(async move {
        // Written after the watch has had time to read the key's absence.
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert!(kv.put(&key, b"v1", &PutOptions::default()).await.unwrap());
        kv
    });
    let kv = writer.await.unwrap();
    let (absent, written) = watcher.await.unwrap();
    assert_eq!(absent, None, "the first answer is the key's absence");
    assert_eq!(written.as_deref(), Some(&b"v1"[..]));
    kv.delete_tree(&root).await.unwrap();
}
