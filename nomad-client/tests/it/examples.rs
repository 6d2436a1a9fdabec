//! The examples' shared support code (examples/support), compiled here as a module.

#[path = "../../examples/support/mod.rs"]
mod support;

#[test]
fn the_remote_exit_code_becomes_the_process_exit_status() {
    for (remote, process) in [(0, 0), (1, 1), (3, 3), (255, 255), (256, 1), (-1, 1), (-15, 1)] {
        assert_eq!(support::exit_status(remote), process, "remote exit code {remote}");
    }
}
