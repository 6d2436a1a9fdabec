//! The sandbox demo end to end: the real binary against real Consul,
//! PostgreSQL 15 and Patroni (it starts and stops them itself). Skipped
//! outside CI when the servers are not installed; fails in CI.

use std::process::Command;

#[test]
fn demo_runs_the_tour_and_exits_zero() {
    for program in ["consul", "patroni"] {
        if sandbox::consul::which(program).is_none() {
            let err = sandbox::Error::Missing(format!("{program} (run scripts/install-deps.sh as root)"));
            return sandbox::unavailable("the demo's servers", &err);
        }
    }
    let out = Command::new(env!("CARGO_BIN_EXE_demo"))
        .args(["--json", "--namespace", &format!("demo{}", sandbox::unique_suffix())])
        .env("NO_LIVE_PROGRESS", "1")
        .output()
        .expect("the demo binary starts");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "demo failed ({}):\n{stderr}", out.status);

    // The progress display shows each phase and the recipes' steps.
    for line in [
        "==> Bootstrap the cluster (recipe bootstrap)",
        "✓ wait for dbHA2",
        "==> Switch over to the replica",
        "==> Plant a ghost service, then clean it up (recipe ghost_cleanup)",
        "✓ remove the ghosts the plan listed: 1 removed",
        "==> Patroni's state in Consul",
        "✓ stop Patroni, PostgreSQL and Consul",
    ] {
        assert!(stderr.contains(line), "missing {line:?} in:\n{stderr}");
    }
    // Under --json the human tables go to stderr, and stdout is one JSON
    // document with the recipes' plans and reports.
    assert!(stderr.contains("Cluster: demo"), "{stderr}");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("stdout is JSON");
    let done = json["bootstrap"]["report"]["done"].as_array().expect("bootstrap report");
    assert_eq!(done.len(), 4, "{json:#}");
    let ghost_node = json["ghost"]["node"].as_str().expect("planted ghost");
    let findings = json["ghost_cleanup"]["plan"]["findings"].as_array().expect("cleanup plan");
    assert_eq!(findings.len(), 1, "only the planted ghost is found: {json:#}");
    assert_eq!(findings[0]["target"]["node"], ghost_node);
    assert_eq!(json["ghost_cleanup"]["report"]["counts"]["catalog_node"], 1);
}
