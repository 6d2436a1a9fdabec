//! Operator: Raft, autopilot, scheduler configuration, keyring (docs shapes)
//! and snapshots (local servers: streamed, digest-checked, cut off).

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use base64::Engine as _;
use nomad_client::{
    AutopilotConfiguration, ClientError, Error, KeyringKey, QueryOptions, RaftPeer, SchedulerConfiguration,
    WriteOptions,
};
use serde_json::json;
use sha2::Digest as _;
use tokio::io::{AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use wiremock::matchers::{body_json, body_partial_json, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::*;

fn w() -> WriteOptions {
    WriteOptions::new()
}

fn q() -> QueryOptions {
    QueryOptions::new()
}

/// A docs body without index headers (the operator handlers call no setMeta).
fn plain(name: &str) -> ResponseTemplate {
    FIXTURES.json_response(200, name)
}

async fn raft_server() -> (MockServer, nomad_client::NomadClient) {
    let (server, nomad) = server().await;
    Mock::given(method("GET"))
        .and(path("/v1/operator/raft/configuration"))
        .respond_with(plain("nomad-docs/operator-raft-configuration.docs.json"))
        .mount(&server)
        .await;
    (server, nomad)
}

#[tokio::test]
async fn raft_configuration_decodes_the_string_protocol() {
    let (_server, nomad) = raft_server().await;
    let config = nomad.operator().raft_configuration(&q()).await.unwrap();
    assert_eq!(config.servers.len(), 3);
    let leader = config.servers.iter().find(|s| s.leader).unwrap();
    assert_eq!((leader.node.as_str(), leader.raft_protocol.as_str()), ("node2.global", "3"));
}

#[tokio::test]
async fn remove_peer_removes_exactly_a_known_peer() {
    let (server, nomad) = raft_server().await;
    Mock::given(method("DELETE"))
        .and(path("/v1/operator/raft/peer"))
        .and(query_is(&[("address", "10.1.0.30:4647")]))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    nomad.operator().remove_raft_peer(&RaftPeer::Address("10.1.0.30:4647".into()), &w()).await.unwrap();
    let err = nomad.operator().remove_raft_peer(&RaftPeer::Id("c13f9998".into()), &w()).await.unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, Error::Refused { .. }) && text.contains("not in the Raft configuration"), "{text}");
    assert!(text.contains("c13f9998-a0f3-d765-0b52-55a0b3ce5f88 (10.1.0.10:4647)"), "names the peers: {text}");
    let deletes = server.received_requests().await.unwrap().iter().filter(|r| r.method.as_str() == "DELETE").count();
    assert_eq!(deletes, 1, "the unknown peer sent no DELETE");
}

#[tokio::test]
async fn remove_peer_refuses_the_last_voter() {
    let (server, nomad) = server().await;
    let mut config = json_fixture("nomad-docs/operator-raft-configuration.docs.json");
    let servers = config["Servers"].as_array_mut().unwrap();
    servers.truncate(2);
    servers[0]["Voter"] = json!(false);
    Mock::given(method("GET"))
        .and(path("/v1/operator/raft/configuration"))
        .respond_with(ResponseTemplate::new(200).set_body_json(&config))
        .mount(&server)
        .await;
    let err = nomad
        .operator()
        .remove_raft_peer(&RaftPeer::Id("d7927f2b-067f-45a4-6266-af8bb84de082".into()), &w())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("last voter"), "{err}");
    assert_eq!(server.received_requests().await.unwrap().len(), 1, "only the read");
}

#[tokio::test]
async fn autopilot_configuration_get_and_checked_set() {
    let (server, nomad) = server().await;
    Mock::given(method("GET"))
        .and(path("/v1/operator/autopilot/configuration"))
        .respond_with(plain("nomad-docs/operator-autopilot-configuration.docs.json"))
        .mount(&server)
        .await;
    let config = nomad.operator().autopilot_configuration(&q()).await.unwrap();
    assert_eq!((config.last_contact_threshold.as_str(), config.max_trailing_logs), ("200ms", 250));
    assert_eq!(config.min_quorum, 0, "absent in the docs sample");
    Mock::given(method("PUT"))
        .and(path("/v1/operator/autopilot/configuration"))
        .and(query_is(&[("cas", "4")]))
        .and(body_partial_json(json_fixture("nomad-docs/operator-autopilot-configuration-set.request.docs.json")))
        .respond_with(ResponseTemplate::new(200).set_body_json(false))
        .expect(1)
        .mount(&server)
        .await;
    let won = nomad.operator().set_autopilot_configuration(&config, Some(config.modify_index), &w()).await.unwrap();
    assert!(!won, "a lost check-and-set answers false");
    Mock::given(method("PUT"))
        .and(path("/v1/operator/autopilot/configuration"))
        .and(query_is(&[]))
        .respond_with(ResponseTemplate::new(200).set_body_json(true))
        .expect(1)
        .mount(&server)
        .await;
    let plain_set = AutopilotConfiguration { cleanup_dead_servers: false, ..config };
    assert!(nomad.operator().set_autopilot_configuration(&plain_set, None, &w()).await.unwrap());
}

#[tokio::test]
async fn autopilot_health_is_an_answer_even_when_unhealthy() {
    let (server, nomad) = server().await;
    let mut sick = json_fixture("nomad-docs/operator-autopilot-health.docs.json");
    sick["Healthy"] = json!(false);
    sick["Servers"][1]["Healthy"] = json!(false);
    Mock::given(method("GET"))
        .and(path("/v1/operator/autopilot/health"))
        .respond_with(ResponseTemplate::new(429).set_body_json(&sick))
        .expect(1)
        .mount(&server)
        .await;
    let health = nomad.operator().autopilot_health(&q()).await.unwrap();
    assert!(!health.healthy && health.servers[0].healthy && !health.servers[1].healthy);
    assert_eq!(health.voters.len(), 2);
    assert_eq!(health.servers[1].last_contact, "27.291304ms");
}

#[tokio::test]
async fn scheduler_configuration_get_and_checked_set() {
    let (server, nomad) = server().await;
    Mock::given(method("GET"))
        .and(path("/v1/operator/scheduler/configuration"))
        .respond_with(ok("nomad-docs/operator-scheduler-configuration.docs.json", 5))
        .mount(&server)
        .await;
    let read = nomad.operator().scheduler_configuration(&q()).await.unwrap();
    assert_eq!(read.meta.last_index, 5);
    assert_eq!(read.value.scheduler_algorithm, "binpack");
    assert!(read.value.preemption_config.system_scheduler_enabled);
    let request = json_fixture("nomad-docs/operator-scheduler-configuration-set.request.docs.json");
    Mock::given(method("PUT"))
        .and(path("/v1/operator/scheduler/configuration"))
        .and(query_param("cas", "5"))
        .and(body_json(json!({
            "SchedulerAlgorithm": "spread",
            "MemoryOversubscriptionEnabled": false,
            "RejectJobRegistration": false,
            "PauseEvalBroker": false,
            "PreemptionConfig": request["PreemptionConfig"],
            "CreateIndex": 5,
            "ModifyIndex": 5,
        })))
        .respond_with(plain("nomad-docs/operator-scheduler-configuration-set.docs.json"))
        .expect(1)
        .mount(&server)
        .await;
    let mut config: SchedulerConfiguration = read.value;
    config.scheduler_algorithm = "spread".into();
    config.preemption_config.service_scheduler_enabled = true;
    let set = nomad.operator().set_scheduler_configuration(&config, Some(config.modify_index), &w()).await.unwrap();
    assert_eq!((set.updated, set.index), (false, 15));
    Mock::given(method("PUT"))
        .and(path("/v1/operator/scheduler/configuration"))
        .and(query_param("cas", "1"))
        .respond_with(ResponseTemplate::new(400).set_body_string("invalid scheduler algorithm \"fast\""))
        .mount(&server)
        .await;
    let bad = SchedulerConfiguration { scheduler_algorithm: "fast".into(), ..config };
    let err = nomad.operator().set_scheduler_configuration(&bad, Some(1), &w()).await.unwrap_err();
    assert_eq!(err.status(), Some(400));
}

#[tokio::test]
async fn keyring_list_rotate_and_a_guarded_delete() {
    let (server, nomad) = server().await;
    Mock::given(method("GET"))
        .and(path("/v1/operator/keyring/keys"))
        .respond_with(ok("nomad-docs/operator-keyring-list.docs.json", 13))
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/v1/operator/keyring/rotate"))
        .and(query_is(&[("full", "true")]))
        .respond_with(plain("nomad-docs/operator-keyring-rotate.docs.json"))
        .expect(1)
        .mount(&server)
        .await;
    let inactive = "64b96f4b-f167-f2dd-9148-7867f7e420e3";
    Mock::given(method("DELETE"))
        .and(path(format!("/v1/operator/keyring/key/{inactive}")))
        .and(query_is(&[]))
        .respond_with(plain("nomad-docs/operator-keyring-delete.docs.json"))
        .expect(1)
        .mount(&server)
        .await;
    let keys = nomad.operator().keyring_keys(&q()).await.unwrap().value;
    assert_eq!(keys.len(), 3);
    assert_eq!(keys[0].create_time, 1662665630638648800, "Unix nanoseconds beyond 2^53 stay exact");
    let key = nomad.operator().rotate_keyring(true, &w()).await.unwrap();
    assert_eq!((key.key_id.as_str(), key.state.as_str()), ("26cbda57-e01e-188d-5f39-b6e3fca95a5b", "active"));
    let old = keys.iter().find(|k| k.key_id == inactive).unwrap();
    nomad.operator().delete_keyring_key(old, false, &w()).await.unwrap();
    let err = nomad.operator().delete_keyring_key(&keys[0], true, &w()).await.unwrap_err();
    assert!(err.to_string().contains("active key"), "{err}");
    let gone = KeyringKey { key_id: "00000000-0000-0000-0000-000000000001".into(), ..KeyringKey::default() };
    let err = nomad.operator().delete_keyring_key(&gone, false, &w()).await.unwrap_err();
    assert!(err.to_string().contains("not in the keyring"), "{err}");
}

// ---- snapshots

const CHUNK: usize = 64 * 1024;

/// A real snapshot archive (meta.json, state.bin, SHA256SUMS) of about 4 MiB
/// that does not compress away, served in `CHUNK`-sized pieces.
static SNAPSHOT: std::sync::LazyLock<Vec<u8>> = std::sync::LazyLock::new(|| {
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let state: Vec<u8> = (0..4 << 20)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    test_support::snapshot::raft_archive(&state, 1234, 6)
});

fn chunks() -> usize {
    SNAPSHOT.len().div_ceil(CHUNK)
}

fn snapshot_chunk(i: usize) -> Vec<u8> {
    SNAPSHOT[i * CHUNK..((i + 1) * CHUNK).min(SNAPSHOT.len())].to_vec()
}

fn sha256_digest(chunks: usize) -> String {
    let mut h = sha2::Sha256::new();
    for i in 0..chunks {
        h.update(snapshot_chunk(i));
    }
    format!("sha-256={}", base64::engine::general_purpose::STANDARD.encode(h.finalize()))
}

/// Serves one snapshot: headers with `digest`, then `send` chunks, each sent
/// only after the previous one reached the writer (`seen`); `finish` ends the
/// body properly, otherwise the connection is cut after the last chunk.
async fn snapshot_server(
    digest: String,
    send: usize,
    finish: bool,
    mut seen: mpsc::UnboundedReceiver<usize>,
) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let (mut tcp, _) = listener.accept().await.unwrap();
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            tcp.read_exact(&mut byte).await.unwrap();
            head.push(byte[0]);
        }
        let status = format!("HTTP/1.1 200 OK\r\nDigest: {digest}\r\nTransfer-Encoding: chunked\r\n\r\n");
        tcp.write_all(status.as_bytes()).await.unwrap();
        let mut written = 0usize;
        for i in 0..send {
            let chunk = snapshot_chunk(i);
            let mut framed = format!("{:x}\r\n", chunk.len()).into_bytes();
            framed.extend_from_slice(&chunk);
            framed.extend_from_slice(b"\r\n");
            tcp.write_all(&framed).await.unwrap();
            tcp.flush().await.unwrap();
            written += chunk.len();
            // Back-pressure proof: the next chunk goes only once the writer has this one.
            while let Some(at) = seen.recv().await {
                if at >= written {
                    break;
                }
            }
        }
        if finish {
            tcp.write_all(b"0\r\n\r\n").await.unwrap();
        }
        tcp.shutdown().await.ok();
    });
    addr
}

/// An AsyncWrite that keeps only a count and the largest single write, and
/// reports the running total.
struct Sink {
    total: usize,
    largest: usize,
    seen: mpsc::UnboundedSender<usize>,
}

impl AsyncWrite for Sink {
    fn poll_write(mut self: Pin<&mut Self>, _: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        self.total += buf.len();
        self.largest = self.largest.max(buf.len());
        let total = self.total;
        let _ = self.seen.send(total);
        Poll::Ready(Ok(buf.len()))
    }
    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

fn client_for(addr: &str) -> nomad_client::NomadClient {
    nomad_client::NomadClient::builder().address(addr).retry(client_core::RetryPolicy::disabled()).build().unwrap()
}

#[tokio::test]
async fn snapshot_save_streams_to_the_writer_and_checks_the_digest() {
    let (tx, rx) = mpsc::unbounded_channel();
    let addr = snapshot_server(sha256_digest(chunks()), chunks(), true, rx).await;
    let mut sink = Sink { total: 0, largest: 0, seen: tx };
    // The server sends chunk n+1 only after chunk n reached the writer: a client
    // that buffered the body before writing would stall here.
    let saved =
        tokio::time::timeout(Duration::from_secs(20), client_for(&addr).operator().snapshot_save(&mut sink, &q()))
            .await
            .expect("streamed, not buffered")
            .unwrap();
    assert_eq!(saved.bytes as usize, SNAPSHOT.len());
    assert!(saved.verified && saved.digest.as_deref().unwrap().starts_with("sha-256="));
    assert_eq!((saved.archive.index, saved.archive.term), (1234, 6), "meta.json, read while checking");
    assert!(sink.largest <= CHUNK * 2, "writes are chunk-sized, not the whole body: {}", sink.largest);
}

#[tokio::test]
async fn a_snapshot_that_does_not_match_its_digest_is_an_error() {
    let (tx, rx) = mpsc::unbounded_channel();
    // A whole, valid archive under a Digest of something else.
    let addr = snapshot_server(sha256_digest(1), chunks(), true, rx).await;
    let mut sink = Sink { total: 0, largest: 0, seen: tx };
    let err = client_for(&addr).operator().snapshot_save(&mut sink, &q()).await.unwrap_err();
    assert!(
        err.to_string().contains("do not match the Digest header") && err.to_string().contains("must not be restored"),
        "{err}"
    );
}

#[tokio::test]
async fn a_snapshot_cut_off_midway_is_an_error_and_the_call_returns() {
    let (tx, rx) = mpsc::unbounded_channel();
    let addr = snapshot_server(sha256_digest(chunks()), 3, false, rx).await;
    let mut sink = Sink { total: 0, largest: 0, seen: tx };
    let result =
        tokio::time::timeout(Duration::from_secs(20), client_for(&addr).operator().snapshot_save(&mut sink, &q()))
            .await
            .expect("a cut connection ends the call");
    let err = result.unwrap_err();
    assert!(err.is_transient() || err.to_string().contains("cut off"), "{err}");
    assert_eq!(sink.total, 3 * CHUNK, "what arrived was written; the caller must discard it");
}

/// Nomad sends `200 OK` and its `Digest` before the archive is written, and
/// an older server sends no `Digest` at all: an archive that ends cleanly
/// but short, or with a flipped byte, is refused by the archive check.
#[tokio::test]
async fn a_snapshot_cut_short_by_the_server_is_an_error_with_or_without_a_digest() {
    let short = SNAPSHOT[..SNAPSHOT.len() / 3].to_vec();
    let mut flipped = SNAPSHOT.clone();
    flipped[SNAPSHOT.len() / 2] ^= 0x08;
    for (case, body, digest) in [
        ("short, no Digest", short.clone(), None),
        ("short, its own Digest", short.clone(), Some(&short)),
        ("a flipped byte, no Digest", flipped, None),
    ] {
        let server = MockServer::start().await;
        let mut answer = ResponseTemplate::new(200).set_body_bytes(body);
        if let Some(digest) = digest {
            let sum = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(digest));
            answer = answer.insert_header("Digest", format!("sha-256={sum}").as_str());
        }
        Mock::given(method("GET")).and(path("/v1/operator/snapshot")).respond_with(answer).mount(&server).await;
        let mut sink = Vec::new();
        let err = client_for(&server.uri()).operator().snapshot_save(&mut sink, &q()).await.unwrap_err();
        let text = err.to_string();
        assert!(
            matches!(&err, nomad_client::Error::Core(client_core::Error::SnapshotDamaged { bytes, .. }) if *bytes == sink.len() as u64),
            "{case}: {err:?}"
        );
        assert!(text.contains("GET /v1/operator/snapshot") && text.contains("save again"), "{case}: {text}");
    }
}

#[tokio::test]
async fn snapshot_restore_streams_the_reader_and_refuses_what_is_not_a_snapshot() {
    let (server, nomad) = server().await;
    let body: Vec<u8> = (0..8).flat_map(snapshot_chunk).collect();
    Mock::given(method("PUT"))
        .and(path("/v1/operator/snapshot"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    nomad.operator().snapshot_restore(std::io::Cursor::new(body.clone()), &w()).await.unwrap();
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests[0].body, body, "every byte, in order");
    for (bad, why) in [(Vec::new(), "is empty"), (b"{\"not\": \"a snapshot\"}".to_vec(), "not a Nomad snapshot")] {
        let err = nomad.operator().snapshot_restore(std::io::Cursor::new(bad), &w()).await.unwrap_err();
        assert!(err.to_string().contains(why), "{err}");
    }
    assert_eq!(server.received_requests().await.unwrap().len(), 1, "refused restores send nothing");
}

#[tokio::test]
async fn a_snapshot_save_dropped_midway_closes_its_connection() {
    // The server sends the headers and one chunk, then waits for the client to hang up.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = format!("http://{}", listener.local_addr().unwrap());
    let (hung_up, seen_hang_up) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        let (mut tcp, _) = listener.accept().await.unwrap();
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            tcp.read_exact(&mut byte).await.unwrap();
            head.push(byte[0]);
        }
        let status =
            format!("HTTP/1.1 200 OK\r\nDigest: {}\r\nTransfer-Encoding: chunked\r\n\r\n", sha256_digest(chunks()));
        tcp.write_all(status.as_bytes()).await.unwrap();
        let chunk = snapshot_chunk(0);
        tcp.write_all(format!("{:x}\r\n", chunk.len()).as_bytes()).await.unwrap();
        tcp.write_all(&chunk).await.unwrap();
        tcp.write_all(b"\r\n").await.unwrap();
        let mut rest = [0u8; 64];
        while matches!(tcp.read(&mut rest).await, Ok(n) if n > 0) {}
        let _ = hung_up.send(());
    });
    let (tx, mut written) = mpsc::unbounded_channel();
    let mut sink = Sink { total: 0, largest: 0, seen: tx };
    let nomad = client_for(&addr);
    let (operator, opts) = (nomad.operator(), q());
    let save = operator.snapshot_save(&mut sink, &opts);
    // Dropped once the first chunk reached the writer (an event, not a fixed delay: a loaded test run is slow).
    let first_chunk = async {
        while let Some(total) = written.recv().await {
            if total >= CHUNK {
                return;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(10), async {
        tokio::select! {
            ended = save => panic!("the save ended before the rest of the snapshot came: {ended:?}"),
            () = first_chunk => {}
        }
    })
    .await
    .expect("the first chunk reached the writer");
    assert_eq!(sink.total, CHUNK, "only the first chunk reached the writer before the drop");
    tokio::time::timeout(Duration::from_secs(5), seen_hang_up)
        .await
        .expect("the dropped save closed its connection")
        .unwrap();
}
