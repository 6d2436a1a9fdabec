//! Jobs validate, submission (1.6+), version tags (1.9+) and services;
//! allocation stats, checks (1.4+), services, GC and pause (Enterprise 1.9+).

use nomad_client::{ClientError, Error, Job, PauseState, QueryOptions, WriteOptions};
use wiremock::matchers::{body_json, method, path};
use wiremock::{Mock, ResponseTemplate};

use crate::common::*;

const STOPPED: &str = "15b6a58d-9cf1-8e55-088e-7e3bc3139d1c";

fn job() -> Job {
    serde_json::from_value(json_fixture("job-read.json")).unwrap()
}

#[tokio::test]
async fn validate_returns_nomads_problems_as_the_answer() {
    let (server, nomad) = server().await;
    Mock::given(method("PUT"))
        .and(path("/v1/validate/job"))
        .and(query_is(&[("namespace", NS)]))
        .respond_with(ok("nomad-docs/job-validate.docs.json", 0))
        .expect(1)
        .mount(&server)
        .await;
    let answer = nomad.jobs().validate(&job(), &WriteOptions::new()).await.unwrap();
    assert!(!answer.is_valid() && answer.driver_config_validated);
    assert!(answer.validation_errors[0].contains("minimum CPU value is 20; got 1"));
    assert!(answer.warnings.starts_with("1 warning(s)"));
    assert_eq!(only_body(&server).await["Job"]["ID"], "dbHA1");
    let nameless = Job { id: None, ..job() };
    let err = nomad.jobs().validate(&nameless, &WriteOptions::new()).await.unwrap_err().to_string();
    assert!(err.contains("job ID"), "{err}");
}

#[tokio::test]
async fn submission_redacts_variables_and_a_missing_one_is_not_found() {
    let (server, nomad) = server().await;
    Mock::given(method("GET"))
        .and(path("/v1/job/myjob/submission"))
        .and(query_is(&[("namespace", "default"), ("version", "0")]))
        .respond_with(ok("nomad-docs/job-submission.docs.json", 11))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/job/myjob/submission"))
        .and(query_is(&[("namespace", "default"), ("version", "7")]))
        .respond_with(ResponseTemplate::new(404).set_body_string("job source not found"))
        .mount(&server)
        .await;
    let q = QueryOptions::new().namespace("default");
    let sub = nomad.jobs().submission("myjob", 0, &q).await.unwrap().value;
    assert_eq!((sub.format.as_str(), sub.job_index), ("hcl2", 11));
    assert!(sub.source.contains("job \"myjob\""));
    assert_eq!(sub.variable_flags["X"].expose(), "x");
    let shown = format!("{sub:?}");
    assert!(!shown.contains("\"x\"") && shown.contains("<redacted>"), "{shown}");
    let err = nomad.jobs().submission("myjob", 7, &q).await.unwrap_err();
    assert!(err.is_not_found() && err.to_string().contains("myjob@v7"), "{err}");
    // A job ID that ends in the endpoint would read another job's source.
    let err = nomad.jobs().submission("other/submission", 0, &q).await.unwrap_err().to_string();
    assert!(err.contains("submission endpoint"), "{err}");
}

#[tokio::test]
async fn version_tags_and_job_services() {
    let (server, nomad) = server().await;
    Mock::given(method("POST"))
        .and(path("/v1/job/hello-world/versions/golden-version/tag"))
        .and(body_json(json_fixture("nomad-docs/job-version-tag.request.docs.json")))
        .respond_with(ok("nomad-docs/job-version-tag.docs.json", 361))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/v1/job/hello-world/versions/golden-version/tag"))
        .respond_with(ok("nomad-docs/job-version-untag.docs.json", 362))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/job/example/services"))
        .respond_with(ok("nomad-docs/job-services.docs.json", 24))
        .mount(&server)
        .await;
    let w = WriteOptions::new();
    let tag = nomad
        .jobs()
        .tag_version("hello-world", "golden-version", Some(0), "The version we can roll back to.", &w)
        .await
        .unwrap();
    assert_eq!((tag.name.as_deref(), tag.tagged_time), (Some("golden-version"), Some(1728325495829793000)));
    nomad.jobs().untag_version("hello-world", "golden-version", &w).await.unwrap();
    for bad in ["a/b", "..", ""] {
        let err = nomad.jobs().untag_version("hello-world", bad, &w).await.unwrap_err().to_string();
        assert!(err.contains("job version tag"), "{bad:?}: {err}");
    }
    let regs = nomad.jobs().services("example", &QueryOptions::new()).await.unwrap().value;
    assert_eq!((regs[0].service_name.as_str(), regs[0].port), ("example-cache-redis", 29702));
}

#[tokio::test]
async fn allocation_stats_checks_and_services() {
    let (server, nomad) = server().await;
    Mock::given(method("GET"))
        .and(path(format!("/v1/client/allocation/{ALLOC}/stats")))
        .respond_with(ok("client-allocation-stats.json", 0))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v1/allocation/{ALLOC}/checks")))
        .respond_with(ok("nomad-docs/allocation-checks.docs.json", 0))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v1/allocation/{ALLOC}/services")))
        .respond_with(ok("nomad-docs/allocation-services.docs.json", 24))
        .mount(&server)
        .await;
    let a = nomad.allocations();
    let stats = a.stats(ALLOC, &QueryOptions::new()).await.unwrap();
    assert_eq!(stats.rss_bytes(), Some(31272960));
    assert!(stats.tasks["postgres-patroni"].rss_bytes().is_some());
    let checks = a.checks(ALLOC, &QueryOptions::new()).await.unwrap();
    let check = &checks["a1ed96606694742bf201a640a607e306"];
    assert_eq!((check.status.as_str(), check.output.as_str()), ("success", "nomad: tcp ok"));
    assert_eq!(a.services(ALLOC, &QueryOptions::new()).await.unwrap().value.len(), 1);
    let err = a.stats("9df9c84d", &QueryOptions::new()).await.unwrap_err().to_string();
    assert!(err.contains("allocation ID") && err.contains("36-character"), "{err}");
}

#[tokio::test]
async fn gc_only_collects_a_terminal_allocation_and_pause_sends_the_state() {
    let (server, nomad) = server().await;
    Mock::given(method("GET"))
        .and(path(format!("/v1/allocation/{ALLOC}")))
        .respond_with(ok("allocation-read.json", 25))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v1/allocation/{STOPPED}")))
        .respond_with(ok("allocation-read-stopped.json", 30))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v1/client/allocation/{STOPPED}/gc")))
        .respond_with(ResponseTemplate::new(200).set_body_string("{}"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path(format!("/v1/client/allocation/{ALLOC}/pause")))
        .and(body_json(serde_json::json!({ "Task": "schedtask", "ScheduleState": "run" })))
        .respond_with(ok("nomad-docs/allocation-pause.docs.json", 0))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v1/client/allocation/{ALLOC}/pause")))
        .and(query_is(&[("namespace", NS), ("task", "schedtask")]))
        .respond_with(ok("nomad-docs/allocation-pause-read.docs.json", 0))
        .mount(&server)
        .await;
    let a = nomad.allocations();
    let err = a.gc(ALLOC, &WriteOptions::new()).await.unwrap_err();
    assert!(matches!(err, Error::Refused { .. }) && err.to_string().contains("running"), "{err}");
    a.gc(STOPPED, &WriteOptions::new()).await.unwrap();
    a.set_pause(ALLOC, "schedtask", PauseState::Run, &WriteOptions::new()).await.unwrap();
    assert_eq!(a.pause_state(ALLOC, "schedtask", &QueryOptions::new()).await.unwrap(), "scheduled_pause");
    let err = a.set_pause(ALLOC, "", PauseState::Pause, &WriteOptions::new()).await.unwrap_err().to_string();
    assert!(err.contains("task"), "{err}");
}
