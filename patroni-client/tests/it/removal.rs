//! `remove_scope_state` against the real Consul with a writer that acts
//! exactly between the backup and the delete: Consul is reached through a
//! forwarding server that runs the writer just before it forwards a chosen
//! transaction.

use std::path::Path;
use std::sync::Mutex;

use base64::Engine as _;
use consul_client::{ConsulClient, KvPair, PutOptions, QueryOptions};
use patroni_client::backup::read_backup;
use patroni_client::{DcsView, Error, RemoveOptions};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// Forwards every request to the real Consul; before the `nth` `PUT /v1/txn`
/// (1-based) it runs `writer` once.
struct Interposer {
    port: u16,
    nth: usize,
    txns: Mutex<usize>,
    writer: Mutex<Option<Box<dyn FnOnce() + Send>>>,
}

impl Respond for Interposer {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        if req.method.as_str() == "PUT" && req.url.path() == "/v1/txn" {
            let mut seen = self.txns.lock().unwrap();
            *seen += 1;
            if *seen == self.nth {
                if let Some(writer) = self.writer.lock().unwrap().take() {
                    writer();
                }
            }
        }
        let target = match req.url.query() {
            Some(query) => format!("{}?{query}", req.url.path()),
            None => req.url.path().to_owned(),
        };
        let body = String::from_utf8(req.body.clone()).unwrap();
        let (status, answer) = sandbox::http::request(self.port, req.method.as_str(), &target, Some(&body)).unwrap();
        ResponseTemplate::new(status).set_body_raw(answer, "application/json")
    }
}

/// A Consul client whose `nth` transaction is preceded by `writer`.
async fn interposed(nth: usize, writer: impl FnOnce() + Send + 'static) -> (MockServer, ConsulClient) {
    let port = sandbox::shared_consul().expect("checked by the caller").http_port();
    let server = MockServer::start().await;
    let interposer = Interposer { port, nth, txns: Mutex::new(0), writer: Mutex::new(Some(Box::new(writer))) };
    Mock::given(wiremock::matchers::any()).respond_with(interposer).mount(&server).await;
    let client = ConsulClient::builder().address(&server.uri()).build().unwrap();
    (server, client)
}

/// A blocking plain write straight to the real Consul (for the writer).
fn put_direct(key: &str, value: &str) {
    let port = sandbox::shared_consul().unwrap().http_port();
    let (status, body) = sandbox::http::request(port, "PUT", &format!("/v1/kv/{key}"), Some(value)).unwrap();
    assert_eq!((status, body.trim()), (200, "true"), "{key}");
}

async fn raw(consul: &ConsulClient, prefix: &str) -> Vec<KvPair> {
    consul.kv().list(prefix, &QueryOptions::default()).await.unwrap().value
}

fn saved_values(backup: &Path) -> Vec<(String, Vec<u8>)> {
    read_backup(backup)
        .unwrap()
        .keys
        .into_iter()
        .map(|k| {
            let v = k.value.map(|v| base64::engine::general_purpose::STANDARD.decode(v).unwrap()).unwrap_or_default();
            (k.key, v)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_writer_between_backup_and_delete_loses_nothing_and_the_stale_backup_goes() {
    let Some(server) = sandbox::shared_consul() else { return };
    let direct = ConsulClient::builder().address(&server.http_addr()).build().unwrap();
    let scope = format!("pc-race-{}", sandbox::unique_suffix());
    let prefix = format!("service/{scope}/");
    for (rel, value) in [("leader", "dbHA1"), ("members/dbHA1", "{}"), ("initialize", "7312"), ("config", "{}")] {
        assert!(direct.kv().put(&format!("{prefix}{rel}"), value.as_bytes(), &PutOptions::default()).await.unwrap());
    }
    let (p1, p2) = (prefix.clone(), prefix.clone());
    let (_proxy, consul) = interposed(1, move || {
        put_direct(&format!("{p1}leader"), "dbHA2");
        put_direct(&format!("{p2}members/x"), "{}");
    })
    .await;
    let dcs = DcsView::new(consul, &scope).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let backup = dir.path().join("scope.json");

    let err = dcs.remove_scope_state(&backup, RemoveOptions::default()).await.unwrap_err();
    let Error::IncompleteRemoval { backup_kept, incomplete, .. } = &err else { panic!("{err:?}") };
    assert!(!backup_kept && incomplete.nothing_deleted(), "{err}");
    assert_eq!(incomplete.changed, [format!("{prefix}leader")], "{err}");
    assert_eq!(incomplete.added, [format!("{prefix}members/x")], "{err}");
    assert!(err.to_string().contains("stale backup"), "{err}");
    assert!(!backup.exists(), "a refused removal leaves no stale backup behind");

    // Nothing is lost: all five keys are there, the changed one with its new value.
    let now = raw(&direct, &prefix).await;
    assert_eq!(now.len(), 5);
    assert_eq!(now.iter().find(|p| p.key.ends_with("/leader")).unwrap().value_str(), Some("dbHA2"));

    // Retried with a fresh backup, the removal goes through and can be undone.
    let saved = dcs.remove_scope_state(&backup, RemoveOptions::default()).await.unwrap();
    assert_eq!(saved.keys.len(), 5);
    assert!(raw(&direct, &prefix).await.is_empty());
    assert_eq!(dcs.restore_scope_state(&backup).await.unwrap(), 5);
    direct.kv().delete_tree(&prefix).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scope_beyond_one_transaction_changed_between_batches_stays_fully_backed_up() {
    let Some(server) = sandbox::shared_consul() else { return };
    let direct = ConsulClient::builder().address(&server.http_addr()).build().unwrap();
    let scope = format!("pc-big-{}", sandbox::unique_suffix());
    let prefix = format!("service/{scope}/");
    for i in 0..100 {
        let key = format!("{prefix}members/m{i:03}");
        assert!(direct.kv().put(&key, format!("v{i}").as_bytes(), &PutOptions::default()).await.unwrap());
    }
    // Before the second transaction: a key of the second batch changes.
    let changed = format!("{prefix}members/m080");
    let target = changed.clone();
    let (_proxy, consul) = interposed(2, move || put_direct(&target, "new")).await;
    let dcs = DcsView::new(consul, &scope).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let backup = dir.path().join("scope.json");

    let err = dcs.remove_scope_state(&backup, RemoveOptions::default()).await.unwrap_err();
    let Error::IncompleteRemoval { backup_kept, incomplete, .. } = &err else { panic!("{err:?}") };
    assert!(backup_kept, "{err}");
    assert_eq!((incomplete.deleted.len(), incomplete.transactions), (64, 1), "{err}");
    assert_eq!(incomplete.changed, std::slice::from_ref(&changed));
    assert_eq!(incomplete.untouched.len(), 35);
    assert!(err.to_string().contains("holds every deleted key"), "{err}");

    // Every key that is gone is in the backup with its value.
    let saved = saved_values(&backup);
    let now: Vec<String> = raw(&direct, &prefix).await.into_iter().map(|p| p.key).collect();
    for (key, value) in &saved {
        if !now.contains(key) {
            let i: usize = key[key.len() - 3..].parse().unwrap();
            assert_eq!(value, format!("v{i}").as_bytes(), "{key}");
        }
    }
    assert_eq!(saved.len() - now.len(), 64);

    // The partial state is restorable: the changed key differs from the
    // backup, so the restore refuses before writing; without it, it completes.
    let err = dcs.restore_scope_state(&backup).await.unwrap_err();
    assert!(err.to_string().contains("remove them first"), "{err}");
    direct.kv().delete(&changed, &consul_client::DeleteOptions::default()).await.unwrap();
    assert_eq!(dcs.restore_scope_state(&backup).await.unwrap(), 65);
    let back = raw(&direct, &prefix).await;
    assert_eq!(back.len(), 100);
    direct.kv().delete_tree(&prefix).await.unwrap();
}
