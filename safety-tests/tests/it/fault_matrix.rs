//! The fault matrix: every HTTP client (Nomad, Consul, Vault, Patroni) meets
//! every fault of the sandbox's fault server, once with an idempotent read and,
//! where retries matter, once with a non-idempotent write. Each cell states
//! the documented outcome; the whole matrix is printed as a table (run with
//! `--nocapture`) and kept in README.md.

use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};

use client_core::{ClientConfig, RetryPolicy};
use sandbox::faults::{Fault, FaultServer};

type CallFuture = Pin<Box<dyn Future<Output = Result<(), String>> + Send>>;
type Call = fn(String) -> CallFuture;

/// One client under test: an idempotent read and a non-idempotent write,
/// each with the body a healthy server would answer.
struct Subject {
    name: &'static str,
    read: Call,
    read_ok: &'static str,
    write: Call,
    write_ok: &'static str,
}

const TIMEOUT: Duration = Duration::from_millis(400);
const BODY_LIMIT: u64 = 4 * 1024 * 1024;

/// Fast retries so the matrix runs in seconds: 2 retries, 10-40 ms apart.
fn retry() -> RetryPolicy {
    RetryPolicy::default().with_max_retries(2).with_delays(Duration::from_millis(10), Duration::from_millis(40))
}

fn config(url: &str, header: &str) -> ClientConfig {
    ClientConfig::new(url, header)
        .unwrap()
        .with_token("fault-matrix-token")
        .with_timeout(TIMEOUT)
        .with_max_body_bytes(BODY_LIMIT)
        .with_retry(retry())
}

fn consul(url: &str) -> consul_client::ConsulClient {
    consul_client::ConsulClient::new(config(url, "X-Consul-Token")).unwrap()
}

fn nomad(url: &str) -> nomad_client::NomadClient {
    nomad_client::NomadClient::new(config(url, "X-Nomad-Token")).unwrap()
}

fn vault(url: &str) -> vault_client::VaultClient {
    vault_client::VaultClient::new(config(url, "X-Vault-Token")).unwrap()
}

fn patroni(url: &str) -> patroni_client::PatroniClient {
    patroni_client::PatroniClient::builder()
        .address(url)
        .configure(|c| c.with_timeout(TIMEOUT).with_max_body_bytes(BODY_LIMIT).with_retry(retry()))
        .build()
        .unwrap()
}

fn subjects() -> Vec<Subject> {
    vec![
        Subject {
            name: "consul",
            read: |url| {
                Box::pin(async move { consul(&url).status().leader().await.map(drop).map_err(|e| e.to_string()) })
            },
            read_ok: r#""127.0.0.1:8300""#,
            write: |url| {
                Box::pin(async move {
                    let req = consul_client::SessionRequest::default();
                    consul(&url)
                        .sessions()
                        .create(&req, &consul_client::WriteOptions::default())
                        .await
                        .map(drop)
                        .map_err(|e| e.to_string())
                })
            },
            write_ok: r#"{"ID":"adf4238a-882b-9ddc-4a9d-5b6758e4159e"}"#,
        },
        Subject {
            name: "nomad",
            read: |url| {
                Box::pin(async move {
                    nomad(&url)
                        .jobs()
                        .list(&nomad_client::QueryOptions::default())
                        .await
                        .map(drop)
                        .map_err(|e| e.to_string())
                })
            },
            read_ok: "[]",
            write: |url| {
                Box::pin(async move {
                    let job = serde_json::json!({"ID": "web", "Name": "web", "Type": "service"});
                    nomad(&url)
                        .jobs()
                        .register_json(&job, &nomad_client::RegisterOptions::default())
                        .await
                        .map(drop)
                        .map_err(|e| e.to_string())
                })
            },
            write_ok: r#"{"EvalID":"e1","EvalCreateIndex":10,"JobModifyIndex":10,"Warnings":"","Index":10,"LastContact":0,"KnownLeader":false}"#,
        },
        Subject {
            name: "vault",
            read: |url| {
                Box::pin(async move {
                    vault(&url).read::<serde_json::Value>("secret/app").await.map(drop).map_err(|e| e.to_string())
                })
            },
            read_ok: r#"{"request_id":"r","lease_id":"","renewable":false,"lease_duration":0,"data":{"a":"b"},"wrap_info":null,"warnings":null,"auth":null}"#,
            write: |url| {
                Box::pin(async move {
                    vault(&url)
                        .write("secret/app", &serde_json::json!({"a": "b"}))
                        .await
                        .map(drop)
                        .map_err(|e| e.to_string())
                })
            },
            write_ok: r#"{"request_id":"r","lease_id":"","renewable":false,"lease_duration":0,"data":null,"wrap_info":null,"warnings":null,"auth":null}"#,
        },
        Subject {
            name: "patroni",
            read: |url| Box::pin(async move { patroni(&url).status().await.map(drop).map_err(|e| e.to_string()) }),
            read_ok: include_str!("../fixtures/patroni-status-3.0.2.json"),
            write: |url| {
                Box::pin(async move {
                    let req = patroni_client::Switchover::from_leader("dbHA1").to("dbHA2");
                    patroni(&url).switchover(&req).await.map(drop).map_err(|e| e.to_string())
                })
            },
            write_ok: "Successfully switched over to \"dbHA2\"",
        },
    ]
}

#[derive(Clone, Copy)]
enum Op {
    Read,
    Write,
}

/// What a cell must show.
#[derive(Clone, Copy)]
enum Expect {
    /// Retried and succeeded after exactly this many requests.
    Recovered(usize),
    /// A typed error whose text contains this, after at most this many requests.
    Fails(&'static str, usize),
}

struct Scenario {
    name: &'static str,
    op: Op,
    script: fn(ok: &'static str) -> Vec<Fault>,
    expect: Expect,
}

fn scenarios() -> Vec<Scenario> {
    use Expect::{Fails, Recovered};
    use Op::{Read, Write};
    vec![
        Scenario {
            name: "reset before response",
            op: Read,
            script: |ok| vec![Fault::ResetBeforeResponse, ok_fault(ok)],
            expect: Recovered(2),
        },
        Scenario {
            name: "reset before response",
            op: Write,
            script: |ok| vec![Fault::ResetBeforeResponse, ok_fault(ok)],
            expect: Fails("", 1),
        },
        Scenario {
            name: "reset mid-body then OK",
            op: Read,
            script: |ok| vec![Fault::ResetMidBody { announced: 4000, sent: 10 }, ok_fault(ok)],
            expect: Recovered(2),
        },
        Scenario {
            name: "reset mid-body",
            op: Write,
            script: |ok| vec![Fault::ResetMidBody { announced: 4000, sent: 10 }, ok_fault(ok)],
            expect: Fails("cut off", 1),
        },
        Scenario {
            name: "HTTP 500 with a body",
            op: Read,
            script: |_| vec![Fault::with_headers(500, &[], "internal kaboom")],
            expect: Fails("kaboom", 3),
        },
        Scenario {
            name: "HTTP 502 then OK",
            op: Read,
            script: |ok| vec![Fault::with_headers(502, &[], "bad gateway"), ok_fault(ok)],
            expect: Recovered(2),
        },
        Scenario {
            name: "HTTP 503 then OK",
            op: Read,
            script: |ok| vec![Fault::with_headers(503, &[], "unavailable"), ok_fault(ok)],
            expect: Recovered(2),
        },
        Scenario {
            name: "HTTP 504 then OK",
            op: Read,
            script: |ok| vec![Fault::with_headers(504, &[], "timeout"), ok_fault(ok)],
            expect: Recovered(2),
        },
        Scenario {
            name: "HTTP 503 on a write",
            op: Write,
            script: |ok| vec![Fault::with_headers(503, &[], "unavailable"), ok_fault(ok)],
            expect: Fails("503", 1),
        },
        Scenario {
            name: "429 + Retry-After then OK",
            op: Read,
            script: |ok| vec![Fault::with_headers(429, &[("Retry-After", "0")], "slow down"), ok_fault(ok)],
            expect: Recovered(2),
        },
        Scenario {
            name: "503 + Retry-After then OK",
            op: Read,
            script: |ok| vec![Fault::with_headers(503, &[("Retry-After", "0")], "busy"), ok_fault(ok)],
            expect: Recovered(2),
        },
        Scenario {
            name: "server never answers",
            op: Read,
            script: |_| vec![Fault::Hang],
            expect: Fails("no answer within", 3),
        },
        Scenario {
            name: "slow trickle body",
            op: Read,
            script: |_| vec![Fault::Trickle { body: vec![b' '; 400], interval: Duration::from_millis(20) }],
            expect: Fails("", 3),
        },
        Scenario {
            name: "truncated JSON",
            op: Read,
            script: |_| vec![Fault::json(200, r#"{"data": {"a": "#)],
            expect: Fails("decode", 1),
        },
        Scenario {
            name: "200 with a non-JSON body",
            op: Read,
            script: |_| vec![Fault::with_headers(200, &[("Content-Type", "text/html")], "<html>proxy login</html>")],
            expect: Fails("decode", 1),
        },
        Scenario {
            name: "oversized body (300 MiB)",
            op: Read,
            script: |_| vec![Fault::Oversized { bytes: 300 * 1024 * 1024 }],
            expect: Fails("limit", 1),
        },
    ]
}

fn ok_fault(body: &'static str) -> Fault {
    Fault::json(200, body)
}

struct Row {
    client: &'static str,
    scenario: String,
    outcome: String,
    requests: usize,
    pass: bool,
}

#[tokio::test]
async fn every_client_meets_every_fault_with_the_documented_outcome() {
    let mut rows = Vec::new();
    for subject in subjects() {
        for scenario in scenarios() {
            let (call, ok) = match scenario.op {
                Op::Read => (subject.read, subject.read_ok),
                Op::Write => (subject.write, subject.write_ok),
            };
            let server = FaultServer::start((scenario.script)(ok)).await;
            let started = Instant::now();
            let result = tokio::time::timeout(Duration::from_secs(20), call(server.url())).await;
            let elapsed = started.elapsed();
            let requests = server.seen().len();
            let (outcome, pass) = match (result, scenario.expect) {
                (Err(_), _) => ("HUNG past 20 s".to_owned(), false),
                (Ok(Ok(())), Expect::Recovered(n)) => (format!("retried, succeeded ({elapsed:.1?})"), requests == n),
                (Ok(Err(e)), Expect::Fails(needle, max)) => {
                    let text = e.to_lowercase();
                    let pass =
                        text.contains(&needle.to_lowercase()) && requests <= max && !e.contains("fault-matrix-token");
                    (format!("error: {}", one_line(&e)), pass)
                }
                (Ok(Ok(())), Expect::Fails(..)) => ("unexpected success".to_owned(), false),
                (Ok(Err(e)), Expect::Recovered(_)) => (format!("unexpected error: {}", one_line(&e)), false),
            };
            let op = match scenario.op {
                Op::Read => "read",
                Op::Write => "write",
            };
            rows.push(Row {
                client: subject.name,
                scenario: format!("{} ({op})", scenario.name),
                outcome,
                requests,
                pass,
            });
        }
        rows.push(connection_refused(&subject).await);
        rows.push(foreign_redirect(&subject).await);
    }
    print_table(&rows);
    let failed: Vec<&Row> = rows.iter().filter(|r| !r.pass).collect();
    assert!(
        failed.is_empty(),
        "{} cells failed: {:?}",
        failed.len(),
        failed
            .iter()
            .map(|r| format!("{} / {}: {} ({} requests)", r.client, r.scenario, r.outcome, r.requests))
            .collect::<Vec<_>>()
    );
}

async fn connection_refused(subject: &Subject) -> Row {
    let port = sandbox::ports::free_port();
    let result = (subject.read)(format!("http://127.0.0.1:{port}")).await;
    let (outcome, pass) = match result {
        Ok(()) => ("unexpected success".to_owned(), false),
        Err(e) => (format!("error: {}", one_line(&e)), e.contains(&port.to_string())),
    };
    Row { client: subject.name, scenario: "connection refused (read)".into(), outcome, requests: 0, pass }
}

async fn foreign_redirect(subject: &Subject) -> Row {
    let foreign = FaultServer::start_on("127.0.0.2", vec![Fault::json(200, subject.read_ok)]).await;
    let location = format!("http://127.0.0.2:{}/stolen", foreign.port());
    let server = FaultServer::start(vec![Fault::with_headers(307, &[("Location", &location)], "")]).await;
    let result = (subject.read)(server.url()).await;
    let contacted = foreign.seen().len();
    let (outcome, pass) = match result {
        Ok(()) => ("followed the redirect".to_owned(), false),
        Err(e) => (format!("error: {}", one_line(&e)), contacted == 0 && !e.contains("fault-matrix-token")),
    };
    Row {
        client: subject.name,
        scenario: "redirect to another host (read)".into(),
        outcome,
        requests: server.seen().len(),
        pass,
    }
}

fn one_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or_default();
    if line.len() > 110 {
        format!("{}...", &line[..line.char_indices().nth(107).map_or(line.len(), |(i, _)| i)])
    } else {
        line.to_owned()
    }
}

fn print_table(rows: &[Row]) {
    println!("| client | fault | outcome | requests seen | ok |");
    println!("| --- | --- | --- | --- | --- |");
    for r in rows {
        println!(
            "| {} | {} | {} | {} | {} |",
            r.client,
            r.scenario,
            r.outcome.replace('|', "/"),
            r.requests,
            if r.pass { "yes" } else { "NO" }
        );
    }
}
