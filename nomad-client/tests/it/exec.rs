//! Exec against a local WebSocket server replaying the transcripts recorded from Nomad 1.1.2.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use client_core::{ClientConfig, RetryPolicy};
use futures::{SinkExt, StreamExt};
use nomad_client::{ClientError, Error, ExecEvent, ExecOptions, ExecSession, NomadClient, TOKEN_HEADER};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};
use tokio_tungstenite::tungstenite::protocol::CloseFrame;

use crate::common::*;

/// The allocation of the recorded exec sessions.
const EXEC_ALLOC: &str = "9a466719-8a23-2ba5-801d-d22ddd1c48ac";

/// What the server saw of the upgrade request.
#[derive(Debug, Default, Clone)]
struct Handshake {
    path: String,
    query: Vec<(String, String)>,
    token: Option<String>,
}

/// Serves one WebSocket connection: frames the transcript marks `recv` are sent,
/// frames it marks `sent` are read and compared with what the client sends.
async fn replay(transcript: &str) -> (String, Arc<Mutex<Handshake>>, tokio::task::JoinHandle<()>) {
    let lines: Vec<serde_json::Value> = String::from_utf8(fixture(transcript))
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    replay_lines(transcript, lines).await
}

/// Like [`replay`] with the frames given in code.
async fn replay_lines(
    transcript: &str,
    lines: Vec<serde_json::Value>,
) -> (String, Arc<Mutex<Handshake>>, tokio::task::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Handshake::default()));
    let record = Arc::clone(&seen);
    let transcript = transcript.to_owned();
    let task = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        #[allow(clippy::result_large_err)] // the signature is tungstenite's
        let callback = |req: &Request, resp: Response| {
            let url = url::Url::parse(&format!("http://x{}", req.uri())).unwrap();
            *record.lock().unwrap() = Handshake {
                path: url.path().to_owned(),
                query: url.query_pairs().into_owned().collect(),
                token: req.headers().get(TOKEN_HEADER).map(|v| v.to_str().unwrap().to_owned()),
            };
            Ok(resp)
        };
        let mut ws = tokio_tungstenite::accept_hdr_async(tcp, callback).await.unwrap();
        for line in lines {
            match (line["dir"].as_str().unwrap(), line["type"].as_str().unwrap()) {
                ("recv", "text") => ws.send(Message::text(line["payload"].as_str().unwrap())).await.unwrap(),
                ("recv", "close") => {
                    let code = u16::try_from(line["code"].as_u64().unwrap()).unwrap();
                    let frame = CloseFrame { code: code.into(), reason: line["reason"].as_str().unwrap().into() };
                    // The client may already be gone (it has its exit code), so the
                    // close handshake is not awaited.
                    let _ = ws.close(Some(frame)).await;
                    return;
                }
                ("sent", "text") => {
                    let got = ws.next().await.unwrap().unwrap();
                    let got: serde_json::Value = serde_json::from_str(got.to_text().unwrap()).unwrap();
                    let want: serde_json::Value = serde_json::from_str(line["payload"].as_str().unwrap()).unwrap();
                    assert_eq!(got, want, "frame {} of {transcript}", line["seq"]);
                }
                _ => {}
            }
        }
    });
    (addr, seen, task)
}

/// Replays `transcript` and opens an exec session of `cmd` in task postgres-patroni on it.
async fn session_on(transcript: &str, cmd: &[&str], opts: &ExecOptions) -> (ExecSession, tokio::task::JoinHandle<()>) {
    let (addr, _, server) = replay(transcript).await;
    let allocs = client(&addr).allocations();
    let session = bounded(allocs.exec(EXEC_ALLOC, "postgres-patroni", &command(cmd), opts)).await.unwrap();
    (session, server)
}

fn client(addr: &str) -> NomadClient {
    let cfg = ClientConfig::new(addr, TOKEN_HEADER).unwrap().with_token(TOKEN).with_retry(RetryPolicy::disabled());
    NomadClient::new(cfg).unwrap().with_namespace(NS).unwrap()
}

fn command(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| (*s).to_owned()).collect()
}

/// Bounds a test that would otherwise hang on a protocol mistake.
async fn bounded<T>(fut: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(20), fut).await.expect("the exec session hung")
}

#[tokio::test]
async fn exec_output_collects_stdout_stderr_and_exit_code() {
    let (addr, seen, server) = replay("exec-websocket.jsonl").await;
    let cmd = command(&["/bin/sh", "-c", "echo hi; echo err >&2; exit 3"]);
    let out =
        bounded(client(&addr).allocations().exec_output(EXEC_ALLOC, "postgres-patroni", &cmd, &ExecOptions::default()))
            .await
            .unwrap();
    assert_eq!((out.stdout.as_slice(), out.stderr.as_slice(), out.exit_code), (&b"hi\n"[..], &b"err\n"[..], 3));
    assert!(!out.success());
    bounded(server).await.unwrap();
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.path, format!("/v1/client/allocation/{EXEC_ALLOC}/exec"));
    assert_eq!(seen.token.as_deref(), Some(TOKEN));
    let mut query = seen.query;
    query.sort();
    let mut want = vec![
        ("command".to_owned(), r#"["/bin/sh","-c","echo hi; echo err >&2; exit 3"]"#.to_owned()),
        ("namespace".to_owned(), NS.to_owned()),
        ("task".to_owned(), "postgres-patroni".to_owned()),
        ("tty".to_owned(), "false".to_owned()),
    ];
    want.sort();
    assert_eq!(query, want);
}

#[tokio::test]
async fn exec_output_closes_stdin_so_the_exit_arrives() {
    // Nomad holds the exited frame back until stdin is closed.
    let (addr, _, server) = replay("exec-websocket-late-stdin-close.jsonl").await;
    let cmd = command(&["/bin/sh", "-c", "echo hi; echo err >&2; exit 3"]);
    let out =
        bounded(client(&addr).allocations().exec_output(EXEC_ALLOC, "postgres-patroni", &cmd, &ExecOptions::default()))
            .await
            .unwrap();
    assert_eq!(out.exit_code, 3);
    bounded(server).await.unwrap();
}

#[tokio::test]
async fn exec_output_sends_stdin_then_closes_it() {
    let (addr, _, server) = replay("exec-websocket-stdin.jsonl").await;
    let opts = ExecOptions { stdin: Some(b"hello from stdin\n".to_vec()), ..ExecOptions::default() };
    let out = bounded(client(&addr).allocations().exec_output(
        EXEC_ALLOC,
        "postgres-patroni",
        &command(&["/bin/cat"]),
        &opts,
    ))
    .await
    .unwrap();
    assert_eq!((out.stdout.as_slice(), out.exit_code), (&b"hello from stdin\n"[..], 0));
    bounded(server).await.unwrap();
}

#[tokio::test]
async fn unknown_task_and_bad_command_are_exec_errors_with_nomads_reason() {
    for (transcript, task, cmd, reason) in [
        ("exec-websocket-unknown-task.jsonl", "nope", "/bin/true", "task not found"),
        (
            "exec-websocket-bad-command.jsonl",
            "postgres-patroni",
            "/nonexistent/binary",
            "fork/exec /nonexistent/binary: no such file or directory",
        ),
    ] {
        let (addr, _, server) = replay(transcript).await;
        let err = bounded(client(&addr).allocations().exec_output(
            EXEC_ALLOC,
            task,
            &command(&[cmd]),
            &ExecOptions::default(),
        ))
        .await
        .unwrap_err();
        assert!(matches!(err, Error::Exec { .. }), "{err:?}");
        let text = err.to_string();
        assert!(text.contains(reason) && text.contains("1011") && text.contains(EXEC_ALLOC), "{text}");
        assert!(text.starts_with(&format!("exec of {cmd:?} in task {task:?}")), "{text}");
        bounded(server).await.unwrap();
    }
}

#[tokio::test]
async fn interactive_tty_session_sends_size_and_streams_events() {
    let (addr, seen, server) = replay("exec-websocket-tty.jsonl").await;
    let opts = ExecOptions { tty: true, tty_size: Some((24, 80)), ..ExecOptions::default() };
    let cmd = command(&["/bin/sh", "-c", "tty; stty size; exit 0"]);
    let session = bounded(client(&addr).allocations().exec(EXEC_ALLOC, "postgres-patroni", &cmd, &opts)).await.unwrap();
    let (_writer, reader) = session.split();
    let events: Vec<ExecEvent> = bounded(reader.map(Result::unwrap).collect()).await;
    assert_eq!(
        events,
        [
            ExecEvent::Stdout("/dev/pts/0\r\n".into()),
            ExecEvent::Stdout("24 80\r\n".into()),
            ExecEvent::StdoutClosed,
            ExecEvent::Exited(0),
        ]
    );
    bounded(server).await.unwrap();
    assert!(seen.lock().unwrap().query.contains(&("tty".to_owned(), "true".to_owned())));
}

#[tokio::test]
async fn interactive_session_writes_stdin_while_reading() {
    let (session, server) = session_on("exec-websocket-stdin.jsonl", &["/bin/cat"], &ExecOptions::default()).await;
    let (mut writer, mut reader) = session.split();
    writer.send_stdin(b"hello from stdin\n").await.unwrap();
    writer.close_stdin().await.unwrap();
    let first = bounded(reader.next()).await.unwrap().unwrap();
    assert_eq!(first, ExecEvent::Stdout("hello from stdin\n".into()));
    let rest: Vec<_> = bounded(reader.collect::<Vec<_>>()).await;
    assert_eq!(rest.last().unwrap().as_ref().unwrap(), &ExecEvent::Exited(0));
    bounded(server).await.unwrap();
}

#[tokio::test]
async fn refused_upgrade_is_an_api_error() {
    let (server, nomad) = server().await;
    wiremock::Mock::given(wiremock::matchers::method("GET"))
        .respond_with(text(403, "acl-403-jobs-no-token.txt"))
        .mount(&server)
        .await;
    let err = nomad
        .allocations()
        .exec_output(ALLOC, "postgres-patroni", &command(&["/bin/true"]), &ExecOptions::default())
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("GET /v1/client/allocation/{ALLOC}/exec failed with HTTP 403: Permission denied")
    );
}

#[tokio::test]
async fn empty_command_is_refused() {
    let nomad = client("http://127.0.0.1:9");
    let err = nomad.allocations().exec_output(EXEC_ALLOC, "t", &[], &ExecOptions::default()).await.unwrap_err();
    assert!(err.to_string().contains("must name a program"), "{err}");
}

#[tokio::test]
async fn resize_during_a_tty_session_sends_tty_size() {
    // The recorded tty session, with a resize sent by the client after the first output.
    let mut lines: Vec<serde_json::Value> = String::from_utf8(fixture("exec-websocket-tty.jsonl"))
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let resize = serde_json::json!({"dir": "sent", "type": "text", "payload": r#"{"tty_size":{"height":50,"width":132}}"#, "seq": "resize"});
    lines.insert(2, resize);
    let (addr, _, server) = replay_lines("tty with resize", lines).await;
    let opts = ExecOptions { tty: true, tty_size: Some((24, 80)), ..ExecOptions::default() };
    let cmd = command(&["/bin/sh", "-c", "tty; stty size; exit 0"]);
    let mut session =
        bounded(client(&addr).allocations().exec(EXEC_ALLOC, "postgres-patroni", &cmd, &opts)).await.unwrap();
    assert_eq!(bounded(session.next_event()).await.unwrap().unwrap(), ExecEvent::Stdout("/dev/pts/0\r\n".into()));
    session.resize(50, 132).await.unwrap();
    let out = bounded(session.wait(1024)).await.unwrap();
    assert_eq!((out.stdout.as_slice(), out.exit_code), (&b"24 80\r\n"[..], 0));
    bounded(server).await.unwrap();
}

#[tokio::test]
async fn exec_errors_name_the_program_but_never_its_arguments() {
    let (addr, _, _server) = replay("exec-websocket-unknown-task.jsonl").await;
    let cmd = command(&["psql", "-c", "ALTER USER app PASSWORD 'hunter2'"]);
    let err = bounded(client(&addr).allocations().exec_output(EXEC_ALLOC, "nope", &cmd, &ExecOptions::default()))
        .await
        .unwrap_err();
    let text = format!("{err} {err:?}");
    assert!(text.contains("\"psql\"") && !text.contains("hunter2"), "{text}");
}

#[tokio::test]
async fn attached_session_forwards_piped_stdin_and_returns_the_exit_code() {
    // What `exec ... -- cat < file` does: the bytes of the pipe reach the command, stdin is
    // closed at EOF (so Nomad sends the exit), and the output lands on the local streams.
    let (session, server) = session_on("exec-websocket-stdin.jsonl", &["/bin/cat"], &ExecOptions::default()).await;
    let (mut pipe, stdin) = tokio::io::duplex(64);
    tokio::io::AsyncWriteExt::write_all(&mut pipe, b"hello from stdin\n").await.unwrap();
    drop(pipe); // EOF, as at the end of `< file.sql`
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    let code = bounded(session.attach(stdin, &mut stdout, &mut stderr)).await.unwrap();
    assert_eq!((code, stdout.as_slice(), stderr.as_slice()), (0, &b"hello from stdin\n"[..], &b""[..]));
    bounded(server).await.unwrap(); // the server saw exactly the recorded stdin frames
}

#[tokio::test]
async fn attached_session_returns_a_failing_exit_code_and_both_streams() {
    let cmd = ["/bin/sh", "-c", "echo hi; echo err >&2; exit 3"];
    let (session, server) = session_on("exec-websocket.jsonl", &cmd, &ExecOptions::default()).await;
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    let code = bounded(session.attach(tokio::io::empty(), &mut stdout, &mut stderr)).await.unwrap();
    assert_eq!((code, stdout.as_slice(), stderr.as_slice()), (3, &b"hi\n"[..], &b"err\n"[..]));
    bounded(server).await.unwrap();
}

#[tokio::test]
async fn attached_session_stops_reading_a_terminal_once_the_command_exited() {
    // A terminal's stdin never ends by itself; the exit code must not wait for it.
    let opts = ExecOptions { tty: true, tty_size: Some((24, 80)), ..ExecOptions::default() };
    let (session, server) =
        session_on("exec-websocket-tty.jsonl", &["/bin/sh", "-c", "tty; stty size; exit 0"], &opts).await;
    let (_keyboard, terminal) = tokio::io::duplex(64);
    let mut stdout = Vec::new();
    let code = bounded(session.attach(terminal, &mut stdout, tokio::io::sink())).await.unwrap();
    assert_eq!((code, stdout.as_slice()), (0, &b"/dev/pts/0\r\n24 80\r\n"[..]));
    bounded(server).await.unwrap();
}

#[tokio::test]
async fn a_raw_terminal_session_forwards_ctrl_c_and_window_changes() {
    // The exec example with --tty on a terminal: the size at the start, a window change
    // (SIGWINCH), then Ctrl-C as the byte 0x03, which the remote terminal turns into the
    // command's SIGINT (exit 130) instead of stopping the local program.
    let frame = |dir: &str, payload: serde_json::Value| serde_json::json!({"dir": dir, "type": "text", "payload": payload.to_string(), "seq": "raw"});
    let lines = vec![
        frame("sent", serde_json::json!({"tty_size": {"height": 24, "width": 80}})),
        frame("sent", serde_json::json!({"tty_size": {"height": 50, "width": 132}})),
        frame("sent", serde_json::json!({"stdin": {"data": "Aw=="}})),
        frame("recv", serde_json::json!({"stdout": {"data": "XkMNCg=="}})),
        frame("recv", serde_json::json!({"exited": true, "result": {"exit_code": 130}})),
        serde_json::json!({"dir": "recv", "type": "close", "code": 1000, "reason": ""}),
    ];
    let (addr, _, server) = replay_lines("raw tty", lines).await;
    let opts = ExecOptions { tty: true, tty_size: Some((24, 80)), ..ExecOptions::default() };
    let session =
        bounded(client(&addr).allocations().exec(EXEC_ALLOC, "postgres-patroni", &command(&["/bin/sh"]), &opts))
            .await
            .unwrap();
    let (mut keyboard, terminal) = tokio::io::duplex(64);
    let typing = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        tokio::io::AsyncWriteExt::write_all(&mut keyboard, b"\x03").await.unwrap();
        keyboard // the terminal stays open after the key
    });
    let resizes = futures::stream::iter([(50, 132)]).chain(futures::stream::pending());
    let mut stdout = Vec::new();
    let attached =
        crate::examples::support::tty::attach_raw(session, terminal, &mut stdout, tokio::io::sink(), resizes);
    let code = bounded(attached).await.unwrap();
    assert_eq!((code, stdout.as_slice()), (130, &b"^C\r\n"[..]));
    bounded(server).await.unwrap();
    drop(typing);
}

#[tokio::test]
async fn exec_on_an_unknown_allocation_is_not_found() {
    // Row 186: the upgrade succeeds, then Nomad closes with 1008 `Unknown allocation "<id>"`.
    let (addr, _, server) = replay("exec-websocket-unknown-alloc.jsonl").await;
    let unknown = "00000000-0000-0000-0000-000000000000";
    let allocs = client(&addr).allocations();
    let err = bounded(allocs.exec_output(unknown, "chatty", &command(&["/bin/true"]), &ExecOptions::default()))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotFound { kind: "allocation", .. }) && err.is_not_found(), "{err:?}");
    assert_eq!(err.to_string(), format!("allocation \"{unknown}\" was not found in namespace \"{NS}\""));
    bounded(server).await.unwrap();
}
