//! Bad input is refused before any request; odd but valid IDs are escaped.

use nomad_client::{ClientError, Job, QueryOptions, RegisterOptions, ScaleOptions, StopOptions, WriteOptions};
use wiremock::Mock;
use wiremock::matchers::{method, path};

use crate::common::*;

#[tokio::test]
async fn invalid_arguments_never_reach_the_server() {
    let (server, nomad) = server().await;
    let q = QueryOptions::new();
    let errors = [
        nomad.jobs().get("", &q).await.unwrap_err(),
        nomad.jobs().get("a\0b", &q).await.unwrap_err(),
        nomad.jobs().stop("", &StopOptions::new().purge()).await.unwrap_err(),
        nomad.jobs().scale("dbHA1", "database", -1, &ScaleOptions::default()).await.unwrap_err(),
        nomad.jobs().scale("dbHA1", "", 1, &ScaleOptions::default()).await.unwrap_err(),
        nomad.jobs().register(&Job::default(), &RegisterOptions::new()).await.unwrap_err(),
        nomad.jobs().parse("  ", &WriteOptions::new()).await.unwrap_err(),
        nomad.jobs().get("dbHA1", &QueryOptions::new().namespace("*")).await.unwrap_err(),
        nomad.jobs().get("dbHA1", &QueryOptions::new().namespace("")).await.unwrap_err(),
        nomad.allocations().get("9df9c84d", &q).await.unwrap_err(),
        nomad.allocations().get("../../v1/jobs", &q).await.unwrap_err(),
        nomad.nodes().purge("", &WriteOptions::new()).await.unwrap_err(),
        nomad.namespaces().get("", &QueryOptions::new()).await.unwrap_err(),
    ];
    for err in &errors {
        assert!(matches!(err, nomad_client::Error::Core(client_core::Error::InvalidInput { .. })), "{err:?}");
    }
    assert_eq!(errors[0].to_string(), "invalid job ID \"\": must not be empty");
    assert_eq!(errors[3].to_string(), "invalid count \"-1\": must be zero or more");
    assert!(errors[9].to_string().contains("full 36-character ID"), "{}", errors[9]);
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn job_ids_with_slash_and_space_are_escaped() {
    let (server, nomad) = server().await;
    Mock::given(method("GET"))
        .and(path("/v1/job/my%20job%2Fdispatch-1/summary"))
        .respond_with(ok("job-summary.json", 24))
        .expect(1)
        .mount(&server)
        .await;
    nomad.jobs().summary("my job/dispatch-1", &QueryOptions::new()).await.unwrap();
}

#[tokio::test]
async fn a_namespace_that_does_not_exist_is_not_found_by_name() {
    let (server, nomad) = server().await;
    Mock::given(method("GET"))
        .and(path("/v1/namespace/does-not-exist"))
        .and(token())
        .respond_with(text(404, "namespace-read-missing.txt"))
        .expect(1)
        .mount(&server)
        .await;
    let err = nomad.namespaces().get("does-not-exist", &QueryOptions::new()).await.unwrap_err();
    assert!(err.is_not_found());
    assert_eq!(err.to_string(), "namespace \"does-not-exist\" was not found");
}

#[tokio::test]
async fn listing_jobs_of_a_missing_namespace_is_empty_not_an_error() {
    // Nomad 1.1.2 answers [] here; callers that care check the namespace first.
    let (server, nomad) = server().await;
    Mock::given(method("GET"))
        .and(path("/v1/jobs"))
        .and(query_is(&[("namespace", "does-not-exist")]))
        .respond_with(ok("jobs-list-nonexistent-namespace.json", 27))
        .mount(&server)
        .await;
    let jobs = nomad.jobs().list(&QueryOptions::new().namespace("does-not-exist")).await.unwrap();
    assert!(jobs.value.is_empty());
}

#[tokio::test]
async fn a_wildcard_default_namespace_is_refused_for_single_objects() {
    let (server, nomad) = server().await;
    let nomad = nomad.with_namespace("*").unwrap();
    let err = nomad.jobs().get("dbHA1", &QueryOptions::new()).await.unwrap_err().to_string();
    assert!(err.contains("wildcard namespace only works for list calls"), "{err}");
    let err = nomad.jobs().stop("dbHA1", &StopOptions::new()).await.unwrap_err().to_string();
    assert!(err.contains("wildcard"), "{err}");
    assert!(server.received_requests().await.unwrap().is_empty());
}
