//! The pipeline's extension points: a hook's headers and verdicts, the
//! statuses a policy retries, blocking queries and the SDK's stream type.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use client_core::{Answer, BlockingOptions, ClientConfig, HeaderMap, Hook, HttpClient, Request, RetryPolicy, Verdict};
use futures::StreamExt;
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::client;

/// Counts attempts, adds a header naming the attempt, and makes a 503 whose
/// body says "sealed" final.
#[derive(Debug, Default)]
struct Recorder {
    attempts: AtomicUsize,
    seen: AtomicUsize,
}

impl Hook for Recorder {
    fn before_send(&self, _request: &Request, headers: &mut HeaderMap) {
        let n = self.attempts.fetch_add(1, Ordering::SeqCst) + 1;
        headers.insert("x-attempt", n.to_string().parse().unwrap());
    }

    fn after_receive(&self, _request: &Request, answer: &Answer<'_>) -> Verdict {
        self.seen.fetch_add(1, Ordering::SeqCst);
        if answer.status == 503 && answer.body.is_some_and(|b| b.windows(6).any(|w| w == b"sealed")) {
            Verdict::Final
        } else {
            Verdict::Policy
        }
    }
}

#[tokio::test]
async fn a_hook_adds_headers_to_every_attempt_and_sees_every_answer() {
    let server = MockServer::start().await;
    Mock::given(method("GET")).respond_with(ResponseTemplate::new(503)).up_to_n_times(1).mount(&server).await;
    Mock::given(method("GET"))
        .and(header("x-attempt", "2"))
        .respond_with(ResponseTemplate::new(200).set_body_string("1"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(header("x-attempt", "3"))
        .respond_with(ResponseTemplate::new(200).set_body_string("1"))
        .mount(&server)
        .await;
    let hook = Arc::new(Recorder::default());
    let http = client(&server.uri()).with_hook(hook.clone());
    let v: u32 = http.json(Request::get("/v1/x")).await.unwrap();
    assert_eq!(v, 1);
    assert_eq!(hook.attempts.load(Ordering::SeqCst), 2);
    assert_eq!(hook.seen.load(Ordering::SeqCst), 2);
    // A copy with another token keeps the hook.
    let copy = http.with_token("other".into());
    let _: u32 = copy.json(Request::get("/v1/x")).await.unwrap();
    assert_eq!(hook.attempts.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn a_final_verdict_stops_the_retries() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503).set_body_string("Vault is sealed"))
        .mount(&server)
        .await;
    let http = client(&server.uri()).with_hook(Arc::new(Recorder::default()));
    let err = http.send(Request::get("/v1/x")).await.unwrap_err();
    assert_eq!(err.status(), Some(503));
    assert_eq!(server.received_requests().await.unwrap().len(), 1, "a final answer is not retried");
}

#[tokio::test]
async fn unapplied_statuses_are_retried_for_any_method_and_others_only_when_idempotent() {
    let server = MockServer::start().await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(412)).up_to_n_times(2).mount(&server).await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(200).set_body_string("{}")).mount(&server).await;
    Mock::given(method("GET")).respond_with(ResponseTemplate::new(500)).mount(&server).await;
    let cfg = ClientConfig::new(&server.uri(), "X-Test-Token").unwrap().with_retry(
        RetryPolicy::default()
            .with_max_retries(3)
            .with_delays(Duration::from_millis(5), Duration::from_millis(10))
            .with_statuses(&[429, 500, 502, 503, 504])
            .with_unapplied_statuses(&[412]),
    );
    let http = HttpClient::new(cfg).unwrap();
    http.send(Request::post("/v1/write")).await.unwrap();
    let posts = server.received_requests().await.unwrap().len();
    assert_eq!(posts, 3, "two 412s then the answer");
    let err = http.send(Request::get("/v1/read")).await.unwrap_err();
    assert_eq!(err.status(), Some(500));
    assert_eq!(server.received_requests().await.unwrap().len() - posts, 4, "500 retried on a read: 1 + 3");
    // The default policy does not retry 500 and never retries 412.
    let plain = client(&server.uri());
    let before = server.received_requests().await.unwrap().len();
    assert_eq!(plain.send(Request::get("/v1/read")).await.unwrap_err().status(), Some(500));
    assert_eq!(server.received_requests().await.unwrap().len() - before, 1);
}

#[tokio::test]
async fn a_blocking_query_sends_index_and_wait_and_outlives_the_client_timeout() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/kv/k"))
        .and(query_param("index", "7"))
        .and(query_param("wait", "1500ms"))
        .respond_with(ResponseTemplate::new(200).set_body_string("2").set_delay(Duration::from_millis(1200)))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/kv/k"))
        .respond_with(ResponseTemplate::new(200).set_body_string("1").set_delay(Duration::from_millis(1200)))
        .mount(&server)
        .await;
    // The helper client's timeout is 800 ms: an ordinary read of this slow
    // answer times out, a blocking one with a 1.5 s wait does not.
    let http = client(&server.uri()).with_config(|c| c.retry = RetryPolicy::disabled());
    let err = http.send(Request::get("/v1/kv/k")).await.unwrap_err();
    assert!(matches!(err, client_core::Error::Timeout { .. }), "{err}");
    let started = Instant::now();
    let v: u32 = http
        .json(Request::get("/v1/kv/k").blocking(BlockingOptions::new(7, Duration::from_millis(1500))))
        .await
        .unwrap();
    assert_eq!(v, 2);
    assert!(started.elapsed() >= Duration::from_millis(1200));
    // Index 0 is no blocking query at all: no index, no wait parameter.
    let first = Request::get("/v1/kv/k").blocking(BlockingOptions::new(0, Duration::from_secs(1)));
    assert_eq!(first.blocking_options(), None);
}

#[tokio::test]
async fn a_stream_is_the_sdks_own_type_and_names_the_request_on_error() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/logs"))
        .respond_with(ResponseTemplate::new(200).set_body_string("line one\nline two\n"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/missing"))
        .respond_with(ResponseTemplate::new(404).set_body_string("no such file"))
        .mount(&server)
        .await;
    let http = client(&server.uri());
    let live = http.stream(Request::get("/v1/logs")).await.unwrap();
    assert_eq!(live.status(), 200);
    let mut body = Vec::new();
    let mut chunks = live.bytes();
    while let Some(chunk) = chunks.next().await {
        body.extend_from_slice(&chunk.unwrap());
    }
    assert_eq!(body, b"line one\nline two\n");
    let err = http.stream(Request::get("/v1/missing")).await.unwrap_err();
    assert_eq!(err.status(), Some(404));
    assert!(err.to_string().contains("GET /v1/missing") && err.to_string().contains("no such file"), "{err}");
}

#[tokio::test]
async fn a_rate_limit_in_the_config_spaces_requests() {
    let server = MockServer::start().await;
    Mock::given(method("GET")).respond_with(ResponseTemplate::new(200).set_body_string("1")).mount(&server).await;
    let limit = client_core::ratelimit::RateLimit::new(20.0, 1).unwrap();
    let http = client(&server.uri()).with_config(|c| c.rate_limit = Some(Arc::new(limit)));
    let started = Instant::now();
    for _ in 0..4 {
        let _: u32 = http.json(Request::get("/v1/x")).await.unwrap();
    }
    // 4 requests at 20/s with a burst of 1: at least 3 intervals of 50 ms.
    assert!(started.elapsed() >= Duration::from_millis(140), "{:?}", started.elapsed());
}

#[tokio::test]
async fn a_streamed_body_is_sent_as_it_is_read_once_and_never_retried() {
    let server = MockServer::start().await;
    Mock::given(method("PUT")).and(path("/v1/snapshot")).respond_with(ResponseTemplate::new(503)).mount(&server).await;
    Mock::given(method("PUT")).and(path("/upload")).respond_with(ResponseTemplate::new(200)).mount(&server).await;
    let http = client(&server.uri());
    let chunks: Vec<std::io::Result<bytes::Bytes>> =
        (0..64).map(|i| Ok(bytes::Bytes::from(vec![u8::try_from(i).unwrap(); 1024]))).collect();
    let request = Request::put("/upload").body_stream(futures::stream::iter(chunks));
    let again = request.clone();
    http.send(request).await.unwrap();
    let received = server.received_requests().await.unwrap();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].body.len(), 64 * 1024);
    assert!(received[0].body.chunks(1024).enumerate().all(|(i, c)| c.iter().all(|b| usize::from(*b) == i)));
    assert_eq!(received[0].headers.get("transfer-encoding").map(|v| v.to_str().unwrap()), Some("chunked"));

    // The stream was read: a clone of the request is refused, not sent empty.
    let err = http.send(again).await.unwrap_err();
    assert!(matches!(err, client_core::Error::InvalidInput { .. }), "{err}");
    assert!(err.to_string().contains("already sent once"), "{err}");
    assert_eq!(server.received_requests().await.unwrap().len(), 1, "nothing more was sent");

    // A retryable status is final for a streamed body: the stream is gone.
    let once = Request::put("/v1/snapshot").body_stream(futures::stream::iter([Ok(bytes::Bytes::from_static(b"x"))]));
    assert_eq!(http.send(once).await.unwrap_err().status(), Some(503));
    let snapshots = server.received_requests().await.unwrap().into_iter().filter(|r| r.url.path() == "/v1/snapshot");
    assert_eq!(snapshots.count(), 1, "a 503 is not retried with a stream that was read");

    // An error from the stream aborts the request.
    let failing = futures::stream::iter([Ok(bytes::Bytes::from_static(b"a")), Err(std::io::Error::other("disk gone"))]);
    assert!(http.send(Request::put("/upload").body_stream(failing)).await.is_err());
}
