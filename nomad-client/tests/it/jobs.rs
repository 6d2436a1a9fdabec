//! Jobs: every endpoint against recorded answers.

use std::time::Duration;

use futures::StreamExt;
use nomad_client::{
    ClientError, DeploymentStatus, DispatchOptions, Error, Job, JobStatus, JobType, PlanOptions, QueryOptions,
    RegisterOptions, ScaleOptions, StopOptions, WatchOptions, WriteOptions,
};
use serde_json::json;
use wiremock::matchers::{body_json, method, path};
use wiremock::{Mock, ResponseTemplate};

use crate::common::*;

#[tokio::test]
async fn list_with_prefix_decodes_stubs_and_index() {
    let (server, nomad) = server().await;
    Mock::given(method("GET"))
        .and(path("/v1/jobs"))
        .and(query_is(&[("namespace", NS), ("prefix", "dbHA")]))
        .and(token())
        .respond_with(ok("jobs-list-prefix.json", 27))
        .expect(1)
        .mount(&server)
        .await;
    let jobs = nomad.jobs().list(&QueryOptions::new().prefix("dbHA")).await.unwrap();
    assert_eq!(jobs.meta.last_index, 27);
    assert_eq!(jobs.meta.known_leader, Some(true));
    let job = &jobs.value[0];
    assert_eq!((job.id.as_str(), &job.status, &job.job_type), ("dbHA1", &JobStatus::Running, &JobType::Service));
    assert_eq!(job.job_summary.as_ref().unwrap().summary["database"].running, 1);
}

#[tokio::test]
async fn a_stale_read_lets_any_server_answer() {
    let (server, nomad) = server().await;
    Mock::given(method("GET"))
        .and(path("/v1/jobs"))
        .and(query_is(&[("namespace", NS), ("stale", "")]))
        .and(token())
        .respond_with(ok("jobs-list-prefix.json", 27))
        .expect(1)
        .mount(&server)
        .await;
    let jobs = nomad.jobs().list(&QueryOptions::new().stale()).await.unwrap();
    assert_eq!(jobs.value[0].id, "dbHA1");
}

#[tokio::test]
async fn list_all_namespaces_and_filter() {
    let (server, nomad) = server().await;
    Mock::given(method("GET"))
        .and(path("/v1/jobs"))
        .and(query_is(&[("namespace", "*"), ("filter", "Status == \"running\"")]))
        .and(token())
        .respond_with(ok("jobs-list-all-namespaces.json", 27))
        .expect(1)
        .mount(&server)
        .await;
    let opts = QueryOptions::new().all_namespaces().filter("Status == \"running\"");
    let jobs = nomad.jobs().list(&opts).await.unwrap().value;
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].namespace, NS);
}

#[tokio::test]
async fn read_decodes_the_typed_model() {
    let (server, nomad) = server().await;
    Mock::given(method("GET"))
        .and(path("/v1/job/dbHA1"))
        .and(query_is(&[("namespace", NS)]))
        .and(token())
        .respond_with(ok("job-read.json", 27))
        .expect(1)
        .mount(&server)
        .await;
    let job = nomad.jobs().get("dbHA1", &QueryOptions::new()).await.unwrap();
    assert_eq!(job.meta.last_index, 27);
    let job = job.value;
    assert_eq!(job.id.as_deref(), Some("dbHA1"));
    let group = job.task_group("database").unwrap();
    assert_eq!(group.count, Some(1));
    let port = &group.networks.as_ref().unwrap()[0].dynamic_ports.as_ref().unwrap()[0];
    assert_eq!(port.label.as_deref(), Some("db"));
    let task = group.task("postgres-patroni").unwrap();
    assert_eq!(task.driver.as_deref(), Some("raw_exec"));
    assert_eq!(task.resources.as_ref().unwrap().memory_mb, Some(64));
    let service = &task.services.as_ref().unwrap()[0];
    assert_eq!(service.name.as_deref(), Some("atala-testnet-database"));
    assert_eq!(service.tags.as_ref().unwrap(), &["atala", "testnet", "dbHA1", "postgres"]);
    assert_eq!(job.meta.as_ref().unwrap()["cluster"], "dbHA1");
    assert!(job.extra.contains_key("Update"), "unmodelled fields are kept");
}

#[tokio::test]
async fn read_missing_job_is_not_found_naming_job_and_namespace() {
    let (server, nomad) = server().await;
    Mock::given(method("GET"))
        .and(path("/v1/job/nope"))
        .respond_with(text(404, "error-job-not-found.txt"))
        .expect(1)
        .mount(&server)
        .await;
    let err = nomad.jobs().get("nope", &QueryOptions::new()).await.unwrap_err();
    assert!(err.is_not_found());
    assert!(matches!(&err, Error::NotFound { kind: "job", name, namespace: Some(ns) } if name == "nope" && ns == NS));
    assert_eq!(err.to_string(), "job \"nope\" was not found in namespace \"atala-testnet\"");
}

#[tokio::test]
async fn a_job_id_ending_in_a_job_endpoint_is_refused_before_any_request() {
    // Nomad finds /v1/job/<id>/summary by suffix on the decoded path, so the
    // ID "web/summary" would read the summary of job "web".
    let (server, nomad) = server().await;
    for id in ["web/summary", "web/allocations", "backup/periodic-1/versions"] {
        let err = nomad.jobs().get(id, &QueryOptions::new()).await.unwrap_err().to_string();
        assert!(err.contains("job ID") && err.contains("endpoint of job"), "{id}: {err}");
    }
    assert!(server.received_requests().await.unwrap().is_empty());
    // A dispatched or periodic child's ID still reaches its own resource.
    Mock::given(method("GET"))
        .and(path("/v1/job/backup%2Fperiodic-1700000000"))
        .respond_with(text(404, "error-job-not-found.txt"))
        .expect(1)
        .mount(&server)
        .await;
    let err = nomad.jobs().get("backup/periodic-1700000000", &QueryOptions::new()).await.unwrap_err();
    assert!(err.is_not_found(), "{err}");
}

#[tokio::test]
async fn read_modify_register_keeps_every_unknown_field() {
    let (server, nomad) = server().await;
    Mock::given(method("GET")).and(path("/v1/job/dbHA1")).respond_with(ok("job-read.json", 27)).mount(&server).await;
    let mut expected = json_fixture("job-read.json");
    expected["Meta"]["revision"] = json!("3");
    Mock::given(method("POST"))
        .and(path("/v1/jobs"))
        .and(query_is(&[("namespace", NS)]))
        .and(token())
        .and(body_json(json!({ "Job": expected })))
        .respond_with(ok("job-register-update.json", 20))
        .expect(1)
        .mount(&server)
        .await;
    let mut job = nomad.jobs().get("dbHA1", &QueryOptions::new()).await.unwrap().value;
    job.meta.as_mut().unwrap().insert("revision".into(), "3".into());
    let resp = nomad.jobs().register(&job, &RegisterOptions::new()).await.unwrap();
    assert_eq!(resp.job_modify_index, 20);
    assert!(!resp.eval_id.is_empty());
}

#[tokio::test]
async fn register_with_enforce_index_sends_check_and_set() {
    let (server, nomad) = server().await;
    let request = json_fixture("job-register.request.json");
    let mut expected = request.clone();
    expected["EnforceIndex"] = json!(true);
    expected["JobModifyIndex"] = json!(0);
    Mock::given(method("POST"))
        .and(path("/v1/jobs"))
        .and(query_is(&[("namespace", NS)]))
        .and(token())
        .and(body_json(expected))
        .respond_with(ok("job-register.json", 11))
        .expect(1)
        .mount(&server)
        .await;
    let resp = nomad.jobs().register_json(&request["Job"], &RegisterOptions::new().enforce_index(0)).await.unwrap();
    assert_eq!(resp.eval_id, "9a42f886-ad66-9c1c-50cb-4adcdf709539");
    assert_eq!((resp.eval_create_index, resp.job_modify_index, resp.index), (11, 11, 11));
}

#[tokio::test]
async fn register_refuses_a_namespace_contradicting_the_job() {
    let (server, nomad) = server().await;
    let job: Job = serde_json::from_value(json_fixture("job-register.request.json")["Job"].clone()).unwrap();
    let opts = RegisterOptions::new().write(WriteOptions::new().namespace("atala-prod"));
    let err = nomad.jobs().register(&job, &opts).await.unwrap_err().to_string();
    assert!(err.contains("atala-prod") && err.contains("atala-testnet"), "{err}");
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn register_in_missing_namespace_shows_nomads_reason() {
    let (server, nomad) = server().await;
    Mock::given(method("POST"))
        .and(path("/v1/jobs"))
        .respond_with(text(500, "error-job-register-nonexistent-namespace.txt"))
        .mount(&server)
        .await;
    let mut job = Job::new("dbHA1", JobType::Service);
    job.namespace = Some("does-not-exist".into());
    let err = nomad.jobs().register(&job, &RegisterOptions::new()).await.unwrap_err().to_string();
    assert!(err.contains("nonexistent namespace \"does-not-exist\""), "{err}");
}

#[tokio::test]
async fn parse_sends_hcl_and_decodes_the_job() {
    let (server, nomad) = server().await;
    let request = json_fixture("jobs-parse.request.json");
    Mock::given(method("POST"))
        .and(path("/v1/jobs/parse"))
        .and(token())
        .and(body_json(&request))
        .respond_with(ok("jobs-parse.json", 0))
        .expect(1)
        .mount(&server)
        .await;
    let hcl = request["JobHCL"].as_str().unwrap();
    let job = nomad.jobs().parse(hcl, &WriteOptions::new()).await.unwrap();
    assert_eq!(job.id.as_deref(), Some("dbHA1"));
    assert_eq!(job.namespace.as_deref(), Some(NS));
    assert_eq!(
        job.task_groups.as_ref().unwrap()[0].tasks.as_ref().unwrap()[0].name.as_deref(),
        Some("postgres-patroni")
    );
}

#[tokio::test]
async fn plan_sends_the_job_and_renders_the_diff() {
    let (server, nomad) = server().await;
    let request = json_fixture("job-plan-diff.request.json");
    Mock::given(method("POST"))
        .and(path("/v1/job/dbHA1/plan"))
        .and(query_is(&[("namespace", NS)]))
        .and(token())
        .and(body_json(&request))
        .respond_with(ok("job-plan-diff.json", 20))
        .expect(1)
        .mount(&server)
        .await;
    let job: Job = serde_json::from_value(request["Job"].clone()).unwrap();
    let plan = nomad.jobs().plan(&job, &PlanOptions::default()).await.unwrap();
    assert_eq!(plan.job_modify_index, 20);
    let diff = plan.diff.unwrap();
    assert!(!diff.is_empty());
    let text = diff.render();
    assert!(text.contains("+/- Job: \"dbHA1\""), "{text}");
    assert!(text.contains("+/- Meta[revision]: \"2\" => \"3\""), "{text}");
    assert!(text.contains("+/- MemoryMB: \"64\" => \"128\""), "{text}");
    assert!(!text.contains("CPU"), "unchanged fields are left out: {text}");
}

#[tokio::test]
async fn plan_without_diff_sends_diff_false() {
    let (server, nomad) = server().await;
    Mock::given(method("POST"))
        .and(path("/v1/job/dbHA1/plan"))
        .and(query_is(&[("namespace", NS)]))
        .and(token())
        .respond_with(ok("job-plan-nodiff.json", 20))
        .expect(1)
        .mount(&server)
        .await;
    let request = json_fixture("job-plan-nodiff.request.json");
    let job: Job = serde_json::from_value(request["Job"].clone()).unwrap();
    let plan = nomad.jobs().plan(&job, &PlanOptions { diff: false, ..PlanOptions::default() }).await.unwrap();
    assert!(plan.diff.is_none());
    assert_eq!(plan.annotations.unwrap()["DesiredTGUpdates"]["database"]["DestructiveUpdate"], 1);
    let body = only_body(&server).await;
    assert_eq!(body["Diff"], json!(false));
    assert_eq!(body["Job"], request["Job"]);
}

#[tokio::test]
async fn versions_with_diffs() {
    let (server, nomad) = server().await;
    Mock::given(method("GET"))
        .and(path("/v1/job/dbHA1/versions"))
        .and(query_is(&[("namespace", NS), ("diffs", "true")]))
        .and(token())
        .respond_with(ok("job-versions-diffs.json", 27))
        .expect(1)
        .mount(&server)
        .await;
    let versions = nomad.jobs().versions("dbHA1", true, &QueryOptions::new()).await.unwrap().value;
    let numbers: Vec<_> = versions.versions.iter().map(|j| j.version.unwrap()).collect();
    assert_eq!(numbers, [1, 0]);
    let diffs = versions.diffs.unwrap();
    assert_eq!(diffs.len(), 1);
    assert!(diffs[0].render().contains("Meta[revision]"));
}

#[tokio::test]
async fn revert_sends_version_and_prior_version() {
    let (server, nomad) = server().await;
    Mock::given(method("POST"))
        .and(path("/v1/job/dbHA1/revert"))
        .and(query_is(&[("namespace", NS)]))
        .and(token())
        .and(body_json(json_fixture("job-revert.request.json")))
        .respond_with(ok("job-revert.json", 53))
        .expect(1)
        .mount(&server)
        .await;
    let resp = nomad.jobs().revert("dbHA1", 0, Some(2), &WriteOptions::new()).await.unwrap();
    assert_eq!(resp.job_modify_index, 53);
}

#[tokio::test]
async fn revert_error_carries_nomads_message() {
    let (server, nomad) = server().await;
    Mock::given(method("POST"))
        .and(path("/v1/job/dbHA1/revert"))
        .respond_with(text(500, "job-revert-wrong-prior-version.txt"))
        .mount(&server)
        .await;
    let err = nomad.jobs().revert("dbHA1", 0, Some(7), &WriteOptions::new()).await.unwrap_err().to_string();
    let expected = String::from_utf8(fixture("job-revert-wrong-prior-version.txt")).unwrap();
    assert!(err.contains("HTTP 500") && err.contains(expected.trim()), "{err}");
}

#[tokio::test]
async fn stop_without_purge_sends_no_purge_flag() {
    let (server, nomad) = server().await;
    Mock::given(method("DELETE"))
        .and(path("/v1/job/dbHA1-backup"))
        .and(query_is(&[("namespace", NS)]))
        .and(token())
        .respond_with(ok("job-stop.json", 87))
        .expect(1)
        .mount(&server)
        .await;
    let resp = nomad.jobs().stop("dbHA1-backup", &StopOptions::new()).await.unwrap();
    assert_eq!(resp.index, 87);
}

#[tokio::test]
async fn stop_with_purge_is_explicit_and_tolerates_missing_jobs() {
    let (server, nomad) = server().await;
    Mock::given(method("DELETE"))
        .and(path("/v1/job/dbHA1"))
        .and(query_is(&[("namespace", NS), ("purge", "true")]))
        .and(token())
        .respond_with(ok("job-stop-purge.json", 88))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/v1/job/dbHA1"))
        .and(query_is(&[("namespace", NS), ("purge", "true")]))
        .respond_with(ok("job-stop-purge-not-found.json", 92))
        .mount(&server)
        .await;
    let first = nomad.jobs().stop("dbHA1", &StopOptions::new().purge()).await.unwrap();
    assert_eq!(first.eval_id, "9c597fc4-564b-05fb-8d17-6758beb6fd26");
    // Nomad 1.1.2 answers 200 to a purge of a job that is already gone.
    let again = nomad.jobs().stop("dbHA1", &StopOptions::new().purge()).await.unwrap();
    assert!(!again.eval_id.is_empty());
}

#[tokio::test]
async fn scale_sends_group_count_message_and_meta() {
    let (server, nomad) = server().await;
    Mock::given(method("POST"))
        .and(path("/v1/job/dbHA1/scale"))
        .and(query_is(&[("namespace", NS)]))
        .and(token())
        .and(body_json(json_fixture("job-scale.request.json")))
        .respond_with(ok("job-scale.json", 45))
        .expect(1)
        .mount(&server)
        .await;
    let opts = ScaleOptions {
        message: Some("scale out for testing".into()),
        meta: [("requested_by".to_owned(), "sdk-fixture".to_owned())].into(),
        ..ScaleOptions::default()
    };
    let resp = nomad.jobs().scale("dbHA1", "database", 2, &opts).await.unwrap();
    assert_eq!(resp.eval_id, "c0fca59e-fffe-2fb1-eab9-7af866211152");
}

#[tokio::test]
async fn scale_unknown_group_shows_nomads_message() {
    let (server, nomad) = server().await;
    Mock::given(method("POST"))
        .and(path("/v1/job/dbHA1/scale"))
        .respond_with(text(400, "job-scale-unknown-group.txt"))
        .mount(&server)
        .await;
    let err = nomad.jobs().scale("dbHA1", "nope", 1, &ScaleOptions::default()).await.unwrap_err().to_string();
    assert!(err.contains("HTTP 400"), "{err}");
    assert!(err.contains(String::from_utf8(fixture("job-scale-unknown-group.txt")).unwrap().trim()), "{err}");
}

#[tokio::test]
async fn scale_status_decodes_groups() {
    let (server, nomad) = server().await;
    Mock::given(method("GET"))
        .and(path("/v1/job/dbHA1/scale"))
        .and(query_is(&[("namespace", NS)]))
        .and(token())
        .respond_with(ok("job-scale-status.json", 27))
        .mount(&server)
        .await;
    let status = nomad.jobs().scale_status("dbHA1", &QueryOptions::new()).await.unwrap().value;
    assert_eq!(status.task_groups["database"]["Desired"], 1);
    assert!(!status.job_stopped);
}

#[tokio::test]
async fn dispatch_sends_base64_payload_and_meta_and_child_ids_are_escaped() {
    let (server, nomad) = server().await;
    Mock::given(method("POST"))
        .and(path("/v1/job/dbHA1-backup/dispatch"))
        .and(query_is(&[("namespace", NS)]))
        .and(token())
        .and(body_json(json_fixture("job-dispatch.request.json")))
        .respond_with(ok("job-dispatch.json", 33))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/job/dbHA1-backup%2Fdispatch-1795323891-52aafe67"))
        .and(query_is(&[("namespace", NS)]))
        .respond_with(ok("job-read-dispatched-child.json", 36))
        .expect(1)
        .mount(&server)
        .await;
    let opts = DispatchOptions {
        payload: Some(b"s3://atala-backups/dbHA1\n".to_vec()),
        meta: [("backup_type".to_owned(), "full".to_owned()), ("label".to_owned(), "nightly".to_owned())].into(),
        ..DispatchOptions::default()
    };
    let resp = nomad.jobs().dispatch("dbHA1-backup", &opts).await.unwrap();
    assert_eq!(resp.dispatched_job_id, "dbHA1-backup/dispatch-1795323891-52aafe67");
    let child = nomad.jobs().get(&resp.dispatched_job_id, &QueryOptions::new()).await.unwrap().value;
    assert_eq!(child.parent_id.as_deref(), Some("dbHA1-backup"));
}

#[tokio::test]
async fn dispatch_validation_error_is_readable() {
    let (server, nomad) = server().await;
    Mock::given(method("POST"))
        .and(path("/v1/job/dbHA1-backup/dispatch"))
        .respond_with(text(500, "job-dispatch-missing-meta.txt"))
        .mount(&server)
        .await;
    let err = nomad.jobs().dispatch("dbHA1-backup", &DispatchOptions::default()).await.unwrap_err().to_string();
    assert!(err.contains(String::from_utf8(fixture("job-dispatch-missing-meta.txt")).unwrap().trim()), "{err}");
}

#[tokio::test]
async fn summary_allocations_evaluations_deployments() {
    let (server, nomad) = server().await;
    for (sub, file, index) in [
        ("summary", "job-summary.json", 24),
        ("evaluations", "job-evaluations.json", 28),
        ("deployments", "job-deployments.json", 27),
        ("deployment", "job-deployment-latest.json", 27),
    ] {
        Mock::given(method("GET"))
            .and(path(format!("/v1/job/dbHA1/{sub}")))
            .and(query_is(&[("namespace", NS)]))
            .and(token())
            .respond_with(ok(file, index))
            .expect(1)
            .mount(&server)
            .await;
    }
    Mock::given(method("GET"))
        .and(path("/v1/job/dbHA1/allocations"))
        .and(query_is(&[("namespace", NS), ("all", "true")]))
        .and(token())
        .respond_with(ok("job-allocations-all.json", 27))
        .expect(1)
        .mount(&server)
        .await;
    let q = QueryOptions::new();
    let jobs = nomad.jobs();
    let summary = jobs.summary("dbHA1", &q).await.unwrap();
    assert_eq!((summary.meta.last_index, summary.value.summary["database"].complete), (24, 1));
    let evals = jobs.evaluations("dbHA1", &q).await.unwrap().value;
    assert!(evals.iter().all(|e| e.job_id == "dbHA1") && !evals.is_empty());
    let deployments = jobs.deployments("dbHA1", &q).await.unwrap().value;
    assert_eq!(deployments[0].status, DeploymentStatus::Successful);
    let latest = jobs.latest_deployment("dbHA1", &q).await.unwrap().value.unwrap();
    assert_eq!(latest.id, "9dd9b9f2-398e-c158-eabc-af9aa840009d");
    let allocs = jobs.allocations("dbHA1", true, &q).await.unwrap().value;
    assert_eq!(allocs.len(), 2);
}

#[tokio::test]
async fn watch_summary_yields_each_new_index() {
    let (server, nomad) = server().await;
    Mock::given(method("GET"))
        .and(path("/v1/job/dbHA1/summary"))
        .and(query_is(&[("namespace", NS)]))
        .respond_with(ok("job-summary.json", 24))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/job/dbHA1/summary"))
        .and(query_is(&[("namespace", NS), ("index", "24"), ("wait", "5000ms")]))
        .and(token())
        .respond_with(ok("job-summary-after-revert.json", 56))
        .expect(1..)
        .mount(&server)
        .await;
    let watch = WatchOptions { wait: Duration::from_secs(5), min_interval: Duration::ZERO, ..WatchOptions::default() };
    let stream = nomad.jobs().watch_summary("dbHA1", &QueryOptions::new(), watch).unwrap();
    let items: Vec<_> = stream.take(2).collect().await;
    let first = items[0].as_ref().unwrap();
    let second = items[1].as_ref().unwrap();
    assert_eq!((first.meta.last_index, second.meta.last_index), (24, 56));
    assert_eq!(second.value.modify_index, 56);
}

#[tokio::test]
async fn watch_allocations_uses_blocking_queries() {
    let (server, nomad) = server().await;
    Mock::given(method("GET"))
        .and(path("/v1/job/dbHA1/allocations"))
        .and(query_is(&[("namespace", NS)]))
        .respond_with(ok("job-allocations.json", 27))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/job/dbHA1/allocations"))
        .and(query_is(&[("namespace", NS), ("index", "27"), ("wait", "5000ms")]))
        .respond_with(ok("job-allocations-during-drain.json", 78))
        .mount(&server)
        .await;
    let watch = WatchOptions { wait: Duration::from_secs(5), min_interval: Duration::ZERO, ..WatchOptions::default() };
    let items: Vec<_> =
        nomad.jobs().watch_allocations("dbHA1", &QueryOptions::new(), watch).unwrap().take(2).collect().await;
    let running = |i: usize| items[i].as_ref().unwrap().value.iter().filter(|a| a.is_running()).count();
    assert_eq!((running(0), running(1)), (1, 0));
}

#[tokio::test]
async fn per_call_namespace_region_and_token_override_the_defaults() {
    let (server, nomad) = server().await;
    Mock::given(method("GET"))
        .and(path("/v1/job/dbHA1"))
        .and(query_is(&[("namespace", "atala-prod"), ("region", "eu")]))
        .and(wiremock::matchers::header("X-Nomad-Token", "other-token"))
        .respond_with(ok("job-read.json", 27))
        .expect(1)
        .mount(&server)
        .await;
    let opts = QueryOptions::new().namespace("atala-prod").region("eu").token("other-token");
    nomad.jobs().get("dbHA1", &opts).await.unwrap();
}

#[tokio::test]
async fn unknown_status_codes_keep_the_request_in_the_error() {
    let (server, nomad) = server().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(403).set_body_string("Permission denied"))
        .mount(&server)
        .await;
    let err = nomad.jobs().list(&QueryOptions::new()).await.unwrap_err().to_string();
    assert_eq!(err, "GET /v1/jobs failed with HTTP 403: Permission denied");
    assert!(!err.contains(TOKEN));
}

#[tokio::test]
async fn blocking_list_sends_index_and_wait() {
    let (server, nomad) = server().await;
    Mock::given(method("GET"))
        .and(path("/v1/jobs"))
        .and(query_is(&[("namespace", NS), ("index", "27"), ("wait", "2000ms")]))
        .and(token())
        .respond_with(ok("jobs-list-blocking-timeout.json", 27))
        .expect(1)
        .mount(&server)
        .await;
    let jobs = nomad.jobs().list(&QueryOptions::new().blocking(27, Duration::from_secs(2))).await.unwrap();
    // Nomad answers with the same index when nothing changed within the wait.
    assert_eq!(jobs.meta.last_index, 27);
    assert_eq!(jobs.value[0].id, "dbHA1");
}

/// Matches a register or plan body whose `Job.Namespace` is this one.
struct BodyNamespace(&'static str);

impl wiremock::Match for BodyNamespace {
    fn matches(&self, request: &wiremock::Request) -> bool {
        serde_json::from_slice::<serde_json::Value>(&request.body)
            .is_ok_and(|body| body["Job"]["Namespace"] == json!(self.0))
    }
}

/// Parses the recorded HCL of `fixture` through a mock `/v1/jobs/parse` that answers
/// with the recorded job (rows 175/176).
async fn parse_recorded(server: &wiremock::MockServer, nomad: &nomad_client::NomadClient, fixture: &str) -> Job {
    let request = json_fixture(&fixture.replace(".json", ".request.json"));
    Mock::given(method("POST"))
        .and(path("/v1/jobs/parse"))
        .and(body_json(&request))
        .respond_with(ok(fixture, 0))
        .mount(server)
        .await;
    nomad.jobs().parse(request["JobHCL"].as_str().unwrap(), &WriteOptions::new()).await.unwrap()
}

/// Expects `times` registers into `namespace`, in the query and in the body's `Job.Namespace`.
async fn expect_register(server: &wiremock::MockServer, namespace: &'static str, times: u64) {
    Mock::given(method("POST"))
        .and(path("/v1/jobs"))
        .and(query_is(&[("namespace", namespace)]))
        .and(BodyNamespace(namespace))
        .respond_with(ok("job-register-namespace-mismatch.json", 11))
        .expect(times)
        .mount(server)
        .await;
}

#[tokio::test]
async fn parsed_job_without_namespace_registers_into_the_clients_namespace() {
    // Nomad's parse fills in Namespace "default" when the HCL names none (row 175), and
    // 1.1.2 registers into the body's namespace whatever ?namespace= says (rows 178-180).
    let (server, nomad) = server().await;
    expect_register(&server, NS, 3).await;
    let job = parse_recorded(&server, &nomad, "jobs-parse-no-namespace.json").await;
    assert_eq!(job.namespace.as_deref(), Some("default"), "as Nomad answered");
    nomad.jobs().register(&job, &RegisterOptions::new()).await.unwrap();
    // Naming the client's namespace explicitly is no contradiction with a defaulted field.
    let explicit = RegisterOptions::new().write(WriteOptions::new().namespace(NS));
    nomad.jobs().register(&job, &explicit).await.unwrap();
    // The recorded body of the mismatched register, sent raw.
    let raw = json_fixture("job-register-namespace-mismatch.request.json")["Job"].clone();
    nomad.jobs().register_json(&raw, &explicit).await.unwrap();
}

#[tokio::test]
async fn parsed_job_naming_its_namespace_keeps_it() {
    // HCL with `namespace = "atala-testnet"` (row 176): the job's own namespace wins over the
    // client's default, as `nomad job run` forces the client to the job's namespace.
    let (server, nomad) = server().await;
    let nomad = nomad.with_namespace("other").unwrap();
    expect_register(&server, NS, 1).await;
    let job = parse_recorded(&server, &nomad, "jobs-parse-with-namespace.json").await;
    nomad.jobs().register(&job, &RegisterOptions::new()).await.unwrap();
    // An explicit namespace that contradicts the job's own is still refused, before any request.
    let other = RegisterOptions::new().write(WriteOptions::new().namespace("other"));
    let err = nomad.jobs().register(&job, &other).await.unwrap_err().to_string();
    assert!(err.contains("\"other\"") && err.contains(NS), "{err}");
}

#[tokio::test]
async fn parsed_job_without_namespace_and_no_client_namespace_goes_to_default() {
    let (server, _) = server().await;
    let nomad = nomad_client::NomadClient::builder().address(&server.uri()).token(TOKEN).build().unwrap();
    expect_register(&server, "default", 1).await;
    let job = parse_recorded(&server, &nomad, "jobs-parse-no-namespace.json").await;
    nomad.jobs().register(&job, &RegisterOptions::new()).await.unwrap();
}

#[tokio::test]
async fn plan_of_a_parsed_job_without_namespace_looks_in_the_clients_namespace() {
    // What `job_plan -n atala-testnet web.nomad` does: the plan must compare with the job
    // in atala-testnet (an existing job, answered with the recorded "no diff" plan), not
    // with a missing job in "default".
    let (server, nomad) = server().await;
    Mock::given(method("POST"))
        .and(path("/v1/job/web-no-ns/plan"))
        .and(query_is(&[("namespace", NS)]))
        .and(BodyNamespace(NS))
        .respond_with(ok("job-plan-nodiff.json", 20))
        .expect(1)
        .mount(&server)
        .await;
    let job = parse_recorded(&server, &nomad, "jobs-parse-no-namespace.json").await;
    let plan = nomad.jobs().plan(&job, &PlanOptions::default()).await.unwrap();
    assert_eq!(plan.job_modify_index, 20);
}
