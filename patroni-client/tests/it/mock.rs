//! Request shapes and error handling against wiremock, answering with the
//! real recorded bodies.

use patroni_client::{
    ClientError, ClusterView, ConfigPatch, Error, Failover, HealthCheck, HealthOptions, PatroniClient,
    ReinitializeOptions, RestartOptions, RestartRole, Role, Switchover,
};
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::FIXTURES;

#[tokio::test]
async fn health_no_is_a_503_with_the_status_not_an_error() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/replica"))
        .and(query_param("lag", "1048576"))
        .and(query_param("tag_zone", "a"))
        .respond_with(FIXTURES.json_response(503, "3.0.2/patroni.node2.json"))
        .expect(1) // a "no" is an answer: never retried
        .mount(&server)
        .await;
    let client = PatroniClient::builder().address(&server.uri()).build().unwrap();
    let opts = HealthOptions::default().max_lag_bytes(1_048_576).tag("zone", "a");
    let health = client.check_with(HealthCheck::Replica, &opts).await.unwrap();
    assert!(!health.ok);
    assert_eq!(health.status.unwrap().role, Role::Primary);
}

#[tokio::test]
async fn liveness_without_body_is_a_yes_without_status() {
    let server = MockServer::start().await;
    Mock::given(method("GET")).and(path("/liveness")).respond_with(ResponseTemplate::new(200)).mount(&server).await;
    let health =
        PatroniClient::builder().address(&server.uri()).build().unwrap().check(HealthCheck::Liveness).await.unwrap();
    assert!(health.ok);
    assert!(health.status.is_none());
}

#[tokio::test]
async fn basic_auth_is_sent_and_401_names_the_refusal() {
    let server = MockServer::start().await;
    // base64("patroni:wrong")
    Mock::given(method("POST"))
        .and(path("/switchover"))
        .and(header("authorization", "Basic cGF0cm9uaTp3cm9uZw=="))
        .and(body_json(serde_json::json!({"leader": "dbHA1", "candidate": "dbHA2"})))
        .respond_with(ResponseTemplate::new(401).set_body_string("not authenticated"))
        .expect(1)
        .mount(&server)
        .await;
    let client = PatroniClient::builder().address(&server.uri()).basic_auth("patroni", "wrong").build().unwrap();
    let err = client.switchover(&Switchover::from_leader("dbHA1").to("dbHA2")).await.unwrap_err();
    assert!(matches!(err, Error::Refused { status: 401, .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("refused to switch over (HTTP 401): not authenticated"), "{text}");
    assert!(!text.contains("wrong") && !format!("{err:?}").contains("cGF0cm9uaTp3cm9uZw"), "{err:?}");
    assert!(!format!("{client:?}").contains("cGF0cm9uaTp3cm9uZw"), "{client:?}");
}

#[tokio::test]
async fn operations_send_documented_bodies() {
    let server = MockServer::start().await;
    let cases: Vec<(&str, &str, serde_json::Value, u16, &str)> = vec![
        ("POST", "/failover", serde_json::json!({"candidate": "dbHA2"}), 200, "Successfully failed over to \"dbHA2\""),
        (
            "POST",
            "/restart",
            serde_json::json!({"restart_pending": true, "role": "replica", "timeout": 30}),
            200,
            "restarted successfully",
        ),
        ("POST", "/reinitialize", serde_json::json!({"force": true}), 200, "reinitialize started"),
    ];
    for (m, p, body, status, text) in &cases {
        Mock::given(method(*m))
            .and(path(*p))
            .and(header("content-type", "application/json"))
            .and(body_json(body))
            .respond_with(ResponseTemplate::new(*status).set_body_string(*text))
            .expect(1)
            .mount(&server)
            .await;
    }
    Mock::given(method("POST"))
        .and(path("/reload"))
        .and(header("content-length", "0"))
        .respond_with(ResponseTemplate::new(202).set_body_string("reload scheduled"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/switchover"))
        .respond_with(ResponseTemplate::new(404).set_body_string("no switchover is scheduled"))
        .expect(1)
        .mount(&server)
        .await;
    let client = PatroniClient::builder().address(&server.uri()).build().unwrap();
    let out = client.failover(&Failover::to("dbHA2").despite_healthy_leader()).await.unwrap();
    assert_eq!(out.message, "Successfully failed over to \"dbHA2\"");
    let restart = RestartOptions {
        restart_pending: Some(true),
        role: Some(RestartRole::Replica),
        timeout: Some(30),
        ..RestartOptions::default()
    };
    assert_eq!(client.restart(&restart).await.unwrap().message, "restarted successfully");
    let reinit = client.reinitialize(&ReinitializeOptions { force: true, from_leader: false }).await.unwrap();
    assert_eq!(reinit.status, 200);
    let reload = client.reload().await.unwrap();
    assert!(reload.is_scheduled());
    let err = client.cancel_switchover().await.unwrap_err();
    assert_eq!(err.status(), Some(404));
    assert!(err.to_string().ends_with("no switchover is scheduled"), "{err}");
}

#[tokio::test]
async fn config_patch_sends_the_merge_and_decodes_the_result() {
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .and(path("/config"))
        .and(body_json(serde_json::json!({"postgresql": {"parameters": {"work_mem": "8MB"}}, "pause": true})))
        .respond_with(FIXTURES.json_response(200, "4.1.5/config.node3.json"))
        .expect(1)
        .mount(&server)
        .await;
    let client = PatroniClient::builder().address(&server.uri()).build().unwrap();
    let patch = ConfigPatch::new().parameter("work_mem", "8MB").pause(true);
    let config = client.patch_config(&patch).await.unwrap();
    assert_eq!(config.ttl, Some(30));
    let err = client.patch_config_raw(&serde_json::json!([1])).await.unwrap_err();
    assert!(err.to_string().contains("must be a JSON object"), "{err}");
}

#[tokio::test]
async fn bad_names_are_rejected_before_any_request() {
    let server = MockServer::start().await;
    let client = PatroniClient::builder().address(&server.uri()).build().unwrap();
    for bad in ["", "a\0b", " dbHA1"] {
        let err = client.switchover(&Switchover::from_leader(bad)).await.unwrap_err();
        assert!(matches!(err, Error::Core(client_core::Error::InvalidInput { .. })), "{bad:?}: {err}");
    }
    assert!(server.received_requests().await.unwrap().is_empty());
    assert!(PatroniClient::builder().address("not a url").build().is_err());
    assert!(ClusterView::new::<&str>(&[]).is_err());
}

#[tokio::test]
async fn view_skips_an_unreachable_member_and_finds_the_leader() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/cluster"))
        .respond_with(FIXTURES.json_response(200, "3.0.2/cluster.node2.json"))
        .mount(&server)
        .await;
    let dead = format!("http://127.0.0.1:{}", sandbox::ports::free_port());
    let view = ClusterView::new(&[dead.as_str(), server.uri().as_str()]).unwrap();
    let leader = view.leader().await.unwrap();
    assert_eq!(leader.name, "dbHA2");
    assert_eq!(leader.api_base_url(), Some("http://127.0.0.1:8002"));

    let only_dead = ClusterView::new(&[dead.as_str()]).unwrap();
    let err = only_dead.cluster().await.unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, Error::NoMemberReachable { .. }), "{err:?}");
    assert!(text.contains(&dead) && text.contains("connection failed"), "{text}");
}

#[tokio::test]
async fn the_leader_client_keeps_the_credentials() {
    let server = MockServer::start().await;
    // A recorded /cluster, with the leader's api_url pointing at this server.
    let mut cluster: serde_json::Value = FIXTURES.json("3.0.2/cluster.node2.json");
    cluster["members"][1]["api_url"] = format!("{}/patroni", server.uri()).into();
    Mock::given(method("GET"))
        .and(path("/cluster"))
        .respond_with(ResponseTemplate::new(200).set_body_json(&cluster))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/reload"))
        .and(header("authorization", "Basic cGF0cm9uaTpzM2NyZXQ=")) // patroni:s3cret
        .respond_with(ResponseTemplate::new(202).set_body_string("reload scheduled"))
        .expect(1)
        .mount(&server)
        .await;
    let seed = PatroniClient::builder().address(&server.uri()).basic_auth("patroni", "s3cret").build().unwrap();
    let view = ClusterView::from_clients(vec![seed]).unwrap();
    let leader = view.leader_client().await.unwrap();
    assert_eq!(leader.url(), server.uri());
    assert_eq!(leader.reload().await.unwrap().message, "reload scheduled");
}

#[tokio::test]
async fn failover_is_refused_while_a_healthy_leader_runs_and_nothing_is_posted() {
    let healthy = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/cluster"))
        .respond_with(FIXTURES.json_response(200, "3.0.2/cluster.leader-or-replica.json"))
        .mount(&healthy)
        .await;
    let client = PatroniClient::builder().address(&healthy.uri()).build().unwrap();
    let err = client.failover(&Failover::to("dbHA1")).await.unwrap_err();
    assert!(matches!(err, Error::Guarded { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("healthy leader, dbHA2") && text.contains("switchover"), "{text}");
    assert!(text.contains("Switchover::from_leader(\"dbHA2\").to(\"dbHA1\")"), "{text}");
    let posts = healthy.received_requests().await.unwrap().into_iter().filter(|r| r.method.as_str() == "POST").count();
    assert_eq!(posts, 0, "nothing was posted");

    // Said explicitly: the failover goes through, and the body carries no flag.
    Mock::given(method("POST"))
        .and(path("/failover"))
        .and(body_json(serde_json::json!({"candidate": "dbHA1"})))
        .respond_with(ResponseTemplate::new(200).set_body_string("Successfully failed over to \"dbHA1\""))
        .expect(1)
        .mount(&healthy)
        .await;
    let out = client.failover(&Failover::to("dbHA1").despite_healthy_leader()).await.unwrap();
    assert_eq!(out.status, 200);

    // No running leader: the failover is what the cluster needs, no flag required.
    let leaderless = MockServer::start().await;
    let body = serde_json::json!({"members": [
        {"name": "dbHA1", "role": "replica", "state": "running", "timeline": 2},
        {"name": "dbHA2", "role": "leader", "state": "stopped", "timeline": 2}]});
    Mock::given(method("GET"))
        .and(path("/cluster"))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(&leaderless)
        .await;
    Mock::given(method("POST"))
        .and(path("/failover"))
        .respond_with(ResponseTemplate::new(200).set_body_string("Successfully failed over to \"dbHA1\""))
        .expect(1)
        .mount(&leaderless)
        .await;
    let client = PatroniClient::builder().address(&leaderless.uri()).build().unwrap();
    assert_eq!(client.failover(&Failover::to("dbHA1")).await.unwrap().status, 200);

    // A cluster state that cannot be read refuses: the guard never guesses.
    let unknown = MockServer::start().await;
    Mock::given(method("GET")).and(path("/cluster")).respond_with(ResponseTemplate::new(404)).mount(&unknown).await;
    let client = PatroniClient::builder().address(&unknown.uri()).build().unwrap();
    let err = client.failover(&Failover::to("dbHA1")).await.unwrap_err();
    assert!(matches!(err, Error::Guarded { .. }) && err.to_string().contains("could not be read"), "{err}");
    let posts = unknown.received_requests().await.unwrap().into_iter().filter(|r| r.method.as_str() == "POST").count();
    assert_eq!(posts, 0);
}
