//! Against a real 2-member cluster shared by these tests (REST API with
//! basic auth): decoding, health yes/no, config PATCH, DCS view, refusals.

use std::time::Duration;

use futures::StreamExt;
use patroni_client::{
    ClientError, ClusterView, ConfigPatch, DcsView, Error, Failover, HealthCheck, HealthOptions, Healthy,
    PatroniClient, RestartOptions, Role, State, Switchover, render_table,
};

use crate::common::shared_cluster;

#[tokio::test]
async fn status_cluster_and_history_decode_from_real_members() {
    let Some(shared) = shared_cluster() else { return };
    let leader = shared.client(shared.leader).status().await.unwrap();
    eprintln!("testing against Patroni {}", leader.patroni.version);
    assert_eq!(leader.role, Role::Primary);
    assert_eq!(leader.state, State::Running);
    assert_eq!(leader.patroni.scope, shared.scope());
    assert!(leader.server_version.is_some_and(|v| v >= 150_000));
    assert_eq!(leader.replication.len(), 1);
    assert_eq!(leader.replication[0].application_name, shared.names[shared.replica()]);

    let replica = shared.client(shared.replica()).status().await.unwrap();
    assert_eq!(replica.role, Role::Replica);
    assert_eq!(replica.database_system_identifier, leader.database_system_identifier);

    let view = ClusterView::from_clients(vec![shared.client(0), shared.client(1)]).unwrap();
    let cluster = view.wait_until(&Healthy::new(2, 1024 * 1024), Duration::from_secs(60)).await.unwrap();
    assert_eq!(cluster.members.len(), 2);
    assert_eq!(cluster.leader().unwrap().name, shared.names[shared.leader]);
    assert_eq!(view.leader_client().await.unwrap().url(), shared.urls[shared.leader]);

    let history = shared.client(shared.replica()).history().await.unwrap();
    assert!(history.iter().all(|h| h.timeline >= 1), "{history:?}");

    let table = render_table(&shared.scope(), leader.database_system_identifier.as_deref(), &cluster);
    for name in &shared.names {
        assert!(table.contains(&format!("| {name} ")), "{table}");
    }
    assert!(table.contains("| Leader ") && table.contains("| Replica "), "{table}");
}

#[tokio::test]
async fn health_checks_say_yes_and_no_with_the_status() {
    let Some(shared) = shared_cluster() else { return };
    let leader = shared.client(shared.leader);
    let replica = shared.client(shared.replica());
    let expect = [
        (HealthCheck::Primary, true, false),
        (HealthCheck::ReadWrite, true, false),
        (HealthCheck::Leader, true, false),
        (HealthCheck::StandbyLeader, false, false),
        (HealthCheck::Replica, false, true),
        (HealthCheck::ReadOnly, true, true),
        (HealthCheck::Asynchronous, false, true),
        (HealthCheck::Synchronous, false, false),
        (HealthCheck::Health, true, true),
    ];
    for (check, on_leader, on_replica) in expect {
        let l = leader.check(check).await.unwrap();
        let r = replica.check(check).await.unwrap();
        assert_eq!((l.ok, r.ok), (on_leader, on_replica), "{check:?}");
        assert_eq!(l.status.unwrap().role, Role::Primary, "{check:?}");
        assert_eq!(r.status.unwrap().role, Role::Replica, "{check:?}");
    }
    assert!(leader.check(HealthCheck::Liveness).await.unwrap().ok);
    assert!(replica.check(HealthCheck::Readiness).await.unwrap().ok);
    let lagging = HealthOptions::default().max_lag_bytes(16 * 1024 * 1024);
    assert!(replica.check_with(HealthCheck::Replica, &lagging).await.unwrap().ok);
    let tagged = HealthOptions::default().tag("zone", "nowhere");
    let no = replica.check_with(HealthCheck::Replica, &tagged).await.unwrap();
    assert!(!no.ok && no.status.is_some());
}

#[tokio::test]
async fn config_patch_round_trips_through_rest_and_dcs() {
    let Some(shared) = shared_cluster() else { return };
    let client = shared.client(shared.replica());
    let patched = client.patch_config(&ConfigPatch::new().parameter("work_mem", "7MB")).await.unwrap();
    assert_eq!(patched.postgresql.as_ref().unwrap().parameters["work_mem"], "7MB");
    assert_eq!(patched.ttl, Some(30));
    let dcs = DcsView::new(
        consul_client::ConsulClient::builder().address(&shared.consul_addr).build().unwrap(),
        &shared.scope(),
    )
    .unwrap()
    .read()
    .await
    .unwrap();
    assert_eq!(dcs.config.as_ref(), Some(&patched));
    // Members serve GET /config from their cached view of the DCS, which
    // catches up within a loop_wait.
    let leader = shared.client(shared.leader);
    let mut read = leader.config().await.unwrap();
    for _ in 0..40 {
        if read == patched {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
        read = leader.config().await.unwrap();
    }
    assert_eq!(read, patched);

    let reverted = client.patch_config(&ConfigPatch::new().remove_parameter("work_mem")).await.unwrap();
    assert!(!reverted.postgresql.as_ref().unwrap().parameters.contains_key("work_mem"));
    // PUT replaces the whole configuration (here with what PATCH returned: a no-op).
    assert_eq!(client.replace_config(&reverted).await.unwrap(), reverted);
    let raw = client.config_raw().await.unwrap();
    assert_eq!(raw["ttl"], 30, "{raw}");
}

#[tokio::test]
async fn dcs_view_matches_the_rest_view() {
    let Some(shared) = shared_cluster() else { return };
    let consul = consul_client::ConsulClient::builder().address(&shared.consul_addr).build().unwrap();
    let view = DcsView::new(consul, &shared.scope()).unwrap().with_namespace("/service/").unwrap();
    let dcs = view.read().await.unwrap();
    let cluster = shared.client(0).cluster().await.unwrap();
    assert_eq!(dcs.leader.as_deref(), Some(cluster.leader().unwrap().name.as_str()));
    assert!(dcs.leader_session.is_some());
    assert_eq!(dcs.members.keys().collect::<Vec<_>>(), cluster.members.iter().map(|m| &m.name).collect::<Vec<_>>());
    for m in &cluster.members {
        let d = &dcs.members[&m.name];
        assert_eq!(d.api_url, m.api_url, "{}", m.name);
        assert_eq!(d.conn_url.as_deref(), Some(format!("postgres://127.0.0.1:{}/postgres", m.port.unwrap()).as_str()));
        assert!(d.role.as_ref().is_some_and(|r| r.is_leader() == m.role.is_leader()), "{}: {:?}", m.name, d.role);
        assert!(d.session.is_some());
    }
    let status = shared.client(shared.leader).status().await.unwrap();
    assert_eq!(dcs.initialize, status.database_system_identifier);
    assert!(dcs.status.as_ref().and_then(|s| s.optime).is_some_and(|o| o > 0));
    assert!(dcs.config.is_some());

    let mut watch = Box::pin(view.watch_leader());
    let first = tokio::time::timeout(Duration::from_secs(10), watch.next()).await.unwrap().unwrap().unwrap();
    assert_eq!(first, dcs.leader);
}

#[tokio::test]
async fn switchover_refusals_and_scheduled_operations() {
    let Some(shared) = shared_cluster() else { return };
    let leader = &shared.names[shared.leader];
    let replica = &shared.names[shared.replica()];
    let client = shared.client(shared.replica());
    let err = client.switchover(&Switchover::from_leader(leader).to("no-such-member")).await.unwrap_err();
    let Error::Refused { status, message, .. } = &err else { panic!("{err:?}") };
    assert_eq!(*status, 412, "{err}");
    assert!(message.contains("candidate does not exists"), "{err}");
    assert!(err.to_string().contains("refused to switch over"), "{err}");

    // Scheduled an hour ahead, seen in /cluster, then cancelled.
    let at = (chrono::Utc::now() + chrono::Duration::hours(1)).fixed_offset();
    let out = client.switchover(&Switchover::from_leader(leader).to(replica).at(at)).await.unwrap();
    assert!(out.is_scheduled(), "{out:?}");
    let scheduled = client.cluster().await.unwrap().scheduled_switchover.expect("scheduled switchover in /cluster");
    assert_eq!((scheduled.from.as_deref(), scheduled.to.as_deref()), (Some(leader.as_str()), Some(replica.as_str())));
    let cancelled = client.cancel_switchover().await.unwrap();
    assert_eq!(cancelled.status, 200, "{cancelled:?}");
    assert!(client.cluster().await.unwrap().scheduled_switchover.is_none());

    let restart = RestartOptions { schedule: Some(at), ..RestartOptions::default() };
    assert!(client.restart(&restart).await.unwrap().is_scheduled());
    assert!(client.status().await.unwrap().scheduled_restart.is_some());
    let err = client.restart(&restart).await.unwrap_err();
    assert_eq!(err.status(), Some(409), "{err}");
    assert_eq!(client.cancel_restart().await.unwrap().status, 200);
    let err = client.cancel_restart().await.unwrap_err();
    assert_eq!(err.status(), Some(404), "{err}");
    assert!(client.status().await.unwrap().scheduled_restart.is_none());
}

#[tokio::test]
async fn wrong_or_missing_credentials_get_401() {
    let Some(shared) = shared_cluster() else { return };
    let wrong =
        PatroniClient::builder().address(&shared.urls[0]).basic_auth("patroni", "wrong-password").build().unwrap();
    let err = wrong.reload().await.unwrap_err();
    assert!(matches!(err, Error::Refused { status: 401, .. }), "{err:?}");
    assert!(err.to_string().contains("not authenticated"), "{err}");
    assert!(!format!("{err:?} {wrong:?}").contains("wrong-password"));
    let anonymous = PatroniClient::builder().address(&shared.urls[0]).build().unwrap();
    let err = anonymous.patch_config(&ConfigPatch::new().loop_wait(2)).await.unwrap_err();
    assert_eq!(err.status(), Some(401), "{err}");
    // Reads stay open, as in Patroni.
    assert_eq!(anonymous.status().await.unwrap().patroni.scope, shared.scope());
    // The right credentials work.
    assert!(shared.client(0).reload().await.unwrap().status < 300);
}

#[tokio::test]
async fn scope_names_with_a_slash_are_refused() {
    let consul = consul_client::ConsulClient::builder().address("http://127.0.0.1:1").build().unwrap();
    for bad in ["a/b", "", "..", "x\0y", " pad", "prod database", "tab\tx", "."] {
        let err = DcsView::new(consul.clone(), bad).unwrap_err();
        assert!(matches!(err, Error::Core(client_core::Error::InvalidInput { .. })), "{bad:?}: {err}");
    }
    assert!(DcsView::new(consul.clone(), "ok").unwrap().with_namespace("../x").is_err());
    assert_eq!(DcsView::new(consul, "db").unwrap().prefix(), "service/db/");
}

#[tokio::test]
async fn an_unreachable_member_is_a_transport_error_naming_it() {
    let port = sandbox::ports::free_port();
    let err = PatroniClient::builder()
        .address(&format!("http://127.0.0.1:{port}"))
        .build()
        .unwrap()
        .status()
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, Error::Core(client_core::Error::Transport { .. })), "{err:?}");
    assert!(text.contains(&format!("127.0.0.1:{port}")) && text.contains("GET /patroni"), "{text}");
}

#[tokio::test]
async fn failover_on_the_healthy_cluster_is_refused_before_anything_is_sent() {
    let Some(shared) = shared_cluster() else { return };
    let leader = &shared.names[shared.leader];
    let replica = &shared.names[shared.replica()];
    for member in [shared.leader, shared.replica()] {
        let err = shared.client(member).failover(&Failover::to(replica)).await.unwrap_err();
        assert!(matches!(err, Error::Guarded { .. }), "{err:?}");
        let text = err.to_string();
        assert!(text.contains(&format!("healthy leader, {leader}")) && text.contains("switchover"), "{text}");
        assert!(text.contains("nothing was sent"), "{text}");
    }
    let cluster = shared.client(shared.replica()).cluster().await.unwrap();
    assert_eq!(cluster.leader().unwrap().name, *leader, "the leader did not change");
    assert!(cluster.scheduled_switchover.is_none());
}
