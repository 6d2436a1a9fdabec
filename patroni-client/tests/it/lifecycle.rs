//! One private real cluster taken through a switchover, a guarded and a
//! deliberate failover, a crash failover,
//! a stop, and the removal and restore of its DCS state next to look-alike
//! scopes.

use std::time::Duration;

use consul_client::{ConsulClient, KvPair, PutOptions, QueryOptions};
use patroni_client::{
    ClusterView, DcsView, Error, Failover, Healthy, LeaderIs, PatroniClient, RemoveOptions, Switchover,
};

/// Key, flags and value: what "byte for byte" compares.
fn content(pairs: &[KvPair]) -> Vec<(String, u64, Option<Vec<u8>>)> {
    pairs.iter().map(|p| (p.key.clone(), p.flags, p.value.clone())).collect()
}

async fn list(consul: &ConsulClient, prefix: &str) -> Vec<KvPair> {
    consul.kv().list(prefix, &QueryOptions::default()).await.unwrap().value
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn switchover_failover_then_remove_and_restore_scope_state() {
    let Some(consul_server) = sandbox::shared_consul() else { return };
    let scope = format!("pc-life-{}", sandbox::unique_suffix());
    let mut cluster = match sandbox::PatroniCluster::new(&consul_server.host_port(), &scope, 2) {
        Ok(c) => c,
        Err(e) => return sandbox::unavailable("Patroni", &e),
    };
    let first = tokio::task::block_in_place(|| cluster.start_all_and_wait_leader(Duration::from_secs(90))).unwrap();
    let names: Vec<String> = (0..2).map(|i| cluster.member_name(i).to_owned()).collect();
    let view = ClusterView::new(&[cluster.api_url(0), cluster.api_url(1)]).unwrap();
    view.wait_until(&Healthy::new(2, 1024 * 1024), Duration::from_secs(90)).await.unwrap();

    // Switchover to the replica; the view reports the new leader.
    let second = 1 - first;
    let client = PatroniClient::builder().address(&cluster.api_url(first)).build().unwrap();
    let out = client.switchover(&Switchover::from_leader(&names[first]).to(&names[second])).await.unwrap();
    assert_eq!(out.status, 200, "{out:?}");
    assert!(out.message.contains(&names[second]), "{out:?}");
    view.wait_until(&LeaderIs(names[second].clone()), Duration::from_secs(60)).await.unwrap();
    // The members' keys catch up with the promotion within a loop.
    let on_timeline = |tl: u64, name: String| {
        move |c: &patroni_client::ClusterInfo| c.leader().is_some_and(|l| l.name == name && l.timeline == Some(tl))
    };
    view.wait_until(&on_timeline(2, names[second].clone()), Duration::from_secs(30)).await.unwrap();
    view.wait_until(&Healthy::new(2, 16 * 1024 * 1024), Duration::from_secs(90)).await.unwrap();

    // A failover while that leader is healthy is refused before anything is
    // sent; said explicitly, it goes through.
    let on_second = PatroniClient::builder().address(&cluster.api_url(second)).build().unwrap();
    let err = on_second.failover(&Failover::to(&names[first])).await.unwrap_err();
    assert!(matches!(err, Error::Guarded { .. }) && err.to_string().contains("switchover"), "{err:?}");
    assert_eq!(on_second.cluster().await.unwrap().leader().unwrap().name, names[second]);
    let out = on_second.failover(&Failover::to(&names[first]).despite_healthy_leader()).await.unwrap();
    assert_eq!(out.status, 200, "{out:?}");
    view.wait_until(&LeaderIs(names[first].clone()), Duration::from_secs(60)).await.unwrap();
    view.wait_until(&on_timeline(3, names[first].clone()), Duration::from_secs(30)).await.unwrap();
    view.wait_until(&Healthy::new(2, 16 * 1024 * 1024), Duration::from_secs(90)).await.unwrap();

    // Crash the leader's node: the other member takes over within the TTL.
    cluster.kill_member(first);
    view.wait_until(&LeaderIs(names[second].clone()), Duration::from_secs(75)).await.unwrap();
    // After a crash the new leader may restart postgres once more before it reaches the new timeline on a loaded
    // machine (seen in CI: "dbHA2 replica starting" at 30 s), so the bound is the leader-race bound.
    view.wait_until(&on_timeline(4, names[second].clone()), Duration::from_secs(75)).await.unwrap();
    let history = PatroniClient::builder().address(&cluster.api_url(second)).build().unwrap().history().await.unwrap();
    assert_eq!(history.iter().map(|h| h.timeline).collect::<Vec<_>>(), [1, 2, 3], "{history:?}");

    // Stop the cluster; its keys are still held by sessions for up to a TTL.
    cluster.stop_member(second);
    let consul = ConsulClient::builder().address(&consul_server.http_addr()).build().unwrap();
    let dcs = DcsView::new(consul.clone(), &scope).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let backup = dir.path().join("scope.json");
    if dcs.raw_keys().await.unwrap().iter().any(|p| p.session.is_some()) {
        let err = dcs.remove_scope_state(&backup, RemoveOptions::default()).await.unwrap_err();
        assert!(matches!(err, Error::UnsafeState { .. }), "{err:?}");
        assert!(err.to_string().contains("held by Consul sessions"), "{err}");
        assert!(!backup.exists());
    }
    // End the stopped members' sessions now instead of waiting up to 2 x TTL
    // for Consul to expire them; Behavior=delete removes the keys they held.
    let sessions = consul.sessions().list(&QueryOptions::default()).await.unwrap().value;
    for s in sessions.iter().filter(|s| s.name.starts_with(&format!("{scope}-"))) {
        consul.sessions().destroy(&s.id, &consul_client::WriteOptions::default()).await.unwrap();
    }
    assert!(dcs.raw_keys().await.unwrap().iter().all(|p| p.session.is_none()));

    // Look-alike neighbours and a planted key inside the scope.
    let put = |key: String, value: &'static [u8], flags: u64| {
        let consul = consul.clone();
        async move {
            let opts = PutOptions { flags, ..PutOptions::default() };
            assert!(consul.kv().put(&key, value, &opts).await.unwrap());
        }
    };
    put(format!("service/{scope}2/leader"), b"other", 0).await;
    put(format!("service/{scope}-old/config"), b"{\"ttl\":30}", 7).await;
    put(format!("service/{scope}x"), b"raw neighbour", 0).await;
    put(format!("service/{scope}/planted/deep"), b"\x00\xffbinary", 42).await;
    let neighbours_before = list(&consul, &format!("service/{scope}")).await;
    let scope_before = dcs.raw_keys().await.unwrap();
    let keys: Vec<&str> = scope_before.iter().map(|p| p.key.as_str()).collect();
    for rel in ["config", "initialize", "history", "planted/deep"] {
        assert!(keys.contains(&format!("service/{scope}/{rel}").as_str()), "{keys:?}");
    }

    let saved = dcs.remove_scope_state(&backup, RemoveOptions::default()).await.unwrap();
    assert_eq!(saved.keys.len(), scope_before.len());
    assert!(dcs.raw_keys().await.unwrap().is_empty());
    let neighbours_after = list(&consul, &format!("service/{scope}")).await;
    let expected: Vec<&KvPair> =
        neighbours_before.iter().filter(|p| !p.key.starts_with(&format!("service/{scope}/"))).collect();
    assert_eq!(neighbours_after.len(), 3);
    assert_eq!(neighbours_after.iter().collect::<Vec<_>>(), expected, "neighbours changed (indexes included)");

    // A second removal refuses to overwrite the backup.
    let err = dcs.remove_scope_state(&backup, RemoveOptions::default()).await.unwrap_err();
    assert!(err.to_string().contains("already exists"), "{err}");

    // Restore: the same keys, flags and bytes.
    let restored = dcs.restore_scope_state(&backup).await.unwrap();
    assert_eq!(restored, scope_before.len());
    assert_eq!(content(&dcs.raw_keys().await.unwrap()), content(&scope_before));
    assert_eq!(content(&list(&consul, &format!("service/{scope}")).await), content(&neighbours_before));
    // Restoring again writes nothing; over a key that differs it is refused.
    assert_eq!(dcs.restore_scope_state(&backup).await.unwrap(), 0);
    put(format!("service/{scope}/initialize"), b"another system", 0).await;
    let err = dcs.restore_scope_state(&backup).await.unwrap_err();
    assert!(matches!(err, Error::UnsafeState { .. }) && err.to_string().contains("remove them first"), "{err}");
    // A backup of another scope is refused.
    let other = DcsView::new(consul.clone(), &format!("{scope}2")).unwrap();
    let err = other.restore_scope_state(&backup).await.unwrap_err();
    assert!(err.to_string().contains("not of"), "{err}");
    consul.kv().delete_tree(&format!("service/{scope}/")).await.unwrap();
    for n in [format!("service/{scope}2/"), format!("service/{scope}-old/")] {
        consul.kv().delete_tree(&n).await.unwrap();
    }
    consul.kv().delete(&format!("service/{scope}x"), &consul_client::DeleteOptions::default()).await.unwrap();
}
