//! Nodes (force-evaluate, stats, a drain and its allocations followed to
//! its end), fs/stream,
//! evaluation delete, deployment allocation health, the agent's join,
//! force-leave, host and monitor, and search. The streams are checked for
//! flat memory and for closing their connection when dropped.

use std::time::Duration;

use base64::Engine as _;
use client_core::WatchOptions;
use futures::StreamExt;
use nomad_client::{
    AgentTarget, AllocClientStatus, DrainProgress, Error, EvalSelection, LogFrame, LogsOptions, MAX_MONITOR_LINE,
    Origin, QueryOptions, WriteOptions,
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

/// Serves successive states of a blocking query as Nomad does: a request
/// without `index` gets the first state, one with `index=N` the first state
/// past N, and one at the last state's index that state again after a short
/// wait (the server's `wait` running out).
struct Blocking {
    states: States,
}

/// Each state of a blocking query with its index.
type States = Vec<(u64, serde_json::Value)>;

impl wiremock::Respond for Blocking {
    fn respond(&self, request: &wiremock::Request) -> ResponseTemplate {
        let asked = request.url.query_pairs().find(|(k, _)| k == "index").and_then(|(_, v)| v.parse::<u64>().ok());
        let next = self.states.iter().find(|(index, _)| asked.is_none_or(|asked| *index > asked));
        let (answer, held) = match next {
            Some(state) => (state, Duration::ZERO),
            None => (self.states.last().unwrap(), Duration::from_millis(100)),
        };
        ResponseTemplate::new(200)
            .set_body_json(&answer.1)
            .insert_header("X-Nomad-Index", answer.0.to_string().as_str())
            .set_delay(held)
    }
}

/// The `index` each request to `at` asked with (`None`: not a blocking one).
async fn asked_indexes(server: &wiremock::MockServer, at: &str) -> Vec<Option<String>> {
    let requests = server.received_requests().await.unwrap();
    requests
        .iter()
        .filter(|r| r.url.path() == at)
        .map(|r| r.url.query_pairs().find(|(k, _)| k == "index").map(|(_, v)| v.into_owned()))
        .collect()
}

const OTHER_ALLOC: &str = "15b6a58d-9cf1-8e55-088e-7e3bc3139d1c";
const SYSTEM_ALLOC: &str = "5c3f1e2a-0d4b-4e8f-9a61-7b2d3c4e5f60";

/// The node's allocations as 1.1.2 recorded them (`node-allocations.json`:
/// `ALLOC` running, `OTHER_ALLOC` stopped, both of the service job dbHA1),
/// plus a third made from `ALLOC` with its ID, job ID and job type changed
/// to a system job's. `states` gives each its `ClientStatus`,
/// `DesiredStatus` and `DesiredTransition.Migrate` (the shape 1.1.2 sent in
/// `job-allocations-during-drain.json`).
fn node_allocs(states: [(&str, &str, bool); 3]) -> serde_json::Value {
    let recorded = json_fixture("node-allocations.json");
    let mut system = recorded[0].clone();
    system["ID"] = SYSTEM_ALLOC.into();
    system["JobID"] = "node-exporter".into();
    system["Job"]["ID"] = "node-exporter".into();
    system["Job"]["Type"] = "system".into();
    let mut allocs = vec![recorded[0].clone(), recorded[1].clone(), system];
    for (alloc, (client, desired, migrate)) in allocs.iter_mut().zip(states) {
        alloc["ClientStatus"] = client.into();
        alloc["DesiredStatus"] = desired.into();
        alloc["DesiredTransition"] =
            serde_json::json!({ "Migrate": migrate.then_some(true), "Reschedule": null, "ForceReschedule": null });
    }
    serde_json::Value::Array(allocs)
}

/// A drain as Nomad runs it: the node drains at 100 and its strategy is gone
/// at 104; ALLOC is marked (102), stopped for migration (103) and completes
/// (105), OTHER_ALLOC is marked (103), stopped (105) and completes (106); the
/// system allocation is marked and stopped last (107) and completes (108).
fn drain_states(ignore_system_jobs: bool) -> (States, States) {
    let mut draining = draining_node(100);
    draining["DrainStrategy"]["IgnoreSystemJobs"] = ignore_system_jobs.into();
    let node = vec![(100, draining), (104, json_fixture("node-read-after-drain.json"))];
    let (run, stop) = (("running", "run", false), ("running", "stop", true));
    let marked = ("running", "run", true);
    let complete = ("complete", "stop", true);
    let allocs = vec![
        (101, node_allocs([run, run, run])),
        (102, node_allocs([marked, run, run])),
        (103, node_allocs([stop, marked, run])),
        (105, node_allocs([complete, stop, run])),
        (106, node_allocs([complete, complete, run])),
        (107, node_allocs([complete, complete, stop])),
        (108, node_allocs([complete, complete, complete])),
    ];
    (node, allocs)
}

/// Serves `node` on the node and `allocs` on its allocations.
async fn mount_drain(server: &wiremock::MockServer, node: States, allocs: States) {
    Mock::given(method("GET"))
        .and(path(format!("/v1/node/{NODE}")))
        .respond_with(Blocking { states: node })
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v1/node/{NODE}/allocations")))
        .respond_with(Blocking { states: allocs })
        .mount(server)
        .await;
}

/// Every item of a drain watch of NODE (a stream that did not end within 10 s fails).
async fn drain_steps(
    nomad: &nomad_client::NomadClient,
    give_up_after: Option<Duration>,
) -> Vec<nomad_client::Result<DrainProgress>> {
    let watch = nomad.nodes().watch_drain(NODE, give_up_after, &QueryOptions::new(), quick()).unwrap();
    tokio::time::timeout(Duration::from_secs(10), watch.collect()).await.unwrap()
}

/// Fails when `server` is still asked something 200 ms after the requests
/// already on their way have landed. A watch's two queries run side by side,
/// so one sent just before the stream ended may reach the server just after
/// it (seen on a loaded CI run); waiting for the count to settle first (at
/// most 2 s: a watch that keeps asking never settles) tells that request from
/// a new one.
async fn asks_nothing_more(server: &wiremock::MockServer, why: &str) {
    let count = || async { server.received_requests().await.unwrap().len() };
    let mut asked = count().await;
    let settle_by = tokio::time::Instant::now() + Duration::from_secs(2);
    loop {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let now = count().await;
        if now == asked || tokio::time::Instant::now() > settle_by {
            break;
        }
        asked = now;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(count().await, asked, "{why}");
}

fn marked(alloc: &str, job: &str) -> DrainProgress {
    DrainProgress::AllocMarkedForMigration { alloc_id: alloc.into(), job: job.into(), task_group: "database".into() }
}

fn stopping(alloc: &str, job: &str) -> DrainProgress {
    DrainProgress::AllocStopping { alloc_id: alloc.into(), job: job.into(), task_group: "database".into() }
}

fn stopped(alloc: &str, job: &str) -> DrainProgress {
    DrainProgress::AllocStopped {
        alloc_id: alloc.into(),
        job: job.into(),
        task_group: "database".into(),
        client_status: AllocClientStatus::Complete,
    }
}

/// Follows a whole drain; the allocation events in order, and how many
/// `Draining` came before the `Done` that ended it.
async fn follow_drain(nomad: &nomad_client::NomadClient) -> (Vec<DrainProgress>, usize) {
    let steps = drain_steps(nomad, Some(Duration::from_secs(30))).await;
    let steps: Vec<DrainProgress> = steps.into_iter().map(Result::unwrap).collect();
    assert_eq!(steps.last(), Some(&DrainProgress::Done { status: "complete".into() }), "{steps:?}");
    let draining = steps.iter().filter(|s| matches!(s, DrainProgress::Draining { index: 100, .. })).count();
    let allocs = steps[..steps.len() - 1].iter().filter(|s| !matches!(s, DrainProgress::Draining { .. })).cloned();
    (allocs.collect(), draining)
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
    // Its allocations have stopped already: what is left after a drain.
    let mut allocs = json_fixture("node-allocations.json");
    allocs[0]["ClientStatus"] = "complete".into();
    allocs[0]["DesiredStatus"] = "stop".into();
    Mock::given(method("GET"))
        .and(path(format!("/v1/node/{NODE}/allocations")))
        .respond_with(ResponseTemplate::new(200).set_body_json(allocs).insert_header("X-Nomad-Index", "78"))
        .mount(&server)
        .await;
    // A stream that ended is not polled again (the watch behind it would block forever).
    let steps = drain_steps(&nomad, None).await;
    assert_eq!(steps.len(), 2, "{steps:?}");
    let first = steps[0].as_ref().unwrap();
    assert!(
        matches!(first, DrainProgress::Draining { force_deadline: Some(d), index: 76 } if d == "2026-11-22T06:08:02Z"),
        "{first:?}"
    );
    assert!(matches!(steps[1].as_ref().unwrap(), DrainProgress::Done { status } if status == "complete"));
    asks_nothing_more(&server, "the ended stream asks nothing more").await;
    // The second request for the node was a blocking query on the first answer's index.
    assert_eq!(asked_indexes(&server, &format!("/v1/node/{NODE}")).await, [None, Some("76".to_owned())]);
}

#[tokio::test]
async fn a_drain_reports_its_allocations_until_those_that_must_move_have_stopped() {
    // IgnoreSystemJobs: the system allocation stays, the drain is over once
    // the two service allocations have completed.
    let (server, nomad) = server().await;
    let (node, mut allocs) = drain_states(true);
    // Nomad leaves it alone: its allocations are not marked.
    allocs.truncate(5);
    mount_drain(&server, node, allocs).await;
    let (events, draining) = follow_drain(&nomad).await;
    let moved = [
        marked(ALLOC, "dbHA1"),
        stopping(ALLOC, "dbHA1"),
        marked(OTHER_ALLOC, "dbHA1"),
        stopped(ALLOC, "dbHA1"),
        stopping(OTHER_ALLOC, "dbHA1"),
        stopped(OTHER_ALLOC, "dbHA1"),
    ];
    assert_eq!(events, moved);
    assert_eq!(draining, 1);
    // The node is asked until its drain is over, the allocations until 106 answered.
    let node_path = format!("/v1/node/{NODE}");
    assert_eq!(asked_indexes(&server, &node_path).await, [None, Some("100".to_owned())]);
    let asked = asked_indexes(&server, &format!("{node_path}/allocations")).await;
    let blocking_on = ["101", "102", "103", "105"].map(|i| Some(i.to_owned()));
    // (106 again if the node's end came after the allocations' last answer.)
    assert_eq!(asked[0], None);
    assert_eq!(asked[1..5], blocking_on, "{asked:?}");
    assert!(asked[5..].iter().all(|i| i.as_deref() == Some("106")), "{asked:?}");

    // Without IgnoreSystemJobs the drain also waits for the system allocation,
    // which Nomad marks and stops last.
    let (server, nomad) = crate::common::server().await;
    let (node, allocs) = drain_states(false);
    mount_drain(&server, node, allocs).await;
    let (events, _) = follow_drain(&nomad).await;
    let system = [marked(SYSTEM_ALLOC, "node-exporter"), stopping(SYSTEM_ALLOC, "node-exporter")];
    assert_eq!(events[..6], moved);
    assert_eq!(events[6..8], system);
    assert_eq!(events[8..], [stopped(SYSTEM_ALLOC, "node-exporter")]);
    let asked = asked_indexes(&server, &format!("/v1/node/{NODE}/allocations")).await;
    // 107 answered the last state; 108 again only if the node's end came later.
    let last_change = asked.iter().position(|i| i.as_deref() == Some("107")).unwrap();
    assert!(asked[last_change + 1..].iter().all(|i| i.as_deref() == Some("108")), "{asked:?}");
    asks_nothing_more(&server, "the ended stream asks nothing more").await;
}

#[tokio::test]
async fn a_drain_that_does_not_move_gives_up_on_time_and_a_node_gone_ends_the_watch() {
    // Nothing changes: the node keeps draining and ALLOC keeps running.
    let (server, nomad) = server().await;
    let (node, allocs) = drain_states(true);
    mount_drain(&server, node[..1].to_vec(), allocs[..1].to_vec()).await;
    let started = tokio::time::Instant::now();
    let steps = drain_steps(&nomad, Some(Duration::from_millis(400))).await;
    assert!(started.elapsed() < Duration::from_secs(3), "gave up after {:?}", started.elapsed());
    assert!(matches!(steps[0], Ok(DrainProgress::Draining { index: 100, .. })), "{steps:?}");
    let err = steps.last().unwrap().as_ref().unwrap_err().to_string();
    assert!(err.contains("still draining") && err.contains("drain strategy is still set"), "{err}");

    // The node's drain is over but ALLOC still runs.
    let (server, nomad) = crate::common::server().await;
    mount_drain(&server, node[1..].to_vec(), allocs[..1].to_vec()).await;
    let steps = drain_steps(&nomad, Some(Duration::from_millis(400))).await;
    assert_eq!(steps.len(), 1, "{steps:?}");
    let err = steps[0].as_ref().unwrap_err().to_string();
    assert!(err.contains("still draining") && err.contains(ALLOC) && !err.contains(SYSTEM_ALLOC), "{err}");

    // The node disappears: one NotFound, then nothing more is asked.
    let (server, nomad) = crate::common::server().await;
    Mock::given(method("GET"))
        .and(path(format!("/v1/node/{NODE}")))
        .respond_with(text(404, "error-node-not-found.txt").insert_header("X-Nomad-Index", "9"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v1/node/{NODE}/allocations")))
        .respond_with(Blocking { states: allocs[..1].to_vec() })
        .mount(&server)
        .await;
    let steps = drain_steps(&nomad, None).await;
    assert_eq!(steps.len(), 1, "{steps:?}");
    assert!(matches!(&steps[0], Err(Error::NotFound { kind: "node", name, .. }) if name == NODE), "{steps:?}");
    asks_nothing_more(&server, "the ended stream asks nothing more").await;
}

#[tokio::test]
async fn a_dropped_drain_watch_stops_asking_and_a_stuck_drain_is_an_error() {
    let (server, nomad) = server().await;
    // Every answer moves the index, so the watch asks again at once.
    let moving = |body: &dyn Fn(u64) -> serde_json::Value| {
        let answers = (80..200u64).map(|i| {
            ResponseTemplate::new(200).set_body_json(body(i)).insert_header("X-Nomad-Index", i.to_string().as_str())
        });
        InTurn::new(answers.collect())
    };
    Mock::given(method("GET"))
        .and(path(format!("/v1/node/{NODE}")))
        .respond_with(moving(&draining_node))
        .mount(&server)
        .await;
    // So do the allocations': ALLOC marked and unmarked in turn.
    let allocs =
        |i: u64| node_allocs([("running", "run", i % 2 == 0), ("complete", "stop", false), ("running", "run", false)]);
    Mock::given(method("GET"))
        .and(path(format!("/v1/node/{NODE}/allocations")))
        .respond_with(moving(&allocs))
        .mount(&server)
        .await;
    let mut watch = Box::pin(nomad.nodes().watch_drain(NODE, None, &QueryOptions::new(), quick()).unwrap());
    let (mut draining, mut marked) = (0, 0);
    while draining < 3 || marked < 3 {
        match watch.next().await {
            Some(Ok(DrainProgress::Draining { .. })) => draining += 1,
            Some(Ok(DrainProgress::AllocMarkedForMigration { alloc_id, .. })) if alloc_id == ALLOC => marked += 1,
            other => panic!("{other:?}"),
        }
    }
    drop(watch);
    asks_nothing_more(&server, "dropping the stream stopped the queries").await;

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
