//! The examples' shared support code (examples/support), compiled here as a module.

#[path = "../../examples/support/mod.rs"]
pub(crate) mod support;

use std::sync::{Arc, Mutex};

use support::tty::{RawMode, TerminalMode};

#[test]
fn the_remote_exit_code_becomes_the_process_exit_status() {
    for (remote, process) in [(0, 0), (1, 1), (3, 3), (255, 255), (256, 1), (-1, 1), (-15, 1)] {
        assert_eq!(support::exit_status(remote), process, "remote exit code {remote}");
    }
}

#[test]
fn a_closed_stdout_is_told_apart_from_other_failures() {
    use std::io::{Error as IoError, ErrorKind};
    let closed = || IoError::new(ErrorKind::BrokenPipe, "Broken pipe (os error 32)");
    assert!(support::is_broken_pipe(&anyhow::Error::from(closed())));
    assert!(support::is_broken_pipe(&anyhow::Error::from(closed()).context("cannot print the plan")));
    // The exec example's output goes through the library, which keeps the io::Error as source.
    let exec = nomad_client::Error::Io { what: "write the command's stdout", source: closed() };
    assert!(support::is_broken_pipe(&anyhow::Error::from(exec)));
    assert!(!support::is_broken_pipe(&anyhow::Error::from(IoError::new(ErrorKind::PermissionDenied, "denied"))));
    assert!(!support::is_broken_pipe(&anyhow::anyhow!("Broken pipe")));
}

#[test]
fn a_dry_run_follows_json() {
    // node_purge's dry run printed text under --json.
    let plan = serde_json::json!({ "node": "076c2a89-64e3-87d0-80b1-9a234c561b61", "status": "down" });
    let json = support::dry_run_output(true, plan.clone(), "would purge node 076c2a89").unwrap();
    let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(doc["dry_run"], true);
    assert_eq!(doc["status"], "down");
    assert_eq!(
        support::dry_run_output(false, plan, "would purge node 076c2a89").unwrap(),
        "would purge node 076c2a89\n"
    );
}

/// A terminal that records its mode switches.
#[derive(Clone, Default)]
struct Recorder {
    calls: Arc<Mutex<Vec<&'static str>>>,
    refuse: bool,
}

impl Recorder {
    fn calls(&self) -> Vec<&'static str> {
        self.calls.lock().unwrap().clone()
    }
}

impl TerminalMode for Recorder {
    fn enable_raw(&mut self) -> std::io::Result<()> {
        if self.refuse {
            return Err(std::io::Error::other("not a terminal"));
        }
        self.calls.lock().unwrap().push("raw");
        Ok(())
    }

    fn disable_raw(&mut self) -> std::io::Result<()> {
        self.calls.lock().unwrap().push("restored");
        Ok(())
    }
}

#[test]
fn the_raw_terminal_is_restored_on_every_way_out() {
    // The remote exited: the block holding the guard ends.
    let term = Recorder::default();
    {
        let _raw = RawMode::enable(term.clone()).unwrap();
        assert_eq!(term.calls(), ["raw"]);
    }
    assert_eq!(term.calls(), ["raw", "restored"]);

    // An error after raw mode was switched on (`?` out of the exec example's body).
    let term = Recorder::default();
    let failing = || -> std::io::Result<()> {
        let _raw = RawMode::enable(term.clone())?;
        Err(std::io::Error::other("the connection failed"))
    };
    assert!(failing().is_err());
    assert_eq!(term.calls(), ["raw", "restored"]);

    // A panic while raw.
    let term = Recorder::default();
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _raw = RawMode::enable(term.clone()).unwrap();
        panic!("while raw");
    }));
    assert!(panicked.is_err());
    assert_eq!(term.calls(), ["raw", "restored"]);

    // A terminal that refused raw mode has nothing to restore.
    let term = Recorder { refuse: true, ..Recorder::default() };
    assert!(RawMode::enable(term.clone()).is_err());
    assert!(term.calls().is_empty());
}

#[tokio::test]
async fn a_raw_session_cut_short_by_a_signal_restores_the_terminal() {
    // The exec example's shape: raw mode held around a select of the session and SIGTERM.
    let term = Recorder::default();
    let body = async {
        let _raw = RawMode::enable(term.clone()).unwrap();
        tokio::select! {
            code = std::future::pending::<i32>() => code,
            signal = async { 15 } => 128 + signal,
        }
    };
    let code = body.await;
    assert_eq!((code, term.calls()), (143, vec!["raw", "restored"]));
}
