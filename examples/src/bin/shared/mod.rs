//! What the recipe scripts share: the database cluster's flags and the
//! recipe capabilities built from them (Nomad scheduler, job specs, settings
//! store, host-volume check) for bootstrap and restore, and Patroni's scope
//! store in Consul for every script that reads the DCS.
//!
//! Included by those scripts with `#[path]` (it is no binary of its own); a
//! script that takes only the scope store allows the rest to be unused.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use recipes::adapters::consul::ConsulScopeStore;
use recipes::adapters::local::DirJobSource;
use recipes::adapters::local::FileSettings;
use recipes::adapters::nomad::{NomadScheduler, NomadVolumeProbe};
use recipes::adapters::vault::VaultSettings;
use recipes::bootstrap::{BootstrapOptions, Capabilities};
use recipes::ports::JobSource;
use recipes::ports::{Scheduler, SettingsStore, VolumeCheck};

/// The database cluster of a namespace, as the runbook names it.
#[derive(Debug, clap::Args)]
pub struct ClusterArgs {
    #[command(flatten)]
    pub scope: ScopeArgs,
    /// The member jobs, in start order.
    #[arg(long, value_delimiter = ',', default_value = "dbHA1,dbHA2")]
    pub members: Vec<String>,
    /// The backup job started after the members.
    #[arg(long, default_value = "backup", conflicts_with = "no_backup_job")]
    pub backup_job: String,
    /// Start no backup job.
    #[arg(long)]
    pub no_backup_job: bool,
    /// Directory of Nomad JSON job files `<job>.json` to start the jobs from
    /// (`nomad job run -output <job>.hcl > <job>.json`). Bootstrap and restore
    /// need it (they start purged jobs, which keep no version in Nomad);
    /// without it their plans refuse.
    #[arg(long)]
    pub job_dir: Option<PathBuf>,
    /// Directory of settings files `<namespace>.json` to use instead of
    /// Vault KV (air-gapped drills).
    #[arg(long, conflicts_with_all = ["kv_mount", "kv_path_template"])]
    pub settings_dir: Option<PathBuf>,
    /// Vault KV mount holding the settings.
    #[arg(long, default_value = "kv")]
    pub kv_mount: String,
    /// Path of the settings inside the mount; `{namespace}` is required,
    /// `{component}` is `database`.
    #[arg(long, default_value = "nomad-cluster/{namespace}/{component}")]
    pub kv_path_template: String,
    /// Check the host volumes through Nomad exec in the allocations of this
    /// probe job (typically a system job mounting the volumes' parent).
    #[arg(long, value_name = "JOB", conflicts_with = "skip_volume_check")]
    pub volume_probe_job: Option<String>,
    /// The probe job's task to exec in.
    #[arg(long, value_name = "TASK", default_value = "probe")]
    pub volume_probe_task: String,
    /// The probe job's namespace (default: the cluster's).
    #[arg(long, value_name = "NAMESPACE")]
    pub volume_probe_namespace: Option<String>,
    /// The volume's path inside the probe task (`{namespace}` is replaced).
    #[arg(long, default_value = "/var/lib/nomad-volumes/{namespace}/postgres-atala")]
    pub volume_path_template: String,
    /// Skip the "no PostgreSQL data left in host volumes" check, giving the
    /// reason (the plan repeats it).
    #[arg(long, value_name = "REASON")]
    pub skip_volume_check: Option<String>,
    /// Bound of the wait for each job to run.
    #[arg(long, default_value = "5m", value_parser = ops_examples::output::parse_duration)]
    pub job_timeout: Duration,
    /// Bound of the wait for the first member to lead.
    #[arg(long, default_value = "5m", value_parser = ops_examples::output::parse_duration)]
    pub leader_timeout: Duration,
    /// Bound of the wait for each replica to stream.
    #[arg(long, default_value = "10m", value_parser = ops_examples::output::parse_duration)]
    pub replica_timeout: Duration,
    /// Largest replica lag accepted, in bytes.
    #[arg(long, default_value_t = 16 << 20)]
    pub max_lag_bytes: u64,
}

impl ClusterArgs {
    /// The bootstrap options these flags describe.
    pub fn bootstrap_options(&self) -> BootstrapOptions {
        let mut opts = BootstrapOptions::new(&self.scope.namespace)
            .members(&self.members)
            .backup_job((!self.no_backup_job).then_some(self.backup_job.as_str()))
            .timeouts(self.job_timeout, self.leader_timeout, self.replica_timeout)
            .max_lag_bytes(self.max_lag_bytes);
        if let Some(scope) = &self.scope.scope {
            opts = opts.scope(scope);
        }
        opts
    }

    /// The capabilities over the real systems, configured from the
    /// environment like the official CLIs.
    pub fn capabilities(&self) -> anyhow::Result<Capabilities> {
        let nomad = nomad_client::NomadClient::from_env().context("cannot configure the Nomad client")?;
        // No default: the recipes that start jobs purge them first, and a
        // purged job keeps no version to re-register. Without --job-dir every
        // spec check of the plan fails, before anything is changed.
        let source: Arc<dyn JobSource> = match &self.job_dir {
            Some(dir) => Arc::new(DirJobSource::new(dir)),
            None => Arc::new(NoJobSource),
        };
        let nomad_for_probe = nomad.clone();
        let scheduler: Arc<dyn Scheduler> = Arc::new(NomadScheduler::new(nomad, source));
        Ok(Capabilities {
            scheduler,
            settings: self.settings_store()?,
            scope_store: Arc::new(self.scope.store()?),
            volumes: self.volume_check(&nomad_for_probe)?,
        })
    }

    fn settings_store(&self) -> anyhow::Result<Arc<dyn SettingsStore>> {
        match &self.settings_dir {
            Some(dir) => Ok(Arc::new(FileSettings::new(dir))),
            None => {
                let vault = vault_client::VaultClient::from_env().context("cannot configure the Vault client")?;
                let store = VaultSettings::new(vault).mount(&self.kv_mount).path_template(&self.kv_path_template)?;
                Ok(Arc::new(store))
            }
        }
    }

    fn volume_check(&self, nomad: &nomad_client::NomadClient) -> anyhow::Result<VolumeCheck> {
        if let Some(job) = &self.volume_probe_job {
            let mut probe = NomadVolumeProbe::new(nomad.clone(), job, &self.volume_probe_task)
                .path_template(&self.volume_path_template)?;
            if let Some(ns) = &self.volume_probe_namespace {
                probe = probe.job_namespace(ns);
            }
            return Ok(VolumeCheck::Probe(Arc::new(probe)));
        }
        match &self.skip_volume_check {
            Some(reason) if reason.trim().is_empty() => {
                anyhow::bail!("--skip-volume-check needs a reason (it is repeated in the plan)")
            }
            Some(reason) => Ok(VolumeCheck::skip(reason.trim())),
            None => anyhow::bail!(
                "the host volumes must be checked for leftover PostgreSQL data: pass --volume-probe-job <system job> \
                 to check them through Nomad exec, or --skip-volume-check '<what you checked by hand>'"
            ),
        }
    }
}

/// The Patroni cluster a script that reads the DCS acts on: its namespace, its
/// scope, and where Patroni keeps the scopes in Consul.
#[derive(Debug, clap::Args)]
pub struct ScopeArgs {
    /// The Nomad namespace of the cluster.
    #[arg(long, env = "NOMAD_NAMESPACE")]
    pub namespace: String,
    /// Patroni's scope (default: `<namespace>-database`).
    #[arg(long)]
    pub scope: Option<String>,
    /// Patroni's `namespace` setting: the Consul KV folder holding the scopes
    /// (default `/service/`).
    #[arg(long, value_name = "FOLDER")]
    pub patroni_namespace: Option<String>,
}

impl ScopeArgs {
    /// Patroni's state in Consul, under `--patroni-namespace` when given.
    pub fn store(&self) -> anyhow::Result<ConsulScopeStore> {
        scope_store(self.patroni_namespace.as_deref())
    }
}

/// Patroni's state in the Consul the environment names, under the KV folder
/// `patroni_namespace` (a script's `--patroni-namespace`) when given.
pub fn scope_store(patroni_namespace: Option<&str>) -> anyhow::Result<ConsulScopeStore> {
    let consul = consul_client::ConsulClient::from_env().context("cannot configure the Consul client")?;
    let store = ConsulScopeStore::new(consul);
    Ok(match patroni_namespace {
        Some(root) => store.with_root(root)?,
        None => store,
    })
}

/// The job source of a script run without `--job-dir`: it has no spec, and
/// says how to give one.
struct NoJobSource;

#[async_trait::async_trait]
impl JobSource for NoJobSource {
    async fn job_spec(&self, _namespace: &str, _job: &str) -> recipes::Result<Option<serde_json::Value>> {
        Err(recipes::Error::backend_msg(
            "job source",
            "none given: pass --job-dir <directory of Nomad JSON job files <job>.json> (purged jobs keep no version \
             in Nomad to start again)",
        ))
    }
}
