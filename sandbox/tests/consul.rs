//! The sandbox starts a real Consul that answers.

#[test]
fn consul_starts_answers_and_stops() {
    let mut consul = match sandbox::Consul::start() {
        Ok(c) => c,
        Err(e) => return sandbox::unavailable("Consul", &e),
    };
    let (status, body) = sandbox::http::get(consul.http_port(), "/v1/status/leader").unwrap();
    assert_eq!(status, 200);
    assert!(body.contains("127.0.0.1"), "{body}");
    let port = consul.http_port();
    consul.stop();
    assert!(!sandbox::ports::is_listening(port));
}
