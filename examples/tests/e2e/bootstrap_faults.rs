//! Bootstrap faults on real Patroni 3.0.2 and 4.1.5 (issue 24): the replica wait sees real
//! streaming, and resume never adopts an old, finished cluster.

use std::path::PathBuf;

use recipes::Progress;
use recipes::bootstrap::Bootstrap;
use serde_json::json;

use crate::bootstrap::{Setup, options, setup};

/// The Patroni 4.x executable (`SANDBOX_PATRONI4_BIN`, default the sandbox image's).
fn patroni4_bin() -> Option<PathBuf> {
    let bin = std::env::var_os("SANDBOX_PATRONI4_BIN")
        .map_or_else(|| PathBuf::from("/opt/patroni4/bin/patroni"), PathBuf::from);
    if bin.exists() {
        Some(bin)
    } else {
        sandbox::unavailable("Patroni 4", &sandbox::Error::Missing(bin.display().to_string()));
        None
    }
}

/// A leader that creates its replicas' slots only every 10 s (`loop_wait`): a new replica
/// runs (role replica, no lag on an idle leader) for seconds before it can stream, failing
/// with `replication slot "dbha2" does not exist` meanwhile.
fn slow_slots(s: &Setup, patroni: Option<PathBuf>) {
    let cluster = s.scheduler.cluster();
    let mut c = cluster.lock().unwrap();
    if let Some(bin) = patroni {
        c.set_patroni_bin(bin);
    }
    c.merge_config(json!({"bootstrap": {"dcs": {"loop_wait": 10, "ttl": 40, "retry_timeout": 10}}}));
}

/// The leader's WAL senders as its `/patroni` lists them right now.
fn leader_senders(s: &Setup) -> Vec<(String, String)> {
    let cluster = s.scheduler.cluster();
    let c = cluster.lock().unwrap();
    let (_, body) = c.get_json(0, "/patroni").expect("the leader answers");
    body["replication"]
        .as_array()
        .map(|r| {
            r.iter()
                .map(|c| {
                    (
                        c["application_name"].as_str().unwrap_or("").to_owned(),
                        c["state"].as_str().unwrap_or("").to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

async fn replica_wait_ends_only_once_the_leader_streams_to_it(tag: &str, patroni: Option<PathBuf>) {
    let Some(s) = setup(tag).await else { return };
    slow_slots(&s, patroni);
    let state_dir = std::env::temp_dir().join(format!("bootstrap-state-{}", sandbox::unique_suffix()));
    let opts = options(&s.namespace).state_dir(&state_dir);
    let recipe = Bootstrap::new(opts, s.caps.clone()).unwrap();
    let (progress, mut events) = Progress::channel();
    let report = recipe.run(progress).await.unwrap();
    // The wait saw dbHA2 run without streaming (its slot not created yet), and waited on.
    let mut held = Vec::new();
    while let Ok(e) = events.try_recv() {
        if let recipes::Event::Waiting { what, .. } = e {
            held.push(what);
        }
    }
    assert!(held.iter().any(|w| w.contains("replica dbHA2 runs but")), "{held:#?}");
    // Judged the moment the recipe says "streams": the leader must list a streaming sender.
    let senders = leader_senders(&s);
    assert!(
        senders.iter().any(|(name, state)| name == "dbHA2" && state == "streaming"),
        "the recipe declared dbHA2 streaming while the leader lists {senders:?}"
    );
    assert!(report.done.contains(&"start backup".to_owned()), "{report:#?}");
    assert!(!state_dir.join(format!("bootstrap-{}.state.json", recipes::input::default_scope(&s.namespace))).exists());
    drop(std::fs::remove_dir_all(&state_dir));

    // Item 1 on the same cluster: stopped and purged, keys expired, volumes wiped: an old,
    // finished cluster. A resume is refused (no state file of a run in progress).
    for job in ["dbHA1", "dbHA2", "backup"] {
        s.caps.scheduler.stop_job(&s.namespace, job, true).await.unwrap();
    }
    let scope = recipes::input::default_scope(&s.namespace);
    let kv = s.consul.kv();
    for key in ["leader", "members/dbHA1", "members/dbHA2"] {
        kv.delete(&format!("service/{scope}/{key}"), &consul_client::DeleteOptions::default()).await.unwrap();
    }
    {
        let cluster = s.scheduler.cluster();
        let mut c = cluster.lock().unwrap();
        c.wipe_member_data(0).unwrap();
        c.wipe_member_data(1).unwrap();
    }
    let resume = Bootstrap::new(options(&s.namespace).state_dir(&state_dir).resume(true), s.caps.clone()).unwrap();
    let err = resume.plan().await.unwrap_err();
    let reasons = err.refusal_reasons().join("\n");
    assert!(reasons.contains("are not adopted"), "{reasons}");
    let plain = Bootstrap::new(options(&s.namespace), s.caps.clone()).unwrap().plan().await.unwrap_err();
    assert!(plain.refusal_reasons().iter().any(|r| r.contains("scope_remove --scope")), "{plain}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn patroni_3_replica_wait_sees_streaming_and_resume_refuses_the_finished_cluster() {
    replica_wait_ends_only_once_the_leader_streams_to_it("str3", None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn patroni_4_replica_wait_sees_streaming_and_resume_refuses_the_finished_cluster() {
    let Some(bin) = patroni4_bin() else { return };
    replica_wait_ends_only_once_the_leader_streams_to_it("str4", Some(bin)).await;
}

/// Every descendant of `pid` (children first found through `/proc/<pid>/task/*/children`).
fn descendants(pid: u32) -> Vec<u32> {
    let mut out = Vec::new();
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else { return out };
    for task in tasks.flatten() {
        let children = std::fs::read_to_string(task.path().join("children")).unwrap_or_default();
        for child in children.split_whitespace().filter_map(|c| c.parse::<u32>().ok()) {
            out.push(child);
            out.extend(descendants(child));
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn initdb_killed_midway_stops_at_once_and_the_named_recovery_works() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    let Some(s) = setup("initdb").await else { return };
    let scope = recipes::input::default_scope(&s.namespace);
    let state_dir = s.settings_dir.0.join("state");
    let opts = options(&s.namespace).state_dir(&state_dir);
    let recipe = Bootstrap::new(opts.clone(), s.caps.clone()).unwrap();

    // While dbHA1's Patroni runs initdb (the initialize key taken, empty; PG_VERSION written),
    // kill Patroni and everything it started by PID, then start it again as Nomad restarts a
    // task: all under the cluster's lock, so no diagnosis sees the member dead in between.
    let killed = Arc::new(AtomicBool::new(false));
    let (cluster, scheduler, consul, fired) =
        (s.scheduler.cluster(), s.scheduler.clone(), s.consul.clone(), killed.clone());
    let init_key = format!("service/{scope}/initialize");
    let killer = tokio::spawn(async move {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while std::time::Instant::now() < deadline {
            let init = consul.kv().get(&init_key, &consul_client::QueryOptions::default()).await.ok();
            let empty = init.and_then(|r| r.value).is_some_and(|p| p.value.as_deref().unwrap_or_default().is_empty());
            let data = cluster.lock().unwrap().data_dir(0).join("PG_VERSION");
            if empty && data.exists() {
                let mut c = cluster.lock().unwrap();
                let pid = c.patroni_pid(0).expect("dbHA1 runs");
                let mut pids = descendants(pid);
                pids.push(pid);
                for p in pids.iter().rev() {
                    sandbox::process::signal(*p, "KILL");
                }
                c.kill_member(0);
                c.start_member(0).unwrap();
                scheduler.count_restart("dbHA1");
                fired.store(true, Ordering::SeqCst);
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    });
    let err = recipe.run(Progress::none()).await.unwrap_err().to_string();
    killer.await.unwrap();
    assert!(killed.load(Ordering::SeqCst), "initdb was never caught running: {err}");
    assert!(err.contains("was interrupted during initdb"), "{err}");
    // Seen on 3.0.2: the restarted Patroni logs "data dir for the cluster is not empty, but system
    // ID is invalid; consider doing reinitialize" (the initialize key is then empty or gone).
    assert!(err.contains("dbHA1 restarted 1 time(s)") && err.contains("system ID is invalid"), "{err}");
    assert!(err.contains(&format!("scope_remove --scope {scope} --yes")), "{err}");

    // Resume cannot finish it either: the plan names the state and the same recovery.
    let refused = Bootstrap::new(opts.clone().resume(true), s.caps.clone()).unwrap().plan().await.unwrap_err();
    assert!(refused.to_string().contains("interrupted during initdb"), "{refused}");
    assert!(refused.to_string().contains("nomad job stop -purge"), "{refused}");

    // The recovery as named: stop and purge dbHA1, clear its volume, remove the scope with a
    // backup, bootstrap again without resume.
    s.caps.scheduler.stop_job(&s.namespace, "dbHA1", true).await.unwrap();
    s.scheduler.cluster().lock().unwrap().wipe_member_data(0).unwrap();
    let snapshot = s.caps.scope_store.snapshot(&scope).await.unwrap();
    recipes::BackupDir::new(&state_dir).save("scope", &snapshot).await.unwrap();
    s.caps.scope_store.delete_scope(&scope, &snapshot).await.unwrap();
    let report = Bootstrap::new(opts, s.caps.clone()).unwrap().run(Progress::none()).await.unwrap();
    assert!(report.done.contains(&"wait for dbHA2".to_owned()), "{report:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leader_without_the_replication_user_stops_the_replica_wait_at_once() {
    let Some(s) = setup("norepl").await else { return };
    let opts = options(&s.namespace);
    // The state a first bootstrap killed at postmaster start leaves: the leader runs, but
    // Patroni's post-bootstrap never created the replication user. Dropped by hand here, as
    // soon as dbHA1 leads (before dbHA2 starts).
    let cluster = s.scheduler.cluster();
    let progress = Progress::callback(move |e| {
        if matches!(e, recipes::Event::StepStarted { step } if step == "start dbHA2") {
            let c = cluster.lock().unwrap();
            let out = std::process::Command::new(sandbox::postgres::bin("psql"))
                .args(["-h", "127.0.0.1", "-p", &c.pg_port(0).to_string(), "-U", "postgres", "-d", "postgres"])
                .args(["-v", "ON_ERROR_STOP=1", "-c", "DROP ROLE replicator"])
                .env("PGPASSWORD", c.superuser_password())
                .output()
                .unwrap();
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        }
    });
    let recipe = Bootstrap::new(opts, s.caps.clone()).unwrap();
    let started = std::time::Instant::now();
    let err = recipe.run(progress).await.unwrap_err().to_string();
    assert!(started.elapsed() < std::time::Duration::from_secs(60), "stopped before the 90 s bound: {err}");
    // PostgreSQL logs the refused replication connection on the leader (its stderr).
    assert!(err.contains("replication is refused by the leader's authentication"), "{err}");
    assert!(err.contains(r#"password authentication failed for user \"replicator\""#), "{err}");
    assert!(err.contains("post-bootstrap created the replication user"), "{err}");
    assert!(err.contains("stop and purge dbHA1, dbHA2"), "{err}");
}
