//! `/v1/client/fs/logs/:alloc`: a task's stdout or stderr as a stream of bytes.
//!
//! Nomad sends JSON frames `{"Data":base64,"File":..,"Offset":..}` concatenated
//! without separators, `{"FileEvent":"file truncated"|"file deleted",..}` when the
//! file changes under it, and `{}` heartbeats every second while following. The
//! decoder keeps at most one frame in memory, so following for hours stays flat.
//!
//! What Nomad 1.1.2 does that the API docs leave out:
//! - `origin=end&offset=0` is not "from now": it sends the whole last file from
//!   byte 0, then goes live. [`LogsOptions::tail`] with 0 bytes therefore looks up
//!   the end first (`fs/ls`) and follows from there with `origin=start`.
//! - `origin=start` offsets count across every log file still on disk
//!   (`task.stdout.0`, `.1`, ...), from the oldest one.
//! - A log rotation while following sends no file event: the stream just goes on
//!   with frames of the next file. [`LogFrames`] reports it as [`LogFrame::Rotated`].
//! - The `Offset` of the last catch-up frame can overshoot the file's size, so
//!   positions here are counted from the bytes received, never from `Offset`.

use std::borrow::Cow;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use base64::Engine as _;
use bytes::{Buf, Bytes, BytesMut};
use client_core::{ByteStream, Request};
use futures::{Stream, StreamExt};
use serde::Deserialize;

use crate::allocations::{Allocations, alloc_path};
use crate::error::{Error, Result};
use crate::options::QueryOptions;
use crate::validate;

/// Directory of the task logs in an allocation.
const LOG_DIR: &str = "alloc/logs";

/// First tail read when looking for the last lines; it grows fourfold up to [`MAX_TAIL`].
const FIRST_TAIL: u64 = 64 * 1024;
/// Largest tail read when looking for the last lines.
const MAX_TAIL: u64 = 16 * 1024 * 1024;

/// Largest frame accepted: Nomad's frames carry at most 64 KiB of data (about
/// 88 KiB in base64); anything far beyond is not Nomad's framing.
const MAX_FRAME: usize = 4 * 1024 * 1024;

/// Which log of a task.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LogType {
    /// Standard output.
    #[default]
    Stdout,
    /// Standard error.
    Stderr,
}

impl LogType {
    fn as_str(self) -> &'static str {
        match self {
            Self::Stdout => "stdout",
            Self::Stderr => "stderr",
        }
    }
}

/// Where [`LogsOptions::offset`] counts from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Origin {
    /// From the beginning of the log.
    #[default]
    Start,
    /// Back from the end of the log (`offset` = how many bytes of the tail).
    End,
}

/// Options of [`Allocations::logs`].
#[derive(Debug, Clone)]
pub struct LogsOptions {
    /// Namespace, region, token.
    pub query: QueryOptions,
    /// Stdout or stderr.
    pub log_type: LogType,
    /// Where `offset` counts from.
    pub origin: Origin,
    /// Byte offset from `origin` (with [`Origin::End`]: the size of the tail; 0 there
    /// means "from the current end", see [`LogsOptions::tail`]). With [`Origin::Start`]
    /// it counts across all log files on disk, from the oldest.
    pub offset: u64,
    /// Keep the stream open and deliver new output as it is written.
    pub follow: bool,
    /// While following, give up when nothing (not even Nomad's one-second
    /// heartbeat) arrived for this long: the connection is dead. Default 30 s.
    pub idle_timeout: Duration,
}

impl Default for LogsOptions {
    fn default() -> Self {
        Self {
            query: QueryOptions::default(),
            log_type: LogType::default(),
            origin: Origin::default(),
            offset: 0,
            follow: false,
            idle_timeout: Duration::from_secs(30),
        }
    }
}

impl LogsOptions {
    /// The last `bytes` bytes of `log_type`, then new output when `follow`.
    ///
    /// `bytes` 0 means nothing of the past: with `follow`, only what is written from
    /// now on. Nomad reads `origin=end&offset=0` as the whole last file, so
    /// [`Allocations::log_frames`] looks up the current end with `fs/ls` and asks
    /// for `origin=start&offset=<end>` instead.
    #[must_use]
    pub fn tail(log_type: LogType, bytes: u64, follow: bool) -> Self {
        Self { log_type, origin: Origin::End, offset: bytes, follow, ..Self::default() }
    }
}

/// One decoded frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogFrame {
    /// Log bytes read from `file`; `offset` is the file offset after them.
    Data {
        /// The bytes.
        data: Bytes,
        /// The log file (e.g. `alloc/logs/task.stdout.0`).
        file: String,
        /// Offset in `file` after these bytes.
        offset: i64,
    },
    /// The file was truncated; reading continues from its new start.
    Truncated {
        /// The log file.
        file: String,
    },
    /// The file was deleted (log rotation moves on to the next file).
    Deleted {
        /// The log file.
        file: String,
    },
    /// A keep-alive frame (`{}`), sent every second while following.
    Heartbeat,
    /// The data moved on from one log file to the next (`task.stdout.0` to `.1`): a
    /// rotation. Nomad 1.1.2 sends no file event for it; this frame is made by
    /// [`LogFrames`] when a data frame names another file than the one before.
    Rotated {
        /// The file read so far.
        from: String,
        /// The file the next data comes from.
        to: String,
    },
}

/// One frame as it is on the wire, borrowing its strings from the buffer where they
/// hold no escapes (base64 never does), so the data is not copied before decoding.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawFrame<'a> {
    #[serde(borrow)]
    data: Option<Text<'a>>,
    #[serde(borrow, default)]
    file: Text<'a>,
    #[serde(default)]
    offset: i64,
    #[serde(borrow)]
    file_event: Option<Text<'a>>,
}

/// A JSON string, borrowed when it holds no escapes (serde owns a `Cow` inside an `Option` otherwise).
#[derive(Deserialize, Default)]
struct Text<'a>(#[serde(borrow)] Cow<'a, str>);

/// Incremental decoder of Nomad's separator-less JSON frames.
///
/// A frame that is not complete yet is parsed again only once a closing brace
/// arrived after it, so a 88 KiB frame that comes in many chunks is parsed once
/// or twice, not once per chunk.
#[derive(Debug, Default)]
pub struct FrameDecoder {
    buf: BytesMut,
    high_water: usize,
    /// The last parse ran out of bytes and no `}` arrived since: the frame cannot be complete.
    incomplete: bool,
    /// Where the data is decoded to: each frame's bytes are split off it, and once the
    /// reader dropped them the same allocation is used again (no allocation, no page
    /// faults, a buffer still in cache).
    out: BytesMut,
}

impl FrameDecoder {
    /// An empty decoder.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends received bytes.
    pub fn push(&mut self, bytes: &[u8]) {
        if self.incomplete && bytes.contains(&b'}') {
            self.incomplete = false;
        }
        self.buf.extend_from_slice(bytes);
        self.high_water = self.high_water.max(self.buf.len());
    }

    /// The most bytes the decoder ever held at once (a frame and a bit).
    #[must_use]
    pub fn high_water(&self) -> usize {
        self.high_water
    }

    /// Bytes received but not yet decoded (an incomplete frame).
    #[must_use]
    pub fn pending(&self) -> usize {
        self.buf.len()
    }

    /// The next complete frame, `None` when more bytes are needed.
    pub fn next_frame(&mut self) -> Result<Option<LogFrame>> {
        if self.incomplete {
            return self.too_large();
        }
        self.parse()
    }

    /// Parses what is buffered however it ends (the stream is over): a last frame,
    /// the error of a malformed one, or `None` when the bytes end inside a frame.
    fn finish(&mut self) -> Result<Option<LogFrame>> {
        self.incomplete = false;
        self.parse()
    }

    /// `None` for a frame still within [`MAX_FRAME`], an error beyond.
    fn too_large(&self) -> Result<Option<LogFrame>> {
        if self.buf.len() > MAX_FRAME {
            return Err(Error::stream("log", format!("a frame is larger than {MAX_FRAME} bytes")));
        }
        Ok(None)
    }

    fn parse(&mut self) -> Result<Option<LogFrame>> {
        let start = self.buf.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(self.buf.len());
        self.buf.advance(start);
        if self.buf.is_empty() {
            return Ok(None);
        }
        let Self { buf, out, .. } = self;
        let mut frames = serde_json::Deserializer::from_slice(buf).into_iter::<RawFrame<'_>>();
        let raw = match frames.next() {
            Some(Ok(raw)) => raw,
            Some(Err(e)) if e.is_eof() => {
                self.incomplete = true;
                return self.too_large();
            }
            Some(Err(e)) => return Err(Error::stream("log", format!("not a log frame: {e}"))),
            None => return Ok(None),
        };
        let used = frames.byte_offset();
        let frame = decode(raw, out);
        buf.advance(used);
        frame.map(Some)
    }
}

fn decode(raw: RawFrame<'_>, out: &mut BytesMut) -> Result<LogFrame> {
    let file = raw.file.0.into_owned();
    if let Some(Text(event)) = raw.file_event.filter(|e| !e.0.is_empty()) {
        return match &*event {
            "file truncated" => Ok(LogFrame::Truncated { file }),
            "file deleted" => Ok(LogFrame::Deleted { file }),
            other => Err(Error::stream("log", format!("unknown file event {other:?}"))),
        };
    }
    match raw.data {
        Some(Text(data)) => {
            out.clear();
            out.resize(base64::decoded_len_estimate(data.len()), 0);
            let len = base64::engine::general_purpose::STANDARD.decode_slice(data.as_bytes(), out).map_err(|e| {
                let reason = match e {
                    base64::DecodeSliceError::DecodeError(e) => e.to_string(),
                    too_small => too_small.to_string(),
                };
                Error::stream("log", format!("frame data is not base64: {reason}"))
            })?;
            out.truncate(len);
            Ok(LogFrame::Data { data: out.split().freeze(), file, offset: raw.offset })
        }
        None => Ok(LogFrame::Heartbeat),
    }
}

/// The frames of a log, as a [`Stream`]. [`LogFrames::bytes`] keeps only the data.
pub struct LogFrames {
    chunks: ByteStream,
    decoder: FrameDecoder,
    ended: bool,
    /// The file of the last data frame, to see rotations.
    file: Option<String>,
    /// A data frame held back while its [`LogFrame::Rotated`] goes out first.
    held: Option<LogFrame>,
    /// While following: how long silence may last.
    idle: Option<Idle>,
}

/// The idle bound of a following stream. A chunk only notes when it arrived; the
/// timer is moved to `last + limit` when it fires, not on every chunk.
struct Idle {
    limit: Duration,
    /// When the last chunk arrived (or the stream started).
    last: tokio::time::Instant,
    sleep: Pin<Box<tokio::time::Sleep>>,
}

impl Idle {
    fn new(limit: Duration) -> Self {
        let last = tokio::time::Instant::now();
        Self { limit, last, sleep: Box::pin(tokio::time::sleep_until(last + limit)) }
    }

    /// Whether `limit` passed since the last chunk (registers `cx` for the deadline otherwise).
    fn expired(&mut self, cx: &mut Context<'_>) -> bool {
        loop {
            if self.sleep.as_mut().poll(cx).is_pending() {
                return false;
            }
            let deadline = self.last + self.limit;
            if deadline <= self.sleep.deadline() {
                return true;
            }
            self.sleep.as_mut().reset(deadline);
        }
    }
}

impl std::fmt::Debug for LogFrames {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogFrames").field("decoder", &self.decoder).field("ended", &self.ended).finish()
    }
}

impl LogFrames {
    /// Frames decoded from `chunks`; with `idle`, a following stream gives up
    /// after that long without a byte.
    pub(crate) fn new(chunks: ByteStream, idle: Option<Duration>) -> Self {
        Self { chunks, decoder: FrameDecoder::new(), ended: false, file: None, held: None, idle: idle.map(Idle::new) }
    }

    /// The most bytes held while decoding so far (stays around one frame, however long the log).
    #[must_use]
    pub fn high_water(&self) -> usize {
        self.decoder.high_water()
    }

    /// Only the log bytes, in order.
    pub fn bytes(self) -> impl Stream<Item = Result<Bytes>> + Send {
        self.filter_map(|frame| async move {
            match frame {
                Ok(LogFrame::Data { data, .. }) => Some(Ok(data)),
                Ok(_) => None,
                Err(e) => Some(Err(e)),
            }
        })
    }
}

impl LogFrames {
    /// Passes `frame` on, or a [`LogFrame::Rotated`] first when it is data of another file.
    fn note_file(&mut self, frame: LogFrame) -> LogFrame {
        let LogFrame::Data { file, .. } = &frame else { return frame };
        if self.file.as_ref() == Some(file) {
            return frame;
        }
        match self.file.replace(file.clone()) {
            Some(from) => {
                let to = file.clone();
                self.held = Some(frame);
                LogFrame::Rotated { from, to }
            }
            None => frame,
        }
    }
}

impl Stream for LogFrames {
    type Item = Result<LogFrame>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if let Some(frame) = self.held.take() {
            return Poll::Ready(Some(Ok(frame)));
        }
        loop {
            match self.decoder.next_frame() {
                Ok(Some(frame)) => return Poll::Ready(Some(Ok(self.note_file(frame)))),
                Ok(None) => {}
                Err(e) => {
                    self.ended = true;
                    return Poll::Ready(Some(Err(e)));
                }
            }
            if self.ended {
                return Poll::Ready(None);
            }
            match self.chunks.poll_next_unpin(cx) {
                Poll::Pending => {
                    if let Some(idle) = self.idle.as_mut() {
                        if idle.expired(cx) {
                            let secs = idle.limit.as_secs_f64();
                            self.ended = true;
                            return Poll::Ready(Some(Err(Error::stream(
                                "log",
                                format!("nothing arrived for {secs}s, not even a heartbeat; the connection is dead"),
                            ))));
                        }
                    }
                    return Poll::Pending;
                }
                Poll::Ready(Some(Ok(chunk))) => {
                    if let Some(idle) = self.idle.as_mut() {
                        idle.last = tokio::time::Instant::now();
                    }
                    self.decoder.push(&chunk);
                }
                Poll::Ready(Some(Err(cut))) => {
                    // The core's transport error names the request and says the stream was cut off.
                    self.ended = true;
                    return Poll::Ready(Some(Err(cut.into())));
                }
                Poll::Ready(None) => {
                    self.ended = true;
                    match self.decoder.finish() {
                        Ok(Some(frame)) => return Poll::Ready(Some(Ok(self.note_file(frame)))),
                        Ok(None) => {}
                        Err(e) => return Poll::Ready(Some(Err(e))),
                    }
                    if self.decoder.pending() > 0 {
                        let left = self.decoder.pending();
                        return Poll::Ready(Some(Err(Error::stream(
                            "log",
                            format!("the stream ended inside a frame ({left} bytes left undecoded)"),
                        ))));
                    }
                }
            }
        }
    }
}

impl Allocations {
    /// `GET /v1/client/fs/logs/:alloc`: the frames of `task`'s log.
    ///
    /// [`Origin::End`] with offset 0 ("nothing of the past") first looks up the end of
    /// the log with `fs/ls` (see [`LogsOptions::tail`]).
    pub async fn log_frames(&self, alloc_id: &str, task: &str, opts: &LogsOptions) -> Result<LogFrames> {
        let path = alloc_path("/v1/client/fs/logs", alloc_id, None)?;
        validate::name("task", task)?;
        let (origin, offset) = match (opts.origin, opts.offset) {
            (Origin::End, 0) => ("start", self.log_end(alloc_id, task, opts).await?),
            (Origin::End, offset) => ("end", offset),
            (Origin::Start, offset) => ("start", offset),
        };
        let req = Request::get(path)
            .query("task", task)
            .query("type", opts.log_type.as_str())
            .query("origin", origin)
            .query("offset", offset)
            .query("follow", opts.follow);
        let req = self.client.query_one(req, &opts.query)?;
        let chunks = self.client.http().stream(req).await?.bytes();
        Ok(LogFrames::new(chunks, opts.follow.then_some(opts.idle_timeout)))
    }

    /// Where `task`'s log ends now, as an `origin=start` offset: the sizes of its log
    /// files on disk added up (`fs/ls alloc/logs`; Nomad counts `origin=start`
    /// offsets across them, from the oldest).
    pub async fn log_end(&self, alloc_id: &str, task: &str, opts: &LogsOptions) -> Result<u64> {
        let prefix = format!("{task}.{}.", opts.log_type.as_str());
        let entries = self.ls(alloc_id, LOG_DIR, &opts.query).await?;
        Ok(entries
            .iter()
            .filter(|e| !e.is_dir)
            .filter(|e| e.name.strip_prefix(&prefix).is_some_and(|index| index.parse::<u64>().is_ok()))
            .map(|e| e.size)
            .sum())
    }

    /// `tail -n lines -f`: exactly the last `lines` lines of `task`'s log, then only
    /// what is written from now on, across log rotations.
    ///
    /// The end of the log is looked up once (`fs/ls`), the start of the last `lines`
    /// lines before it is found by reading a growing tail up to that end, and one
    /// following stream starts exactly there. So no line is printed twice or lost
    /// between the past and the live part, however fast the task writes.
    /// `opts` gives namespace, token, log type and idle timeout; its origin, offset
    /// and follow are set here.
    pub async fn follow_lines(
        &self,
        alloc_id: &str,
        task: &str,
        lines: usize,
        opts: &LogsOptions,
    ) -> Result<impl Stream<Item = Result<Bytes>> + Send + use<>> {
        let end = self.log_end(alloc_id, task, opts).await?;
        let start = self.start_of_last_lines(alloc_id, task, lines, end, opts).await?;
        let follow = LogsOptions { origin: Origin::Start, offset: start, follow: true, ..opts.clone() };
        Ok(self.log_frames(alloc_id, task, &follow).await?.bytes())
    }

    /// The `origin=start` offset where the last `lines` lines before `end` begin
    /// (0 when the log holds fewer).
    async fn start_of_last_lines(
        &self,
        alloc_id: &str,
        task: &str,
        lines: usize,
        end: u64,
        opts: &LogsOptions,
    ) -> Result<u64> {
        if lines == 0 {
            return Ok(end);
        }
        let mut window = FIRST_TAIL;
        loop {
            let from = end.saturating_sub(window);
            let want = usize::try_from(end - from).unwrap_or(usize::MAX);
            let read = LogsOptions { origin: Origin::Start, offset: from, follow: false, ..opts.clone() };
            let mut stream = std::pin::pin!(self.logs(alloc_id, task, &read).await?);
            let mut text = Vec::with_capacity(want);
            while text.len() < want {
                match stream.next().await {
                    Some(chunk) => text.extend_from_slice(&chunk?),
                    None => break,
                }
            }
            text.truncate(want);
            if let Some(at) = start_of_last(&text, lines) {
                return Ok(from + at as u64);
            }
            if from == 0 || window >= MAX_TAIL {
                return Ok(from);
            }
            window *= 4;
        }
    }

    /// `task`'s log as a stream of bytes (stdout or stderr, from start or end, following or not).
    pub async fn logs(
        &self,
        alloc_id: &str,
        task: &str,
        opts: &LogsOptions,
    ) -> Result<impl Stream<Item = Result<Bytes>> + Send + use<>> {
        Ok(self.log_frames(alloc_id, task, opts).await?.bytes())
    }

    /// The last `lines` lines of `task`'s log (what `nomad alloc logs -tail -n N` shows),
    /// reading a growing tail until enough lines arrived or the whole log was read.
    pub async fn tail_lines(
        &self,
        alloc_id: &str,
        task: &str,
        lines: usize,
        opts: &LogsOptions,
    ) -> Result<Vec<String>> {
        if lines == 0 {
            return Ok(Vec::new());
        }
        let mut tail = FIRST_TAIL;
        loop {
            let opts = LogsOptions { origin: Origin::End, offset: tail, follow: false, ..opts.clone() };
            let mut stream = std::pin::pin!(self.logs(alloc_id, task, &opts).await?);
            let mut text = Vec::new();
            while let Some(chunk) = stream.next().await {
                text.extend_from_slice(&chunk?);
            }
            let complete = (text.len() as u64) < tail || tail >= MAX_TAIL;
            let found = last_lines(&text, lines, !complete);
            if found.len() >= lines || complete {
                return Ok(found);
            }
            tail *= 4;
        }
    }
}

/// Where in `text` its last `n` lines begin; `None` when it holds fewer than `n`
/// complete line breaks before them (the first line may be cut). A last line
/// without a newline counts as a line.
fn start_of_last(text: &[u8], n: usize) -> Option<usize> {
    let body = text.strip_suffix(b"\n").unwrap_or(text);
    body.iter().enumerate().rev().filter(|(_, b)| **b == b'\n').nth(n - 1).map(|(i, _)| i + 1)
}

/// The last `n` lines of `text`; a first partial line is dropped when `cut` says the
/// text starts in the middle of the log.
fn last_lines(text: &[u8], n: usize, cut: bool) -> Vec<String> {
    let text = text.strip_suffix(b"\n").unwrap_or(text);
    if text.is_empty() {
        return Vec::new();
    }
    let mut parts: Vec<&[u8]> = text.split(|b| *b == b'\n').collect();
    if cut {
        parts.remove(0);
    }
    let skip = parts.len().saturating_sub(n);
    parts[skip..].iter().map(|l| String::from_utf8_lossy(l).into_owned()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_of_the_last_lines() {
        assert_eq!(start_of_last(b"x\na\nb\n", 2), Some(2));
        assert_eq!(start_of_last(b"x\na\nb", 2), Some(2));
        assert_eq!(start_of_last(b"a\nb\n", 2), None, "the first line may be cut");
        assert_eq!(start_of_last(b"a\nb\n", 1), Some(2));
    }

    #[test]
    fn lines_are_cut_at_the_tail() {
        assert_eq!(last_lines(b"a\nb\nc\n", 2, false), ["b", "c"]);
        assert_eq!(last_lines(b"tial\nb\nc", 5, true), ["b", "c"]);
        assert_eq!(last_lines(b"", 3, false), Vec::<String>::new());
    }

    #[test]
    fn escaped_strings_decode_as_before() {
        let mut d = FrameDecoder::new();
        d.push(br#"{"Data":"aG\u006bK","File":"alloc\/logs\/t.stdout.0","Offset":3}"#);
        let data =
            LogFrame::Data { data: Bytes::from_static(b"hi\n"), file: "alloc/logs/t.stdout.0".into(), offset: 3 };
        assert_eq!(d.next_frame().unwrap(), Some(data));
        d.push(br#"{"FileEvent":"file deleted","File":"f","Data":null}"#);
        assert_eq!(d.next_frame().unwrap(), Some(LogFrame::Deleted { file: "f".into() }));
    }

    #[test]
    fn data_handed_out_stays_as_it_was_while_the_next_frames_decode() {
        let mut d = FrameDecoder::new();
        d.push(br#"{"Data":"aGkK","File":"f","Offset":3}{"Data":"eW8K","File":"f","Offset":6}"#);
        let first = d.next_frame().unwrap();
        let second = d.next_frame().unwrap();
        let data = |f: Option<LogFrame>| match f {
            Some(LogFrame::Data { data, .. }) => data,
            other => panic!("{other:?}"),
        };
        assert_eq!((data(first), data(second)), (Bytes::from_static(b"hi\n"), Bytes::from_static(b"yo\n")));
        d.push(br#"{"Data":"!!!!","File":"f","Offset":9}"#);
        let err = d.next_frame().unwrap_err().to_string();
        assert!(err.contains("frame data is not base64: Invalid symbol 33, offset 0."), "{err}");
    }

    #[test]
    fn an_unfinished_frame_is_parsed_again_once_a_brace_arrived() {
        let mut d = FrameDecoder::new();
        d.push(br#"{"Data":"aGkK","#);
        assert_eq!(d.next_frame().unwrap(), None);
        assert!(d.incomplete, "no brace since: the frame cannot be complete");
        d.push(br#""File":"f""#);
        assert_eq!(d.next_frame().unwrap(), None);
        d.push(br#","Offset":3}{}"#);
        assert!(!d.incomplete);
        assert!(matches!(d.next_frame().unwrap(), Some(LogFrame::Data { offset: 3, .. })));
        assert_eq!(d.next_frame().unwrap(), Some(LogFrame::Heartbeat));
        assert_eq!(d.pending(), 0);
    }

    #[test]
    fn a_malformed_unfinished_frame_is_still_its_error_at_the_end() {
        let mut d = FrameDecoder::new();
        d.push(br#"{"Data":"#);
        assert_eq!(d.next_frame().unwrap(), None);
        d.push(b" 12");
        assert_eq!(d.next_frame().unwrap(), None, "waits for the brace");
        assert!(d.finish().unwrap_err().to_string().contains("not a log frame"));
        let mut cut = FrameDecoder::new();
        cut.push(br#"{"Data":"aGk"#);
        assert_eq!(cut.finish().unwrap(), None, "ended inside a frame");
        let mut big = FrameDecoder::new();
        big.push(b"{\"Data\":\"");
        big.push(&vec![b'A'; MAX_FRAME]);
        assert!(big.next_frame().unwrap_err().to_string().contains("larger than"));
    }

    /// Chunks that keep arriving keep the stream alive past the first deadline;
    /// silence after them still ends it one limit after the last chunk.
    #[tokio::test]
    async fn the_idle_bound_counts_from_the_last_chunk() {
        let beats = futures::stream::unfold(0, |n| async move {
            tokio::time::sleep(Duration::from_millis(60)).await;
            (n < 5).then(|| (Ok(Bytes::from_static(b"{}")), n + 1))
        })
        .chain(futures::stream::pending());
        let limit = Duration::from_millis(150);
        let frames = LogFrames {
            chunks: ByteStream::from_stream(beats),
            decoder: FrameDecoder::new(),
            ended: false,
            file: None,
            held: None,
            idle: Some(Idle::new(limit)),
        };
        let start = std::time::Instant::now();
        let items: Vec<_> = frames.collect().await;
        let took = start.elapsed();
        assert_eq!(items.iter().filter(|i| matches!(i, Ok(LogFrame::Heartbeat))).count(), 5);
        assert!(items[5].as_ref().unwrap_err().to_string().contains("not even a heartbeat"));
        assert!(took >= Duration::from_millis(5 * 60 + 150), "{took:?}");
    }

    #[test]
    fn events_heartbeats_and_garbage() {
        let mut d = FrameDecoder::new();
        d.push(br#"{}{"FileEvent":"file truncated","File":"f"} {"Data":"aGkK","File":"f","Offset":3}{"#);
        assert_eq!(d.next_frame().unwrap(), Some(LogFrame::Heartbeat));
        assert_eq!(d.next_frame().unwrap(), Some(LogFrame::Truncated { file: "f".into() }));
        let data = LogFrame::Data { data: Bytes::from_static(b"hi\n"), file: "f".into(), offset: 3 };
        assert_eq!(d.next_frame().unwrap(), Some(data));
        assert_eq!(d.next_frame().unwrap(), None);
        assert_eq!(d.pending(), 1);
        let mut bad = FrameDecoder::new();
        bad.push(b"<html>");
        assert!(bad.next_frame().unwrap_err().to_string().contains("log stream"));
    }
}
