//! Shared helpers: fixtures, a mock Nomad, request matchers.

use client_core::{ClientConfig, RetryPolicy};
use nomad_client::{NomadClient, TOKEN_HEADER};
use test_support::Fixtures;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use wiremock::matchers::header;
use wiremock::{Match, MockServer, Request, ResponseTemplate};

/// The management token of the recorded ACL agent.
pub const TOKEN: &str = "7b6b1e20-7bca-906d-2308-9255ee94f222";
/// The namespace the fixtures were recorded in.
pub const NS: &str = "atala-testnet";
/// The running allocation of dbHA1 in the fixtures.
pub const ALLOC: &str = "9df9c84d-e72a-b42f-b5da-5df98da53bda";
/// The node of the fixtures.
pub const NODE: &str = "ea4c7b83-cf7b-0c33-baf0-487bed6b3ae4";

/// This crate's `tests/fixtures`.
pub const FIXTURES: Fixtures = Fixtures::new(env!("CARGO_MANIFEST_DIR"));

/// The bytes of a recorded body.
pub fn fixture(name: &str) -> Vec<u8> {
    FIXTURES.bytes(name)
}

/// A recorded body, decoded.
pub fn json_fixture(name: &str) -> serde_json::Value {
    FIXTURES.json(name)
}

/// A mock server and a client for it with the token, the fixtures' namespace
/// as default and retries off (so a failing mock fails once).
pub async fn server() -> (MockServer, NomadClient) {
    let server = MockServer::start().await;
    let cfg =
        ClientConfig::new(&server.uri(), TOKEN_HEADER).unwrap().with_token(TOKEN).with_retry(RetryPolicy::disabled());
    let client = NomadClient::new(cfg).unwrap().with_namespace(NS).unwrap();
    (server, client)
}

/// A 200 answer with a recorded JSON body and an `X-Nomad-Index`.
pub fn ok(name: &str, index: u64) -> ResponseTemplate {
    FIXTURES
        .json_response(200, name)
        .insert_header("X-Nomad-Index", index.to_string().as_str())
        .insert_header("X-Nomad-Knownleader", "true")
        .insert_header("X-Nomad-Lastcontact", "0")
}

/// An error answer with a recorded text body.
pub fn text(status: u16, name: &str) -> ResponseTemplate {
    FIXTURES.text_response(status, name)
}

/// Matches the client's token header.
pub fn token() -> impl Match {
    header(TOKEN_HEADER, TOKEN)
}

/// Matches a request whose query holds exactly these pairs (in any order).
pub struct QueryIs(pub Vec<(String, String)>);

/// Builds a [`QueryIs`] matcher.
pub fn query_is(pairs: &[(&str, &str)]) -> QueryIs {
    QueryIs(pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect())
}

impl Match for QueryIs {
    fn matches(&self, request: &Request) -> bool {
        let mut got: Vec<(String, String)> = request.url.query_pairs().into_owned().collect();
        let mut want = self.0.clone();
        got.sort();
        want.sort();
        got == want
    }
}

/// The JSON body of the only request the server received.
pub async fn only_body(server: &MockServer) -> serde_json::Value {
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1, "expected exactly one request");
    serde_json::from_slice(&requests[0].body).unwrap()
}

/// What the server does after the last chunk.
#[derive(Clone, Copy, PartialEq)]
pub enum End {
    /// Sends the terminating chunk (a finished, non-follow stream).
    Finish,
    /// Keeps the connection open, as a following stream does.
    Hold,
}

/// Serves one chunked HTTP response per script, one connection after the other,
/// writing and flushing each chunk separately (and yielding in between) so they
/// reach the client as separate TCP segments. Returns the address and the
/// request heads the client sent.
pub async fn chunked_server(scripts: Vec<(Vec<Vec<u8>>, End)>) -> (String, tokio::task::JoinHandle<Vec<String>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = format!("http://{}", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        let mut heads = Vec::new();
        for (chunks, end) in scripts {
            heads.push(serve_chunks(&listener, chunks, end).await);
        }
        heads
    });
    (addr, task)
}

async fn serve_chunks(listener: &TcpListener, chunks: Vec<Vec<u8>>, end: End) -> String {
    {
        let (mut tcp, _) = listener.accept().await.unwrap();
        tcp.set_nodelay(true).unwrap();
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            tcp.read_exact(&mut byte).await.unwrap();
            head.push(byte[0]);
        }
        let status = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
        tcp.write_all(status).await.unwrap();
        for chunk in chunks {
            let mut framed = format!("{:x}\r\n", chunk.len()).into_bytes();
            framed.extend_from_slice(&chunk);
            framed.extend_from_slice(b"\r\n");
            if tcp.write_all(&framed).await.is_err() {
                break; // the client stopped reading
            }
            tcp.flush().await.unwrap();
            tokio::task::yield_now().await;
        }
        if end == End::Finish {
            let _ = tcp.write_all(b"0\r\n\r\n").await;
        } else {
            // Hold the connection until the client hangs up.
            let mut rest = [0u8; 64];
            while matches!(tcp.read(&mut rest).await, Ok(n) if n > 0) {}
        }
        String::from_utf8(head).unwrap()
    }
}
