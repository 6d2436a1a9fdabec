//! The sandbox starts a real 2-member Patroni cluster that elects a leader
//! and streams to a replica, and stops it.

use std::time::{Duration, Instant};

#[test]
fn two_member_cluster_elects_leader_and_streams() {
    let consul = match sandbox::Consul::start() {
        Ok(c) => c,
        Err(e) => return sandbox::unavailable("Consul", &e),
    };
    let scope = format!("sandbox-{}", sandbox::unique_suffix());
    let mut cluster = match sandbox::PatroniCluster::new(&consul.host_port(), &scope, 2) {
        Ok(c) => c,
        Err(e) => return sandbox::unavailable("Patroni", &e),
    };
    cluster.merge_config(
        serde_json::json!({ "tags": { "zone": "sandbox" }, "postgresql": { "parameters": { "max_connections": 30 } } }),
    );
    let started = Instant::now();
    let leader = cluster.start_all_and_wait_leader(Duration::from_secs(90)).unwrap();
    let leader_after = started.elapsed();
    assert_eq!(cluster.wait_streaming(1, Duration::from_secs(90)).unwrap(), leader);
    eprintln!("leader after {leader_after:?}, streaming replica after {:?}", started.elapsed());

    let replica = 1 - leader;
    let (status, body) = cluster.get_json(replica, "/patroni").unwrap();
    assert_eq!(status, 200);
    assert_eq!(body["role"], "replica");
    assert_eq!(body["patroni"]["scope"], scope.as_str());
    assert_eq!(body["tags"]["zone"], "sandbox", "merge_config reaches the member: {body}");
    let (status, _) = cluster.get_json(replica, "/leader").unwrap();
    assert_eq!(status, 503);

    // The replica's base backup forced a WAL switch: segments and a
    // `.backup` label reach the shared archive through archive_command.
    let archive = cluster.archive_dir();
    let names = || -> Vec<String> {
        std::fs::read_dir(&archive).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect()
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while !names().iter().any(|n| n.ends_with(".backup")) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(250));
    }
    let archived = names();
    assert!(archived.iter().any(|n| n.ends_with(".backup")), "no .backup label in {archived:?}");
    assert!(archived.iter().any(|n| n.len() == 24 && n.chars().all(|c| c.is_ascii_hexdigit())), "{archived:?}");

    // A wiped replica comes back as a fresh replica of the same leader.
    cluster.stop_member(replica);
    assert!(!cluster.is_running(replica));
    assert!(cluster.wipe_member_data(replica).is_ok());
    assert!(!cluster.data_dir(replica).exists());
    cluster.start_member(replica).unwrap();
    assert!(cluster.wipe_member_data(replica).is_err(), "wiping a running member must be refused");
    assert_eq!(cluster.wait_streaming(1, Duration::from_secs(90)).unwrap(), leader);

    let data = cluster.data_dir(leader);
    let api_port = cluster.api_port(leader);
    drop(cluster);
    assert!(!sandbox::postgres::is_running(&data));
    assert!(!sandbox::ports::is_listening(api_port));
}
