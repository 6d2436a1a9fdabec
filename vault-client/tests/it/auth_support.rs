//! What the auth-management tests share: one expectation builder for the
//! many CRUD endpoints, and the secret-in-output check.

use wiremock::matchers::{any, body_json, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::no_content;

/// Expects exactly one `verb path` (a `LIST` is `GET ?list=true`), with
/// exactly `body` when given, answered with `answer` (204 when `None`).
pub async fn expect(
    server: &MockServer,
    verb: &str,
    p: &str,
    body: Option<serde_json::Value>,
    answer: Option<ResponseTemplate>,
) {
    let list = verb == "LIST";
    let mut mock = Mock::given(method(if list { "GET" } else { verb })).and(path(p));
    if list {
        mock = mock.and(query_param("list", "true"));
    }
    if let Some(body) = body {
        mock = mock.and(body_json(body));
    }
    mock.respond_with(answer.unwrap_or_else(no_content)).expect(1).mount(server).await;
}

/// A server that fails the test if anything reaches it.
pub async fn nothing_sent(server: &MockServer) {
    Mock::given(any()).respond_with(no_content()).expect(0).mount(server).await;
}

/// Panics when `secret` shows in the Debug or Display of `value`.
pub fn assert_hidden<T: std::fmt::Debug>(what: &str, value: &T, secret: &str) {
    let text = format!("{value:?}");
    assert!(!text.contains(secret), "{what}: the secret shows in {text}");
    assert!(text.contains("<redacted>"), "{what}: no <redacted> in {text}");
}

/// The names every one-segment name must refuse, before anything is sent.
pub const BAD_NAMES: [&str; 6] = ["", ".", "..", "a/b", "../sys", "a\nb"];
