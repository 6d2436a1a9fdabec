//! Allocations: list, read, stop, restart, signal, find_running.

use std::time::Duration;

use nomad_client::{Error, QueryOptions, TaskStatus, WriteOptions};
use serde_json::json;
use wiremock::matchers::{body_json, method, path};
use wiremock::{Mock, ResponseTemplate};

use crate::common::*;

#[tokio::test]
async fn list_by_prefix_and_across_namespaces() {
    let (server, nomad) = server().await;
    Mock::given(method("GET"))
        .and(path("/v1/allocations"))
        .and(query_is(&[("namespace", NS), ("prefix", "9df9c84d")]))
        .and(token())
        .respond_with(ok("allocations-list-prefix.json", 27))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/allocations"))
        .and(query_is(&[("namespace", "*")]))
        .and(token())
        .respond_with(ok("allocations-list-all-namespaces.json", 27))
        .expect(1)
        .mount(&server)
        .await;
    let found = nomad.allocations().list(&QueryOptions::new().prefix("9df9c84d")).await.unwrap().value;
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].id, ALLOC);
    assert_eq!(found[0].short_id(), "9df9c84d");
    let all = nomad.allocations().list(&QueryOptions::new().all_namespaces()).await.unwrap().value;
    assert_eq!(all.len(), 2);
}

#[tokio::test]
async fn read_decodes_job_and_task_states() {
    let (server, nomad) = server().await;
    Mock::given(method("GET"))
        .and(path(format!("/v1/allocation/{ALLOC}")))
        .and(query_is(&[("namespace", NS)]))
        .and(token())
        .respond_with(ok("allocation-read.json", 25))
        .expect(1)
        .mount(&server)
        .await;
    let alloc = nomad.allocations().get(ALLOC, &QueryOptions::new()).await.unwrap().value;
    assert!(alloc.is_running());
    assert_eq!(alloc.node_name, "node-1");
    assert_eq!(alloc.job.as_ref().unwrap().id.as_deref(), Some("dbHA1"));
    assert_eq!(alloc.task_states.as_ref().unwrap()["postgres-patroni"].state, TaskStatus::Running);
    assert!(alloc.extra.contains_key("AllocatedResources"));
}

#[tokio::test]
async fn read_missing_allocation_is_not_found() {
    let (server, nomad) = server().await;
    let id = "00000000-0000-0000-0000-000000000000";
    Mock::given(method("GET"))
        .and(path(format!("/v1/allocation/{id}")))
        .respond_with(text(404, "error-allocation-not-found.txt"))
        .mount(&server)
        .await;
    let err = nomad.allocations().get(id, &QueryOptions::new()).await.unwrap_err();
    assert!(matches!(err, Error::NotFound { kind: "allocation", .. }), "{err}");
    assert!(err.to_string().contains(id));
}

#[tokio::test]
async fn stop_restart_and_signal_send_the_documented_bodies() {
    let (server, nomad) = server().await;
    Mock::given(method("POST"))
        .and(path(format!("/v1/allocation/{ALLOC}/stop")))
        .and(query_is(&[("namespace", NS)]))
        .and(token())
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({ "EvalID": "5456bd7a-9fc0-c0dd-6131-cbee77f57577", "Index": 54 })),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path(format!("/v1/client/allocation/{ALLOC}/restart")))
        .and(query_is(&[("namespace", NS)]))
        .and(token())
        .and(body_json(json!({ "TaskName": "postgres-patroni" })))
        .respond_with(ResponseTemplate::new(200).set_body_string("{}"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path(format!("/v1/client/allocation/{ALLOC}/restart")))
        .and(body_json(json!({})))
        .respond_with(ResponseTemplate::new(200).set_body_string("{}"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/v1/client/allocation/{ALLOC}/signal")))
        .and(token())
        .and(body_json(json!({ "Signal": "SIGHUP", "Task": "postgres-patroni" })))
        .respond_with(ResponseTemplate::new(200).set_body_string("{}"))
        .expect(1)
        .mount(&server)
        .await;
    let allocs = nomad.allocations();
    let w = WriteOptions::new();
    let stopped = allocs.stop(ALLOC, &w).await.unwrap();
    assert_eq!(stopped.index, 54);
    allocs.restart(ALLOC, Some("postgres-patroni"), &w).await.unwrap();
    allocs.restart(ALLOC, None, &w).await.unwrap();
    allocs.signal(ALLOC, "SIGHUP", Some("postgres-patroni"), &w).await.unwrap();
}

async fn mock_job_allocations(server: &wiremock::MockServer, body: serde_json::Value) {
    Mock::given(method("GET"))
        .and(path("/v1/job/dbHA1/allocations"))
        .and(query_is(&[("namespace", NS)]))
        .and(token())
        .respond_with(ResponseTemplate::new(200).insert_header("X-Nomad-Index", "59").set_body_json(body))
        .expect(1)
        .mount(server)
        .await;
}

#[tokio::test]
async fn find_running_picks_the_single_running_allocation() {
    let (server, nomad) = server().await;
    mock_job_allocations(&server, json_fixture("job-allocations-after-revert.json")).await;
    let alloc = nomad.allocations().find_running("dbHA1", "database", &QueryOptions::new()).await.unwrap();
    assert_eq!(alloc.id, "9a466719-8a23-2ba5-801d-d22ddd1c48ac");
}

#[tokio::test]
async fn find_running_with_none_running_lists_what_exists() {
    let (server, nomad) = server().await;
    mock_job_allocations(&server, json_fixture("job-allocations-during-drain.json")).await;
    let err = nomad.allocations().find_running("dbHA1", "database", &QueryOptions::new()).await.unwrap_err();
    assert!(matches!(err, Error::NoRunningAllocation { .. }));
    let text = err.to_string();
    assert!(
        text.starts_with(
            "no running allocation of task group \"database\" of job \"dbHA1\" in namespace \"atala-testnet\""
        ),
        "{text}"
    );
    assert!(text.contains("15b6a58d (complete, desired stop)"), "{text}");
}

#[tokio::test]
async fn find_running_with_unknown_group_says_so() {
    let (server, nomad) = server().await;
    mock_job_allocations(&server, json_fixture("job-allocations.json")).await;
    let err = nomad.allocations().find_running("dbHA1", "backup", &QueryOptions::new()).await.unwrap_err();
    assert!(err.to_string().ends_with("the job has no allocation of that group"), "{err}");
}

#[tokio::test]
async fn find_running_with_several_running_names_them() {
    let (server, nomad) = server().await;
    // The recorded list after a revert, with a second allocation still running (as during a rolling update).
    let mut allocs = json_fixture("job-allocations-after-revert.json");
    allocs[3]["ClientStatus"] = json!("running");
    allocs[3]["DesiredStatus"] = json!("run");
    mock_job_allocations(&server, allocs).await;
    let err = nomad.allocations().find_running("dbHA1", "database", &QueryOptions::new()).await.unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, Error::SeveralRunningAllocations { ref alloc_ids, .. } if alloc_ids.len() == 2), "{text}");
    assert!(text.contains("9a466719-8a23-2ba5-801d-d22ddd1c48ac") && text.contains(ALLOC), "{text}");
}

/// Job dbHA2 does not exist: Nomad lists no allocations for it (200 [], as recorded for
/// an evaluation without allocations) and reading it is the recorded 404.
async fn mount_missing_job(server: &wiremock::MockServer) {
    Mock::given(method("GET"))
        .and(path("/v1/job/dbHA2/allocations"))
        .respond_with(ok("evaluation-allocations.json", 27))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/job/dbHA2"))
        .respond_with(text(404, "error-job-not-found.txt"))
        .mount(server)
        .await;
}

#[tokio::test]
async fn find_running_of_a_job_that_does_not_exist_says_so() {
    let (server, nomad) = server().await;
    mount_missing_job(&server).await;
    let err = nomad.allocations().find_running("dbHA2", "database", &QueryOptions::new()).await.unwrap_err();
    assert!(matches!(err, Error::NotFound { kind: "job", .. }), "{err:?}");
    assert_eq!(err.to_string(), "job \"dbHA2\" was not found in namespace \"atala-testnet\"");
}

/// The allocation of rows 188-190: /bin/false, no restarts, no reschedule.
const FAILED_ALLOC: &str = "bf431f56-0738-4539-be88-692575a1112b";

#[tokio::test]
async fn wait_running_fails_fast_on_an_allocation_that_failed_at_once() {
    let (server, nomad) = server().await;
    Mock::given(method("GET"))
        .and(path("/v1/job/fails-at-once/allocations"))
        .respond_with(ok("job-allocations-failed-at-once.json", 34))
        .mount(&server)
        .await;
    let started = std::time::Instant::now();
    let q = QueryOptions::new().namespace("default");
    let err = nomad.allocations().wait_running("fails-at-once", None, Duration::from_secs(120), &q).await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(10), "waited {:?}", started.elapsed());
    assert!(
        matches!(&err, Error::AllocationFailed { alloc_id, task, .. } if alloc_id == FAILED_ALLOC && task == "boom"),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        format!(
            "allocation {FAILED_ALLOC} of job \"fails-at-once\" in namespace \"default\" failed and nothing replaces it: \
             task \"boom\": Terminated: Exit Code: 1; Not Restarting: Policy allows no restarts"
        )
    );
    // The second look (a blocking query on the same index) confirmed nothing replaced it.
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 2);
    assert!(requests[1].url.query().unwrap().contains("index=34"), "{:?}", requests[1].url);
}

#[tokio::test]
async fn wait_running_returns_the_running_allocation_and_names_a_missing_job() {
    let (server, nomad) = server().await;
    mock_job_allocations(&server, json_fixture("job-allocations.json")).await;
    mount_missing_job(&server).await;
    let allocs = nomad.allocations();
    let q = QueryOptions::new();
    let alloc = allocs.wait_running("dbHA1", Some("database"), Duration::from_secs(5), &q).await.unwrap();
    assert_eq!(alloc.id, ALLOC);
    let err = allocs.wait_running("dbHA2", None, Duration::from_secs(5), &q).await.unwrap_err();
    assert!(matches!(err, Error::NotFound { kind: "job", .. }), "{err:?}");
}

#[tokio::test]
async fn odd_or_empty_id_prefixes_never_reach_nomad() {
    // Rows 191-194: an odd prefix is Nomad's 500 even when an ID starts with it, and an
    // empty prefix= lists everything.
    let (server, nomad) = server().await;
    for (prefix, answer) in
        [("abc", "allocations-list-prefix-odd.txt"), ("7a9", "allocations-list-prefix-odd-matching.txt")]
    {
        Mock::given(method("GET"))
            .and(path("/v1/allocations"))
            .and(wiremock::matchers::query_param("prefix", prefix))
            .respond_with(text(500, answer))
            .mount(&server)
            .await;
    }
    Mock::given(method("GET"))
        .and(path("/v1/allocations"))
        .and(wiremock::matchers::query_param("prefix", ""))
        .respond_with(ok("allocations-list-prefix-empty.json", 34))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/allocation/7a9b849"))
        .respond_with(text(500, "allocation-read-odd-prefix.txt"))
        .mount(&server)
        .await;
    let allocs = nomad.allocations();
    for (prefix, why) in
        [("abc", "odd number of hex digits"), ("7a9", "odd number of hex digits"), ("", "must not be empty")]
    {
        let err = allocs.list(&QueryOptions::new().prefix(prefix)).await.unwrap_err();
        assert!(matches!(err, Error::Core(client_core::Error::InvalidInput { .. })), "{err:?}");
        assert!(err.to_string().contains("allocation ID prefix") && err.to_string().contains(why), "{err}");
    }
    let err = nomad.evaluations().list(&QueryOptions::new().prefix("4f4")).await.unwrap_err();
    assert!(err.to_string().contains("evaluation ID prefix"), "{err}");
    let err = allocs.get("7a9b849", &QueryOptions::new()).await.unwrap_err();
    assert!(err.to_string().contains("full 36-character ID"), "{err}");
    assert!(server.received_requests().await.unwrap().is_empty());
}
