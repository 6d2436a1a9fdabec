//! The `credentials` script against a wiremock Vault, Nomad and Consul
//! answering with recorded bodies: whatever goes wrong after the tokens
//! were obtained (a command that cannot start, a wrong Consul address,
//! SIGTERM or SIGINT while the command runs), both leases are revoked before the
//! script exits.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use test_support::Fixtures;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const NOMAD_LEASE: &str = "nomad/creds/admin/kRkfb1wM9b7Esv24D8N8QCsJ";
const CONSUL_LEASE: &str = "consul/creds/admin/kEBKWvguyOSVOIuN3HjppJRw";

/// The recorded answers of the script's servers.
const FIXTURES: Fixtures = Fixtures::new(env!("CARGO_MANIFEST_DIR")).under("credentials");

async fn get(server: &MockServer, p: &str, name: &str) {
    Mock::given(method("GET"))
        .and(path(p))
        .respond_with(FIXTURES.json_response(200, &format!("{name}.json")))
        .mount(server)
        .await;
}

/// Vault (token lookup, both creds, renewals, revocations), Nomad and Consul
/// (`acl/token/self` for the Vault-issued tokens).
struct Servers {
    vault: MockServer,
    nomad: MockServer,
    consul: MockServer,
}

async fn servers() -> Servers {
    let vault = MockServer::start().await;
    get(&vault, "/v1/auth/token/lookup-self", "token-lookup-self").await;
    get(&vault, "/v1/nomad/creds/admin", "nomad-creds-admin").await;
    get(&vault, "/v1/consul/creds/admin", "consul-creds-admin").await;
    // The recipe's lifetime watchers renew each lease at once (Vault 1.8's
    // recorded renewal answer, copied from vault-client's fixtures).
    Mock::given(method("PUT"))
        .and(path("/v1/sys/leases/renew"))
        .respond_with(FIXTURES.json_response(200, "sys-leases-renew.json"))
        .mount(&vault)
        .await;
    Mock::given(method("PUT"))
        .and(path("/v1/sys/leases/revoke"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&vault)
        .await;
    let nomad = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/acl/token/self"))
        .and(header("X-Nomad-Token", "8b19b214-c470-a00f-8e72-03d15fe1c5af"))
        .respond_with(FIXTURES.json_response(200, "nomad-acl-token-self-vault-issued-admin.json"))
        .mount(&nomad)
        .await;
    let consul = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/acl/token/self"))
        .and(header("X-Consul-Token", "cd96c3d8-f413-6c1b-a8b4-8af2843146a9"))
        .respond_with(FIXTURES.json_response(200, "consul-acl-token-self-vault-issued.json"))
        .mount(&consul)
        .await;
    Servers { vault, nomad, consul }
}

/// The script with only these servers in its environment.
fn script(servers: &Servers, consul_addr: &str, home: &Path, command: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_credentials"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("VAULT_ADDR", servers.vault.uri())
        .env("VAULT_TOKEN", "root")
        .env("NOMAD_ADDR", servers.nomad.uri())
        .env("CONSUL_HTTP_ADDR", consul_addr)
        .args(["--role", "admin", "--yes", "--"])
        .args(command)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// The lease IDs Vault was asked to revoke.
async fn revoked(vault: &MockServer) -> Vec<String> {
    let requests = vault.received_requests().await.unwrap_or_default();
    let mut ids: Vec<String> = requests
        .iter()
        .filter(|r| r.url.path() == "/v1/sys/leases/revoke")
        .map(|r| serde_json::from_slice::<serde_json::Value>(&r.body).unwrap()["lease_id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

fn both() -> Vec<String> {
    let mut ids = vec![NOMAD_LEASE.to_owned(), CONSUL_LEASE.to_owned()];
    ids.sort();
    ids
}

async fn run(cmd: Command) -> Output {
    let mut cmd = tokio::process::Command::from(cmd);
    tokio::time::timeout(Duration::from_secs(60), cmd.output()).await.expect("the script finished").unwrap()
}

#[tokio::test]
async fn a_command_that_cannot_start_still_revokes_both_leases() {
    let servers = servers().await;
    let home = tempfile::tempdir().unwrap();
    let out = run(script(&servers, &servers.consul.uri(), home.path(), &["/nonexistent/cmd"])).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("cannot run /nonexistent/cmd") && stderr.contains("both leases were revoked"), "{stderr}");
    assert_eq!(revoked(&servers.vault).await, both());
    // The plan shows the root token (TTL 0) as never expiring, not "0.0s left".
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("never expires") && !stdout.contains("0.0s left"), "{stdout}");
}

#[tokio::test]
async fn a_wrong_consul_address_still_revokes_both_leases() {
    let home = tempfile::tempdir().unwrap();
    // CONSUL_HTTP_ADDR pointing at another server (here: Vault, which has no
    // acl/token/self), then at a port where nothing listens.
    for wrong_server in [true, false] {
        let servers = servers().await;
        let (addr, says) = if wrong_server {
            (servers.vault.uri(), "404")
        } else {
            ("http://127.0.0.1:1".to_owned(), "connection failed")
        };
        let out = run(script(&servers, &addr, home.path(), &["true"])).await;
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(stderr.contains("the Consul token does not work") && stderr.contains(says), "{stderr}");
        assert_eq!(revoked(&servers.vault).await, both());
    }
}

#[tokio::test]
async fn a_signal_while_the_command_runs_kills_it_and_revokes_both_leases() {
    for (signal, name, code) in [("-TERM", "SIGTERM", 143), ("-INT", "SIGINT", 130)] {
        let servers = servers().await;
        let home = tempfile::tempdir().unwrap();
        let pid_file = home.path().join("command.pid");
        let shell = format!("echo $$ > {}; exec sleep 30", pid_file.display());
        let child =
            tokio::process::Command::from(script(&servers, &servers.consul.uri(), home.path(), &["sh", "-c", &shell]))
                .kill_on_drop(true)
                .spawn()
                .unwrap();
        let started = Instant::now();
        while std::fs::read_to_string(&pid_file).unwrap_or_default().trim().is_empty() {
            assert!(started.elapsed() < Duration::from_secs(30), "the command never started");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let command_pid = std::fs::read_to_string(&pid_file).unwrap().trim().to_owned();
        assert!(revoked(&servers.vault).await.is_empty(), "nothing revoked while the command runs");
        let script_pid = child.id().unwrap().to_string();
        assert!(Command::new("kill").args([signal, &script_pid]).status().unwrap().success());
        let out = tokio::time::timeout(Duration::from_secs(30), child.wait_with_output()).await.unwrap().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{stderr}");
        assert!(stderr.contains(&format!("interrupted by {name}; both leases were revoked")), "{stderr}");
        assert_eq!(revoked(&servers.vault).await, both());
        // The command was killed, not left running with dead tokens.
        let stat = std::fs::read_to_string(format!("/proc/{command_pid}/stat")).unwrap_or_default();
        let state = stat.rsplit_once(") ").map(|(_, rest)| rest.chars().next().unwrap_or('?'));
        assert!(matches!(state, None | Some('Z' | 'X')), "command {command_pid} still runs: {state:?}");
    }
}
