//! The restart recipe on a real Patroni cluster: a restart-requiring parameter changed
//! through `PATCH /config`, applied member by member.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::StreamExt;
use patroni_client::{ConfigPatch, DcsView, PatroniClient};
use recipes::adapters::consul::ConsulScopeStore;
use recipes::adapters::patroni::{PatroniControl, PatroniMemberApi};
use recipes::restart::{Capabilities, Restart, RestartOptions};
use recipes::{Event, Progress};

use crate::real;

/// What was seen, with when.
type Timeline<T> = Arc<Mutex<Vec<(Instant, T)>>>;

fn caps(c: &real::RealCluster) -> Capabilities {
    Capabilities {
        scope_store: Arc::new(ConsulScopeStore::new(c.consul.clone())),
        control: Arc::new(PatroniControl::new()),
        member_api: Arc::new(PatroniMemberApi::new()),
    }
}

fn options(c: &real::RealCluster) -> RestartOptions {
    RestartOptions::new(&c.namespace).timeouts(Duration::from_secs(120), Duration::from_secs(120))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_applies_max_connections_replica_first_then_switchover_and_a_leader_throughout() {
    let Some(mut c) = real::start("restart") else { return };
    let replica = 1 - c.leader;
    let (leader_name, replica_name) =
        (c.cluster.member_name(c.leader).to_owned(), c.cluster.member_name(replica).to_owned());
    let recipe = Restart::new(options(&c), caps(&c)).unwrap();

    // Nothing pending: nothing to do (once the DCS, not only the REST API, shows the replica
    // running: the sandbox waits on the latter).
    let started = Instant::now();
    let first = loop {
        match recipe.plan().await {
            Ok(plan) => break plan,
            Err(e) if started.elapsed() < Duration::from_secs(60) => {
                eprintln!("not healthy yet: {e}");
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            Err(e) => panic!("the cluster never looked healthy to the recipe: {e}"),
        }
    };
    assert!(first.is_noop(), "{first:#?}");

    let api = PatroniClient::builder().address(&c.cluster.api_url(c.leader)).build().unwrap();
    api.patch_config(&ConfigPatch::new().parameter("max_connections", 150)).await.unwrap();
    c.until("pending_restart on both members", Duration::from_secs(60), |c| {
        (0..2).all(|i| c.status(i)["pending_restart"] == true)
    })
    .await;

    let plan = recipe.plan().await.unwrap();
    let names: Vec<&str> = plan.steps.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        [
            format!("restart {replica_name}"),
            format!("wait for {replica_name}"),
            format!("switch over from {leader_name}"),
            format!("wait for {replica_name} to lead"),
            format!("restart {leader_name}"),
            format!("wait for {leader_name}"),
        ],
        "replica first, then the leader after a switchover: {plan:#?}"
    );

    // Watch the leader key during the whole run, with the time of every change.
    let dcs = DcsView::new(c.consul.clone(), &c.scope).unwrap();
    let seen: Timeline<Option<String>> = Arc::default();
    let record = Arc::clone(&seen);
    let watcher = tokio::spawn(async move {
        let mut stream = std::pin::pin!(dcs.watch_leader());
        while let Some(item) = stream.next().await {
            if let Ok(leader) = item {
                record.lock().unwrap().push((Instant::now(), leader));
            }
        }
    });
    let steps: Timeline<String> = Arc::default();
    let log = Arc::clone(&steps);
    let progress = Progress::callback(move |e| {
        if let Event::StepStarted { step } | Event::StepFinished { step, .. } = e {
            log.lock().unwrap().push((Instant::now(), step.clone()));
        }
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    let report = match recipe.run(progress).await {
        Ok(r) => r,
        Err(e) => panic!("{e}\nreplica {}\n{}", c.status(replica), c.cluster.log_tail(replica)),
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    watcher.abort();

    assert_eq!(&report.done[..4], &names[..4], "{report:#?}");
    // The demotion restarts the former leader's PostgreSQL, or the recipe does.
    let former = format!("restart {leader_name}");
    assert!(report.done.contains(&former) || report.skipped.iter().any(|s| s.step == former), "{report:#?}");
    for i in 0..2 {
        let s = c.status(i);
        assert_eq!(s["pending_restart"], serde_json::Value::Null, "member {i} still pending: {s}");
        assert_eq!(s["state"], "running", "{s}");
    }
    let cluster = api.cluster().await.unwrap();
    assert_eq!(cluster.leader().map(|m| m.name.as_str()), Some(replica_name.as_str()), "the replica leads now");

    // A leader at every observed moment: the leader key named the old leader until the
    // switchover step, and at most a short handover gap inside that step, then the new one.
    let seen = seen.lock().unwrap().clone();
    let steps = steps.lock().unwrap().clone();
    let switch_start = steps.iter().find(|(_, s)| s.starts_with("switch over")).map(|(t, _)| *t).unwrap();
    assert!(!seen.is_empty());
    assert_eq!(seen[0].1.as_deref(), Some(leader_name.as_str()), "{seen:?}");
    for (i, (at, leader)) in seen.iter().enumerate() {
        if *at < switch_start {
            assert_eq!(
                leader.as_deref(),
                Some(leader_name.as_str()),
                "the leader changed before the switchover: {seen:?}"
            );
        }
        if leader.is_none() {
            let next = seen.get(i + 1).map(|(t, _)| *t).expect("the gap ended");
            assert!(
                next.duration_since(*at) < Duration::from_secs(10),
                "a leaderless gap of {:?}: {seen:?}",
                next.duration_since(*at)
            );
        }
    }
    assert_eq!(seen.last().unwrap().1.as_deref(), Some(replica_name.as_str()), "{seen:?}");

    // Done: a second run does nothing.
    let again = recipe.run(Progress::none()).await.unwrap();
    assert!(again.done.is_empty(), "{again:#?}");

    // An unhealthy cluster is refused: a crashed replica keeps its key but neither answers
    // nor streams.
    let new_replica = c.leader;
    api.patch_config(&ConfigPatch::new().parameter("max_connections", 160)).await.unwrap();
    c.cluster.kill_member(new_replica);
    let err = recipe.plan().await.unwrap_err();
    let reasons = err.refusal_reasons().join("\n");
    assert!(reasons.contains(&format!("cluster {}", c.scope)), "{reasons}");
    assert!(reasons.contains(&format!("member {leader_name}")), "names the crashed member: {reasons}");
}
