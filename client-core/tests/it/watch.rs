use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use client_core::{BlockingOptions, QueryMeta, Request, WatchOptions, WithMeta, watch};
use futures::StreamExt;
use wiremock::{Mock, MockServer, Respond, ResponseTemplate};

use crate::client;

/// Answers with the X-Consul-Index values of `indexes` in turn (the last repeats).
struct IndexSequence {
    indexes: Vec<u64>,
    calls: Arc<AtomicUsize>,
}

impl Respond for IndexSequence {
    fn respond(&self, _req: &wiremock::Request) -> ResponseTemplate {
        let n = self.calls.fetch_add(1, Ordering::SeqCst);
        let index = self.indexes.get(n).or(self.indexes.last()).copied().unwrap_or(1);
        ResponseTemplate::new(200)
            .insert_header("X-Consul-Index", index.to_string())
            .set_body_json(serde_json::json!(index))
    }
}

/// A watch on `/v1/kv/p` through `http`, yielding the decoded index values.
fn kv_watch(
    http: client_core::HttpClient,
    options: WatchOptions,
) -> impl futures::Stream<Item = client_core::Result<WithMeta<u64>>> {
    watch(options, move |blocking: BlockingOptions| {
        let http = http.clone();
        async move {
            let resp = http.send(Request::get("/v1/kv/p").blocking(blocking)).await?;
            let meta = QueryMeta::from_headers(&resp.headers, "X-Consul");
            Ok(WithMeta { value: meta.last_index, meta })
        }
    })
}

#[tokio::test]
async fn watch_yields_on_change_skips_unchanged_and_resets_on_backwards_index() {
    let server = MockServer::start().await;
    let calls = Arc::new(AtomicUsize::new(0));
    Mock::given(wiremock::matchers::method("GET"))
        .respond_with(IndexSequence { indexes: vec![5, 5, 5, 7, 3, 3, 9], calls: calls.clone() })
        .mount(&server)
        .await;
    let http = client(&server.uri());
    let options = WatchOptions {
        wait: Duration::from_secs(1),
        error_backoff: Duration::from_millis(10),
        min_interval: Duration::from_millis(1),
    };
    let stream = kv_watch(http, options);
    let seen: Vec<u64> = stream.take(4).map(|r| r.unwrap().meta.last_index).collect().await;
    assert_eq!(seen, vec![5, 7, 3, 9]);
    let requests = server.received_requests().await.unwrap();
    let index_params: Vec<Option<String>> =
        requests.iter().map(|r| r.url.query_pairs().find(|(k, _)| k == "index").map(|(_, v)| v.into_owned())).collect();
    // First read is not blocking; after the backwards jump to 3 the watch blocks on 3, not on 7.
    assert_eq!(index_params[0], None);
    assert_eq!(index_params[1].as_deref(), Some("5"));
    assert_eq!(index_params[4].as_deref(), Some("7"));
    assert_eq!(index_params[5].as_deref(), Some("3"));
    assert!(requests[1].url.query().unwrap().contains("wait=1000ms"));
}

#[tokio::test]
async fn watch_does_not_spin_when_the_server_ignores_the_index() {
    let server = MockServer::start().await;
    let calls = Arc::new(AtomicUsize::new(0));
    Mock::given(wiremock::matchers::method("GET"))
        .respond_with(IndexSequence { indexes: vec![4], calls: calls.clone() })
        .mount(&server)
        .await;
    let http = client(&server.uri());
    let options = WatchOptions {
        wait: Duration::from_secs(1),
        error_backoff: Duration::from_millis(10),
        min_interval: Duration::from_millis(100),
    };
    let stream = kv_watch(http, options);
    let mut stream = Box::pin(stream);
    assert_eq!(stream.next().await.unwrap().unwrap().meta.last_index, 4);
    // The index never moves again: in 550 ms at most ~6 requests may happen (min_interval 100 ms), not thousands.
    let _ = tokio::time::timeout(Duration::from_millis(550), stream.next()).await;
    let n = calls.load(Ordering::SeqCst);
    assert!((2..=7).contains(&n), "{n} requests");
}

#[tokio::test]
async fn watch_yields_errors_and_recovers() {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::method("GET"))
        .respond_with(ResponseTemplate::new(500).set_body_string("boom"))
        .up_to_n_times(4)
        .mount(&server)
        .await;
    Mock::given(wiremock::matchers::method("GET"))
        .respond_with(ResponseTemplate::new(200).insert_header("X-Consul-Index", "11").set_body_json(1))
        .mount(&server)
        .await;
    let cfg =
        client_core::ClientConfig::new(&server.uri(), "X").unwrap().with_retry(client_core::RetryPolicy::disabled());
    let http = client_core::HttpClient::new(cfg).unwrap();
    let options = WatchOptions {
        wait: Duration::from_secs(1),
        error_backoff: Duration::from_millis(5),
        min_interval: Duration::from_millis(1),
    };
    let stream = kv_watch(http, options);
    let items: Vec<_> = stream.take(5).collect().await;
    assert!(items[..4].iter().all(|i| i.as_ref().is_err_and(|e| e.status() == Some(500))));
    assert_eq!(items[4].as_ref().unwrap().meta.last_index, 11);
}
