//! NomadRunner end to end: nomad-client's exec against a loopback WebSocket server that speaks
//! Nomad's exec frames (as recorded from Nomad 1.1.2) and runs the command locally.

use std::sync::{Arc, Mutex};

use base64::Engine as _;
use futures::{SinkExt, StreamExt};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use walg::{BackupListOptions, Error, NomadRunner, WalG};

use crate::standin::{AWS_SECRET, PG_PASSWORD, StandIn};

const ALLOC: &str = "9a466719-8a23-2ba5-801d-d22ddd1c48ac";
const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// Request URIs the fake Nomad received.
type Seen = Arc<Mutex<Vec<String>>>;

/// Serves exec sessions on loopback: task `patroni` runs the command here (PATH gets `extra_path`
/// first); any other task is refused like Nomad does (close 1011).
async fn fake_nomad(extra_path: String) -> (String, Seen) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = format!("http://{}", listener.local_addr().unwrap());
    let seen: Seen = Arc::default();
    let seen2 = seen.clone();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let seen = seen2.clone();
            let path = extra_path.clone();
            tokio::spawn(async move { session(tcp, seen, path).await });
        }
    });
    (addr, seen)
}

// The handshake callback's error type is tungstenite's, not ours to shrink.
#[allow(clippy::result_large_err)]
async fn session(tcp: tokio::net::TcpStream, seen: Seen, extra_path: String) {
    let uri = Arc::new(Mutex::new(String::new()));
    let uri2 = uri.clone();
    let mut ws = tokio_tungstenite::accept_hdr_async(tcp, move |req: &Request, resp: Response| {
        *uri2.lock().unwrap() = req.uri().to_string();
        Ok(resp)
    })
    .await
    .unwrap();
    let uri = uri.lock().unwrap().clone();
    seen.lock().unwrap().push(uri.clone());
    let query: std::collections::HashMap<String, String> =
        url::Url::parse(&format!("http://x{uri}")).unwrap().query_pairs().into_owned().collect();
    if query["task"] != "patroni" {
        let frame = CloseFrame { code: CloseCode::Error, reason: "task \"nope\" not found".into() };
        ws.send(Message::Close(Some(frame))).await.unwrap();
        return;
    }
    let command: Vec<String> = serde_json::from_str(&query["command"]).unwrap();
    let mut stdin = Vec::new();
    while let Some(Ok(Message::Text(text))) = ws.next().await {
        let frame: serde_json::Value = serde_json::from_str(&text).unwrap();
        if let Some(data) = frame["stdin"]["data"].as_str() {
            stdin.extend(B64.decode(data).unwrap());
        }
        if frame["stdin"]["close"] == true {
            break;
        }
    }
    let path = format!("{extra_path}:{}", std::env::var("PATH").unwrap_or_default());
    let mut child = tokio::process::Command::new(&command[0])
        .args(&command[1..])
        .env_clear()
        .env("PATH", path)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&stdin).await.unwrap();
    let out = child.wait_with_output().await.unwrap();
    let text = |v: serde_json::Value| Message::Text(v.to_string().into());
    for (name, data) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        if !data.is_empty() {
            ws.send(text(serde_json::json!({ name: { "data": B64.encode(data) } }))).await.unwrap();
        }
    }
    for name in ["stdout", "stderr"] {
        ws.send(text(serde_json::json!({ name: { "close": true } }))).await.unwrap();
    }
    let code = out.status.code().unwrap_or(-1);
    let result = if code == 0 { serde_json::json!({}) } else { serde_json::json!({ "exit_code": code }) };
    ws.send(text(serde_json::json!({ "exited": true, "result": result }))).await.unwrap();
    ws.send(Message::Close(Some(CloseFrame { code: CloseCode::Normal, reason: "".into() }))).await.unwrap();
}

fn runner(addr: &str, standin: &StandIn, task: &str) -> NomadRunner {
    let nomad = nomad_client::NomadClient::builder().address(addr).build().unwrap();
    NomadRunner::new(nomad, ALLOC, task).program(standin.program().display().to_string())
}

#[tokio::test]
async fn runs_wal_g_in_the_allocation_with_secrets_on_stdin() {
    let s = StandIn::new();
    let (addr, seen) = fake_nomad(String::new()).await;
    let config = StandIn::config("normal").set("WALG_QUOTING", "it's $HOME `x`\nline 2").unwrap();
    let walg = WalG::new(runner(&addr, &s, "patroni"), config);
    let backups = walg.backup_list(&BackupListOptions::default()).await.unwrap();
    assert_eq!(backups.len(), 2);
    assert_eq!(s.args(), ["backup-list", "--json"]);
    let env = s.env();
    assert!(env.contains(&format!("AWS_SECRET_ACCESS_KEY={AWS_SECRET}\n")), "{env}");
    assert!(env.contains(&format!("PGPASSWORD={PG_PASSWORD}\n")), "{env}");
    assert!(env.contains("WALG_QUOTING=it's $HOME `x`\nline 2\n"), "values arrive verbatim: {env}");
    // The exec request (URL, which Nomad may log) holds the command but no secret.
    let uris = seen.lock().unwrap().clone();
    assert_eq!(uris.len(), 1);
    let decoded = url::form_urlencoded::parse(uris[0].as_bytes()).map(|(k, v)| format!("{k}={v}")).collect::<String>();
    assert!(uris[0].starts_with(&format!("/v1/client/allocation/{ALLOC}/exec?task=patroni&command=")), "{}", uris[0]);
    assert!(
        decoded.contains("backup-list") && !decoded.contains(AWS_SECRET) && !decoded.contains(PG_PASSWORD),
        "{decoded}"
    );
}

#[tokio::test]
async fn exit_codes_map_to_errors() {
    let s = StandIn::new();
    let (addr, _) = fake_nomad(String::new()).await;
    let walg = WalG::new(runner(&addr, &s, "patroni"), StandIn::config("normal"));
    let e = walg.run(&["wal-fetch".into(), "00000003.history".into(), "/tmp/x".into()]).await.unwrap_err();
    assert!(matches!(e, Error::NotFound { .. }), "{e:?}");
    let leak = WalG::new(runner(&addr, &s, "patroni"), StandIn::config("leak"));
    let e = leak.backup_list(&BackupListOptions::default()).await.unwrap_err();
    let text = e.to_string();
    assert!(text.contains("(exit status 1): ERROR:") && text.contains("AccessDenied for key <redacted>"), "{text}");
    assert!(!text.contains(AWS_SECRET));
}

#[tokio::test]
async fn refused_exec_is_a_nomad_error() {
    let s = StandIn::new();
    let (addr, _) = fake_nomad(String::new()).await;
    let walg = WalG::new(runner(&addr, &s, "nope"), StandIn::config("normal"));
    let e = walg.backup_list(&BackupListOptions::default()).await.unwrap_err();
    assert!(matches!(e, Error::Nomad(_)), "{e:?}");
    assert!(
        e.to_string().contains("task \\\"nope\\\" not found") || e.to_string().contains("task \"nope\" not found"),
        "{e}"
    );
}

#[tokio::test]
async fn through_envdir() {
    let s = StandIn::new();
    // A minimal envdir(8): one variable per file, then exec.
    let bin = tempfile::tempdir().unwrap();
    let envdir = bin.path().join("envdir");
    crate::standin::write_executable(
        &envdir,
        "#!/bin/sh\nd=$1; shift\nfor f in \"$d\"/*; do export \"$(basename \"$f\")=$(cat \"$f\")\"; done\nexec \"$@\"\n",
    );
    let vars = tempfile::tempdir().unwrap();
    std::fs::write(vars.path().join("WALG_FROM_ENVDIR"), "yes").unwrap();
    let (addr, seen) = fake_nomad(bin.path().display().to_string()).await;
    let runner = runner(&addr, &s, "patroni").envdir(vars.path().display().to_string());
    let (command, stdin) = runner.remote_command(&["wal-show".into()], &[]).unwrap();
    assert_eq!(command[..2], ["envdir".to_owned(), vars.path().display().to_string()]);
    assert_eq!(stdin, None);
    let walg = WalG::new(runner, StandIn::config("normal"));
    assert_eq!(walg.wal_show().await.unwrap().len(), 2);
    assert!(s.env().contains("WALG_FROM_ENVDIR=yes\n"));
    assert!(s.env().contains("WALG_S3_PREFIX=s3://backups/dbHA\n"));
    assert!(url::form_urlencoded::parse(seen.lock().unwrap()[0].as_bytes()).any(|(_, v)| v.contains("\"envdir\"")));
}

#[test]
fn environment_names_cannot_inject_shell_code() {
    let s = StandIn::new();
    let runner = runner("http://127.0.0.1:1", &s, "patroni");
    for (name, value) in [("X;rm -rf /", "1"), ("1X", "1"), ("", "1"), ("X", "a\0b")] {
        let env = [(name.to_owned(), walg::EnvValue::Plain(value.to_owned()))];
        let e = runner.remote_command(&[], &env).unwrap_err();
        assert!(e.to_string().starts_with("invalid environment variable"), "{name:?}: {e}");
    }
}
