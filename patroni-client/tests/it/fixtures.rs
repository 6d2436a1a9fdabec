//! Every recorded 3.0.2 and 4.1.5 response decodes, with the values the
//! real servers sent.

use patroni_client::{
    ClusterInfo, DynamicConfig, HistoryEntry, Lag, MemberStatus, Role, SenderSyncState, State, WalSenderState,
};

use crate::common::{fixture, fixtures_of};

#[test]
fn every_status_fixture_decodes() {
    for (name, text) in fixtures_of("patroni") {
        let s: MemberStatus = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(s.role == Role::Primary || s.role == Role::Replica, "{name}: {:?}", s.role);
        assert_eq!(s.state, State::Running, "{name}");
        assert_eq!(s.server_version, Some(150_018), "{name}");
        assert_eq!(s.timeline, Some(2), "{name}");
        assert!(s.wal_position().is_some_and(|p| p > 0), "{name}");
        assert!(s.extra.is_empty(), "{name}: unmodelled keys {:?}", s.extra.keys().collect::<Vec<_>>());
    }
}

#[test]
fn status_reads_master_and_primary_as_the_same_role() {
    let v3: MemberStatus = serde_json::from_str(&fixture("3.0.2/patroni.node2.json")).unwrap();
    let v4: MemberStatus = serde_json::from_str(&fixture("4.1.5/patroni.node4.json")).unwrap();
    for (s, version, replica) in [(&v3, "3.0.2", "dbHA1"), (&v4, "4.1.5", "p4n3")] {
        assert_eq!(s.role, Role::Primary);
        assert_eq!(s.patroni.version, version);
        assert_eq!(s.xlog.as_ref().unwrap().location, Some(67_109_304));
        assert_eq!(s.replication.len(), 1);
        assert_eq!(s.replication[0].application_name, replica);
        assert_eq!(s.replication[0].state, WalSenderState::Streaming);
        assert_eq!(s.replication[0].sync_state, SenderSyncState::Async);
    }
    assert_eq!(v3.patroni.name, None);
    assert_eq!(v4.patroni.name.as_deref(), Some("p4n4"));
    let replica: MemberStatus = serde_json::from_str(&fixture("4.1.5/patroni.node3.json")).unwrap();
    assert_eq!(replica.replication_state, Some(State::Streaming));
    assert_eq!(replica.xlog.unwrap().replayed_location, Some(67_109_304));
}

#[test]
fn every_cluster_fixture_decodes() {
    for (name, text) in fixtures_of("cluster") {
        let c: ClusterInfo = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(c.members.len(), 2, "{name}");
        let leader = c.leader().unwrap_or_else(|| panic!("{name}: no leader"));
        assert_eq!(leader.role, Role::Leader, "{name}");
        assert_eq!(leader.lag, None, "{name}");
        let replica = c.replicas().next().unwrap();
        assert_eq!(replica.lag, Some(Lag::Bytes(0)), "{name}");
        assert!(replica.state.is_running(), "{name}");
        assert!(replica.api_base_url().unwrap().starts_with("http://127.0.0.1:800"), "{name}");
        assert!(c.members.iter().all(|m| m.extra.is_empty()), "{name}");
    }
    let v4: ClusterInfo = serde_json::from_str(&fixture("4.1.5/cluster.node3.json")).unwrap();
    assert_eq!(v4.scope.as_deref(), Some("demo4-database"));
    let replica = v4.member("p4n3").unwrap();
    assert_eq!(replica.state, State::Streaming);
    assert_eq!(replica.replay_lsn.as_deref(), Some("0/40001B8"));
    assert_eq!(replica.receive_lag, Some(Lag::Bytes(0)));
}

#[test]
fn unknown_lag_roles_and_states_decode() {
    let text = r#"{"members": [
        {"name": "a", "role": "quorum_standby", "state": "starting after custom bootstrap", "lag": "unknown"},
        {"name": "b", "role": "witness", "state": "hibernating", "lag": 12, "new_field": 1}
    ]}"#;
    let c: ClusterInfo = serde_json::from_str(text).unwrap();
    assert_eq!(c.members[0].lag, Some(Lag::Unknown("unknown".into())));
    assert_eq!(c.members[0].lag.as_ref().unwrap().bytes(), None);
    assert_eq!(c.members[0].state, State::StartingAfterCustomBootstrap);
    assert_eq!(c.members[1].role, Role::Unknown("witness".into()));
    assert_eq!(c.members[1].state, State::Unknown("hibernating".into()));
    assert_eq!(c.members[1].extra["new_field"], 1);
    assert!(c.leader().is_none());
}

#[test]
fn every_history_fixture_decodes() {
    for (name, text) in fixtures_of("history") {
        let h: Vec<HistoryEntry> = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(h.len(), 1, "{name}");
        assert_eq!((h[0].timeline, h[0].switch_lsn), (1, 67_109_024), "{name}");
        assert_eq!(h[0].reason, "no recovery target specified", "{name}");
        assert!(h[0].timestamp.as_deref().unwrap().starts_with("2026-11-22T04:54"), "{name}");
        assert!(h[0].new_leader.is_some(), "{name}");
        // Serializing gives back what Patroni wrote.
        let back = serde_json::to_value(&h).unwrap();
        assert_eq!(back, serde_json::from_str::<serde_json::Value>(&text).unwrap(), "{name}");
    }
}

#[test]
fn every_config_fixture_decodes_and_round_trips() {
    for (name, text) in fixtures_of("config") {
        let c: DynamicConfig = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!((c.ttl, c.loop_wait, c.retry_timeout), (Some(30), Some(2), Some(10)), "{name}");
        let pg = c.postgresql.as_ref().unwrap();
        assert_eq!(pg.use_pg_rewind, Some(true));
        assert_eq!(pg.parameters["archive_mode"], "on");
        let back = serde_json::to_value(&c).unwrap();
        assert_eq!(back, serde_json::from_str::<serde_json::Value>(&text).unwrap(), "{name}");
    }
}

#[test]
fn healthy_condition_and_table_on_recorded_clusters() {
    use patroni_client::{ClusterCondition, Healthy, LeaderIs, render_table};
    let c: ClusterInfo = serde_json::from_str(&fixture("4.1.5/cluster.node3.json")).unwrap();
    assert_eq!(Healthy::new(2, 0).check(&c), Ok(()));
    let why = Healthy::new(3, 0).check(&c).unwrap_err();
    assert!(why.starts_with("2 of 3 members healthy"), "{why}");
    assert!(LeaderIs("p4n4".into()).check(&c).is_ok());
    assert!(LeaderIs("p4n3".into()).check(&c).unwrap_err().contains("p4n3 replica streaming lag 0"));
    let table = render_table("demo4-database", Some("7710854574632418901"), &c);
    assert_eq!(
        table,
        "\
+ Cluster: demo4-database (7710854574632418901) +----+-----------+
| Member | Host           | Role    | State     | TL | Lag in MB |
+--------+----------------+---------+-----------+----+-----------+
| p4n3   | 127.0.0.1:5433 | Replica | streaming |  2 |         0 |
| p4n4   | 127.0.0.1:5434 | Leader  | running   |  2 |           |
+--------+----------------+---------+-----------+----+-----------+
"
    );
}
