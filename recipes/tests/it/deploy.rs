//! The deploy recipe over `NomadDeployer` against wiremock answering with recorded Nomad
//! 1.1.2 bodies: the plan's diff rendered as `nomad job plan` prints it, the refusal of
//! failed placements, the enforce-index conflict answered as Nomad answers it, and a
//! deployment that succeeds, fails and is left, fails and is reverted, or does not end.

use std::sync::Arc;
use std::time::Duration;

use recipes::adapters::nomad::NomadDeployer;
use recipes::deploy::{Deploy, DeployOptions, DeployOutcome, DeployPlan, JobFile, render_diff, render_plan};
use recipes::{Error, Event, Progress};
use serde_json::{Value, json};
use test_support::Fixtures;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockBuilder, MockServer, Request, Respond, ResponseTemplate};

/// The recorded Nomad answers.
const NOMAD: Fixtures = Fixtures::new(env!("CARGO_MANIFEST_DIR")).under("nomad");

/// The deployment of the new version (a UUID of our own: the recorded one deploys version 1).
const NEW_DEPLOYMENT: &str = "5b1d3e0a-7f6c-4c1e-9d2a-0c8f3e2b1a90";

/// The `JobModifyIndex` Nomad gives the registered version in these scenarios.
const REGISTERED_INDEX: u64 = 43;

fn json_body(value: &Value, index: u64) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .set_body_raw(serde_json::to_vec(value).unwrap(), "application/json")
        .insert_header("X-Nomad-Index", index.to_string().as_str())
}

/// `POST /v1/jobs` as Nomad's `Job.Register` checks `EnforceIndex`
/// (`nomad/job_endpoint.go`): a `JobModifyIndex` other than the job's is refused with HTTP
/// 500 and `Enforcing job modify index <sent>: job exists with conflicting job modify index:
/// <current>` as a text body; the right one is registered.
struct NomadRegister {
    current: u64,
}

impl Respond for NomadRegister {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let body: Value = serde_json::from_slice(&request.body).unwrap();
        let sent = body["JobModifyIndex"].as_u64().unwrap_or_default();
        if body["EnforceIndex"] == json!(true) && sent != self.current {
            return ResponseTemplate::new(500).set_body_raw(
                format!(
                    "Enforcing job modify index {sent}: job exists with conflicting job modify index: {}",
                    self.current
                ),
                "text/plain; charset=utf-8",
            );
        }
        // The recorded answer of a register, with the index this scenario gives the new version.
        let mut answer = NOMAD.json("job-register-update.json");
        answer["JobModifyIndex"] = REGISTERED_INDEX.into();
        answer["EvalCreateIndex"] = REGISTERED_INDEX.into();
        answer["Index"] = REGISTERED_INDEX.into();
        json_body(&answer, REGISTERED_INDEX)
    }
}

/// The recorded deployment, made the new version's with `status` and these counts.
fn deployment(status: &str, healthy: u64, unhealthy: u64, modify_index: u64) -> Value {
    let mut d = NOMAD.json("deployment-read.json");
    d["ID"] = NEW_DEPLOYMENT.into();
    d["JobVersion"] = 2.into();
    d["JobModifyIndex"] = REGISTERED_INDEX.into();
    d["JobSpecModifyIndex"] = REGISTERED_INDEX.into();
    d["Status"] = status.into();
    d["StatusDescription"] = match status {
        "running" => "Deployment is running",
        "failed" => "Failed due to unhealthy allocations",
        _ => "Deployment completed successfully",
    }
    .into();
    let g = &mut d["TaskGroups"]["database"];
    g["HealthyAllocs"] = healthy.into();
    g["UnhealthyAllocs"] = unhealthy.into();
    d["CreateIndex"] = (REGISTERED_INDEX + 1).into();
    d["ModifyIndex"] = modify_index.into();
    d
}

/// The versions after registering version 2 (not stable: its deployment did not succeed):
/// the recorded versions 2, 1 and 0 of `job-versions-after-revert.json`.
fn versions_with_v2() -> Value {
    let mut v = NOMAD.json("job-versions-after-revert.json");
    let versions = v["Versions"].as_array_mut().unwrap();
    versions.remove(0);
    versions[0]["Stable"] = false.into();
    v["Diffs"] = json!([]);
    v
}

/// A Nomad where `dbHA1` runs version 1 (JobModifyIndex 20) and `plan` answers the plan.
async fn nomad_with(plan: Value) -> MockServer {
    let server = MockServer::start().await;
    on("POST", "/v1/job/dbHA1/plan")
        .and(query_param("namespace", "atala-testnet"))
        .respond_with(json_body(&plan, 20))
        .mount(&server)
        .await;
    // The plan's read: version 1 runs (the recorded versions before the scale).
    on("GET", "/v1/job/dbHA1/versions")
        .respond_with(NOMAD.json_response(200, "job-versions-diffs.json"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    server
}

/// Register, then the deployment: first the old one (version 1), then the new one running,
/// then `last` (`None`: it stays running).
async fn mount_run(server: &MockServer, current_index: u64, last: Option<Value>) {
    on("POST", "/v1/jobs").respond_with(NomadRegister { current: current_index }).mount(server).await;
    on("GET", "/v1/job/dbHA1/deployment")
        .respond_with(NOMAD.json_response(200, "job-deployment-latest.json").insert_header("X-Nomad-Index", "27"))
        .up_to_n_times(1)
        .mount(server)
        .await;
    on("GET", "/v1/job/dbHA1/deployment")
        .and(query_param("index", "27"))
        .respond_with(json_body(&deployment("running", 0, 0, 45), 45))
        .mount(server)
        .await;
    let path_new = format!("/v1/deployment/{NEW_DEPLOYMENT}");
    match last {
        Some(last) => {
            let index = last["ModifyIndex"].as_u64().unwrap();
            on("GET", path_new.as_str())
                .and(query_param("index", "45"))
                .respond_with(json_body(&last, index))
                .mount(server)
                .await;
        }
        None => {
            on("GET", path_new.as_str())
                .respond_with(json_body(&deployment("running", 0, 0, 45), 45))
                .mount(server)
                .await;
        }
    }
}

/// `POST /v1/job/:id/revert` as Nomad 1.1.2 answers it: a stale `EnforcePriorVersion` is an
/// HTTP 500 with [`revert_refusal`] as a text body, the right one the recorded revert.
struct NomadRevert {
    current: u64,
}

/// Nomad's text for a revert whose prior version is not the current one (recorded:
/// `job-revert-wrong-prior-version.txt`).
fn revert_refusal(current: u64, sent: u64) -> String {
    format!("Current job has version {current}; enforcing version {sent}")
}

impl Respond for NomadRevert {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let body: Value = serde_json::from_slice(&request.body).unwrap();
        let sent = body["EnforcePriorVersion"].as_u64().unwrap_or_default();
        if sent != self.current {
            return ResponseTemplate::new(500)
                .set_body_raw(revert_refusal(self.current, sent), "text/plain; charset=utf-8");
        }
        NOMAD.json_response(200, "job-revert.json")
    }
}

/// After a failed deployment: the versions Nomad lists (`versions`), its answer to the
/// revert, and the recorded versions with diffs after a revert.
async fn mount_revert(server: &MockServer, versions: Value, revert: NomadRevert) {
    on("GET", "/v1/job/dbHA1/versions")
        .and(query_param("diffs", "true"))
        .respond_with(NOMAD.json_response(200, "job-versions-after-revert.json"))
        .mount(server)
        .await;
    on("GET", "/v1/job/dbHA1/versions").respond_with(json_body(&versions, 50)).mount(server).await;
    on("POST", "/v1/job/dbHA1/revert").respond_with(revert).mount(server).await;
}

/// A mock of `verb p`, any query (add matchers, an answer, then mount it).
fn on(verb: &str, p: &str) -> MockBuilder {
    Mock::given(method(verb)).and(path(p))
}

fn deployer(server: &MockServer) -> Arc<NomadDeployer> {
    Arc::new(NomadDeployer::new(nomad_client::NomadClient::builder().address(&server.uri()).build().unwrap()))
}

fn json_job() -> JobFile {
    let text = NOMAD.text("job-register.request.json");
    JobFile::from_text("job-register.request.json", &text).unwrap()
}

async fn planned(server: &MockServer, opts: DeployOptions) -> (Deploy, DeployPlan) {
    let deploy = Deploy::new(opts, deployer(server)).unwrap();
    let plan = deploy.plan().await.unwrap();
    (deploy, plan)
}

async fn requests(server: &MockServer, verb: &str, p: &str) -> Vec<Request> {
    let all = server.received_requests().await.unwrap();
    all.into_iter().filter(|r| r.method.as_str() == verb && r.url.path() == p).collect()
}

#[tokio::test]
async fn the_recorded_plan_diff_is_printed_as_nomad_job_plan_prints_it() {
    let server = nomad_with(NOMAD.json("job-plan-diff.json")).await;
    let hcl = NOMAD.json("jobs-parse.request.json")["JobHCL"].as_str().unwrap().to_owned();
    on("POST", "/v1/jobs/parse")
        .respond_with(NOMAD.json_response(200, "jobs-parse.json"))
        .expect(1)
        .mount(&server)
        .await;
    let file = JobFile::from_text("dbHA1.hcl", &hcl).unwrap();
    assert!(matches!(file, JobFile::Hcl { .. }));
    let (_, plan) = planned(&server, DeployOptions::new(file)).await;
    let parse = &requests(&server, "POST", "/v1/jobs/parse").await[0];
    let sent: Value = serde_json::from_slice(&parse.body).unwrap();
    assert_eq!(sent["JobHCL"].as_str(), Some(hcl.as_str()), "the HCL goes to Nomad's parser as it is");

    assert_eq!(plan.dry_run.job_modify_index, 20);
    assert_eq!(plan.namespace, "atala-testnet");
    let group = &plan.dry_run.diff.groups[0];
    assert_eq!(group.updates.get("create/destroy update"), Some(&1));
    assert_eq!(plan.dry_run.placements["database"].destructive_update, 1);
    let want = NOMAD.text("job-plan-diff.rendered.txt");
    assert_eq!(render_plan(&plan.dry_run, plan.is_system()), want);
    // Line by line against job_plan.go: the edited memory with its old and new value, the
    // tag added inside the edited service, the task's annotation, the group's update.
    for line in [
        "+/- Job: \"dbHA1\"",
        "+/- Meta[revision]: \"2\" => \"3\"",
        "+/- Task Group: \"database\" (1 create/destroy update)",
        "  +/- Task: \"postgres-patroni\" (forces create/destroy update)",
        "      +/- MemoryMB:    \"64\" => \"128\"",
        "- All tasks successfully allocated.",
        "Job Modify Index: 20",
    ] {
        assert!(want.lines().any(|l| l == line), "{line:?} missing from\n{want}");
    }
    assert_eq!(plan.plan.steps.len(), 2, "register and follow: {:?}", plan.plan.steps);
    assert!(plan.plan.steps[0].detail.contains("EnforceIndex 20"), "{:?}", plan.plan.steps[0]);
}

#[tokio::test]
async fn failed_placements_refuse_with_the_schedulers_reasons_and_nothing_is_registered() {
    // The recorded plan with a group that cannot be placed, in the shape Nomad 1.1 sends
    // (`FailedTGAllocs` of `AllocMetric`s; not recorded: the dev agent always had room).
    let mut answer = NOMAD.json("job-plan-diff.json");
    answer["FailedTGAllocs"] = json!({
        "database": {
            "NodesEvaluated": 1, "NodesFiltered": 0, "NodesAvailable": {"dc1": 1},
            "ClassFiltered": null, "ConstraintFiltered": null, "NodesExhausted": 1,
            "ClassExhausted": null, "DimensionExhausted": {"memory": 1}, "QuotaExhausted": null,
            "ResourcesExhausted": null, "Scores": null, "ScoreMetaData": null,
            "AllocationTime": 37_000, "CoalescedFailures": 1
        }
    });
    let server = nomad_with(answer).await;
    on("POST", "/v1/jobs").respond_with(ResponseTemplate::new(500)).expect(0).mount(&server).await;
    let deploy = Deploy::new(DeployOptions::new(json_job()), deployer(&server)).unwrap();
    let err = deploy.plan().await.unwrap_err();
    let reasons = err.refusal_reasons();
    assert_eq!(
        reasons,
        ["scheduler dry-run of task group database: cannot place 2 allocations: Resources exhausted on 1 nodes; \
          Dimension \"memory\" exhausted on 1 nodes"],
        "{err}"
    );
}

#[tokio::test]
async fn a_change_between_plan_and_register_is_refused_as_nomad_refuses_it() {
    let server = nomad_with(NOMAD.json("job-plan-diff.json")).await;
    // Someone scaled the job after our plan: it is at JobModifyIndex 23 now.
    mount_run(&server, 23, None).await;
    let (deploy, plan) = planned(&server, DeployOptions::new(json_job())).await;
    let (progress, mut events) = Progress::channel();
    let err = deploy.run(&plan, progress).await.unwrap_err();
    let Error::Conflict(text) = &err else { panic!("not a conflict: {err:?}") };
    assert!(
        text.contains(
            "Nomad refused the registration: Enforcing job modify index 20: job exists with conflicting job modify \
             index: 23. Nothing was registered"
        ),
        "{text}"
    );
    let register = &requests(&server, "POST", "/v1/jobs").await[0];
    let body: Value = serde_json::from_slice(&register.body).unwrap();
    assert_eq!((body["EnforceIndex"].clone(), body["JobModifyIndex"].clone()), (json!(true), json!(20)));
    assert_eq!(body["Job"]["Namespace"], "atala-testnet");
    assert!(requests(&server, "GET", "/v1/job/dbHA1/deployment").await.is_empty(), "nothing followed");
    let mut failed = false;
    while let Ok(e) = events.try_recv() {
        failed |= matches!(e, Event::StepFailed { ref step, .. } if step == "register dbHA1");
    }
    assert!(failed, "the register step reports its failure");
}

#[tokio::test]
async fn a_successful_deployment_is_followed_with_its_group_counts() {
    let server = nomad_with(NOMAD.json("job-plan-diff.json")).await;
    mount_run(&server, 20, Some(deployment("successful", 1, 0, 50))).await;
    let (deploy, plan) = planned(&server, DeployOptions::new(json_job())).await;
    let (progress, mut events) = Progress::channel();
    let report = deploy.run(&plan, progress).await.unwrap();
    assert_eq!(report.outcome, DeployOutcome::Successful);
    assert_eq!(report.registered.as_ref().unwrap().job_modify_index, REGISTERED_INDEX);
    let d = report.deployment.as_ref().unwrap();
    assert_eq!((d.id.as_str(), d.job_version), (NEW_DEPLOYMENT, 2));
    assert_eq!(d.health(), "database: 1/1 placed, 1 healthy, 0 unhealthy");
    assert_eq!(report.report.done, ["register dbHA1", "follow deployment"]);
    // The old deployment (version 1) is not taken for ours; the running one is shown.
    let mut seen = Vec::new();
    while let Ok(e) = events.try_recv() {
        if let Event::Waiting { what, seen: facts, .. } = e {
            seen.push(format!("{what} | {}", facts.join("; ")));
        }
    }
    assert_eq!(
        seen,
        [
            "a deployment of job dbHA1 (JobModifyIndex 43) | ",
            &format!(
                "deployment {NEW_DEPLOYMENT} of job dbHA1 version 2 to end (running) | database: 1/1 placed, 0 \
                 healthy, 0 unhealthy"
            ),
        ]
    );
    let reads = requests(&server, "GET", &format!("/v1/deployment/{NEW_DEPLOYMENT}")).await;
    let query = |k: &str| reads[0].url.query_pairs().find(|(q, _)| q == k).map(|(_, v)| v.into_owned());
    assert_eq!(query("index").as_deref(), Some("45"), "a blocking query");
    assert_eq!(query("wait").as_deref(), Some("5000ms"), "each round at most 5 s");
}

#[tokio::test]
async fn a_failed_deployment_is_left_as_it_is_without_auto_revert() {
    let server = nomad_with(NOMAD.json("job-plan-diff.json")).await;
    mount_run(&server, 20, Some(deployment("failed", 0, 1, 50))).await;
    on("POST", "/v1/job/dbHA1/revert").respond_with(ResponseTemplate::new(500)).expect(0).mount(&server).await;
    let (deploy, plan) = planned(&server, DeployOptions::new(json_job())).await;
    let report = deploy.run(&plan, Progress::none()).await.unwrap();
    assert_eq!(report.outcome, DeployOutcome::Failed);
    assert!(!report.outcome.is_success());
    assert_eq!(report.deployment.as_ref().unwrap().health(), "database: 1/1 placed, 0 healthy, 1 unhealthy");
    assert_eq!(report.report.skipped[0].step, "revert on failure");
    assert!(report.report.warnings[0].contains("failed: Failed due to unhealthy allocations"), "{:?}", report.report);
    assert!(report.revert.is_none());
}

#[tokio::test]
async fn a_failed_deployment_is_reverted_to_the_last_stable_version_with_auto_revert() {
    let server = nomad_with(NOMAD.json("job-plan-diff.json")).await;
    mount_run(&server, 20, Some(deployment("failed", 0, 1, 50))).await;
    mount_revert(&server, versions_with_v2(), NomadRevert { current: 2 }).await;
    let (deploy, plan) = planned(&server, DeployOptions::new(json_job()).auto_revert(true)).await;
    assert_eq!(plan.revert_to, Some(1), "version 1 runs and is stable");
    assert_eq!(plan.plan.steps.last().unwrap().name, "revert on failure");
    let report = deploy.run(&plan, Progress::none()).await.unwrap();
    assert_eq!(report.outcome, DeployOutcome::Reverted);
    let revert = &requests(&server, "POST", "/v1/job/dbHA1/revert").await[0];
    let body: Value = serde_json::from_slice(&revert.body).unwrap();
    assert_eq!(body, json!({"JobID": "dbHA1", "JobVersion": 1, "EnforcePriorVersion": 2}));
    let r = report.revert.as_ref().unwrap();
    assert_eq!((r.from_version, r.to_version, r.eval_id.as_str()), (2, 1, "8e585cde-b2df-555e-aa75-7771b16e5460"));
    assert_eq!(
        render_diff(r.diff.as_ref().unwrap()),
        "+/- Job: \"dbHA1\"\n\
         -   Meta[patroni_version]: \"3.0.2\"\n\
         +/- Meta[revision]:        \"2\" => \"1\"\n\
         +/- Task Group: \"database\"\n  \
         +/- Count: \"2\" => \"1\"\n      \
         Task: \"postgres-patroni\""
    );
    assert_eq!(report.report.done, ["register dbHA1", "follow deployment", "revert dbHA1 to version 1"]);
}

#[tokio::test]
async fn a_revert_after_a_newer_change_is_refused_as_nomad_refuses_it() {
    assert_eq!(revert_refusal(2, 1), NOMAD.text("job-revert-wrong-prior-version.txt"), "the recorded text");
    let server = nomad_with(NOMAD.json("job-plan-diff.json")).await;
    mount_run(&server, 20, Some(deployment("failed", 0, 1, 50))).await;
    // Version 2 is the newest when read, but another change lands before the revert.
    mount_revert(&server, versions_with_v2(), NomadRevert { current: 3 }).await;
    let (deploy, plan) = planned(&server, DeployOptions::new(json_job()).auto_revert(true)).await;
    let err = deploy.run(&plan, Progress::none()).await.unwrap_err();
    let Error::Conflict(text) = &err else { panic!("not a conflict: {err:?}") };
    assert!(
        text.contains(
            "Nomad refused the revert to version 1: Current job has version 3; enforcing version 2. Nothing was \
             reverted"
        ),
        "{text}"
    );
}

#[tokio::test]
async fn a_job_nomad_already_reverted_is_not_reverted_again() {
    let server = nomad_with(NOMAD.json("job-plan-diff.json")).await;
    mount_run(&server, 20, Some(deployment("failed", 0, 1, 50))).await;
    // The recorded versions after a revert: version 3 is newest, not the failed version 2.
    mount_revert(&server, NOMAD.json("job-versions-after-revert.json"), NomadRevert { current: 3 }).await;
    let (deploy, plan) = planned(&server, DeployOptions::new(json_job()).auto_revert(true)).await;
    let report = deploy.run(&plan, Progress::none()).await.unwrap();
    assert_eq!(report.outcome, DeployOutcome::Failed);
    let skipped = &report.report.skipped[0];
    assert_eq!(skipped.step, "revert on failure");
    assert!(skipped.reason.contains("is at version 3 now, not the failed version 2"), "{skipped:?}");
    assert!(requests(&server, "POST", "/v1/job/dbHA1/revert").await.is_empty(), "nothing reverted");
}

#[tokio::test]
async fn auto_revert_without_a_stable_version_is_refused() {
    let mut plan = NOMAD.json("job-plan-diff.json");
    plan["JobModifyIndex"] = 0.into();
    let server = MockServer::start().await;
    on("POST", "/v1/job/dbHA1/plan").respond_with(json_body(&plan, 20)).mount(&server).await;
    on("GET", "/v1/job/dbHA1/versions")
        .respond_with(NOMAD.text_response(404, "error-job-not-found.txt"))
        .mount(&server)
        .await;
    let deploy = Deploy::new(DeployOptions::new(json_job()).auto_revert(true), deployer(&server)).unwrap();
    let err = deploy.plan().await.unwrap_err();
    assert!(err.refusal_reasons()[0].starts_with("auto-revert: job dbHA1 has no stable version"), "{err}");
}

#[tokio::test]
async fn a_job_file_that_changes_nothing_registers_nothing() {
    let mut answer = NOMAD.json("job-plan-nodiff.json");
    // A diff that changes nothing, as Nomad sends one (the recorded diff of versions 2 and 1).
    answer["Diff"] = NOMAD.json("job-versions-after-revert.json")["Diffs"][1].clone();
    let server = nomad_with(answer).await;
    on("POST", "/v1/jobs").respond_with(ResponseTemplate::new(500)).expect(0).mount(&server).await;
    let (deploy, plan) = planned(&server, DeployOptions::new(json_job()).auto_revert(true)).await;
    assert!(plan.is_noop(), "{:?}", plan.plan);
    let report = deploy.run(&plan, Progress::none()).await.unwrap();
    assert_eq!(report.outcome, DeployOutcome::Unchanged);
    assert_eq!(report.report.skipped[0].step, "register dbHA1");
}

#[tokio::test]
async fn a_deployment_that_does_not_end_in_time_is_left_running() {
    let server = nomad_with(NOMAD.json("job-plan-diff.json")).await;
    mount_run(&server, 20, None).await;
    let opts = DeployOptions::new(json_job()).auto_revert(true).deployment_timeout(Duration::from_secs(1));
    let (deploy, plan) = planned(&server, opts).await;
    let started = std::time::Instant::now();
    let report = deploy.run(&plan, Progress::none()).await.unwrap();
    assert!(started.elapsed() < Duration::from_secs(5), "bounded: {:?}", started.elapsed());
    assert_eq!(report.outcome, DeployOutcome::TimedOut);
    assert!(report.report.warnings[0].contains("is still running"), "{:?}", report.report.warnings);
    assert_eq!(report.report.skipped[0].step, "revert on failure");
    // Rounds are spaced: a server answering at once is not hammered.
    let reads = requests(&server, "GET", &format!("/v1/deployment/{NEW_DEPLOYMENT}")).await;
    assert!(reads.len() <= 6, "{} reads in 1 s", reads.len());
}

#[test]
fn a_job_file_is_json_or_hcl_and_never_empty() {
    let wrapped = JobFile::from_text("a.json", r#"{"Job": {"ID": "web"}}"#).unwrap();
    assert!(matches!(wrapped, JobFile::Json { ref job, .. } if job["ID"] == "web"));
    assert!(matches!(JobFile::from_text("a.hcl", "job \"web\" {}").unwrap(), JobFile::Hcl { .. }));
    let empty = JobFile::from_text("a.hcl", "  \n").unwrap_err();
    assert_eq!(empty.to_string(), "invalid job file \"a.hcl\": is empty; expected a Nomad job in HCL or JSON");
    assert!(JobFile::from_text("a.json", "{nope").unwrap_err().to_string().contains("is not JSON"));
}

#[tokio::test]
async fn a_job_file_without_id_or_groups_is_refused_before_nomad_is_asked() {
    let nowhere = nomad_client::NomadClient::builder().address("http://127.0.0.1:9").build().unwrap();
    let file = JobFile::from_text("empty.json", r#"{"Job": {"Name": "web"}}"#).unwrap();
    let deploy = Deploy::new(DeployOptions::new(file), Arc::new(NomadDeployer::new(nowhere))).unwrap();
    let err = deploy.plan().await.unwrap_err();
    let reasons = err.refusal_reasons();
    assert_eq!(reasons.len(), 1, "{err}");
    assert!(reasons[0].starts_with("job file empty.json: its job ID is not usable: "), "{err}");
    assert!(reasons[0].ends_with("; it has no task group"), "{err}");
}
