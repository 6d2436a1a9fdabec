//! The cluster status read from Patroni's real DCS state (recorded from Patroni 3.0.2 and 4.1.5).

use consul_client::KvPair;
use patroni_client::Role;
use recipes::ports::{ScopeEntry, ScopeSnapshot};
use test_support::Fixtures;

/// Patroni's recorded DCS state.
const PATRONI: Fixtures = Fixtures::new(env!("CARGO_MANIFEST_DIR")).under("patroni");

fn snapshot(version: &str, prefix: &str) -> ScopeSnapshot {
    let pairs: Vec<KvPair> = serde_json::from_str(&PATRONI.text(&format!("consul-kv-scope-{version}.json"))).unwrap();
    let entries = pairs.into_iter().map(|p| ScopeEntry::new(p.key, p.flags, p.value)).collect();
    ScopeSnapshot { prefix: prefix.to_owned(), index: 501, entries }
}

#[test]
fn patroni_3_0_2_after_switchover() {
    let status = snapshot("3.0.2", "service/demo-database/").cluster_status();
    assert_eq!(status.leader.as_deref(), Some("dbHA2"));
    let leader = status.running_leader().unwrap();
    // 3.0.2 publishes `master`: the same role as 4.x's `primary`.
    assert_eq!((&leader.role, leader.timeline), (&Role::Primary, Some(2)));
    let replica = status.member("dbHA1").unwrap();
    assert_eq!((&replica.role, replica.lag_bytes), (&Role::Replica, Some(0)));
    assert!(status.is_healthy(&["dbHA1".into(), "dbHA2".into()], 0));
    assert_eq!(
        status.unhealthy_reason(&["dbHA2".into(), "dbHA3".into()], 0).as_deref(),
        Some("member dbHA3 has not joined")
    );
}

#[test]
fn patroni_4_1_5_roles_are_understood() {
    let snap = snapshot("4.1.5", "service/demo4-database/");
    let status = snap.cluster_status();
    let leader = status.running_leader().expect("4.1.5 leader");
    assert!(leader.is_primary_role(), "{leader:?}");
    let names: Vec<String> = status.members.iter().map(|m| m.name.clone()).collect();
    assert!(status.is_healthy(&names, 16 << 20), "{:?}", status.unhealthy_reason(&names, 16 << 20));
    // Backups keep the values readable and exact.
    let json = serde_json::to_string(&snap).unwrap();
    let back: ScopeSnapshot = serde_json::from_str(&json).unwrap();
    assert_eq!(back, snap);
}
