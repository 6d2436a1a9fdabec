//! The `deploy` script against a wiremock Nomad answering with recorded
//! Nomad 1.1.2 bodies: `--dry-run` prints the diff as `nomad job plan` does
//! and changes nothing, no flag refuses to act, `--yes` registers with
//! `EnforceIndex` and follows the deployment, a failed deployment exits 1
//! with its report, failed placements exit 3 before anything is registered.

use std::process::Output;
use std::time::Duration;

use serde_json::{Value, json};
use test_support::Fixtures;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

/// The recorded answers (copied from the shared Nomad 1.1.2 fixtures).
const FIXTURES: Fixtures = Fixtures::new(env!("CARGO_MANIFEST_DIR")).under("deploy");

/// The new version's deployment (the recorded one deploys version 1).
const NEW_DEPLOYMENT: &str = "5b1d3e0a-7f6c-4c1e-9d2a-0c8f3e2b1a90";

fn json_body(value: &Value, index: u64) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .set_body_raw(serde_json::to_vec(value).unwrap(), "application/json")
        .insert_header("X-Nomad-Index", index.to_string().as_str())
}

/// The recorded deployment, made version 2's (JobModifyIndex 43) with `status`.
fn deployment(status: &str, healthy: u64, unhealthy: u64) -> Value {
    let mut d = FIXTURES.json("deployment-read.json");
    d["ID"] = NEW_DEPLOYMENT.into();
    d["JobVersion"] = 2.into();
    d["JobModifyIndex"] = 43.into();
    d["Status"] = status.into();
    d["StatusDescription"] =
        if status == "failed" { "Failed due to unhealthy allocations" } else { "Deployment completed successfully" }
            .into();
    d["TaskGroups"]["database"]["HealthyAllocs"] = healthy.into();
    d["TaskGroups"]["database"]["UnhealthyAllocs"] = unhealthy.into();
    d["ModifyIndex"] = 50.into();
    d
}

/// A Nomad where dbHA1 runs version 1: the recorded plan and versions, a
/// register that gives JobModifyIndex 43, then the old deployment, then
/// version 2's ending as `end`.
async fn nomad(plan: Value, end: Value) -> MockServer {
    let server = MockServer::start().await;
    let mount = |verb: &'static str, p: String, answer: ResponseTemplate| {
        let server = &server;
        async move { Mock::given(method(verb)).and(path(p.as_str())).respond_with(answer).mount(server).await }
    };
    mount("POST", "/v1/job/dbHA1/plan".into(), json_body(&plan, 20)).await;
    mount("GET", "/v1/job/dbHA1/versions".into(), FIXTURES.json_response(200, "job-versions-diffs.json")).await;
    let mut registered = FIXTURES.json("job-register-update.json");
    registered["JobModifyIndex"] = 43.into();
    mount("POST", "/v1/jobs".into(), json_body(&registered, 43)).await;
    Mock::given(method("GET"))
        .and(path("/v1/job/dbHA1/deployment"))
        .and(query_param("index", "27"))
        .respond_with(json_body(&end, 50))
        .mount(&server)
        .await;
    let old = FIXTURES.json_response(200, "job-deployment-latest.json").insert_header("X-Nomad-Index", "27");
    mount("GET", "/v1/job/dbHA1/deployment".into(), old).await;
    server
}

async fn deploy(server: &MockServer, args: &[&str]) -> Output {
    let job = FIXTURES.path("job-register.request.json");
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_deploy"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("NOMAD_ADDR", server.uri())
        .arg(&job)
        .args(args);
    tokio::time::timeout(Duration::from_secs(60), cmd.output()).await.expect("the script finished").unwrap()
}

async fn posts(server: &MockServer, p: &str) -> Vec<Request> {
    let all = server.received_requests().await.unwrap();
    all.into_iter().filter(|r| r.method.as_str() == "POST" && r.url.path() == p).collect()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test]
async fn dry_run_prints_the_diff_and_registers_nothing() {
    let server = nomad(FIXTURES.json("job-plan-diff.json"), deployment("successful", 1, 0)).await;
    let out = deploy(&server, &["--dry-run"]).await;
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    for line in [
        "+/- Job: \"dbHA1\"",
        "+/- Task Group: \"database\" (1 create/destroy update)",
        "      +/- MemoryMB:    \"64\" => \"128\"",
        "- All tasks successfully allocated.",
        "Job Modify Index: 20",
    ] {
        assert!(stdout.lines().any(|l| l == line), "{line:?} missing from\n{stdout}");
    }
    assert!(stdout.contains("EnforceIndex 20"), "{stdout}");
    // Without --yes or --dry-run the plan is shown and nothing happens either.
    let out = deploy(&server, &[]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("nothing was changed: run again with --yes"), "{}", text(&out.stderr));
    assert!(posts(&server, "/v1/jobs").await.is_empty(), "nothing registered");
}

#[tokio::test]
async fn yes_registers_the_planned_index_and_follows_the_deployment() {
    let server = nomad(FIXTURES.json("job-plan-diff.json"), deployment("successful", 1, 0)).await;
    let out = deploy(&server, &["--yes"]).await;
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stdout.contains("Deploy of job dbHA1 in atala-testnet: Successful"), "{stdout}");
    assert!(stdout.contains("    database: 1/1 placed, 1 healthy, 0 unhealthy"), "{stdout}");
    let register = &posts(&server, "/v1/jobs").await[0];
    let body: Value = serde_json::from_slice(&register.body).unwrap();
    assert_eq!((body["EnforceIndex"].clone(), body["JobModifyIndex"].clone()), (json!(true), json!(20)));
}

#[tokio::test]
async fn a_failed_deployment_exits_1_with_its_report_as_json() {
    let server = nomad(FIXTURES.json("job-plan-diff.json"), deployment("failed", 0, 1)).await;
    let out = deploy(&server, &["--yes", "--json"]).await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["report"]["outcome"], "failed", "{doc:#}");
    assert_eq!(doc["report"]["deployment"]["groups"]["database"]["unhealthy"], 1);
    assert_eq!(doc["plan"]["dry_run"]["job_modify_index"], 20);
    assert!(text(&out.stderr).contains("Failed due to unhealthy allocations"), "{}", text(&out.stderr));
}

#[tokio::test]
async fn failed_placements_exit_3_before_anything_is_registered() {
    // The recorded plan with a group that cannot be placed, in Nomad 1.1's
    // `FailedTGAllocs` shape (not recorded: the dev agent always had room).
    let mut plan = FIXTURES.json("job-plan-diff.json");
    plan["FailedTGAllocs"] = json!({"database": {
        "NodesEvaluated": 1, "NodesAvailable": {"dc1": 1}, "NodesExhausted": 1,
        "DimensionExhausted": {"memory": 1}, "CoalescedFailures": 0
    }});
    let server = nomad(plan, deployment("successful", 1, 0)).await;
    let out = deploy(&server, &["--yes"]).await;
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("cannot place 1 allocation: Resources exhausted on 1 nodes; Dimension \"memory\""),
        "{}",
        text(&out.stderr)
    );
    assert!(posts(&server, "/v1/jobs").await.is_empty(), "nothing registered");
}
