//! The event stream: recorded NDJSON bodies, reconnection from the last index.

use std::time::Duration;

use futures::StreamExt;
use nomad_client::{EventOptions, QueryOptions};
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

use crate::common::*;

fn ndjson(lines: &[&str]) -> ResponseTemplate {
    let mut body = lines.join("\n");
    body.push('\n');
    ResponseTemplate::new(200).insert_header("Content-Type", "application/json").set_body_string(body)
}

fn recorded_lines(name: &str) -> Vec<String> {
    String::from_utf8(fixture(name)).unwrap().lines().map(str::to_owned).collect()
}

fn batch_index(line: &str) -> u64 {
    serde_json::from_str::<serde_json::Value>(line).unwrap()["Index"].as_u64().unwrap_or(0)
}

#[tokio::test]
async fn typed_events_with_topic_keys() {
    let (server, nomad) = server().await;
    Mock::given(method("GET"))
        .and(path("/v1/event/stream"))
        .and(query_is(&[
            ("topic", "Job:dbHA1"),
            ("topic", "Deployment"),
            ("topic", "Allocation"),
            ("namespace", NS),
            ("index", "1"),
        ]))
        .and(token())
        .respond_with(ResponseTemplate::new(200).set_body_bytes(fixture("event-stream-dbHA1-key.raw")))
        .expect(1)
        .mount(&server)
        .await;
    let opts =
        EventOptions { index: 1, reconnect: false, ..EventOptions::topics(["Job:dbHA1", "Deployment", "Allocation"]) };
    let events: Vec<_> = nomad.events().stream(&opts).map(Result::unwrap).collect().await;
    let first = &events[0];
    assert_eq!(
        (first.topic.as_str(), first.event_type.as_str(), first.key.as_str(), first.index),
        ("Job", "JobRegistered", "dbHA1", 11)
    );
    assert_eq!(first.job().unwrap().task_group("database").unwrap().count, Some(1));
    let alloc = events.iter().find(|e| e.topic == "Allocation").unwrap().allocation().unwrap();
    assert_eq!(alloc.job_id, "dbHA1");
    assert!(events.iter().any(|e| e.topic == "Deployment" && e.deployment().unwrap().job_id == "dbHA1"));
    assert!(events.windows(2).all(|w| w[0].index <= w[1].index));
}

#[tokio::test]
async fn reconnects_from_the_index_after_the_last_event() {
    let (server, nomad) = server().await;
    let lines = recorded_lines("event-stream-job-namespace.raw");
    // The first connection delivers up to index 20 and drops; Nomad would then
    // replay from the index the client asks for.
    let first: Vec<&str> = lines.iter().map(String::as_str).filter(|l| batch_index(l) <= 20).collect();
    let rest: Vec<&str> = lines.iter().map(String::as_str).filter(|l| *l == "{}" || batch_index(l) >= 21).collect();
    Mock::given(method("GET"))
        .and(path("/v1/event/stream"))
        .and(query_is(&[("topic", "Job"), ("namespace", NS)]))
        .and(token())
        .respond_with(ndjson(&first))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/event/stream"))
        .and(query_is(&[("topic", "Job"), ("namespace", NS), ("index", "21")]))
        .and(token())
        .respond_with(ndjson(&rest))
        .expect(1)
        .mount(&server)
        .await;
    let opts = EventOptions { reconnect_delay: Duration::from_millis(5), ..EventOptions::topics(["Job"]) };
    let events: Vec<_> = nomad.events().stream(&opts).take(12).map(Result::unwrap).collect().await;
    let indexes: Vec<u64> = events.iter().map(|e| e.index).collect();
    assert_eq!(indexes, [11, 12, 18, 20, 27, 31, 32, 34, 36, 38, 40, 42]);
    assert_eq!(events[6].key, "dbHA1-backup/dispatch-1795323891-52aafe67");
}

#[tokio::test]
async fn replayed_duplicates_are_not_delivered_twice() {
    let (server, nomad) = server().await;
    let lines = recorded_lines("event-stream-job-namespace.raw");
    let all: Vec<&str> = lines.iter().map(String::as_str).collect();
    Mock::given(method("GET"))
        .and(path("/v1/event/stream"))
        .and(query_is(&[("topic", "Job"), ("namespace", NS)]))
        .respond_with(ndjson(&all))
        .expect(1)
        .mount(&server)
        .await;
    // A server that ignores `index` on reconnection and replays everything, plus one new batch.
    let mut newer: serde_json::Value = serde_json::from_str(all.last().unwrap()).unwrap();
    newer["Index"] = 50.into();
    newer["Events"][0]["Index"] = 50.into();
    let newer = newer.to_string();
    let mut again = all.clone();
    again.push(&newer);
    Mock::given(method("GET"))
        .and(path("/v1/event/stream"))
        .and(query_is(&[("topic", "Job"), ("namespace", NS), ("index", "43")]))
        .respond_with(ndjson(&again))
        .expect(1)
        .mount(&server)
        .await;
    let opts = EventOptions { reconnect_delay: Duration::from_millis(5), ..EventOptions::topics(["Job"]) };
    let events: Vec<_> = nomad.events().stream(&opts).take(13).map(Result::unwrap).collect().await;
    let indexes: Vec<u64> = events.iter().map(|e| e.index).collect();
    assert_eq!(indexes, [11, 12, 18, 20, 27, 31, 32, 34, 36, 38, 40, 42, 50]);
}

#[tokio::test]
async fn errors_a_reconnection_cannot_cure_end_the_stream() {
    let (server, nomad) = server().await;
    Mock::given(method("GET"))
        .and(path("/v1/event/stream"))
        .respond_with(text(403, "acl-403-jobs-no-token.txt"))
        .expect(1)
        .mount(&server)
        .await;
    let items: Vec<_> = nomad.events().stream(&EventOptions::topics(["Job"])).collect().await;
    assert_eq!(items.len(), 1);
    let err = items[0].as_ref().unwrap_err().to_string();
    assert_eq!(err, "GET /v1/event/stream failed with HTTP 403: Permission denied");
}

#[tokio::test]
async fn heartbeats_only_stream_yields_nothing() {
    let (server, nomad) = server().await;
    Mock::given(method("GET"))
        .and(path("/v1/event/stream"))
        .and(query_is(&[("topic", "Job"), ("namespace", "*")]))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(fixture("event-stream-job.raw")))
        .expect(1)
        .mount(&server)
        .await;
    let opts =
        EventOptions { reconnect: false, query: QueryOptions::new().all_namespaces(), ..EventOptions::topics(["Job"]) };
    let items: Vec<_> = nomad.events().stream(&opts).collect().await;
    assert!(items.is_empty());
}

#[tokio::test]
async fn a_silent_connection_is_replaced_and_resumes_after_the_last_index() {
    let lines = recorded_lines("event-stream-job-namespace.raw");
    let line = |index: u64| format!("{}\n", lines.iter().find(|l| batch_index(l) == index).unwrap()).into_bytes();
    // First connection: a heartbeat and one batch, then silence. Second: the next batch.
    let (addr, server) =
        chunked_server(vec![(vec![b"{}\n".to_vec(), line(11)], End::Hold), (vec![line(12)], End::Hold)]).await;
    let nomad = nomad_client::NomadClient::builder().address(&addr).token(TOKEN).namespace(NS).build().unwrap();
    let opts = EventOptions {
        idle_timeout: Duration::from_millis(300),
        reconnect_delay: Duration::from_millis(5),
        ..EventOptions::topics(["Job"])
    };
    let events: Vec<_> = nomad.events().stream(&opts).take(2).map(Result::unwrap).collect().await;
    assert_eq!(events.iter().map(|e| e.index).collect::<Vec<_>>(), [11, 12]);
    drop(events);
    let heads = server.await.unwrap();
    let first = heads[0].lines().next().unwrap().to_owned();
    let second = heads[1].lines().next().unwrap().to_owned();
    assert!(first.starts_with("GET /v1/event/stream?topic=Job&namespace=atala-testnet HTTP/1.1"), "{first}");
    assert!(second.starts_with("GET /v1/event/stream?topic=Job&index=12&namespace=atala-testnet HTTP/1.1"), "{second}");
}

#[tokio::test]
async fn a_job_purge_emits_no_event_but_a_stop_does() {
    // Row 195: web-no-ns was purged at t=1s (index 36, row 196) and fails-at-once stopped
    // at t=2s (index 40, row 197); only the stop shows, as JobDeregistered twice.
    let (server, nomad) = server().await;
    Mock::given(method("GET"))
        .and(path("/v1/event/stream"))
        .and(query_is(&[("topic", "Job"), ("namespace", "default")]))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(fixture("event-stream-purge.raw")))
        .expect(1)
        .mount(&server)
        .await;
    let opts = EventOptions {
        query: QueryOptions::new().namespace("default"),
        reconnect: false,
        ..EventOptions::topics(["Job"])
    };
    let events: Vec<_> = nomad.events().stream(&opts).map(Result::unwrap).collect().await;
    let purged: Vec<_> = events.iter().filter(|e| e.key == "web-no-ns" && e.index >= 36).collect();
    assert!(purged.is_empty(), "{purged:?}");
    let stopped: Vec<_> =
        events.iter().filter(|e| e.event_type == "JobDeregistered").map(|e| (e.key.as_str(), e.index)).collect();
    assert_eq!(stopped, [("fails-at-once", 40), ("fails-at-once", 40)]);
}
