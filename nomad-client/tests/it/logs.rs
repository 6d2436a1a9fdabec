//! Logs against a local HTTP server that controls how the frames are cut into
//! chunks and TCP writes; fs endpoints against wiremock.

use std::time::Duration;

use base64::Engine as _;
use futures::StreamExt;
use nomad_client::{Error, FrameDecoder, LogFrame, LogType, LogsOptions, QueryOptions};
use proptest::prelude::*;
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

use crate::common::*;

fn client(addr: &str) -> nomad_client::NomadClient {
    nomad_client::NomadClient::builder().address(addr).token(TOKEN).namespace(NS).build().unwrap()
}

fn frame(data: &[u8], offset: usize) -> Vec<u8> {
    let b64 = base64::engine::general_purpose::STANDARD.encode(data);
    format!(r#"{{"Data":"{b64}","File":"alloc/logs/postgres-patroni.stdout.0","Offset":{offset}}}"#).into_bytes()
}

#[tokio::test]
async fn recorded_frames_split_into_one_byte_chunks_decode_exactly() {
    let raw = fixture("logs-framed-nofollow.raw");
    let (addr, server) = chunked_server(vec![(raw.iter().map(|b| vec![*b]).collect(), End::Finish)]).await;
    let stream = client(&addr).allocations().logs(ALLOC, "postgres-patroni", &LogsOptions::default()).await.unwrap();
    let chunks: Vec<_> = stream.collect().await;
    let bytes: Vec<u8> = chunks.into_iter().flat_map(|c| c.unwrap().to_vec()).collect();
    assert_eq!(bytes, fixture("logs-plain-stdout.txt"));
    let head = server.await.unwrap().remove(0);
    let request_line = head.lines().next().unwrap();
    assert_eq!(
        request_line,
        format!(
            "GET /v1/client/fs/logs/{ALLOC}?task=postgres-patroni&type=stdout&origin=start&offset=0&follow=false&namespace={NS} HTTP/1.1"
        )
    );
    assert!(head.to_ascii_lowercase().contains(&format!("x-nomad-token: {TOKEN}")), "{head}");
}

#[tokio::test]
async fn following_stream_with_heartbeats_as_recorded() {
    let timing = json_fixture("logs-framed-follow.timing.json");
    let chunks: Vec<Vec<u8>> =
        timing["chunks"].as_array().unwrap().iter().map(|c| c["data"].as_str().unwrap().as_bytes().to_vec()).collect();
    let (addr, server) = chunked_server(vec![(chunks, End::Hold)]).await;
    let opts = LogsOptions { follow: true, ..LogsOptions::default() };
    let frames = client(&addr).allocations().log_frames(ALLOC, "postgres-patroni", &opts).await.unwrap();
    let got: Vec<LogFrame> = frames.take(5).map(Result::unwrap).collect().await;
    assert_eq!(
        got[0],
        LogFrame::Data { data: "started\n".into(), file: "alloc/logs/postgres-patroni.stdout.0".into(), offset: 8 }
    );
    assert!(got[1..].iter().all(|f| *f == LogFrame::Heartbeat), "{got:?}");
    let head = server.await.unwrap().remove(0);
    assert!(head.contains("follow=true"), "{head}");
}

#[tokio::test]
async fn truncation_and_deletion_events_are_reported_and_skipped_in_bytes() {
    let mut body = frame(b"line1\n", 6);
    body.extend_from_slice(br#"{}{"FileEvent":"file truncated","File":"alloc/logs/postgres-patroni.stdout.0"}"#);
    body.extend_from_slice(&frame(b"line2\n", 6));
    body.extend_from_slice(br#"{"FileEvent":"file deleted","File":"alloc/logs/postgres-patroni.stdout.0"}"#);
    // Cut right inside the event frame and the base64 of the second data frame.
    let cuts = [3, 40, 70, 95, 130];
    let mut chunks = Vec::new();
    let mut at = 0;
    for cut in cuts {
        chunks.push(body[at..cut].to_vec());
        at = cut;
    }
    chunks.push(body[at..].to_vec());
    let (addr, _server) = chunked_server(vec![(chunks.clone(), End::Finish)]).await;
    let frames =
        client(&addr).allocations().log_frames(ALLOC, "postgres-patroni", &LogsOptions::default()).await.unwrap();
    let kinds: Vec<String> = frames
        .map(|f| match f.unwrap() {
            LogFrame::Data { data, .. } => String::from_utf8(data.to_vec()).unwrap(),
            LogFrame::Truncated { .. } => "truncated".into(),
            LogFrame::Deleted { .. } => "deleted".into(),
            LogFrame::Heartbeat => "heartbeat".into(),
            LogFrame::Rotated { .. } => "rotated".into(),
        })
        .collect()
        .await;
    assert_eq!(kinds, ["line1\n", "heartbeat", "truncated", "line2\n", "deleted"]);
    let (addr, _server) = chunked_server(vec![(chunks, End::Finish)]).await;
    let bytes = client(&addr).allocations().logs(ALLOC, "postgres-patroni", &LogsOptions::default()).await.unwrap();
    let all: Vec<u8> = bytes.map(|c| c.unwrap().to_vec()).concat().await;
    assert_eq!(all, b"line1\nline2\n");
}

#[tokio::test]
async fn multi_megabyte_stream_decodes_exactly_with_flat_memory() {
    // 4 MiB of varied bytes, framed 64 KiB at a time like Nomad, heartbeats in between,
    // cut into odd-sized chunks that never align with frame boundaries.
    let payload: Vec<u8> = (0u32..4 * 1024 * 1024).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    let mut body = Vec::new();
    for (i, piece) in payload.chunks(64 * 1024).enumerate() {
        body.extend_from_slice(&frame(piece, (i + 1) * 64 * 1024));
        if i % 7 == 0 {
            body.extend_from_slice(b"{}");
        }
    }
    let chunks: Vec<Vec<u8>> = body.chunks(8191).map(<[u8]>::to_vec).collect();
    let (addr, _server) = chunked_server(vec![(chunks, End::Finish)]).await;
    let mut frames =
        client(&addr).allocations().log_frames(ALLOC, "postgres-patroni", &LogsOptions::default()).await.unwrap();
    let mut got = Vec::with_capacity(payload.len());
    while let Some(frame) = frames.next().await {
        if let LogFrame::Data { data, .. } = frame.unwrap() {
            got.extend_from_slice(&data);
        }
    }
    assert!(got == payload, "decoded {} bytes, expected {}", got.len(), payload.len());
    // One base64 frame is ~88 KiB; the decoder never holds much more than that.
    assert!(frames.high_water() < 200 * 1024, "decoder held {} bytes", frames.high_water());
}

#[tokio::test]
async fn a_silent_following_connection_is_reported_dead() {
    // Nomad sends a heartbeat every second while following; here nothing follows the data.
    let (addr, _server) = chunked_server(vec![(vec![fixture("logs-framed-nofollow.raw")], End::Hold)]).await;
    let opts = LogsOptions { follow: true, idle_timeout: Duration::from_millis(300), ..LogsOptions::default() };
    let stream = client(&addr).allocations().logs(ALLOC, "postgres-patroni", &opts).await.unwrap();
    let items: Vec<_> = stream.collect().await;
    assert_eq!(items[0].as_ref().unwrap(), "started\n");
    let err = items[1].as_ref().unwrap_err().to_string();
    assert!(err.contains("not even a heartbeat"), "{err}");
    assert_eq!(items.len(), 2);
}

#[tokio::test]
async fn a_stream_cut_inside_a_frame_is_an_error() {
    let mut raw = fixture("logs-framed-nofollow.raw");
    raw.truncate(30);
    let (addr, _server) = chunked_server(vec![(vec![raw], End::Finish)]).await;
    let stream = client(&addr).allocations().logs(ALLOC, "postgres-patroni", &LogsOptions::default()).await.unwrap();
    let items: Vec<_> = stream.collect().await;
    let err = items.last().unwrap().as_ref().unwrap_err();
    assert!(err.to_string().contains("ended inside a frame"), "{err}");
}

#[tokio::test]
async fn unknown_task_is_nomads_400() {
    let (server, nomad) = server().await;
    Mock::given(method("GET"))
        .and(path(format!("/v1/client/fs/logs/{ALLOC}")))
        .respond_with(text(400, "logs-missing-task.txt"))
        .mount(&server)
        .await;
    let Err(err) = nomad.allocations().logs(ALLOC, "nope", &LogsOptions::default()).await else {
        panic!("expected an error");
    };
    assert!(matches!(err, Error::Core(_)));
    assert!(err.to_string().contains("unknown task name \"nope\""), "{err}");
}

#[tokio::test]
async fn tail_lines_reads_the_end_of_the_log() {
    let (server, nomad) = server().await;
    Mock::given(method("GET"))
        .and(path(format!("/v1/client/fs/logs/{ALLOC}")))
        .and(query_is(&[
            ("task", "postgres-patroni"),
            ("type", "stderr"),
            ("origin", "end"),
            ("offset", "65536"),
            ("follow", "false"),
            ("namespace", NS),
        ]))
        .and(token())
        .respond_with(ok("logs-framed-stderr-nofollow.raw", 0))
        .expect(1)
        .mount(&server)
        .await;
    let opts = LogsOptions::tail(LogType::Stderr, 0, false);
    let lines = nomad.allocations().tail_lines(ALLOC, "postgres-patroni", 10, &opts).await.unwrap();
    assert_eq!(lines, ["warn"]);
}

#[tokio::test]
async fn fs_ls_stat_cat_readat() {
    let (server, nomad) = server().await;
    let file = "/alloc/logs/postgres-patroni.stdout.0";
    let served = |name: &str| {
        ResponseTemplate::new(200)
            .insert_header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; sandbox")
            .insert_header("Content-Type", "text/plain; charset=utf-8")
            .set_body_bytes(fixture(name))
    };
    Mock::given(method("GET"))
        .and(path(format!("/v1/client/fs/ls/{ALLOC}")))
        .and(query_is(&[("path", "/alloc/logs"), ("namespace", NS)]))
        .and(token())
        .respond_with(ok("fs-ls-alloc-logs.json", 0))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v1/client/fs/stat/{ALLOC}")))
        .and(query_is(&[("path", file), ("namespace", NS)]))
        .and(token())
        .respond_with(ok("fs-stat-stdout.json", 0))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v1/client/fs/cat/{ALLOC}")))
        .and(query_is(&[("path", file), ("namespace", NS)]))
        .and(token())
        .respond_with(served("fs-cat-stdout.txt"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v1/client/fs/cat/{ALLOC}")))
        .and(query_is(&[("path", "/alloc/logs/nope.txt"), ("namespace", NS)]))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(fixture("fs-cat-missing.txt")))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v1/client/fs/readat/{ALLOC}")))
        .and(query_is(&[("path", file), ("offset", "0"), ("limit", "4"), ("namespace", NS)]))
        .and(token())
        .respond_with(served("fs-readat-stdout.txt"))
        .mount(&server)
        .await;
    let allocs = nomad.allocations();
    let q = QueryOptions::new();
    let entries = allocs.ls(ALLOC, "/alloc/logs", &q).await.unwrap();
    assert!(entries.iter().any(|e| e.name == "postgres-patroni.stdout.0" && !e.is_dir), "{entries:?}");
    let stat = allocs.stat(ALLOC, file, &q).await.unwrap();
    assert_eq!((stat.size, stat.file_mode.as_str()), (8, "-rw-r--r--"));
    assert_eq!(allocs.cat(ALLOC, file, &q).await.unwrap(), "started\n");
    assert_eq!(allocs.read_at(ALLOC, file, 0, 4, &q).await.unwrap(), "star");
    let err = allocs.cat(ALLOC, "/alloc/logs/nope.txt", &q).await.unwrap_err();
    assert_eq!(err.to_string(), "file \"/alloc/logs/nope.txt\" was not found");
    let err = allocs.cat(ALLOC, "/alloc/../../etc/passwd", &q).await.unwrap_err();
    assert!(err.to_string().contains("'..'"), "{err}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// However the bytes are cut, the decoder yields the same frames.
    #[test]
    fn decoder_is_independent_of_chunking(cuts in proptest::collection::vec(1usize..40, 1..30)) {
        let mut body = frame(b"alpha\n", 6);
        body.extend_from_slice(b"{}");
        body.extend_from_slice(br#"{"FileEvent":"file truncated","File":"f"}"#);
        body.extend_from_slice(&frame(b"beta gamma\n", 11));
        let mut decoder = FrameDecoder::new();
        let mut frames = Vec::new();
        let mut at = 0;
        for cut in cuts.iter().chain(std::iter::repeat(&7)) {
            if at >= body.len() {
                break;
            }
            let end = (at + cut).min(body.len());
            decoder.push(&body[at..end]);
            at = end;
            while let Some(f) = decoder.next_frame().unwrap() {
                frames.push(f);
            }
        }
        prop_assert_eq!(frames.len(), 4);
        prop_assert_eq!(&frames[1], &LogFrame::Heartbeat);
        prop_assert_eq!(decoder.pending(), 0);
    }
}

/// The allocation of the recorded logs-big rows (182-185) and its replacement (205-206).
const BIG_ALLOC: &str = "7a9b8490-ef61-7be4-5a3c-1a24851463fb";
const BIG_REPLACEMENT: &str = "ff225723-44b9-c9a7-3ae6-e9d6323e4c9c";

/// The bytes of chatty's stdout as recorded by row 183 (the whole file from byte 0, then live ticks).
fn recorded_chatty_stdout() -> Vec<u8> {
    let mut decoder = FrameDecoder::new();
    decoder.push(&fixture("logs-big-origin-end-offset-0-follow.raw"));
    let mut data = Vec::new();
    while let Some(frame) = decoder.next_frame().unwrap() {
        if let LogFrame::Data { data: bytes, .. } = frame {
            data.extend_from_slice(&bytes);
        }
    }
    data
}

/// `data` framed as Nomad does (at most 64 KiB a frame), `Offset` counting from `start` in `file`.
fn frames_in(file: &str, data: &[u8], start: usize) -> Vec<u8> {
    let mut body = Vec::new();
    let mut at = start;
    for piece in data.chunks(64 * 1024) {
        at += piece.len();
        let b64 = base64::engine::general_purpose::STANDARD.encode(piece);
        body.extend_from_slice(format!(r#"{{"Data":"{b64}","File":"{file}","Offset":{at}}}{{}}"#).as_bytes());
    }
    body
}

/// `fs/ls alloc/logs` of `alloc` listing the one stdout file `stat` describes (rows 182/205
/// are its `fs/stat`; the listing holds the same entry) next to the task's fifos.
async fn mount_log_dir(server: &wiremock::MockServer, alloc: &str, stat: &str) {
    let fifo = |name: &str| serde_json::json!({"Name": name, "IsDir": false, "Size": 0, "FileMode": "prw-------"});
    let listing = serde_json::json!([fifo(".chatty.stdout.fifo"), fifo(".chatty.stderr.fifo"), json_fixture(stat)]);
    Mock::given(method("GET"))
        .and(path(format!("/v1/client/fs/ls/{alloc}")))
        .and(query_is(&[("path", "alloc/logs"), ("namespace", NS)]))
        .respond_with(ResponseTemplate::new(200).set_body_json(listing))
        .expect(1..)
        .mount(server)
        .await;
}

fn logs_query(offset: usize, follow: bool) -> QueryIs {
    let offset = offset.to_string();
    let follow = follow.to_string();
    query_is(&[
        ("task", "chatty"),
        ("type", "stdout"),
        ("origin", "start"),
        ("offset", &offset),
        ("follow", &follow),
        ("namespace", NS),
    ])
}

#[tokio::test]
async fn following_from_now_starts_at_the_current_end_not_at_byte_zero() {
    // Row 183: origin=end&offset=0 replays the whole 200 KB file. Row 206: origin=start with
    // the Size from the listing (row 205) sends only what is written from now on.
    let (server, nomad) = server().await;
    mount_log_dir(&server, BIG_REPLACEMENT, "fs-stat-logs-big-replacement-stdout.json").await;
    Mock::given(method("GET"))
        .and(path(format!("/v1/client/fs/logs/{BIG_REPLACEMENT}")))
        .and(logs_query(203_168, true))
        .respond_with(ok("logs-big-origin-start-offset-size-follow.raw", 0))
        .expect(1)
        .mount(&server)
        .await;
    let opts = LogsOptions::tail(LogType::Stdout, 0, true);
    let stream = nomad.allocations().logs(BIG_REPLACEMENT, "chatty", &opts).await.unwrap();
    let got: Vec<u8> = stream.map(|c| c.unwrap().to_vec()).concat().await;
    assert_eq!(String::from_utf8(got).unwrap(), "tick 142\ntick 143\n");
}

#[tokio::test]
async fn tail_n_follow_prints_exactly_n_lines_then_only_new_ones_across_a_rotation() {
    let (server, nomad) = server().await;
    let log = recorded_chatty_stdout();
    let end = 202_063; // Size in row 182, where the bulk and the first ticks end
    mount_log_dir(&server, BIG_ALLOC, "fs-stat-logs-big-stdout.json").await;
    // The probe for the last lines reads the last 64 KiB up to the end, without following.
    let probe = end - 64 * 1024;
    Mock::given(method("GET"))
        .and(path(format!("/v1/client/fs/logs/{BIG_ALLOC}")))
        .and(logs_query(probe, false))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(frames_in(
            "alloc/logs/chatty.stdout.0",
            &log[probe..],
            probe,
        )))
        .expect(1)
        .mount(&server)
        .await;
    // Following starts where the second-to-last line starts, and runs on into
    // chatty.stdout.1 after a rotation that, as on 1.1.2, sends no file event.
    let from = end - "tick 7\ntick 8\n".len();
    let mut body = frames_in("alloc/logs/chatty.stdout.0", &log[from..], from);
    body.extend_from_slice(&frames_in("alloc/logs/chatty.stdout.1", b"tick 12\ntick 13\n", 0));
    Mock::given(method("GET"))
        .and(path(format!("/v1/client/fs/logs/{BIG_ALLOC}")))
        .and(logs_query(from, true))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(body))
        .expect(2)
        .mount(&server)
        .await;
    let stream = nomad.allocations().follow_lines(BIG_ALLOC, "chatty", 2, &LogsOptions::default()).await.unwrap();
    let got: Vec<u8> = stream.map(|c| c.unwrap().to_vec()).concat().await;
    assert_eq!(String::from_utf8(got).unwrap(), "tick 7\ntick 8\ntick 9\ntick 10\ntick 11\ntick 12\ntick 13\n");

    // The frames say where the rotation happened, although Nomad sent no file event.
    let opts = LogsOptions { offset: from as u64, follow: true, ..LogsOptions::default() };
    let frames = nomad.allocations().log_frames(BIG_ALLOC, "chatty", &opts).await.unwrap();
    let rotations: Vec<LogFrame> = frames
        .map(Result::unwrap)
        .filter(|f| std::future::ready(matches!(f, LogFrame::Rotated { .. })))
        .collect()
        .await;
    assert_eq!(
        rotations,
        [LogFrame::Rotated { from: "alloc/logs/chatty.stdout.0".into(), to: "alloc/logs/chatty.stdout.1".into() }]
    );
}
