//! A real Consul agent whose HTTP API listens only on a unix socket
//! (`addresses { http = "unix://..." }`), reached with
//! `CONSUL_HTTP_ADDR=unix:///path` as the `consul` CLI reaches it.

use std::process::Command;
use std::time::{Duration, Instant};

use consul_client::{ConsulClient, PutOptions, QueryOptions};
use sandbox::ports::free_port;
use sandbox::process::ManagedProcess;

#[tokio::test]
async fn consul_on_a_unix_socket() {
    let Some(binary) = sandbox::consul::which("consul") else {
        panic!("consul is not installed (run scripts/install-deps.sh as root)");
    };
    let dir = tempfile::Builder::new().prefix("uds-consul-").tempdir().unwrap();
    let socket = dir.path().join("http.sock");
    let mut cmd = Command::new(binary);
    cmd.args(["agent", "-dev", "-client", "127.0.0.1", "-bind", "127.0.0.1", "-log-level", "warn"])
        .arg(format!("-node=uds-{}", free_port()))
        .arg(format!("-serf-lan-port={}", free_port()))
        .arg(format!("-serf-wan-port={}", free_port()))
        .arg(format!("-server-port={}", free_port()))
        .args(["-dns-port=-1", "-grpc-port=-1"])
        .arg(format!("-hcl=addresses {{ http = \"unix://{}\" }}", socket.display()))
        .arg(format!("-data-dir={}", dir.path().join("data").display()));
    let mut agent =
        ManagedProcess::spawn("consul", cmd, &dir.path().join("consul.log"), Duration::from_secs(5)).unwrap();

    let addr = format!("unix://{}", socket.display());
    let env = |name: &str| (name == "CONSUL_HTTP_ADDR").then(|| addr.clone());
    let consul = ConsulClient::from_lookup(env).unwrap();
    assert!(consul.http().config().unix_socket.is_some());
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match consul.status().leader().await {
            Ok(Some(leader)) if !leader.is_empty() => break,
            other => {
                let log = sandbox::tail_file(&dir.path().join("consul.log"), 20);
                assert!(Instant::now() < deadline && agent.is_running(), "no leader over the socket: {other:?}\n{log}");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
    assert!(consul.kv().put("uds/check", b"through-the-socket", &PutOptions::default()).await.unwrap());
    let value = consul.kv().get_raw("uds/check", &QueryOptions::default()).await.unwrap().value;
    assert_eq!(value.as_deref(), Some(&b"through-the-socket"[..]));

    // A socket nobody listens on is a connection failure naming the address.
    let missing = format!("unix://{}", dir.path().join("missing.sock").display());
    let env = |name: &str| (name == "CONSUL_HTTP_ADDR").then(|| missing.clone());
    let err = ConsulClient::from_lookup(env).unwrap().status().leader().await.unwrap_err();
    assert!(err.to_string().contains("connection failed") && err.to_string().contains("missing.sock"), "{err}");
    agent.stop(Duration::from_secs(5));
}
