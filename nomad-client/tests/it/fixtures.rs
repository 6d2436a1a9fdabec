//! Every recorded answer that carries a status or type word decodes into its
//! typed model, Nomad 1.1.2 used no word the vocabularies do not know, and the
//! words encode back as they were recorded.

use nomad_client::{Allocation, Deployment, Evaluation, Job, JobListStub, Node, NodeListStub};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::common::fixture;

/// The fields holding a vocabulary word, wherever they appear in a model.
const WORD_FIELDS: &[&str] = &["Status", "Type", "ClientStatus", "DesiredStatus", "SchedulingEligibility", "State"];

/// Decodes `name` as `T`, checks `known` on every row and that every word
/// field encodes back to the recorded word.
fn check<T: DeserializeOwned + Serialize>(name: &str, known: impl Fn(&T) -> bool) -> usize {
    let body = fixture(name);
    let recorded: Value = serde_json::from_slice(&body).unwrap();
    let rows: Vec<T> = match recorded {
        Value::Array(_) => serde_json::from_slice(&body),
        _ => serde_json::from_slice(&body).map(|one| vec![one]),
    }
    .unwrap_or_else(|e| panic!("{name} does not decode as {}: {e}", std::any::type_name::<T>()));
    for row in &rows {
        assert!(known(row), "{name}: a status or type word this crate does not know");
    }
    let encoded = match &recorded {
        Value::Array(_) => serde_json::to_value(&rows).unwrap(),
        _ => serde_json::to_value(&rows[0]).unwrap(),
    };
    assert!(same_words(name, "", &recorded, &encoded) >= rows.len(), "{name}: no word field compared");
    rows.len()
}

/// Walks `recorded`, comparing each word field with the one at the same place
/// in `encoded`; how many were compared.
fn same_words(name: &str, at: &str, recorded: &Value, encoded: &Value) -> usize {
    let children: Vec<(String, &Value)> = match recorded {
        Value::Object(map) => map.iter().map(|(k, v)| (k.clone(), v)).collect(),
        Value::Array(items) => items.iter().enumerate().map(|(i, v)| (i.to_string(), v)).collect(),
        _ => return 0,
    };
    let mut compared = 0;
    for (key, value) in children {
        let other = match encoded {
            Value::Array(items) => key.parse::<usize>().ok().and_then(|i| items.get(i)),
            _ => encoded.get(&key),
        };
        let Some(other) = other else { continue };
        if value.is_string() && WORD_FIELDS.contains(&key.as_str()) {
            assert_eq!(value, other, "{name}: {at}/{key} did not encode back as recorded");
            compared += 1;
        } else {
            compared += same_words(name, &format!("{at}/{key}"), value, other);
        }
    }
    compared
}

fn alloc_known(a: &Allocation) -> bool {
    a.client_status.is_known()
        && a.desired_status.is_known()
        && a.task_states.iter().flatten().all(|(_, t)| t.state.is_known())
        && a.job.as_ref().is_none_or(job_known)
}

/// A parsed job that was never registered has the empty status (kept as the empty word).
fn job_known(j: &Job) -> bool {
    j.status.as_ref().is_none_or(|s| s.is_known() || s.as_str().is_empty())
        && j.job_type.as_ref().is_none_or(|t| t.is_known())
}

#[test]
fn recorded_answers_decode_into_the_typed_models_and_keep_their_words() {
    let mut rows = 0;
    for name in ["jobs-list.json", "jobs-list-all-namespaces.json", "jobs-list-prefix.json"] {
        rows += check::<JobListStub>(name, |j| j.status.is_known() && j.job_type.is_known());
    }
    for name in ["job-read.json", "job-read-dispatched-child.json", "jobs-parse.json"] {
        rows += check::<Job>(name, job_known);
    }
    for name in [
        "allocation-read.json",
        "allocations-list.json",
        "allocations-list-all-namespaces.json",
        "allocations-list-prefix.json",
        "job-allocations.json",
        "job-allocations-all.json",
        "job-allocations-after-revert.json",
        "job-allocations-during-drain.json",
        "job-allocations-failed-at-once.json",
        "node-allocations.json",
        "evaluation-allocations.json",
    ] {
        rows += check::<Allocation>(name, alloc_known);
    }
    rows += check::<NodeListStub>("nodes-list.json", |n| n.status.is_known() && n.scheduling_eligibility.is_known());
    for name in ["node-read.json", "node-read-right-after-purge.json"] {
        rows += check::<Node>(name, |n| n.status.is_known() && n.scheduling_eligibility.is_known());
    }
    for name in ["deployments-list.json", "job-deployments.json", "deployment-read.json", "job-deployment-latest.json"]
    {
        rows += check::<Deployment>(name, |d| d.status.is_known());
    }
    for name in ["evaluations-list.json", "job-evaluations.json", "evaluation-read.json"] {
        rows += check::<Evaluation>(name, |e| e.status.is_known() && e.eval_type.is_known());
    }
    assert!(rows > 30, "only {rows} rows decoded");
}
