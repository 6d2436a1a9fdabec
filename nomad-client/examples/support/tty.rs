//! The exec example's `--tty` side: the local terminal in raw mode for as long as
//! the session runs, and a session attached to it that forwards every byte typed
//! (Ctrl-C is byte 0x03 and goes to the remote command) and every size change.

use std::io;

use futures::{Stream, StreamExt as _};
use nomad_client::{ExecSession, ExecWriter};
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite};

/// How the terminal is switched in and out of raw mode (crossterm in the example,
/// a recorder in the tests).
pub trait TerminalMode {
    /// Switches to raw mode: no line editing, no local echo, no signals from keys.
    fn enable_raw(&mut self) -> io::Result<()>;
    /// Switches back to the mode the terminal had before.
    fn disable_raw(&mut self) -> io::Result<()>;
}

/// The real terminal, through crossterm's safe API.
#[derive(Debug, Default)]
pub struct Crossterm;

impl TerminalMode for Crossterm {
    fn enable_raw(&mut self) -> io::Result<()> {
        crossterm::terminal::enable_raw_mode()
    }

    fn disable_raw(&mut self) -> io::Result<()> {
        crossterm::terminal::disable_raw_mode()
    }
}

/// The terminal in raw mode while this lives: dropping it restores the terminal, on
/// every way out of the scope that holds it (return, `?`, panic, the remote exiting).
#[derive(Debug)]
pub struct RawMode<M: TerminalMode> {
    mode: M,
}

impl<M: TerminalMode> RawMode<M> {
    /// Switches `mode` to raw mode; nothing is to be restored when that fails.
    pub fn enable(mut mode: M) -> io::Result<Self> {
        mode.enable_raw()?;
        Ok(Self { mode })
    }
}

impl<M: TerminalMode> Drop for RawMode<M> {
    fn drop(&mut self) {
        // Nothing better to do with a failure here: the process is on its way out.
        let _ = self.mode.disable_raw();
    }
}

/// The local terminal's size as (height, width), what [`ExecWriter::resize`] takes.
pub fn terminal_size() -> Option<(u16, u16)> {
    crossterm::terminal::size().ok().filter(|(cols, rows)| *cols > 0 && *rows > 0).map(|(cols, rows)| (rows, cols))
}

/// The terminal's size each time it changes (SIGWINCH); never ends.
pub fn window_changes() -> io::Result<impl Stream<Item = (u16, u16)> + Unpin> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let signals = signal(SignalKind::window_change())?;
        let sizes = futures::stream::unfold(signals, |mut signals| async move {
            signals.recv().await?;
            Some((terminal_size(), signals))
        });
        Ok(Box::pin(sizes.filter_map(futures::future::ready).chain(futures::stream::pending())))
    }
    #[cfg(not(unix))]
    {
        Ok(futures::stream::pending())
    }
}

/// Runs a tty session attached to a raw terminal: every byte read from `stdin` goes to
/// the command as it arrives (Ctrl-C, Ctrl-D and Ctrl-Z are bytes for the remote
/// terminal to act on), every size from `resizes` is sent to it, and its output goes
/// to `stdout`/`stderr`. Returns the command's exit code as soon as it exits, whatever
/// `stdin` and `resizes` still do.
pub async fn attach_raw<I, O, E, R>(
    session: ExecSession,
    stdin: I,
    stdout: O,
    stderr: E,
    resizes: R,
) -> nomad_client::Result<i32>
where
    I: AsyncRead + Unpin,
    O: AsyncWrite + Unpin,
    E: AsyncWrite + Unpin,
    R: Stream<Item = (u16, u16)> + Unpin,
{
    let (writer, reader) = session.split();
    tokio::select! {
        code = reader.copy_to(stdout, stderr) => code,
        // Only a local read error ends the input side early; send errors mean the
        // session is over and its reason arrives on the output side.
        Err(e @ nomad_client::Error::Io { .. }) = forward_keys(writer, stdin, resizes) => Err(e),
    }
}

/// Copies typed bytes and size changes to the session until the output side is done
/// (it never returns `Ok` before: after stdin ends, only size changes go on).
async fn forward_keys<I, R>(mut writer: ExecWriter, mut stdin: I, mut resizes: R) -> nomad_client::Result<()>
where
    I: AsyncRead + Unpin,
    R: Stream<Item = (u16, u16)> + Unpin,
{
    let mut buf = vec![0u8; 4096];
    let mut open = true;
    loop {
        tokio::select! {
            read = stdin.read(&mut buf), if open => {
                let n = read.map_err(|source| nomad_client::Error::Io { what: "read the terminal", source })?;
                if n == 0 {
                    open = false;
                    writer.close_stdin().await?;
                } else {
                    writer.send_stdin(&buf[..n]).await?;
                }
            }
            Some((height, width)) = resizes.next() => writer.resize(height, width).await?,
            else => return std::future::pending().await,
        }
    }
}

/// Waits for SIGTERM or SIGHUP and returns its number, so a raw terminal is restored
/// before the process ends (keys no longer send SIGINT in raw mode). Never returns
/// when the handlers cannot be installed, or off Unix.
pub async fn terminated() -> i32 {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let (Ok(mut term), Ok(mut hup)) = (signal(SignalKind::terminate()), signal(SignalKind::hangup())) {
            return tokio::select! {
                _ = term.recv() => 15,
                _ = hup.recv() => 1,
            };
        }
    }
    std::future::pending().await
}
