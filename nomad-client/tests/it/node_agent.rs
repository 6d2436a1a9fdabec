//! Nodes (force-evaluate, stats, a drain followed to its end), fs/stream,
//! evaluation delete, deployment allocation health, the agent's join,
//! force-leave, host and monitor, and search. The streams are checked for
//! flat memory and for closing their connection when dropped.

use std::time::Duration;

use base64::Engine as _;
use client_core::WatchOptions;
use futures::StreamExt;
use nomad_client::{
    AgentTarget, DrainProgress, Error, EvalSelection, LogFrame, LogsOptions, MAX_MONITOR_LINE, Origin, QueryOptions,
    WriteOptions,
};
use wiremock::matchers::{body_json, method, path, query_param};
use wiremock::{Mock, ResponseTemplate};

use crate::common::*;

const DEPLOYMENT: &str = "70638f62-5c19-193e-30d6-f9d6e689ab8e";

fn client(addr: &str) -> nomad_client::NomadClient {
    nomad_client::NomadClient::builder().address(addr).token(TOKEN).namespace(NS).build().unwrap()
}

fn frame(data: &[u8]) -> Vec<u8> {
    let b64 = base64::engine::general_purpose::STANDARD.encode(data);
    format!(r#"{{"Data":"{b64}","File":"alloc/data.bin","Offset":0}}"#).into_bytes()
}

/// Answers in turn, the last one again and again.
struct InTurn {
    answers: Vec<ResponseTemplate>,
    next: std::sync::atomic::AtomicUsize,
}

impl InTurn {
    fn new(answers: Vec<ResponseTemplate>) -> Self {
        Self { answers, next: Default::default() }
    }
}

impl wiremock::Respond for InTurn {
    fn respond(&self, _: &wiremock::Request) -> ResponseTemplate {
        let n = self.next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.answers[n.min(self.answers.len() - 1)].clone()
    }
}

fn quick() -> WatchOptions {
    WatchOptions {
        wait: Duration::from_secs(1),
        error_backoff: Duration::from_millis(5),
        min_interval: Duration::from_millis(20),
    }
}

/// The recorded ready node with a drain strategy put in (1.1.2 finished the
/// recorded drain before the next read, so no recorded answer shows one).
fn draining_node(index: u64) -> serde_json::Value {
    let mut node = json_fixture("node-read-draining.json");
    node["DrainStrategy"] = serde_json::json!({
        "Deadline": 3600000000000u64, "ForceDeadline": "2026-11-22T06:08:02Z", "IgnoreSystemJobs": false,
        "StartedAt": "2026-11-22T05:08:02Z"
    });
    node["ModifyIndex"] = index.into();
    node
}

#[tokio::test]
async fn force_evaluate_and_host_stats_of_a_node() {
    let (server, nomad) = server().await;
    Mock::given(method("POST"))
        .and(path(format!("/v1/node/{NODE}/evaluate")))
        .respond_with(ok("nomad-docs/node-evaluate.docs.json", 3671))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/client/stats"))
        .and(query_param("node_id", NODE))
        .respond_with(ok("client-stats.json", 0))
        .mount(&server)
        .await;
    let answer = nomad.nodes().force_evaluate(NODE, &WriteOptions::new()).await.unwrap();
    assert_eq!(answer.eval_ids.unwrap(), ["4dfc2db7-b481-c53b-3072-14479aa44be3"]);
    let stats = nomad.nodes().stats(NODE, &QueryOptions::new()).await.unwrap();
    assert!(stats["Memory"]["Total"].as_u64().unwrap() > 0 && stats.contains_key("Uptime"));
    assert!(nomad.nodes().stats("ea4c7b83", &QueryOptions::new()).await.unwrap_err().to_string().contains("node ID"));
}

#[tokio::test]
async fn a_drain_is_followed_until_done_and_then_no_more_is_asked() {
    let (server, nomad) = server().await;
    let answers = vec![
        ResponseTemplate::new(200).set_body_json(draining_node(76)).insert_header("X-Nomad-Index", "76"),
        ok("node-read-after-drain.json", 79),
    ];
    Mock::given(method("GET"))
        .and(path(format!("/v1/node/{NODE}")))
        .respond_with(InTurn::new(answers))
        .mount(&server)
        .await;
    let watch = nomad.nodes().watch_drain(NODE, None, &QueryOptions::new(), quick()).unwrap();
    // A stream that ended is not polled again (the watch behind it would block forever).
    let steps: Vec<_> = tokio::time::timeout(Duration::from_secs(10), watch.collect::<Vec<_>>()).await.unwrap();
    assert_eq!(steps.len(), 2, "{steps:?}");
    let first = steps[0].as_ref().unwrap();
    assert!(
        matches!(first, DrainProgress::Draining { force_deadline: Some(d), index: 76 } if d == "2026-11-22T06:08:02Z"),
        "{first:?}"
    );
    assert!(matches!(steps[1].as_ref().unwrap(), DrainProgress::Done { status } if status == "complete"));
    let asked = server.received_requests().await.unwrap().len();
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(server.received_requests().await.unwrap().len(), asked, "the ended stream asks nothing more");
    // The second request was a blocking query on the first answer's index.
    assert_eq!(
        server.received_requests().await.unwrap()[1].url.query_pairs().find(|(k, _)| k == "index").unwrap().1,
        "76"
    );
}

#[tokio::test]
async fn a_dropped_drain_watch_stops_asking_and_a_stuck_drain_is_an_error() {
    let (server, nomad) = server().await;
    // Every answer moves the index, so the watch asks again at once.
    let answers: Vec<_> = (80..200u64)
        .map(|i| {
            ResponseTemplate::new(200)
                .set_body_json(draining_node(i))
                .insert_header("X-Nomad-Index", i.to_string().as_str())
        })
        .collect();
    Mock::given(method("GET"))
        .and(path(format!("/v1/node/{NODE}")))
        .respond_with(InTurn::new(answers))
        .mount(&server)
        .await;
    let mut watch = Box::pin(nomad.nodes().watch_drain(NODE, None, &QueryOptions::new(), quick()).unwrap());
    for _ in 0..3 {
        assert!(matches!(watch.next().await, Some(Ok(DrainProgress::Draining { .. }))));
    }
    drop(watch);
    let asked = server.received_requests().await.unwrap().len();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(server.received_requests().await.unwrap().len(), asked, "dropping the stream stopped the queries");

    let stuck: Vec<_> =
        nomad.nodes().watch_drain(NODE, Some(Duration::ZERO), &QueryOptions::new(), quick()).unwrap().collect().await;
    assert_eq!(stuck.len(), 1);
    let err = stuck[0].as_ref().unwrap_err().to_string();
    assert!(err.contains("still draining") && err.contains(NODE), "{err}");
}

#[tokio::test]
async fn fs_stream_reuses_the_log_framing_with_flat_memory_and_hangs_up_when_dropped() {
    // 2 MiB in 64 KiB frames, cut into chunks that never align with them.
    let payload: Vec<u8> = (0u32..2 * 1024 * 1024).map(|i| (i.wrapping_mul(2_654_435_761) >> 11) as u8).collect();
    let body: Vec<u8> = payload.chunks(64 * 1024).flat_map(frame).collect();
    let chunks: Vec<Vec<u8>> = body.chunks(5000).map(<[u8]>::to_vec).collect();
    let (addr, heads) =
        chunked_server(vec![(chunks, End::Finish), (vec![frame(b"first"), b"{}".to_vec()], End::Hold)]).await;
    let nomad = client(&addr);
    let opts = LogsOptions { origin: Origin::End, offset: 10, ..LogsOptions::default() };
    let mut frames = nomad.allocations().stream_file(ALLOC, "alloc/data.bin", &opts).await.unwrap();
    let mut got = Vec::new();
    while let Some(f) = frames.next().await {
        if let LogFrame::Data { data, .. } = f.unwrap() {
            got.extend_from_slice(&data);
        }
    }
    assert!(got == payload, "decoded {} bytes of {}", got.len(), payload.len());
    assert!(frames.high_water() < 200 * 1024, "held {} bytes", frames.high_water());

    let follow = LogsOptions { follow: true, ..LogsOptions::default() };
    let mut live = nomad.allocations().stream_file(ALLOC, "alloc/data.bin", &follow).await.unwrap();
    assert!(matches!(live.next().await, Some(Ok(LogFrame::Data { .. }))));
    drop(live);
    // The held connection's server side returns once the client hung up.
    let heads = tokio::time::timeout(Duration::from_secs(5), heads)
        .await
        .expect("the dropped stream closed its connection")
        .unwrap();
    assert!(heads[0].starts_with(&format!("GET /v1/client/fs/stream/{ALLOC}?")), "{}", heads[0]);
    for part in ["path=alloc%2Fdata.bin", "offset=10", "origin=end", "follow=false"] {
        assert!(heads[0].contains(part), "{part}: {}", heads[0]);
    }
    let err = nomad.allocations().stream_file(ALLOC, "../etc/passwd", &follow).await.unwrap_err().to_string();
    assert!(err.contains("'..'"), "{err}");
}

#[tokio::test]
async fn monitor_yields_lines_across_frames_cuts_long_ones_and_hangs_up_when_dropped() {
    let long = vec![b'x'; MAX_MONITOR_LINE + 10];
    let mut first = b"2026-12-01T15:00:00Z [INFO] agent: start".to_vec();
    first.extend_from_slice(b"ed\n[WARN] two\n");
    let chunks =
        vec![frame(&first[..20]), frame(&first[20..]), b"{}".to_vec(), frame(&long), frame(b"\nlast without newline")];
    let (addr, heads) = chunked_server(vec![(chunks, End::Finish), (vec![frame(b"a\nb\n")], End::Hold)]).await;
    let nomad = client(&addr);
    let lines: Vec<String> = nomad
        .agent()
        .monitor("debug", Some(AgentTarget::Node(NODE)))
        .await
        .unwrap()
        .map(Result::unwrap)
        .collect()
        .await;
    assert_eq!(lines[0], "2026-12-01T15:00:00Z [INFO] agent: started");
    assert_eq!(lines[1], "[WARN] two");
    assert_eq!((lines[2].len(), lines[3].as_str()), (MAX_MONITOR_LINE, "xxxxxxxxxx"));
    assert_eq!(lines[4], "last without newline");
    assert_eq!(lines.len(), 5);

    let mut live = Box::pin(nomad.agent().monitor("info", None).await.unwrap());
    assert_eq!(live.next().await.unwrap().unwrap(), "a");
    drop(live);
    let heads =
        tokio::time::timeout(Duration::from_secs(5), heads).await.expect("the dropped monitor hung up").unwrap();
    assert!(heads[0].contains("log_level=debug") && heads[0].contains(&format!("node_id={NODE}")), "{}", heads[0]);
    let err = nomad.agent().monitor("verbose", None).await.err().unwrap().to_string();
    assert!(err.contains("log level"), "{err}");
}

#[tokio::test]
async fn join_force_leave_host_and_search() {
    let (server, nomad) = server().await;
    Mock::given(method("PUT"))
        .and(path("/v1/agent/join"))
        .respond_with(ResponseTemplate::new(200).set_body_string(r#"{"error":"","num_joined":2}"#))
        .expect(1)
        .mount(&server)
        .await;
    let mut members = json_fixture("agent-members.json");
    let name = members["Members"][0]["Name"].as_str().unwrap().to_owned();
    let mut failed = members["Members"][0].clone();
    failed["Name"] = "node-9.global".into();
    failed["Status"] = "failed".into();
    members["Members"].as_array_mut().unwrap().push(failed);
    Mock::given(method("GET"))
        .and(path("/v1/agent/members"))
        .respond_with(ResponseTemplate::new(200).set_body_json(&members))
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/v1/agent/force-leave"))
        .and(query_is(&[("node", "node-9.global"), ("prune", "")]))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    let host = serde_json::json!({ "AgentID": NODE, "HostData": {
        "OS": { "name": "linux" }, "Environment": { "NOMAD_TOKEN": "s3cr3t-token", "PATH": "/usr/bin" },
        "ResolvConf": "nameserver 10.0.0.2\n", "Hosts": "127.0.0.1 localhost\n" } });
    Mock::given(method("GET"))
        .and(path("/v1/agent/host"))
        .and(query_is(&[("node_id", NODE)]))
        .respond_with(ResponseTemplate::new(200).set_body_json(&host))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/search"))
        .and(body_json(serde_json::json!({ "Prefix": "abc", "Context": "evals" })))
        .respond_with(ok("nomad-docs/search-prefix.docs.json", 0))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/search/fuzzy"))
        .and(body_json(json_fixture("nomad-docs/search-fuzzy.request.docs.json")))
        .respond_with(ok("nomad-docs/search-fuzzy.docs.json", 90))
        .mount(&server)
        .await;
    let agent = nomad.agent();
    assert_eq!(agent.join(&["10.0.0.2:4648", "10.0.0.3"]).await.unwrap().num_joined, 2);
    assert!(agent.join(&[]).await.unwrap_err().to_string().contains("join addresses"));
    agent.force_leave("node-9.global", true).await.unwrap();
    for (who, why) in [(name.as_str(), "alive"), ("node-9", "not a member"), ("node-9.global ", "not a member")] {
        let err = agent.force_leave(who, false).await.unwrap_err();
        assert!(matches!(err, Error::Refused { .. }) && err.to_string().contains(why), "{who:?}: {err}");
    }
    let data = agent.host(Some(AgentTarget::Node(NODE))).await.unwrap();
    assert_eq!(data.host_data.environment["NOMAD_TOKEN"].expose(), "s3cr3t-token");
    assert!(!format!("{data:?}").contains("s3cr3t-token"), "environment values print redacted");
    let found = agent.search("abc", "evals", &QueryOptions::new()).await.unwrap();
    assert_eq!(
        (found.matches["evals"].len(), found.truncations["evals"]),
        (1, false),
        "the docs' \"false\" string reads as false"
    );
    let fuzzy = agent.fuzzy_search("py", "jobs", &QueryOptions::new()).await.unwrap();
    assert_eq!(fuzzy.matches["tasks"][0].scope, ["default", "example-python", "my-spy-app"]);
    assert!(
        agent
            .search("abc", "evaluations", &QueryOptions::new())
            .await
            .unwrap_err()
            .to_string()
            .contains("search context")
    );
    assert!(
        agent.fuzzy_search(" ", "all", &QueryOptions::new()).await.unwrap_err().to_string().contains("search text")
    );
}

#[tokio::test]
async fn evaluation_delete_and_allocation_health_refuse_loose_targets() {
    let (server, nomad) = server().await;
    let eval = "4dfc2db7-b481-c53b-3072-14479aa44be3";
    Mock::given(method("DELETE"))
        .and(path("/v1/evaluations"))
        .and(body_json(serde_json::json!({ "EvalIDs": [eval] })))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/v1/deployment/allocation-health/{DEPLOYMENT}")))
        .and(body_json(serde_json::json!({ "DeploymentID": DEPLOYMENT, "HealthyAllocationIDs": [ALLOC], "UnhealthyAllocationIDs": [] })))
        .respond_with(ResponseTemplate::new(200).set_body_string(r#"{"EvalID":"","EvalCreateIndex":0,"DeploymentModifyIndex":40,"Index":40}"#))
        .expect(1)
        .mount(&server)
        .await;
    let w = WriteOptions::new();
    nomad.evaluations().delete(EvalSelection::Ids(&[eval]), &w).await.unwrap();
    for (what, want) in [
        (EvalSelection::Ids(&[]), "name at least one"),
        (EvalSelection::Ids(&["4dfc2db7"]), "36-character"),
        (EvalSelection::Ids(&[eval, eval]), "listed twice"),
        (EvalSelection::Filter("  "), "must not be blank"),
    ] {
        let err = nomad.evaluations().delete(what, &w).await.unwrap_err().to_string();
        assert!(err.contains(want), "{want}: {err}");
    }
    nomad.deployments().set_alloc_health(DEPLOYMENT, &[ALLOC], &[], &w).await.unwrap();
    for (healthy, unhealthy, want) in [
        (&[][..], &[][..], "at least one"),
        (&[ALLOC][..], &[ALLOC][..], "both"),
        (&["9df9c84d"][..], &[][..], "allocation ID"),
    ] {
        let err =
            nomad.deployments().set_alloc_health(DEPLOYMENT, healthy, unhealthy, &w).await.unwrap_err().to_string();
        assert!(err.contains(want), "{want}: {err}");
    }
    assert_eq!(server.received_requests().await.unwrap().len(), 2, "nothing refused was sent");
}
