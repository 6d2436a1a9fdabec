//! Smaller gaps: job evaluate, periodic force and stable; deployment pause
//! and unblock; evaluations count. Bodies follow the Go `api` package
//! (`EvalOptions`, `JobStableRequest`, `DeploymentPauseRequest`); answers are
//! shaped like the recorded write answers.

use nomad_client::{ClientError, QueryOptions, WriteOptions};
use serde_json::json;
use wiremock::matchers::{body_json, method, path};
use wiremock::{Mock, ResponseTemplate};

use crate::common::*;

const DEPLOYMENT: &str = "0cdb27b0-8fe3-9d8e-4a2b-6b4b6a2fb9e3";

fn write_answer(body: serde_json::Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(body).insert_header("X-Nomad-Index", "60")
}

#[tokio::test]
async fn job_evaluate_periodic_force_and_stable() {
    let (server, nomad) = server().await;
    let eval = json!({ "EvalID": "7c9e5a3b-1111-2222-3333-444455556666", "EvalCreateIndex": 60, "JobModifyIndex": 12, "Warnings": "", "Index": 60 });
    Mock::given(method("POST"))
        .and(path("/v1/job/dbHA1/evaluate"))
        .and(query_is(&[("namespace", NS)]))
        .and(body_json(json!({ "JobID": "dbHA1", "EvalOptions": { "ForceReschedule": true } })))
        .respond_with(write_answer(eval.clone()))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/job/backup/periodic/force"))
        .respond_with(write_answer(
            json!({ "EvalID": "7c9e5a3b-1111-2222-3333-444455556667", "EvalCreateIndex": 61, "Index": 61 }),
        ))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/job/dbHA1/stable"))
        .and(body_json(json!({ "JobID": "dbHA1", "JobVersion": 3, "Stable": true })))
        .respond_with(write_answer(json!({ "Index": 62 })))
        .expect(1)
        .mount(&server)
        .await;
    let w = WriteOptions::new();
    assert_eq!(nomad.jobs().evaluate("dbHA1", true, &w).await.unwrap().eval_create_index, 60);
    assert_eq!(
        nomad.jobs().periodic_force("backup", &w).await.unwrap().eval_id,
        "7c9e5a3b-1111-2222-3333-444455556667"
    );
    assert_eq!(nomad.jobs().set_stable("dbHA1", 3, true, &w).await.unwrap(), 62);
    Mock::given(method("POST"))
        .and(path("/v1/job/gone/evaluate"))
        .respond_with(text(404, "error-job-not-found.txt"))
        .mount(&server)
        .await;
    let err = nomad.jobs().evaluate("gone", false, &w).await.unwrap_err();
    assert!(err.is_not_found() && err.to_string().contains("\"gone\""), "{err}");
}

#[tokio::test]
async fn deployment_pause_resume_and_unblock() {
    let (server, nomad) = server().await;
    let answer = json!({ "EvalID": "", "EvalCreateIndex": 0, "DeploymentModifyIndex": 70, "Index": 70 });
    for pause in [true, false] {
        Mock::given(method("POST"))
            .and(path(format!("/v1/deployment/pause/{DEPLOYMENT}")))
            .and(body_json(json!({ "DeploymentID": DEPLOYMENT, "Pause": pause })))
            .respond_with(write_answer(answer.clone()))
            .expect(1)
            .mount(&server)
            .await;
    }
    Mock::given(method("POST"))
        .and(path(format!("/v1/deployment/unblock/{DEPLOYMENT}")))
        .and(body_json(json!({ "DeploymentID": DEPLOYMENT })))
        .respond_with(write_answer(answer))
        .expect(1)
        .mount(&server)
        .await;
    let w = WriteOptions::new();
    assert_eq!(nomad.deployments().pause(DEPLOYMENT, true, &w).await.unwrap().deployment_modify_index, 70);
    nomad.deployments().pause(DEPLOYMENT, false, &w).await.unwrap();
    nomad.deployments().unblock(DEPLOYMENT, &w).await.unwrap();
    let err = nomad.deployments().pause("0cdb27b0", true, &w).await.unwrap_err();
    assert!(err.to_string().contains("deployment ID"), "{err}");
}

#[tokio::test]
async fn evaluations_count_with_a_filter() {
    let (server, nomad) = server().await;
    Mock::given(method("GET"))
        .and(path("/v1/evaluations/count"))
        .and(query_is(&[("namespace", NS), ("filter", r#"Status == "blocked""#)]))
        .respond_with(ok_json(json!({ "Count": 4 }), 33))
        .expect(1)
        .mount(&server)
        .await;
    let count = nomad.evaluations().count(&QueryOptions::new().filter(r#"Status == "blocked""#)).await.unwrap();
    assert_eq!((count.value, count.meta.last_index), (4, 33));
}

fn ok_json(body: serde_json::Value, index: u64) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .set_body_json(body)
        .insert_header("X-Nomad-Index", index.to_string().as_str())
        .insert_header("X-Nomad-Knownleader", "true")
}

#[tokio::test]
async fn agent_health_servers_and_regions() {
    let (server, nomad) = server().await;
    let sick = json!({ "client": { "ok": true, "message": "ok" }, "server": { "ok": false, "message": "no leader" } });
    Mock::given(method("GET"))
        .and(path("/v1/agent/health"))
        .respond_with(ResponseTemplate::new(500).set_body_json(&sick))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/agent/servers"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!(["10.0.0.1:4647", "10.0.0.2:4647"])))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/regions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!(["global", "eu"])))
        .mount(&server)
        .await;
    let health = nomad.agent().health().await.unwrap();
    assert!(!health.ok() && health.client.as_ref().unwrap().ok);
    assert_eq!(health.server.unwrap().message, "no leader");
    assert_eq!(nomad.agent().servers().await.unwrap().len(), 2);
    assert_eq!(nomad.status().regions().await.unwrap(), ["global", "eu"]);
}
