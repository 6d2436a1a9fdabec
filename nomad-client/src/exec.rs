//! `/v1/client/allocation/:id/exec` over WebSocket: interactive sessions and
//! a run-to-completion helper.
//!
//! Nomad's frames are JSON text messages. Client to server:
//! `{"stdin":{"data":b64}}`, `{"stdin":{"close":true}}`, `{"tty_size":{"height","width"}}`.
//! Server to client: `{"stdout"|"stderr":{"data":b64}}`, `{"stdout"|"stderr":{"close":true}}`,
//! `{"exited":true,"result":{"exit_code":N}}` (`result` is `{}` for 0), then close 1000.
//! Errors arrive after a successful 101 upgrade, as a close frame with the reason:
//! 1011 for an unknown task or a command that cannot start, 1008 (policy violation)
//! with `Unknown allocation "<id>"` for an allocation the client does not know,
//! which becomes [`Error::NotFound`] for the allocation.
//! Without a tty the `exited` frame only comes after the client closed stdin.

use std::time::Duration;

use base64::Engine as _;
use bytes::Bytes;
use client_core::{Request, Upgraded};
use futures::stream::{SplitSink, SplitStream};
use futures::{SinkExt, Stream, StreamExt};
use serde::Deserialize;
use serde_json::json;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::Role;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{self, Message};

use crate::allocations::{Allocations, alloc_path};
use crate::error::{Error, Result};
use crate::options::WriteOptions;
use crate::validate;

/// The WebSocket over the upgraded HTTP connection.
type Socket = WebSocketStream<Upgraded>;

/// Largest stdin chunk sent in one frame.
const STDIN_CHUNK: usize = 32 * 1024;

/// Options of [`Allocations::exec`] and [`Allocations::exec_output`].
#[derive(Debug, Clone)]
pub struct ExecOptions {
    /// Namespace, region, token.
    pub write: WriteOptions,
    /// Allocate a pseudo-terminal (stdout and stderr then arrive merged on stdout).
    pub tty: bool,
    /// Initial terminal size `(height, width)` when `tty` is set.
    pub tty_size: Option<(u16, u16)>,
    /// Bytes written to the command's stdin by [`Allocations::exec_output`] before closing it.
    pub stdin: Option<Vec<u8>>,
    /// [`Allocations::exec_output`] gives up after this long (default 10 minutes).
    pub timeout: Duration,
    /// [`Allocations::exec_output`] refuses to hold more output than this (stdout + stderr, default 64 MiB).
    pub max_output_bytes: usize,
}

impl Default for ExecOptions {
    fn default() -> Self {
        Self {
            write: WriteOptions::default(),
            tty: false,
            tty_size: None,
            stdin: None,
            timeout: Duration::from_secs(600),
            max_output_bytes: 64 * 1024 * 1024,
        }
    }
}

/// What a command printed and how it ended.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExecOutput {
    /// Everything written to stdout.
    pub stdout: Vec<u8>,
    /// Everything written to stderr.
    pub stderr: Vec<u8>,
    /// The exit code.
    pub exit_code: i32,
}

impl ExecOutput {
    /// True for exit code 0.
    #[must_use]
    pub fn success(&self) -> bool {
        self.exit_code == 0
    }
}

/// One event of an exec session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExecEvent {
    /// Bytes the command wrote to stdout.
    Stdout(Bytes),
    /// Bytes the command wrote to stderr.
    Stderr(Bytes),
    /// The command closed stdout.
    StdoutClosed,
    /// The command closed stderr.
    StderrClosed,
    /// The command exited with this code; nothing follows.
    Exited(i32),
}

#[derive(Deserialize)]
struct ServerFrame {
    stdout: Option<OutputFrame>,
    stderr: Option<OutputFrame>,
    #[serde(default)]
    exited: bool,
    result: Option<ExitResult>,
}

#[derive(Deserialize)]
struct OutputFrame {
    data: Option<String>,
    #[serde(default)]
    close: bool,
}

#[derive(Deserialize)]
struct ExitResult {
    #[serde(default)]
    exit_code: i32,
}

/// What the session is about, for error messages.
#[derive(Debug, Clone)]
struct Context {
    alloc_id: String,
    namespace: String,
    task: String,
    command: String,
}

impl Context {
    fn error(&self, reason: impl Into<String>) -> Error {
        Error::Exec {
            alloc_id: self.alloc_id.clone(),
            task: self.task.clone(),
            command: self.command.clone(),
            reason: reason.into(),
        }
    }
}

/// An open exec session. Use it whole ([`ExecSession::next_event`],
/// [`ExecSession::send_stdin`], ...) or [`ExecSession::split`] it to write
/// stdin while another task reads the output.
#[derive(Debug)]
pub struct ExecSession {
    writer: ExecWriter,
    reader: ExecReader,
}

/// The stdin and terminal side of a session.
pub struct ExecWriter {
    sink: SplitSink<Socket, Message>,
    context: Context,
}

/// The output side of a session: a [`Stream`] of [`ExecEvent`]s ending after
/// [`ExecEvent::Exited`].
pub struct ExecReader {
    stream: SplitStream<Socket>,
    context: Context,
    done: bool,
}

impl std::fmt::Debug for ExecWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExecWriter").field("context", &self.context).finish_non_exhaustive()
    }
}

impl std::fmt::Debug for ExecReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExecReader").field("context", &self.context).field("done", &self.done).finish_non_exhaustive()
    }
}

impl Allocations {
    /// Opens an exec session running `command` in `task` of allocation `alloc_id`.
    pub async fn exec(
        &self,
        alloc_id: &str,
        task: &str,
        command: &[String],
        opts: &ExecOptions,
    ) -> Result<ExecSession> {
        let path = alloc_path("/v1/client/allocation", alloc_id, Some("exec"))?;
        validate::name("task", task)?;
        if command.is_empty() || command[0].is_empty() {
            return Err(client_core::Error::invalid("command", "[]", "must name a program to run").into());
        }
        let context = Context {
            alloc_id: alloc_id.to_owned(),
            namespace: self.client.effective_namespace(opts.write.namespace.as_deref()),
            task: task.to_owned(),
            command: program(command),
        };
        let command_json = serde_json::to_string(command).map_err(|e| context.error(e.to_string()))?;
        // The upgrade goes through the shared HTTP client, so the WebSocket gets the same
        // TLS (custom CA, client certificate), token handling and tracing as every call.
        let key = tungstenite::handshake::client::generate_key();
        let req = Request::get(path)
            .query("task", task)
            .query("command", command_json)
            .query("tty", opts.tty)
            .header("Connection", "Upgrade")
            .header("Upgrade", "websocket")
            .header("Sec-WebSocket-Version", "13")
            .header("Sec-WebSocket-Key", key.clone())
            .accept_status(&[101]);
        let resp = self.client.http().stream(self.client.write(req, &opts.write)?).await?;
        if resp.status().as_u16() != 101 {
            let status = resp.status().as_u16();
            return Err(context.error(format!("the server answered HTTP {status} instead of switching to WebSocket")));
        }
        let accept = resp.headers().get("Sec-WebSocket-Accept").and_then(|v| v.to_str().ok()).unwrap_or_default();
        if accept != tungstenite::handshake::derive_accept_key(key.as_bytes()) {
            return Err(context.error("the server's WebSocket handshake does not match the request"));
        }
        // A failed take-over is the core's transport error (naming the request), as retryable as any.
        let upgraded = resp.upgrade().await?;
        let socket = WebSocketStream::from_raw_socket(upgraded, Role::Client, None).await;
        let (sink, stream) = socket.split();
        let mut session = ExecSession {
            writer: ExecWriter { sink, context: context.clone() },
            reader: ExecReader { stream, context, done: false },
        };
        if opts.tty {
            if let Some((height, width)) = opts.tty_size {
                session.resize(height, width).await?;
            }
        }
        Ok(session)
    }

    /// Runs `command` in `task` of allocation `alloc_id` to completion and returns
    /// its output and exit code. Stdin gets [`ExecOptions::stdin`] and is then
    /// closed (Nomad only reports the exit once stdin is closed).
    pub async fn exec_output(
        &self,
        alloc_id: &str,
        task: &str,
        command: &[String],
        opts: &ExecOptions,
    ) -> Result<ExecOutput> {
        let run = async {
            let mut session = self.exec(alloc_id, task, command, opts).await?;
            // If the server already refused the command, writing fails; its reason
            // arrives on the read side, so write errors are not fatal here.
            let wrote = match &opts.stdin {
                Some(data) => session.send_stdin(data).await,
                None => Ok(()),
            };
            if wrote.is_ok() {
                let _ = session.close_stdin().await;
            }
            session.wait(opts.max_output_bytes).await
        };
        match tokio::time::timeout(opts.timeout, run).await {
            Ok(result) => result,
            Err(_) => Err(Error::Exec {
                alloc_id: alloc_id.to_owned(),
                task: task.to_owned(),
                command: program(command),
                reason: format!("no exit code within {}s", opts.timeout.as_secs_f64()),
            }),
        }
    }
}

/// The program of a command, without its arguments: they may hold secrets
/// (a password in a `psql -c`), and errors end up in logs.
fn program(command: &[String]) -> String {
    command.first().cloned().unwrap_or_default()
}

impl ExecSession {
    /// Writes bytes to the command's stdin.
    pub async fn send_stdin(&mut self, data: &[u8]) -> Result<()> {
        self.writer.send_stdin(data).await
    }

    /// Closes the command's stdin (needed before Nomad reports the exit of a non-tty command).
    pub async fn close_stdin(&mut self) -> Result<()> {
        self.writer.close_stdin().await
    }

    /// Tells the terminal its new size (tty sessions).
    pub async fn resize(&mut self, height: u16, width: u16) -> Result<()> {
        self.writer.resize(height, width).await
    }

    /// The next output event; `None` after [`ExecEvent::Exited`].
    pub async fn next_event(&mut self) -> Option<Result<ExecEvent>> {
        self.reader.next().await
    }

    /// Reads until the command exits, collecting at most `max_output_bytes` of output.
    pub async fn wait(mut self, max_output_bytes: usize) -> Result<ExecOutput> {
        let mut out = ExecOutput::default();
        while let Some(event) = self.reader.next().await {
            match event? {
                ExecEvent::Stdout(data) => out.stdout.extend_from_slice(&data),
                ExecEvent::Stderr(data) => out.stderr.extend_from_slice(&data),
                ExecEvent::StdoutClosed | ExecEvent::StderrClosed => {}
                ExecEvent::Exited(code) => {
                    out.exit_code = code;
                    let _ = self.writer.sink.close().await;
                    return Ok(out);
                }
            }
            if out.stdout.len() + out.stderr.len() > max_output_bytes {
                let _ = self.writer.sink.close().await;
                return Err(self
                    .reader
                    .context
                    .error(format!("the output exceeds the limit of {max_output_bytes} bytes")));
            }
        }
        Err(self.reader.context.error("the session ended without an exit code"))
    }

    /// Runs the session attached to local streams, as `nomad alloc exec` does: copies
    /// `stdin` to the command while it runs and closes the command's stdin at EOF,
    /// writes its stdout and stderr to `stdout` and `stderr` as they arrive (flushed),
    /// and returns its exit code.
    ///
    /// A pipe (`< file.sql`) is forwarded to its end; a terminal as it is typed (the
    /// terminal stays in its own mode: lines go out when Enter is pressed, Ctrl-D
    /// closes stdin). When the command exits first, reading `stdin` stops.
    /// A failed local read or write is [`Error::Io`].
    pub async fn attach<I, O, E>(self, stdin: I, stdout: O, stderr: E) -> Result<i32>
    where
        I: AsyncRead + Unpin,
        O: AsyncWrite + Unpin,
        E: AsyncWrite + Unpin,
    {
        let (mut writer, reader) = self.split();
        let output = reader.copy_to(stdout, stderr);
        tokio::pin!(output);
        tokio::select! {
            code = &mut output => return code,
            sent = writer.forward_stdin(stdin) => {
                // A send error means the server ended the session; its reason (or the
                // exit code) arrives on the read side.
                if let Err(e @ Error::Io { .. }) = sent {
                    return Err(e);
                }
            }
        }
        output.await
    }

    /// Splits the session so stdin can be written while the output is read.
    #[must_use]
    pub fn split(self) -> (ExecWriter, ExecReader) {
        (self.writer, self.reader)
    }
}

impl ExecWriter {
    /// Writes bytes to the command's stdin (in frames of at most 32 KiB).
    pub async fn send_stdin(&mut self, data: &[u8]) -> Result<()> {
        for chunk in data.chunks(STDIN_CHUNK) {
            let encoded = base64::engine::general_purpose::STANDARD.encode(chunk);
            self.send(json!({ "stdin": { "data": encoded } })).await?;
        }
        Ok(())
    }

    /// Closes the command's stdin.
    pub async fn close_stdin(&mut self) -> Result<()> {
        self.send(json!({ "stdin": { "close": true } })).await
    }

    /// Copies `stdin` to the command's stdin as it can be read, then closes it at EOF.
    pub async fn forward_stdin<I: AsyncRead + Unpin>(&mut self, mut stdin: I) -> Result<()> {
        let mut buf = vec![0u8; STDIN_CHUNK];
        loop {
            let n = stdin.read(&mut buf).await.map_err(|source| Error::Io { what: "read stdin", source })?;
            if n == 0 {
                return self.close_stdin().await;
            }
            self.send_stdin(&buf[..n]).await?;
        }
    }

    /// Tells the terminal its new size.
    pub async fn resize(&mut self, height: u16, width: u16) -> Result<()> {
        self.send(json!({ "tty_size": { "height": height, "width": width } })).await
    }

    async fn send(&mut self, frame: serde_json::Value) -> Result<()> {
        self.sink
            .send(Message::text(frame.to_string()))
            .await
            .map_err(|e| self.context.error(format!("cannot send to the session: {e}")))
    }
}

impl ExecReader {
    fn decode(&mut self, message: Message) -> Option<Result<ExecEvent>> {
        let text = match message {
            Message::Text(text) => text,
            Message::Binary(bytes) => match String::from_utf8(bytes.to_vec()) {
                Ok(text) => text.into(),
                Err(_) => return Some(Err(self.context.error("the server sent a binary frame that is not text"))),
            },
            Message::Close(frame) => {
                self.done = true;
                if let Some(f) = frame.as_ref().filter(|f| f.code == CloseCode::Policy) {
                    if f.reason.starts_with("Unknown allocation") {
                        return Some(Err(Error::NotFound {
                            kind: "allocation",
                            name: self.context.alloc_id.clone(),
                            namespace: Some(self.context.namespace.clone()),
                        }));
                    }
                }
                let reason = match frame {
                    Some(f) if f.code != CloseCode::Normal => {
                        format!("{} (close code {})", f.reason, u16::from(f.code))
                    }
                    _ => "the session closed before the command's exit code arrived".to_owned(),
                };
                return Some(Err(self.context.error(reason)));
            }
            Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => return None,
        };
        let frame: ServerFrame = match serde_json::from_str(&text) {
            Ok(frame) => frame,
            Err(e) => return Some(Err(self.context.error(format!("undecodable frame {text:?}: {e}")))),
        };
        if frame.exited {
            self.done = true;
            return Some(Ok(ExecEvent::Exited(frame.result.map_or(0, |r| r.exit_code))));
        }
        let (output, is_stdout) = match (frame.stdout, frame.stderr) {
            (Some(o), _) => (o, true),
            (None, Some(e)) => (e, false),
            // Unknown frame kinds are skipped, as Nomad's own client does.
            (None, None) => return None,
        };
        if let Some(data) = output.data {
            return Some(match base64::engine::general_purpose::STANDARD.decode(data.as_bytes()) {
                Ok(bytes) if is_stdout => Ok(ExecEvent::Stdout(bytes.into())),
                Ok(bytes) => Ok(ExecEvent::Stderr(bytes.into())),
                Err(e) => Err(self.context.error(format!("output data is not base64: {e}"))),
            });
        }
        if output.close {
            return Some(Ok(if is_stdout { ExecEvent::StdoutClosed } else { ExecEvent::StderrClosed }));
        }
        None
    }
}

impl ExecReader {
    /// Writes the command's output to `stdout` and `stderr` until it exits; returns the exit code.
    pub async fn copy_to<O, E>(mut self, mut stdout: O, mut stderr: E) -> Result<i32>
    where
        O: AsyncWrite + Unpin,
        E: AsyncWrite + Unpin,
    {
        while let Some(event) = self.next().await {
            let written = match event? {
                ExecEvent::Stdout(data) => write_flushed(&mut stdout, &data)
                    .await
                    .map_err(|source| Error::Io { what: "write the command's stdout", source }),
                ExecEvent::Stderr(data) => write_flushed(&mut stderr, &data)
                    .await
                    .map_err(|source| Error::Io { what: "write the command's stderr", source }),
                ExecEvent::StdoutClosed | ExecEvent::StderrClosed => Ok(()),
                ExecEvent::Exited(code) => return Ok(code),
            };
            written?;
        }
        Err(self.context.error("the session ended without an exit code"))
    }
}

async fn write_flushed<W: AsyncWrite + Unpin>(out: &mut W, data: &[u8]) -> std::io::Result<()> {
    out.write_all(data).await?;
    out.flush().await
}

impl Stream for ExecReader {
    type Item = Result<ExecEvent>;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        use std::task::Poll;
        loop {
            if self.done {
                return Poll::Ready(None);
            }
            match self.stream.poll_next_unpin(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(None) => {
                    self.done = true;
                    let err = self.context.error("the connection closed before the command's exit code arrived");
                    return Poll::Ready(Some(Err(err)));
                }
                Poll::Ready(Some(Err(e))) => {
                    self.done = true;
                    return Poll::Ready(Some(Err(self.context.error(format!("connection error: {e}")))));
                }
                Poll::Ready(Some(Ok(message))) => {
                    if let Some(event) = self.decode(message) {
                        return Poll::Ready(Some(event));
                    }
                }
            }
        }
    }
}
