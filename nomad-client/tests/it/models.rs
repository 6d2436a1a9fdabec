//! Models survive newer Nomads: a Nomad 1.9 job (the 1.9 docs' job sample
//! with the 1.8/1.9 fields added, see nomad-docs/README.md) decodes, and a
//! read-modify-write keeps every field; the 1.10 list shapes decode and keep
//! every key.

use nomad_client::{Allocation, Deployment, Evaluation, Job, JobListStub, NodeListStub, QueryOptions, RegisterOptions};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use wiremock::Mock;
use wiremock::matchers::{body_json, method, path};

use crate::common::*;

const JOB_19: &str = "nomad-docs/job-read-1.9.docs.json";

#[test]
fn a_nomad_1_9_job_decodes_its_new_fields() {
    let job: Job = serde_json::from_value(json_fixture(JOB_19)).unwrap();
    assert_eq!(job.node_pool.as_deref(), Some("prod"));
    let tag = job.version_tag().unwrap();
    assert_eq!((tag.name.as_deref(), tag.tagged_time), (Some("golden"), Some(1727870000000000000)));
    assert_eq!(job.ui().unwrap()["Links"][0]["Label"], "Runbook");
    let task = job.task_group("cache").unwrap().task("redis").unwrap();
    assert_eq!(task.identity().unwrap()["Audience"][0], "nomadproject.io");
    assert_eq!(task.identities()[0]["Name"], "vault_default");
    assert_eq!(task.schedule().unwrap()["Cron"]["Timezone"], "Europe/Berlin");
    // Encoding gives back exactly what was read, unknown fields (Actions, Disconnect, NUMA...) included.
    assert_eq!(serde_json::to_value(&job).unwrap(), json_fixture(JOB_19));
}

#[test]
fn an_older_job_gains_no_new_keys() {
    let recorded = json_fixture("job-read.json");
    let job: Job = serde_json::from_value(recorded.clone()).unwrap();
    assert_eq!(job.node_pool, None);
    assert!(job.version_tag().is_none() && job.ui().is_none());
    assert_eq!(serde_json::to_value(&job).unwrap(), recorded, "a 1.1.2 job round-trips unchanged");
}

#[tokio::test]
async fn read_modify_register_of_a_1_9_job_keeps_every_field() {
    let (server, nomad) = server().await;
    Mock::given(method("GET")).and(path("/v1/job/example")).respond_with(ok(JOB_19, 51)).mount(&server).await;
    let mut expected = json_fixture(JOB_19);
    expected["TaskGroups"][0]["Count"] = json!(3);
    Mock::given(method("POST"))
        .and(path("/v1/jobs"))
        .and(query_is(&[("namespace", "default")]))
        .and(body_json(json!({ "Job": expected })))
        .respond_with(ok("job-register-update.json", 52))
        .expect(1)
        .mount(&server)
        .await;
    let opts = QueryOptions::new().namespace("default");
    let mut job = nomad.jobs().get("example", &opts).await.unwrap().value;
    job.task_group_mut("cache").unwrap().count = Some(3);
    let write = nomad_client::WriteOptions::new().namespace("default");
    nomad.jobs().register(&job, &RegisterOptions { write, ..RegisterOptions::new() }).await.unwrap();
}

/// Every key of `recorded` is in `encoded`, at every depth of objects.
fn keeps_keys(at: &str, recorded: &Value, encoded: &Value) {
    match (recorded, encoded) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in a {
                let other = b.get(k).unwrap_or_else(|| panic!("{at}/{k} was lost"));
                keeps_keys(&format!("{at}/{k}"), v, other);
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            assert_eq!(a.len(), b.len(), "{at}");
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                keeps_keys(&format!("{at}/{i}"), x, y);
            }
        }
        _ => {}
    }
}

fn decodes_and_keeps<T: DeserializeOwned + Serialize>(name: &str) -> Vec<T> {
    let recorded = json_fixture(name);
    let rows: Vec<T> = serde_json::from_value(recorded.clone()).unwrap_or_else(|e| panic!("{name}: {e}"));
    keeps_keys(name, &recorded, &serde_json::to_value(&rows).unwrap());
    rows
}

#[test]
fn the_1_10_list_shapes_decode_and_keep_every_key() {
    let allocs: Vec<Allocation> = decodes_and_keeps("nomad-docs/allocations-list.docs.json");
    assert!(allocs.iter().all(|a| a.client_status.is_known()));
    let evals: Vec<Evaluation> = decodes_and_keeps("nomad-docs/evaluations-list.docs.json");
    assert!(evals.iter().all(|e| e.status.is_known()));
    let deployments: Vec<Deployment> = decodes_and_keeps("nomad-docs/deployments-list.docs.json");
    assert!(!deployments.is_empty());
    let jobs: Vec<JobListStub> = decodes_and_keeps("nomad-docs/jobs-list.docs.json");
    assert!(jobs.iter().all(|j| j.status.is_known()));
    let nodes: Vec<NodeListStub> = decodes_and_keeps("nomad-docs/node-pool-nodes.docs.json");
    assert!(nodes.iter().all(|n| !n.node_pool.is_empty() && n.status.is_known()), "{nodes:?}");
}
