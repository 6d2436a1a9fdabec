//! The `scope_remove` script against a real Consul: a plan, a refusal of a live scope, the
//! removal with its backup that leaves a look-alike neighbour alone, one JSON document under
//! `--yes --json` even when there is nothing to remove.

use std::process::Command;

use consul_client::{ConsulClient, PutOptions, QueryOptions};

/// Runs the script against the Consul at `addr`: (exit code, stdout, stderr).
fn scope_remove(addr: &str, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_scope_remove"))
        .args(args)
        .env("CONSUL_HTTP_ADDR", addr)
        .output()
        .expect("the script starts");
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status.code().unwrap_or(-1), text(&out.stdout), text(&out.stderr))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scope_remove_saves_then_removes_exactly_the_scope() {
    let Some(agent) = sandbox::shared_consul() else { return };
    let addr = agent.http_addr();
    let consul = ConsulClient::builder().address(&addr).build().unwrap();
    let kv = consul.kv();
    let scope = format!("sr-{}-database", sandbox::unique_suffix());
    let put = |key: String, value: &'static str| {
        let kv = consul.kv();
        async move { kv.put(&key, value.as_bytes(), &PutOptions::default()).await.unwrap() }
    };
    // What a finished cluster leaves once its sessions expired, plus a look-alike neighbour.
    put(format!("service/{scope}/initialize"), "7310000000000000001").await;
    put(format!("service/{scope}/config"), r#"{"ttl":30}"#).await;
    put(format!("service/{scope}-old/leader"), "dbHA9").await;
    let backups = std::env::temp_dir().join(format!("scope-backups-{}", sandbox::unique_suffix()));
    let dir = backups.to_str().unwrap();

    let (code, out, err) = scope_remove(&addr, &["--scope", &scope, "--backup-dir", dir, "--dry-run", "--json"]);
    assert_eq!(code, 0, "{err}");
    let plan: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(plan["steps"].as_array().unwrap().len(), 2, "{plan:#}");
    assert!(kv.get(&format!("service/{scope}/config"), &QueryOptions::default()).await.unwrap().value.is_some());

    // A live scope (Patroni holds the leader key) is refused, nothing removed.
    put(format!("service/{scope}/leader"), "dbHA1").await;
    let (code, _, err) = scope_remove(&addr, &["--scope", &scope, "--backup-dir", dir, "--yes"]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("Patroni is live there (leader dbHA1"), "{err}");
    kv.delete(&format!("service/{scope}/leader"), &consul_client::DeleteOptions::default()).await.unwrap();

    let (code, out, err) = scope_remove(&addr, &["--scope", &scope, "--backup-dir", dir, "--yes", "--json"]);
    assert_eq!(code, 0, "{err}");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["report"]["done"], serde_json::json!(["save backup", "remove scope state"]));
    let backup = doc["report"]["backups"][0].as_str().unwrap();
    let saved: serde_json::Value = serde_json::from_slice(&std::fs::read(backup).unwrap()).unwrap();
    assert_eq!(saved["entries"].as_array().unwrap().len(), 2, "{saved:#}");
    let left = kv.list(&format!("service/{scope}/"), &QueryOptions::default()).await.unwrap().value;
    assert!(left.is_empty(), "{left:?}");
    let neighbour = kv.get(&format!("service/{scope}-old/leader"), &QueryOptions::default()).await.unwrap();
    assert_eq!(neighbour.value.unwrap().value.as_deref(), Some(&b"dbHA9"[..]));

    // Nothing left: `--yes --json` is still one {plan, report} document.
    let (code, out, err) = scope_remove(&addr, &["--scope", &scope, "--backup-dir", dir, "--yes", "--json"]);
    assert_eq!(code, 0, "{err}");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(doc["plan"]["steps"].as_array().unwrap().is_empty() && doc["report"].is_object(), "{doc:#}");
    assert_eq!(doc["report"]["skipped"][0]["step"], "remove scope state");

    kv.delete(&format!("service/{scope}-old/leader"), &consul_client::DeleteOptions::default()).await.unwrap();
    drop(std::fs::remove_dir_all(&backups));
}
