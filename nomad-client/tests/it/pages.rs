//! Paged lists: `per_page`/`next_token` as a Stream of items, `filter`,
//! `reverse`, stale reads and their metadata. Bodies are the 1.1.2
//! recordings (which never page) and the 1.10 docs samples (which do);
//! the headers follow PAGINATION.md.

use std::time::Duration;

use futures::{StreamExt, TryStreamExt};
use nomad_client::{ClientError, Evaluation, JobListStub, QueryOptions};
use serde_json::Value;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, ResponseTemplate};

use crate::common::*;

/// A docs sample with the read headers and, when given, `X-Nomad-NextToken`.
fn docs_page(name: &str, index: u64, next: Option<&str>) -> ResponseTemplate {
    let mut answer = ok(name, index);
    if let Some(next) = next {
        answer = answer.insert_header("X-Nomad-Nexttoken", next);
    }
    answer
}

/// A page built from items of a recorded list.
fn items_page(items: &[Value], next: Option<&str>) -> ResponseTemplate {
    let mut answer = ResponseTemplate::new(200)
        .set_body_json(items)
        .insert_header("X-Nomad-Index", "40")
        .insert_header("X-Nomad-Knownleader", "true")
        .insert_header("X-Nomad-Lastcontact", "0");
    if let Some(next) = next {
        answer = answer.insert_header("X-Nomad-NextToken", next);
    }
    answer
}

#[tokio::test]
async fn a_stream_walks_every_page_passing_the_token_back_verbatim() {
    let (server, nomad) = server().await;
    let evals = json_fixture("evaluations-list.json").as_array().unwrap().clone();
    assert_eq!(evals.len(), 4);
    // An opaque token with characters that need encoding: `<CreateIndex>.<ID>` plus oddities.
    let token = format!("23.{}+x y", evals[2]["ID"].as_str().unwrap());
    let filter = r#"Status == "complete""#;
    Mock::given(method("GET"))
        .and(path("/v1/evaluations"))
        .and(query_is(&[("namespace", NS), ("per_page", "2"), ("filter", filter)]))
        .respond_with(items_page(&evals[..2], Some(&token)))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/evaluations"))
        .and(query_is(&[("namespace", NS), ("per_page", "2"), ("filter", filter), ("next_token", &token)]))
        .respond_with(items_page(&evals[2..], None))
        .expect(1)
        .mount(&server)
        .await;
    let opts = QueryOptions::new().per_page(2).filter(filter);
    let got: Vec<Evaluation> = nomad.evaluations().list_stream(&opts).unwrap().try_collect().await.unwrap();
    let want: Vec<Evaluation> = serde_json::from_value(Value::Array(evals)).unwrap();
    assert_eq!(got, want, "every item of both pages, in order");
    assert_eq!(server.received_requests().await.unwrap().len(), 2, "no request after the page without a token");
}

#[tokio::test]
async fn one_page_carries_its_next_token_and_the_next_call_starts_there() {
    let (server, nomad) = server().await;
    Mock::given(method("GET"))
        .and(path("/v1/jobs"))
        .and(query_is(&[("namespace", NS), ("per_page", "1")]))
        .respond_with(docs_page("nomad-docs/jobs-list.docs.json", 7, Some("default.example-2")))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/jobs"))
        .and(query_is(&[("namespace", NS), ("per_page", "1"), ("next_token", "default.example-2")]))
        .respond_with(docs_page("nomad-docs/jobs-list.docs.json", 7, None))
        .mount(&server)
        .await;
    let first = nomad.jobs().list_page(&QueryOptions::new().per_page(1)).await.unwrap();
    assert_eq!(first.next_token.as_deref(), Some("default.example-2"));
    assert_eq!(first.meta.last_index, 7);
    assert_eq!(first.items[0].id, "example");
    let opts = QueryOptions::new().per_page(1).next_token(first.next_token.unwrap());
    let last = nomad.jobs().list_page(&opts).await.unwrap();
    assert_eq!(last.next_token, None, "the header is absent on the last page");
    // A stream given a starting token begins there too.
    let rest: Vec<JobListStub> = nomad.jobs().list_stream(&opts).unwrap().try_collect().await.unwrap();
    assert_eq!(rest.len(), 1);
}

#[tokio::test]
async fn a_server_that_does_not_page_ends_the_stream_after_one_answer() {
    // Nomad 1.1.2 ignores per_page: the recorded list comes back whole, without a token.
    let (server, nomad) = server().await;
    Mock::given(method("GET"))
        .and(path("/v1/acl/tokens"))
        .and(query_is(&[("per_page", "1")]))
        .respond_with(ok("acl-tokens-list.json", 19))
        .expect(1)
        .mount(&server)
        .await;
    let tokens: Vec<_> =
        nomad.acl().tokens().list_stream(&QueryOptions::new().per_page(1)).unwrap().try_collect().await.unwrap();
    assert_eq!(tokens.len(), 3);
    assert_eq!(tokens[0].name, "dev-alice");
}

#[tokio::test]
async fn a_token_that_does_not_advance_is_an_error_not_a_loop() {
    let (server, nomad) = server().await;
    let allocs = json_fixture("allocations-list.json").as_array().unwrap().clone();
    Mock::given(method("GET"))
        .and(path("/v1/allocations"))
        .respond_with(items_page(&allocs[..1], Some("same")))
        .mount(&server)
        .await;
    let mut stream = std::pin::pin!(nomad.allocations().list_stream(&QueryOptions::new().per_page(1)).unwrap());
    assert!(stream.next().await.unwrap().is_ok(), "the first page's item");
    // The second request (next_token=same) answers next_token=same again.
    let err = stream.next().await.unwrap().unwrap_err();
    assert!(err.to_string().contains("\"same\""), "{err}");
    assert!(stream.next().await.is_none(), "the stream ends after the error");
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn reverse_is_sent_where_lists_reverse_and_refused_where_they_cannot() {
    let (server, nomad) = server().await;
    Mock::given(method("GET"))
        .and(path("/v1/deployments"))
        .and(query_is(&[("namespace", NS), ("reverse", "true")]))
        .respond_with(docs_page("nomad-docs/deployments-list.docs.json", 5, None))
        .expect(1)
        .mount(&server)
        .await;
    let page = nomad.deployments().list_page(&QueryOptions::new().reverse()).await.unwrap();
    assert!(!page.items.is_empty());
    let err = nomad.jobs().list_page(&QueryOptions::new().reverse()).await.unwrap_err();
    assert!(err.to_string().contains("/v1/jobs cannot be listed in reverse"), "{err}");
    let err = nomad.variables().list_page(&QueryOptions::new().reverse()).await.unwrap_err();
    assert!(err.to_string().contains("reverse"), "{err}");
    for bad in [0, u32::MAX] {
        let err = nomad.allocations().list_page(&QueryOptions::new().per_page(bad)).await.unwrap_err();
        assert!(err.to_string().contains("per_page") && err.to_string().contains("between 1 and"), "{err}");
    }
    assert_eq!(server.received_requests().await.unwrap().len(), 1, "refused options send nothing");
}

#[tokio::test]
async fn a_filter_answer_is_what_the_docs_show_for_it() {
    let (server, nomad) = server().await;
    let filter = r#"Datacenters contains "dc2""#;
    Mock::given(method("GET"))
        .and(path("/v1/jobs"))
        .and(query_param("filter", filter))
        .respond_with(docs_page("nomad-docs/jobs-list-filter-datacenters-example.docs.json", 9, None))
        .expect(1)
        .mount(&server)
        .await;
    let jobs = nomad.jobs().list(&QueryOptions::new().filter(filter)).await.unwrap();
    assert_eq!(jobs.value.len(), 1);
    let unfiltered: Vec<JobListStub> =
        serde_json::from_value(json_fixture("nomad-docs/jobs-list-unfiltered-example.docs.json")).unwrap();
    assert_eq!(jobs.value[0], unfiltered[0]);
    // A bad expression is the server's 400, kept as an API error with its text.
    Mock::given(method("GET"))
        .and(path("/v1/evaluations"))
        .respond_with(ResponseTemplate::new(400).set_body_string("failed to read filter expression: syntax error"))
        .mount(&server)
        .await;
    let err = nomad.evaluations().list_page(&QueryOptions::new().filter("Status ==")).await.unwrap_err();
    assert_eq!(err.status(), Some(400));
    assert!(err.to_string().contains("failed to read filter expression"), "{err}");
}

#[tokio::test]
async fn stale_metadata_reads_each_header_on_its_own() {
    let (server, nomad) = server().await;
    // A follower without a leader: no index, KnownLeader false, LastContact in ms.
    Mock::given(method("GET"))
        .and(path("/v1/allocations"))
        .and(query_is(&[("namespace", NS), ("stale", "")]))
        .respond_with(
            FIXTURES
                .json_response(200, "allocations-list.json")
                .insert_header("X-Nomad-Knownleader", "false")
                .insert_header("X-Nomad-Lastcontact", "1250"),
        )
        .expect(1)
        .mount(&server)
        .await;
    let page = nomad.allocations().list_page(&QueryOptions::new().stale()).await.unwrap();
    assert_eq!(page.meta.last_index, 0, "absent index");
    assert_eq!(page.meta.known_leader, Some(false));
    assert_eq!(page.meta.last_contact, Some(Duration::from_millis(1250)));
    // A garbled index does not hide the other two (Go's parseQueryMeta stops at the first bad one).
    Mock::given(method("GET"))
        .and(path("/v1/deployments"))
        .respond_with(
            FIXTURES
                .json_response(200, "deployments-list.json")
                .insert_header("X-Nomad-Index", "not-a-number")
                .insert_header("X-Nomad-Knownleader", "true")
                .insert_header("X-Nomad-Lastcontact", "3"),
        )
        .mount(&server)
        .await;
    let page = nomad.deployments().list_page(&QueryOptions::new()).await.unwrap();
    assert_eq!((page.meta.last_index, page.meta.known_leader), (0, Some(true)));
    assert_eq!(page.meta.last_contact, Some(Duration::from_millis(3)));
}
