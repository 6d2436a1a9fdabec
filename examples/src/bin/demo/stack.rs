//! The servers the demo starts: a private Consul agent and a Patroni cluster
//! on it (scheduled by the examples' `LocalScheduler`), both stopped when the
//! demo ends, whatever the outcome.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context as _;
use ops_examples::local::LocalScheduler;
use ops_examples::progress::Progress;

/// The no-op backup job of the local scheduler (wal-g is not in the sandbox;
/// the demo's bootstrap leaves the backup job out).
pub const BACKUP_JOB: &str = "backup";

/// Everything the demo started.
pub struct Stack {
    /// The Consul dev agent (Patroni's DCS and the catalog for ghosts).
    pub consul: sandbox::Consul,
    /// Starts and stops the Patroni members as the recipes ask.
    pub scheduler: LocalScheduler,
    /// The Patroni scope.
    pub scope: String,
    /// The members' REST API URLs, in member order.
    pub member_urls: Vec<String>,
    /// Settings file and backups of the recipes (removed at the end).
    pub work_dir: PathBuf,
}

impl Stack {
    /// Starts Consul and prepares a `members`-member Patroni cluster named
    /// `scope` for `namespace` (the recipes start the members).
    pub async fn start(progress: &Progress, namespace: &str, scope: &str, members: usize) -> anyhow::Result<Self> {
        let step = "start Consul";
        progress.started(step);
        let t = Instant::now();
        let consul = tokio::task::spawn_blocking(sandbox::Consul::start)
            .await?
            .context("cannot start the sandbox's Consul agent")?;
        progress.finished(step, Some(t.elapsed()), &consul.http_addr());

        let step = "prepare PostgreSQL 15 + Patroni";
        progress.started(step);
        let t = Instant::now();
        let (host_port, scope_owned) = (consul.host_port(), scope.to_owned());
        let cluster =
            tokio::task::spawn_blocking(move || sandbox::PatroniCluster::new(&host_port, &scope_owned, members))
                .await?
                .context("cannot prepare the sandbox's Patroni cluster")?;
        let member_urls = (0..cluster.len()).map(|i| cluster.api_url(i)).collect();
        progress.finished(step, Some(t.elapsed()), &format!("{members} members of scope {scope}, none started"));

        let work_dir = std::env::temp_dir().join(format!("ops-demo-{}", sandbox::unique_suffix()));
        std::fs::create_dir_all(&work_dir).with_context(|| format!("cannot create {}", work_dir.display()))?;
        let scheduler = LocalScheduler::new(namespace, BACKUP_JOB, cluster);
        Ok(Self { consul, scheduler, scope: scope.to_owned(), member_urls, work_dir })
    }

    /// Stops every member, then Consul (Patroni needs its DCS to let go), and
    /// removes the work directory.
    pub async fn stop(self, progress: &Progress) {
        let step = "stop Patroni, PostgreSQL and Consul";
        progress.started(step);
        let t = Instant::now();
        let Self { consul, scheduler, work_dir, .. } = self;
        let _ = tokio::task::spawn_blocking(move || {
            // Stop the members explicitly: a clone of the scheduler held
            // elsewhere must not keep PostgreSQL running.
            let cluster = scheduler.cluster();
            let mut cluster = cluster.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            for i in 0..cluster.len() {
                cluster.stop_member(i);
            }
            drop(cluster);
            drop(scheduler);
            drop(consul);
            let _ = std::fs::remove_dir_all(work_dir);
        })
        .await;
        progress.finished(step, Some(t.elapsed()), "");
    }

    /// The environment a person needs to try the other examples against
    /// this sandbox, as `export` lines (the Patroni examples take one member
    /// URL from `PATRONI_URL`; the others are listed beside it).
    pub fn env_lines(&self) -> Vec<String> {
        let others: Vec<String> =
            self.member_urls.iter().enumerate().skip(1).map(|(i, u)| format!("dbHA{} {u}", i + 1)).collect();
        vec![
            format!("export CONSUL_HTTP_ADDR={}", self.consul.http_addr()),
            format!("export PATRONI_URL={}   # dbHA1; also {}", self.member_urls[0], others.join(", ")),
        ]
    }

    /// Commands that work against this sandbox once the exports are set.
    pub fn try_lines(&self) -> Vec<String> {
        vec![
            "cargo run -p ops-sdk-patroni --example list".to_owned(),
            format!("cargo run -p ops-sdk-patroni --example dcs_keys -- --scope {}", self.scope),
            "cargo run -p ops-sdk-consul --example members".to_owned(),
            "cargo run -p ops-examples --bin ghost_cleanup -- --skip-nomad --dry-run".to_owned(),
        ]
    }
}
