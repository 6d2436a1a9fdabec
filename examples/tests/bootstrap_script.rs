//! The `bootstrap` script as a binary, against a wiremock Nomad answering with recorded
//! Nomad 1.1.2 bodies and a real Consul: the job source must be explicit, and `--yes --json`
//! prints one `{plan, report}` document on a no-op as when there is work, and
//! `--patroni-namespace` reads the scope under Patroni's other namespace root.

use std::process::Command;

use consul_client::{ConsulClient, PutOptions};
use serde_json::{Value, json};
use test_support::Fixtures;
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// The recorded Nomad bodies of the bootstrap script.
const FIXTURES: Fixtures = Fixtures::new(env!("CARGO_MANIFEST_DIR")).under("bootstrap");

/// A Nomad where namespace `ns` exists and the three jobs run (the recorded read, renamed).
async fn nomad_with_running_jobs(ns: &str) -> MockServer {
    let server = MockServer::start().await;
    let mut namespace: Value = FIXTURES.json("namespace-read.json");
    namespace["Name"] = json!(ns);
    Mock::given(method("GET"))
        .and(path(format!("/v1/namespace/{ns}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(namespace))
        .mount(&server)
        .await;
    for job in ["dbHA1", "dbHA2", "backup"] {
        let mut body: Value = FIXTURES.json("job-read.json");
        body["ID"] = json!(job);
        body["Name"] = json!(job);
        body["Namespace"] = json!(ns);
        body["Status"] = json!("running");
        body["Stop"] = json!(false);
        Mock::given(method("GET"))
            .and(path(format!("/v1/job/{job}")))
            .respond_with(ResponseTemplate::new(200).set_body_json(body))
            .mount(&server)
            .await;
    }
    Mock::given(method("POST"))
        .and(path_regex(".*"))
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(&server)
        .await;
    server
}

fn bootstrap(nomad: &str, consul: &str, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_bootstrap"))
        .args(args)
        .env("NOMAD_ADDR", nomad)
        .env("CONSUL_HTTP_ADDR", consul)
        .env("VAULT_ADDR", "http://127.0.0.1:1")
        .env_remove("NOMAD_NAMESPACE")
        .env("NO_LIVE_PROGRESS", "1")
        .output()
        .expect("the script starts");
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status.code().unwrap_or(-1), text(&out.stdout), text(&out.stderr))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn yes_json_on_a_healthy_cluster_is_one_plan_and_report_document_and_the_job_source_is_explicit() {
    // (the scope lives under another Patroni namespace root, read with --patroni-namespace)
    let Some(agent) = sandbox::shared_consul() else { return };
    let ns = format!("bs{}", sandbox::unique_suffix());
    let scope = format!("{ns}-database");
    // A healthy cluster as Patroni 4.1.5 publishes it (namespace root `/other/`): dbHA1 leads,
    // dbHA2 streams.
    let consul = ConsulClient::builder().address(&agent.http_addr()).build().unwrap();
    let kv = consul.kv();
    let member = |role: &str, extra: Value| {
        let mut m = json!({"state": "running", "role": role, "xlog_location": 67_109_304, "timeline": 1,
            "api_url": "http://127.0.0.1:1/patroni", "version": "4.1.5"});
        if let (Some(m), Some(e)) = (m.as_object_mut(), extra.as_object()) {
            m.extend(e.clone());
        }
        m.to_string()
    };
    let keys = [
        ("initialize", "7710854574632418901".to_owned()),
        ("leader", "dbHA1".to_owned()),
        ("members/dbHA1", member("primary", json!({}))),
        ("members/dbHA2", member("replica", json!({"replication_state": "streaming"}))),
    ];
    for (key, value) in &keys {
        kv.put(&format!("other/{scope}/{key}"), value.as_bytes(), &PutOptions::default()).await.unwrap();
    }
    let nomad = nomad_with_running_jobs(&ns).await;
    let dir = tempfile::tempdir().unwrap();
    let settings = dir.path().join("settings");
    std::fs::create_dir_all(&settings).unwrap();
    std::fs::write(settings.join(format!("{ns}.json")), r#"{"patroniBootstrapMethod": "initdb"}"#).unwrap();
    let jobs = dir.path().join("jobs");
    std::fs::create_dir_all(&jobs).unwrap();
    let state = dir.path().join("state");
    let base = [
        "--namespace",
        &ns,
        "--settings-dir",
        settings.to_str().unwrap(),
        "--skip-volume-check",
        "test volumes",
        "--state-dir",
        state.to_str().unwrap(),
    ];

    // Without --job-dir: one line naming the missing job source, exit 1.
    let (code, _, err) = bootstrap(&nomad.uri(), &agent.http_addr(), &[&base[..], &["--dry-run"]].concat());
    assert_eq!(code, 1, "{err}");
    assert!(err.starts_with("error: no job source: pass --job-dir"), "{err}");

    // Under the default root the scope is empty: the running jobs are not a healthy cluster there.
    let default_root = [&base[..], &["--job-dir", jobs.to_str().unwrap(), "--dry-run"]].concat();
    let (code, _, err) = bootstrap(&nomad.uri(), &agent.http_addr(), &default_root);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("job dbHA1: is running: a cluster exists already"), "{err}");

    let with_jobs =
        [&base[..], &["--job-dir", jobs.to_str().unwrap(), "--patroni-namespace", "/other/", "--yes", "--json"]]
            .concat();
    let (code, out, err) = bootstrap(&nomad.uri(), &agent.http_addr(), &with_jobs);
    assert_eq!(code, 0, "{err}");
    let doc: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("one JSON document ({e}): {out}"));
    assert_eq!(doc["plan"]["recipe"], "bootstrap", "{doc:#}");
    assert!(doc["plan"]["steps"].as_array().unwrap().is_empty(), "{doc:#}");
    assert_eq!(doc["report"]["skipped"][0]["reason"], "the cluster is already bootstrapped and healthy", "{doc:#}");

    let checks = doc["plan"]["checks"].as_array().unwrap();
    assert!(checks.iter().any(|c| c["name"] == format!("cluster {scope}")), "read under /other/: {doc:#}");
    kv.delete_tree(&format!("other/{scope}/")).await.unwrap();
}
