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
        "==> Raise max_connections, then restart to apply it (recipe restart)",
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
    let restarted = json["restart"]["report"]["done"].as_array().expect("restart report");
    assert!(restarted.iter().any(|s| s.as_str().is_some_and(|s| s.starts_with("switch over from"))), "{json:#}");
    let ghost_node = json["ghost"]["node"].as_str().expect("planted ghost");
    let findings = json["ghost_cleanup"]["plan"]["findings"].as_array().expect("cleanup plan");
    assert_eq!(findings.len(), 1, "only the planted ghost is found: {json:#}");
    assert_eq!(findings[0]["target"]["node"], ghost_node);
    assert_eq!(json["ghost_cleanup"]["report"]["counts"]["catalog_node"], 1);
}

/// Runs `bin` with `args` against the Consul at `addr`: (exit code, stdout, stderr).
fn script(bin: &str, addr: &str, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(bin).args(args).env("CONSUL_HTTP_ADDR", addr).output().expect("the script starts");
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status.code().unwrap_or(-1), text(&out.stdout), text(&out.stderr))
}

#[test]
fn ghost_cleanup_script_plans_confirms_and_removes_only_the_ghost() {
    use consul_client::{
        AgentServiceRegistration, CatalogRegistration, ConsulClient, QueryOptions, ServiceRegistration,
    };
    let Some(consul) = sandbox::shared_consul() else { return };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let client = ConsulClient::builder().address(&consul.http_addr()).build().unwrap();
    let suffix = sandbox::unique_suffix();
    let ghost = format!("ghost-script-{suffix}");
    let name = format!("web-{suffix}");
    rt.block_on(async {
        // A node no agent stands behind, carrying an instance of the service...
        let dead = CatalogRegistration {
            node: ghost.clone(),
            address: "192.0.2.20".into(),
            service: Some(ServiceRegistration {
                id: Some(format!("{name}-1")),
                service: name.clone(),
                port: Some(8080),
                ..ServiceRegistration::default()
            }),
            ..CatalogRegistration::default()
        };
        client.catalog().register(&dead).await.unwrap();
        // ...and a healthy instance of the same service on the live agent (registered
        // through the agent, so its anti-entropy keeps it).
        let alive = AgentServiceRegistration {
            id: Some(format!("{name}-2")),
            name: name.clone(),
            port: Some(8081),
            ..AgentServiceRegistration::default()
        };
        client.agent().service_register(&alive).await.unwrap();
    });
    let bin = env!("CARGO_BIN_EXE_ghost_cleanup");
    let addr = consul.http_addr();
    let backups = std::env::temp_dir().join(format!("ghost-script-{suffix}"));
    let base = ["--skip-nomad", "--node-pattern", ghost.as_str(), "--backup-dir", backups.to_str().unwrap()];
    let with = |extra: &[&'static str]| [&base[..], extra].concat();

    // Without --yes: the plan is shown, nothing changes, and the exit code says so.
    let (code, stdout, stderr) = script(bin, &addr, &base);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(stdout.contains(&format!("catalog node {ghost}")), "{stdout}");
    assert!(stderr.contains("nothing was changed: run again with --yes"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "one-line reason: {stderr}");

    // A plan over the action limit is a refusal (exit 3), with the reason on one line.
    let (code, _, stderr) = script(bin, &addr, &with(&["--max-actions", "0", "--yes"]));
    assert_eq!(code, 3, "{stderr}");
    assert!(stderr.starts_with("error: ghost_cleanup refused to run"), "{stderr}");

    let (code, stdout, stderr) = script(bin, &addr, &with(&["--dry-run", "--json"]));
    assert_eq!(code, 0, "{stderr}");
    let plan: serde_json::Value = serde_json::from_str(&stdout).expect("--json prints JSON");
    let findings = plan["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{plan:#}");
    assert_eq!(findings[0]["target"]["node"], ghost.as_str());

    let (code, stdout, stderr) = script(bin, &addr, &with(&["--yes", "--json"]));
    assert_eq!(code, 0, "{stderr}");
    let outcome: serde_json::Value = serde_json::from_str(&stdout).expect("--json prints JSON");
    assert_eq!(outcome["report"]["counts"]["catalog_node"], 1, "{outcome:#}");
    assert_eq!(outcome["report"]["report"]["backups"].as_array().map(Vec::len), Some(1), "{outcome:#}");

    rt.block_on(async {
        let opts = QueryOptions::default();
        assert!(client.catalog().node(&ghost, &opts).await.unwrap().value.is_none(), "the ghost node is gone");
        let left = client.catalog().service(&name, None, &opts).await.unwrap().value;
        let ids: Vec<&str> = left.iter().map(|s| s.service_id.as_str()).collect();
        assert_eq!(ids, [format!("{name}-2")], "the live node's instance stays");
        client.agent().service_deregister(&format!("{name}-2")).await.unwrap();
    });
    let _ = std::fs::remove_dir_all(backups);
}

/// Runs a recipe script with nothing listening at the servers' addresses.
fn offline(bin: &str, args: &[&str]) -> (i32, String) {
    let out = Command::new(bin)
        .args(args)
        .env("NOMAD_ADDR", "http://127.0.0.1:1")
        .env("CONSUL_HTTP_ADDR", "http://127.0.0.1:1")
        .env("VAULT_ADDR", "http://127.0.0.1:1")
        .env_remove("NOMAD_NAMESPACE")
        .output()
        .expect("the script starts");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn recipe_scripts_fail_with_one_line_and_the_right_exit_code() {
    let settings = std::env::temp_dir().join(format!("settings-{}", sandbox::unique_suffix()));
    let settings = settings.to_str().unwrap();
    let cluster = ["--namespace", "atala-testnet", "--settings-dir", settings, "--skip-volume-check", "wiped"];
    let backups = std::env::temp_dir().join(format!("restore-{}", sandbox::unique_suffix()));
    let abort = ["--timeline", "2", "--archive-dir", "/nonexistent", "--abort", "--yes", "--backup-dir"];
    let abort = [&abort[..], &[backups.to_str().unwrap()]].concat();
    let cases: [(&str, Vec<&str>, i32, &str); 7] = [
        (env!("CARGO_BIN_EXE_bootstrap"), [&cluster[..], &["--scope", "a/b", "--dry-run"]].concat(), 1, "scope"),
        (
            env!("CARGO_BIN_EXE_bootstrap"),
            vec!["--namespace", "atala-testnet", "--settings-dir", settings, "--dry-run"],
            1,
            "--skip-volume-check",
        ),
        (
            env!("CARGO_BIN_EXE_restore"),
            [&cluster[..], &["--timeline", "0", "--archive-dir", "/nonexistent"]].concat(),
            1,
            "timeline",
        ),
        (
            env!("CARGO_BIN_EXE_restore"),
            [&cluster[..], &["--timeline", "2", "--at", "2026-11-22 05:12:00", "--archive-dir", "/nonexistent"]]
                .concat(),
            1,
            "time zone",
        ),
        (
            env!("CARGO_BIN_EXE_restore"),
            [&cluster[..], &abort[..]].concat(),
            1,
            "no restore of atala-testnet is in progress",
        ),
        (env!("CARGO_BIN_EXE_credentials"), vec!["--role", "../admin", "--yes"], 1, "role"),
        // The Vault token cannot be looked up: the plan refuses (exit 3) and nothing is read.
        (env!("CARGO_BIN_EXE_credentials"), vec!["--role", "developer", "--dry-run"], 3, "Vault token"),
    ];
    for (bin, args, code, needle) in cases {
        let (got, stderr) = offline(bin, &args);
        assert_eq!(got, code, "{bin} {args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{bin} {args:?}: one line: {stderr}");
        assert!(stderr.starts_with("error: ") && stderr.contains(needle), "{bin} {args:?}: {stderr}");
    }
}
