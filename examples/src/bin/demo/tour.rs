//! The steps of the demo, each through the SDK's recipes and clients.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use consul_client::{ConsulClient, QueryOptions};
use ops_examples::local::LocalVolumeProbe;
use ops_examples::output::{self, Table};
use ops_examples::progress::Progress;
use patroni_client::{ClusterView, ConfigPatch, DcsView, Healthy, LeaderIs, PatroniClient, Switchover, render_table};
use recipes::BackupDir;
use recipes::adapters::consul::ConsulCatalog;
use recipes::adapters::consul::ConsulScopeStore;
use recipes::adapters::local::FileSettings;
use recipes::adapters::patroni::{PatroniControl, PatroniMemberApi};
use recipes::bootstrap::{Bootstrap, BootstrapOptions, Capabilities};
use recipes::ghost::{GhostCleanup, GhostOptions, Target};
use recipes::ports::{BootstrapMethod, DatabaseSettings, SettingsStore as _, VolumeCheck};
use recipes::restart::{Capabilities as RestartCapabilities, Restart, RestartOptions};
use serde::Serialize;

use crate::ghost::Ghost;
use crate::stack::Stack;

/// How long the switchover may take before the demo gives up.
const SWITCHOVER_TIMEOUT: Duration = Duration::from_secs(90);
/// Bounds of the bootstrap's waits: a sandbox member leads or streams within
/// seconds, so a broken installation fails in minutes, not the runbook's ten.
const JOB_TIMEOUT: Duration = Duration::from_secs(60);
const MEMBER_TIMEOUT: Duration = Duration::from_secs(120);
/// Replica lag accepted as "caught up" in the sandbox (1 MiB).
const MAX_LAG_BYTES: u64 = 1024 * 1024;

/// What `--json` prints at the end: the recipes' plans and reports.
#[derive(Debug, Default, Serialize)]
pub struct Reports {
    /// The bootstrap recipe's plan and report.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bootstrap: Option<PlanAndReport<recipes::Plan, recipes::Report>>,
    /// The planted ghost.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ghost: Option<Ghost>,
    /// The restart recipe's plan and report.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restart: Option<PlanAndReport<recipes::Plan, recipes::Report>>,
    /// The ghost cleanup recipe's plan and report.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ghost_cleanup: Option<PlanAndReport<recipes::ghost::GhostPlan, recipes::ghost::GhostReport>>,
}

/// A recipe's plan and what its run did.
#[derive(Debug, Serialize)]
pub struct PlanAndReport<P, R> {
    /// The dry run's result.
    pub plan: P,
    /// The run's result.
    pub report: R,
}

/// The demo's state while it drives the sandbox.
pub struct Tour<'a> {
    stack: &'a Stack,
    namespace: &'a str,
    scope: String,
    progress: &'a Progress,
    json: bool,
    consul: ConsulClient,
    reports: Reports,
}

impl<'a> Tour<'a> {
    /// A tour of `stack` for `namespace`; with `json`, human output goes to
    /// stderr so stdout carries only the final JSON.
    pub fn new(stack: &'a Stack, namespace: &'a str, progress: &'a Progress, json: bool) -> anyhow::Result<Self> {
        let consul = ConsulClient::builder().address(&stack.consul.http_addr()).build()?;
        Ok(Self { stack, namespace, scope: stack.scope.clone(), progress, json, consul, reports: Reports::default() })
    }

    /// The plans and reports gathered so far.
    pub fn into_reports(self) -> Reports {
        self.reports
    }

    /// Every step, in order; stops at the first failure.
    pub async fn run(&mut self) -> anyhow::Result<()> {
        self.progress.section("Bootstrap the cluster (recipe bootstrap)");
        self.bootstrap().await?;

        self.progress.section("The cluster (like `patronictl list`)");
        self.show_cluster().await?;

        self.progress.section("Switch over to the replica");
        self.switchover().await?;
        self.show_cluster().await?;

        self.progress.section("Raise max_connections, then restart to apply it (recipe restart)");
        self.restart().await?;
        self.show_cluster().await?;

        self.progress.section("Plant a ghost service, then clean it up (recipe ghost_cleanup)");
        self.plant_ghost().await?;
        self.ghost_cleanup().await?;

        self.progress.section("Patroni's state in Consul");
        self.show_dcs().await
    }

    /// Sets the namespace's settings to `initdb`, shows the bootstrap plan
    /// (every preflight check against the live sandbox), then runs it.
    async fn bootstrap(&mut self) -> anyhow::Result<()> {
        let settings = FileSettings::new(self.stack.work_dir.join("settings"));
        let initdb =
            DatabaseSettings { bootstrap_method: Some(BootstrapMethod::Initdb), ..DatabaseSettings::default() };
        settings.write(self.namespace, &initdb).await?;
        self.progress
            .note(&format!("settings: patroniBootstrapMethod=initdb in {}", settings.location(self.namespace)));

        let members = (1..=self.stack.member_urls.len()).map(|i| format!("dbHA{i}"));
        let opts = BootstrapOptions::new(self.namespace)
            .scope(&self.scope)
            .members(members)
            .backup_job(None) // wal-g is not part of the sandbox
            .timeouts(JOB_TIMEOUT, MEMBER_TIMEOUT, MEMBER_TIMEOUT)
            .max_lag_bytes(MAX_LAG_BYTES);
        let caps = Capabilities {
            scheduler: Arc::new(self.stack.scheduler.clone()),
            settings: Arc::new(settings),
            scope_store: Arc::new(ConsulScopeStore::new(self.consul.clone())),
            volumes: VolumeCheck::Probe(Arc::new(LocalVolumeProbe::new(&self.stack.scheduler))),
        };
        let recipe = Bootstrap::new(opts, caps)?;
        let step = "plan the bootstrap";
        self.progress.started(step);
        let plan = recipe.plan().await?;
        self.progress.finished(step, None, &format!("{} step(s)", plan.steps.len()));
        self.show(&output::plan_text(&plan));

        let report = recipe.run(self.progress.for_recipe()).await?;
        self.show(&output::report_text(&report));
        self.reports.bootstrap = Some(PlanAndReport { plan, report });
        Ok(())
    }

    /// Prints a block of human output (stdout, or stderr under `--json`).
    fn show(&self, text: &str) {
        show(self.progress, self.json, text);
    }

    fn view(&self) -> anyhow::Result<ClusterView> {
        Ok(ClusterView::new(&self.stack.member_urls)?)
    }

    /// The cluster as `patronictl list` shows it (patroni-client's renderer),
    /// titled with the system identifier from the DCS.
    async fn show_cluster(&self) -> anyhow::Result<()> {
        let cluster = self.view()?.cluster().await.context("cannot read the cluster from Patroni")?;
        let system_id = self.dcs()?.read().await?.initialize;
        self.show(&render_table(&self.scope, system_id.as_deref(), &cluster));
        Ok(())
    }

    fn dcs(&self) -> anyhow::Result<DcsView> {
        Ok(DcsView::new(self.consul.clone(), &self.scope)?)
    }

    /// Hands the leader role to the replica through Patroni's REST API, then
    /// waits until the replica leads and the old leader streams from it.
    async fn switchover(&self) -> anyhow::Result<()> {
        let view = self.view()?;
        let cluster = view.cluster().await?;
        let leader = cluster.leader().context("the cluster has no leader to switch over from")?.name.clone();
        let candidate = cluster.replicas().next().context("the cluster has no replica to switch over to")?.name.clone();
        let step = format!("switchover {leader} -> {candidate}");
        self.progress.started(&step);
        let started = Instant::now();
        let client: PatroniClient = view.leader_client().await?;
        let outcome = client.switchover(&Switchover::from_leader(&leader).to(&candidate)).await?;
        self.progress.note(&format!("Patroni: {}", outcome.message.trim()));
        self.progress.waiting(&format!("{candidate} to lead and {leader} to stream from it"), Duration::ZERO);
        view.wait_until(&LeaderIs(candidate.clone()), SWITCHOVER_TIMEOUT).await?;
        let left = SWITCHOVER_TIMEOUT.saturating_sub(started.elapsed());
        view.wait_until(&Healthy::new(self.stack.member_urls.len(), MAX_LAG_BYTES), left).await?;
        self.progress.finished(&step, Some(started.elapsed()), &format!("{candidate} leads"));
        Ok(())
    }

    /// Raises `max_connections` through `PATCH /config` (a parameter PostgreSQL reads only at
    /// start), waits until Patroni marks every member `pending_restart`, then shows the
    /// restart recipe's plan and runs it: the replica, a switchover, the former leader.
    async fn restart(&mut self) -> anyhow::Result<()> {
        let view = self.view()?;
        let client = view.leader_client().await?;
        let current = client.config_raw().await?;
        let now = current["postgresql"]["parameters"]["max_connections"].as_u64().unwrap_or(100);
        let step = format!("PATCH /config max_connections {now} -> {}", now + 50);
        self.progress.started(&step);
        client.patch_config(&ConfigPatch::new().parameter("max_connections", now + 50)).await?;
        let started = Instant::now();
        loop {
            let cluster = view.cluster().await?;
            if cluster.members.iter().all(|m| m.pending_restart) {
                break;
            }
            anyhow::ensure!(
                started.elapsed() < SWITCHOVER_TIMEOUT,
                "Patroni did not mark every member pending_restart within {SWITCHOVER_TIMEOUT:?}"
            );
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        self.progress.finished(&step, Some(started.elapsed()), "every member has a restart pending");

        let opts = RestartOptions::new(self.namespace)
            .scope(&self.scope)
            .timeouts(MEMBER_TIMEOUT, SWITCHOVER_TIMEOUT)
            .max_lag_bytes(MAX_LAG_BYTES);
        let caps = RestartCapabilities {
            scope_store: Arc::new(ConsulScopeStore::new(self.consul.clone())),
            control: Arc::new(PatroniControl::new()),
            member_api: Arc::new(PatroniMemberApi::new()),
        };
        let recipe = Restart::new(opts, caps)?;
        let plan = recipe.plan().await?;
        self.show(&output::plan_text(&plan));
        let report = recipe.run(self.progress.for_recipe()).await?;
        self.show(&output::report_text(&report));
        self.reports.restart = Some(PlanAndReport { plan, report });
        Ok(())
    }

    async fn plant_ghost(&mut self) -> anyhow::Result<()> {
        let ghost = Ghost::random(self.namespace);
        let step = "register a ghost node and service";
        self.progress.started(step);
        ghost.plant(&self.consul).await.context("cannot plant the ghost service")?;
        self.progress.finished(step, None, &format!("node {}, service {}", ghost.node, ghost.service_id));
        self.reports.ghost = Some(ghost);
        Ok(())
    }

    /// Plans the cleanup (shown), runs it, and checks that the ghost is gone
    /// while Patroni's services are still there.
    async fn ghost_cleanup(&mut self) -> anyhow::Result<()> {
        let cleanup = GhostCleanup::new(
            GhostOptions::default(),
            Arc::new(ConsulCatalog::new(self.consul.clone())),
            None, // no Nomad in the sandbox: the plan says those kinds were skipped
            BackupDir::new(self.stack.work_dir.join("backups")),
        )?;
        let step = "plan the cleanup";
        self.progress.started(step);
        let plan = cleanup.plan().await?;
        self.progress.finished(step, None, &format!("{} ghost(s) found", plan.findings.len()));
        self.show(&output::ghost_plan_text(&plan));
        let ghost = self.reports.ghost.as_ref().context("no ghost was planted")?;
        let is_ghost = |t: &Target| matches!(t, Target::CatalogNode { node, .. } if *node == ghost.node);
        if !plan.findings.iter().any(|f| is_ghost(&f.target)) {
            anyhow::bail!("the cleanup plan did not find the planted ghost node {}", ghost.node);
        }

        let step = "remove the ghosts the plan listed";
        self.progress.started(step);
        let report = cleanup.run(&plan, self.progress.for_recipe()).await?;
        let removed: u64 = report.counts.total();
        self.progress.finished(step, None, &format!("{removed} removed"));
        self.show(&output::ghost_report_text(&report));

        let step = "check the ghost is gone and Patroni's services are not";
        self.progress.started(step);
        let node = self.consul.catalog().node(&ghost.node, &QueryOptions::default()).await?.value;
        if node.is_some() {
            anyhow::bail!("the ghost node {} is still in the catalog after the cleanup", ghost.node);
        }
        let services = self.consul.catalog().services(&QueryOptions::default()).await?.value;
        if !services.contains_key(&self.scope) {
            anyhow::bail!("the cleanup removed Patroni's service {} too", self.scope);
        }
        self.progress.finished(step, None, &format!("service {} still registered", self.scope));
        self.reports.ghost_cleanup = Some(PlanAndReport { plan, report });
        Ok(())
    }

    /// Every key Patroni keeps under `service/<scope>/` in Consul, then what
    /// they say, decoded by patroni-client's DCS view.
    async fn show_dcs(&self) -> anyhow::Result<()> {
        let dcs = self.dcs()?;
        let mut keys = Table::new(["KEY", "VALUE"]);
        for pair in dcs.raw_keys().await? {
            let value = match pair.value_str() {
                Some(text) => shorten(text),
                None => format!("<{} bytes>", pair.value.as_ref().map_or(0, Vec::len)),
            };
            keys.row([pair.key.clone(), value]);
        }
        let state = dcs.read().await?;
        let mut members = Table::new(["MEMBER", "ROLE", "STATE", "TL", "WAL POSITION", "SESSION"]);
        for (name, m) in &state.members {
            members.row([
                name.clone(),
                m.role.as_ref().map(ToString::to_string).unwrap_or_default(),
                m.state.as_ref().map(ToString::to_string).unwrap_or_default(),
                m.timeline.map(|t| t.to_string()).unwrap_or_default(),
                m.xlog_location.map(|x| x.to_string()).unwrap_or_default(),
                m.session.clone().unwrap_or_default(),
            ]);
        }
        let switches = state.history.as_ref().map_or(0, Vec::len);
        self.show(&format!(
            "{keys}\nDecoded: leader {} (session {}), system id {}, {switches} timeline switch(es)\n{members}",
            state.leader.as_deref().unwrap_or("(none)"),
            state.leader_session.as_deref().unwrap_or("-"),
            state.initialize.as_deref().unwrap_or("-"),
        ));
        Ok(())
    }
}

/// Prints a block of human output: on stdout, or on stderr under `--json`
/// (so stdout carries only the final JSON document).
pub fn show(progress: &Progress, json: bool, text: &str) {
    progress.finish();
    if json {
        eprint!("{text}");
    } else {
        let _ = output::stdout(text);
    }
}

/// A value cut to one short line for the table.
fn shorten(text: &str) -> String {
    let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() > 90 {
        format!("{}…", one_line.chars().take(89).collect::<String>())
    } else {
        one_line
    }
}
