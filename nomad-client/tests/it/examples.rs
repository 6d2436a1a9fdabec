//! The examples' shared support code (examples/support), compiled here as a module.

#[path = "../../examples/support/mod.rs"]
mod support;

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
