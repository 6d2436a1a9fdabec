//! The recorded Consul KV of 3.0.2 and 4.1.5 scopes decodes into typed
//! values; backup files are checked before anything is written.

use consul_client::{ConsulClient, KvPair};
use patroni_client::{DcsState, DcsView, Error, Role, State};

use crate::common::fixture;

fn recorded(version: &str) -> Vec<KvPair> {
    serde_json::from_str(&fixture(&format!("{version}/consul-kv-scope.json"))).unwrap()
}

#[test]
fn recorded_scopes_decode_in_both_versions() {
    for (version, scope, leader, replica, leader_role) in
        [("3.0.2", "demo-database", "dbHA2", "dbHA1", "master"), ("4.1.5", "demo4-database", "p4n4", "p4n3", "primary")]
    {
        let pairs = recorded(version);
        let state = DcsState::from_pairs(&format!("service/{scope}/"), &pairs).unwrap();
        assert_eq!(state.leader.as_deref(), Some(leader), "{version}");
        assert!(state.leader_session.is_some(), "{version}");
        assert_eq!(state.members.len(), 2, "{version}");
        let l = &state.members[leader];
        assert_eq!(l.role, Some(Role::Primary), "{version}: written as {leader_role}");
        assert_eq!(l.state, Some(State::Running), "{version}");
        assert_eq!(l.version.as_deref(), Some(version));
        assert_eq!(l.xlog_location, Some(67_109_304), "{version}");
        assert!(l.session.is_some() && l.extra.is_empty(), "{version}: {:?}", l.extra);
        assert_eq!(state.members[replica].role, Some(Role::Replica), "{version}");
        assert!(state.initialize.as_deref().is_some_and(|s| s.len() == 19), "{version}");
        assert_eq!(state.history.as_ref().unwrap()[0].new_leader.as_deref(), Some(leader), "{version}");
        assert!(state.failover.as_ref().unwrap().is_empty(), "{version}: `{{}}` means nothing pending");
        assert_eq!(state.status.as_ref().unwrap().optime, Some(67_109_304), "{version}");
        assert_eq!(state.config.as_ref().unwrap().ttl, Some(30), "{version}");
        assert!(state.sync.is_none() && state.other_keys.is_empty(), "{version}");
    }
    let v4 = DcsState::from_pairs("service/demo4-database/", &recorded("4.1.5")).unwrap();
    let replica = &v4.members["p4n3"];
    assert_eq!((replica.replay_lsn, replica.replication_state.clone()), (Some(67_109_304), Some(State::Streaming)));
    assert_eq!(v4.status.unwrap().slots.unwrap()["p4n3"], 67_109_304);
}

#[test]
fn legacy_values_and_foreign_keys() {
    let pair = |key: &str, value: &str| KvPair {
        key: key.to_owned(),
        create_index: 1,
        modify_index: 1,
        lock_index: 0,
        flags: 0,
        value: Some(value.as_bytes().to_vec()),
        session: None,
    };
    let pairs = vec![
        pair("service/db/members/old", "postgres://10.0.0.1:5432/postgres"),
        pair("service/db/failover", "dbHA1:dbHA2"),
        pair("service/db/sync", r#"{"leader": "dbHA1", "sync_standby": "dbHA2,dbHA3", "quorum": null}"#),
        pair("service/db/optime/leader", "123"),
        pair("service/db2/leader", "not ours"),
    ];
    let state = DcsState::from_pairs("service/db/", &pairs).unwrap();
    assert_eq!(state.members["old"].conn_url.as_deref(), Some("postgres://10.0.0.1:5432/postgres"));
    let failover = state.failover.unwrap();
    assert_eq!((failover.leader.as_deref(), failover.member.as_deref()), (Some("dbHA1"), Some("dbHA2")));
    assert_eq!(state.sync.unwrap().standbys(), ["dbHA2", "dbHA3"]);
    assert_eq!(state.other_keys, ["optime/leader"]);
    assert_eq!(state.leader, None, "a look-alike scope's leader is not ours");

    let bad = vec![pair("service/db/config", "{not json")];
    let err = DcsState::from_pairs("service/db/", &bad).unwrap_err();
    assert!(matches!(err, Error::DcsValue { .. }), "{err:?}");
    assert!(err.to_string().contains("\"service/db/config\" holds a value that is not a configuration"), "{err}");
}

#[tokio::test]
async fn unreadable_or_foreign_backup_files_are_refused_before_any_request() {
    // Nothing listens here: the file is checked before Consul is asked.
    let view = DcsView::new(ConsulClient::builder().address("http://127.0.0.1:1").build().unwrap(), "db").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.json");
    let err = view.restore_scope_state(&missing).await.unwrap_err();
    assert!(matches!(err, Error::Backup { .. }) && err.to_string().contains("cannot read it"), "{err}");

    let wrong_format = dir.path().join("other.json");
    std::fs::write(
        &wrong_format,
        r#"{"format": "something/else", "namespace": "service", "scope": "db", "prefix": "service/db/",
            "taken_at": "2026-11-22T05:00:00+00:00", "keys": []}"#,
    )
    .unwrap();
    let err = view.restore_scope_state(&wrong_format).await.unwrap_err();
    assert!(err.to_string().contains("expected \"patroni-client/scope-backup/v1\""), "{err}");

    let escaping = dir.path().join("escaping.json");
    std::fs::write(
        &escaping,
        r#"{"format": "patroni-client/scope-backup/v1", "namespace": "service", "scope": "db",
            "prefix": "service/db/", "taken_at": "2026-11-22T05:00:00+00:00",
            "keys": [{"key": "service/db2/leader", "flags": 0, "value": "eA=="}]}"#,
    )
    .unwrap();
    let err = view.restore_scope_state(&escaping).await.unwrap_err();
    assert!(err.to_string().contains("\"service/db2/leader\" lies outside \"service/db/\""), "{err}");
}
