//! Bootstrap on a real Patroni cluster.

use std::sync::Arc;
use std::time::Duration;

use consul_client::{ConsulClient, PutOptions, QueryOptions};
use ops_examples::local::{LocalScheduler, LocalVolumeProbe};
use recipes::adapters::consul::ConsulScopeStore;
use recipes::adapters::local::FileSettings;
use recipes::bootstrap::{Bootstrap, BootstrapOptions, Capabilities};
use recipes::ports::{BootstrapMethod, DatabaseSettings, SettingsStore, VolumeCheck};
use recipes::{Error, Event, Progress};
use sandbox::PatroniCluster;

pub(crate) struct Setup {
    pub(crate) namespace: String,
    pub(crate) consul: ConsulClient,
    pub(crate) scheduler: Arc<LocalScheduler>,
    pub(crate) caps: Capabilities,
    pub(crate) settings_dir: SettingsDir,
}

/// A settings directory removed on drop.
pub(crate) struct SettingsDir(pub(crate) std::path::PathBuf);

impl Drop for SettingsDir {
    fn drop(&mut self) {
        drop(std::fs::remove_dir_all(&self.0));
    }
}

pub(crate) async fn setup(tag: &str) -> Option<Setup> {
    let consul_agent = sandbox::shared_consul()?;
    let namespace = format!("e2e-{tag}-{}", sandbox::unique_suffix());
    let scope = recipes::input::default_scope(&namespace);
    let cluster = match PatroniCluster::new(&consul_agent.host_port(), &scope, 2) {
        Ok(c) => c,
        Err(e) => {
            sandbox::unavailable("Patroni", &e);
            return None;
        }
    };
    let consul = ConsulClient::builder().address(&consul_agent.http_addr()).build().unwrap();
    let scheduler = Arc::new(LocalScheduler::new(&namespace, "backup", cluster));
    let dir = std::env::temp_dir().join(format!("recipes-e2e-settings-{}", sandbox::unique_suffix()));
    let settings = Arc::new(FileSettings::new(&dir));
    let initdb = DatabaseSettings { bootstrap_method: Some(BootstrapMethod::Initdb), ..DatabaseSettings::default() };
    settings.write(&namespace, &initdb).await.unwrap();
    let caps = Capabilities {
        scheduler: scheduler.clone(),
        settings,
        scope_store: Arc::new(ConsulScopeStore::new(consul.clone())),
        volumes: VolumeCheck::Probe(Arc::new(LocalVolumeProbe::new(&scheduler))),
    };
    Some(Setup { namespace, consul, scheduler, caps, settings_dir: SettingsDir(dir) })
}

pub(crate) fn options(namespace: &str) -> BootstrapOptions {
    BootstrapOptions::new(namespace).timeouts(Duration::from_secs(30), Duration::from_secs(90), Duration::from_secs(90))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bootstrap_from_nothing_then_nothing_to_do_then_refusal_on_existing_state() {
    let Some(s) = setup("boot").await else { return };
    let scope = recipes::input::default_scope(&s.namespace);
    // A neighbour whose name starts with this scope's name must survive untouched.
    let neighbour = format!("service/{scope}-old/leader");
    s.consul.kv().put(&neighbour, b"dbHA9", &PutOptions::default()).await.unwrap();

    let recipe = Bootstrap::new(options(&s.namespace), s.caps.clone()).unwrap();
    let plan = recipe.plan().await.unwrap();
    assert_eq!(plan.steps.len(), 5, "{plan:#?}");
    let (progress, mut events) = Progress::channel();
    let report = recipe.run(progress).await.unwrap();
    assert_eq!(report.done, ["start dbHA1", "wait for dbHA1", "start dbHA2", "wait for dbHA2", "start backup"]);
    let mut waited = false;
    while let Ok(e) = events.try_recv() {
        waited |= matches!(e, Event::Waiting { .. });
    }
    assert!(waited, "the waits report progress");

    let status = s.caps.scope_store.snapshot(&scope).await.unwrap().cluster_status();
    assert_eq!(status.leader.as_deref(), Some("dbHA1"));
    assert_eq!(status.members.len(), 2, "{status:#?}");
    assert!(status.is_healthy(&["dbHA1".into(), "dbHA2".into()], 16 << 20));
    let kept = s.consul.kv().get(&neighbour, &QueryOptions::default()).await.unwrap().value.unwrap();
    assert_eq!(kept.value.as_deref(), Some(&b"dbHA9"[..]));

    // A second run on the healthy cluster does nothing.
    let again = recipe.run(Progress::none()).await.unwrap();
    assert!(again.done.is_empty(), "{again:#?}");

    // Another bootstrap of the same scope (a fresh scheduler, no job running) must refuse:
    // the scope's state exists.
    let other = PatroniCluster::new(&sandbox::shared_consul().unwrap().host_port(), &scope, 2).unwrap();
    let fresh = Capabilities {
        scheduler: Arc::new(LocalScheduler::new(&s.namespace, "backup", other)),
        volumes: VolumeCheck::skip("fresh directories"),
        ..s.caps.clone()
    };
    let err = Bootstrap::new(options(&s.namespace), fresh).unwrap().plan().await.unwrap_err();
    let reasons = err.refusal_reasons().join("\n");
    assert!(reasons.contains(&format!("Consul state service/{scope}/: holds")), "{reasons}");
    assert!(reasons.contains(&format!("service/{scope}/leader")), "{reasons}");
    s.consul.kv().delete(&neighbour, &consul_client::DeleteOptions::default()).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leader_killed_while_waiting_for_the_replica_stops_resumably_then_resume_completes() {
    let Some(s) = setup("kill").await else { return };
    let state_dir = s.settings_dir.0.join("state");
    let opts = BootstrapOptions::new(&s.namespace).state_dir(&state_dir).timeouts(
        Duration::from_secs(30),
        Duration::from_secs(90),
        Duration::from_secs(15),
    );
    let recipe = Bootstrap::new(opts.clone(), s.caps.clone()).unwrap();
    let cluster = s.scheduler.cluster();
    let killer = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let fired = Arc::clone(&killer);
    let progress = Progress::callback(move |e| {
        if matches!(e, Event::StepStarted { step } if step == "start dbHA2")
            && !fired.swap(true, std::sync::atomic::Ordering::SeqCst)
        {
            cluster.lock().unwrap().kill_member(0);
        }
    });
    let err = recipe.run(progress).await.unwrap_err();
    assert!(killer.load(std::sync::atomic::Ordering::SeqCst));
    // The dead leader's task ends the wait at once, saying what the scheduler and the scope show.
    match &err {
        Error::Conflict(what) => assert!(what.contains("job dbHA1") && what.contains("is dead"), "{err}"),
        other => panic!("expected the dead task to end the wait, got {other}"),
    }
    // Without resume the leftovers are refused with a hint; with resume the run continues.
    let refused = recipe.plan().await.unwrap_err().to_string();
    assert!(refused.contains("use resume"), "{refused}");
    let opts = opts.resume(true).timeouts(Duration::from_secs(30), Duration::from_secs(90), Duration::from_secs(120));
    let resumed = Bootstrap::new(opts, s.caps.clone()).unwrap();
    let report = resumed.run(Progress::none()).await.unwrap();
    assert!(report.done.contains(&"start dbHA1".to_owned()), "{report:#?}");
    assert!(report.skipped.iter().any(|x| x.step == "start dbHA2"), "{report:#?}");
}
