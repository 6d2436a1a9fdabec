//! Recipe `deploy`: `nomad job plan` then `nomad job run -check-index`, made safe.
//!
//! Preflight ([`Deploy::plan`], nothing is changed): the job file is read (HCL is parsed by
//! the scheduler's `jobs/parse`, JSON is taken as it is) and must name a job ID and task
//! groups; the scheduler's dry run is asked for with the diff against what runs. The plan
//! carries the typed diff ([`JobChange`](crate::ports::JobChange): fields added, changed and
//! removed per task group and task, with the scheduler's updates `create`, `destroy`,
//! `in-place update`, `create/destroy update`, `canary`, `ignore`), rendered the way
//! `nomad job plan` prints it by [`render_plan`]. It refuses with every reason when a group's
//! allocations cannot be placed (each with the scheduler's reasons, e.g. `Dimension "memory"
//! exhausted on 1 nodes`), and, with [`DeployOptions::auto_revert`], when the job has no
//! stable version to go back to. A job file that changes nothing plans no step.
//!
//! [`Deploy::run`] registers the planned job with `EnforceIndex` set to the plan's
//! `JobModifyIndex`: if the job changed between plan and run (another deploy, a scale, a
//! revert), Nomad refuses (`Enforcing job modify index 20: job exists with conflicting job
//! modify index: 23`) and the run stops with [`Error::Conflict`](crate::Error::Conflict),
//! nothing overwritten. It then follows the new version's deployment with blocking queries
//! (each at most 5 s, rounds at least 250 ms apart, all within
//! [`DeployOptions::deployment_timeout`]), reporting every group's placed, healthy and
//! unhealthy counts in [`Event::Waiting`](crate::Event::Waiting), until it succeeds, fails
//! or the time runs out. A failed deployment is left as it is, or, with `auto_revert`, the
//! newest stable version before it is registered again with `EnforcePriorVersion` set to
//! the failed version (so a newer change, e.g. Nomad's own `auto_revert`, is never
//! overwritten), and the report carries the version diff of that revert. The
//! [`DeployReport`] says how it ended ([`DeployOutcome`]).
//!
//! The recipe's parts: its inputs ([`DeployOptions`], [`JobFile`]) in `options`, the dry run
//! ([`DeployPlan`]) in `plan`, the rendering of diffs and dry runs in `diff`, the run (register,
//! follow, revert) in `follow`, and the [`DeployReport`] in `report`.
//!
//! ```no_run
//! use std::sync::Arc;
//! use recipes::adapters::nomad::NomadDeployer;
//! use recipes::deploy::{Deploy, DeployOptions, JobFile, render_plan};
//! use recipes::Progress;
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let nomad = nomad_client::NomadClient::from_env()?;
//! let job = JobFile::read(std::path::Path::new("jobs/dbHA1.hcl"))?;
//! let deploy = Deploy::new(DeployOptions::new(job).auto_revert(true), Arc::new(NomadDeployer::new(nomad)))?;
//! let plan = deploy.plan().await?; // refuses on failed placements, with every reason
//! println!("{}", render_plan(&plan.dry_run, plan.is_system()));
//! let report = deploy.run(&plan, Progress::none()).await?;
//! println!("{:?}", report.outcome);
//! # Ok(()) }
//! ```

mod diff;
mod follow;
mod options;
mod plan;
mod report;

use std::sync::Arc;

pub use diff::{render_diff, render_dry_run, render_plan};
pub use options::{DeployOptions, JobFile};
pub use plan::DeployPlan;
pub use report::{DeployOutcome, DeployReport, Revert};

use crate::Result;
use crate::ports::Deployer;

/// The deploy recipe: see the [module docs](self).
#[derive(Clone)]
pub struct Deploy {
    opts: DeployOptions,
    deployer: Arc<dyn Deployer>,
}

impl std::fmt::Debug for Deploy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Deploy").field("opts", &self.opts).field("deployer", &self.deployer.location()).finish()
    }
}

impl Deploy {
    /// Validates the inputs; nothing is contacted yet.
    ///
    /// # Errors
    /// [`Error::InvalidInput`](crate::Error::InvalidInput) naming the input at fault.
    pub fn new(opts: DeployOptions, deployer: Arc<dyn Deployer>) -> Result<Self> {
        opts.validate()?;
        Ok(Self { opts, deployer })
    }

    /// The options in use.
    #[must_use]
    pub fn options(&self) -> &DeployOptions {
        &self.opts
    }
}
