//! The restore's dry run: the preconditions, and the steps left after an earlier run.

use super::{Phase, Restore};
use crate::Result;
use crate::bootstrap::Bootstrap;
use crate::ports::BootstrapMethod;
use crate::report::{Check, Plan, Step};

impl Restore {
    /// Dry run: every precondition, or [`Error::Refused`](crate::Error::Refused) with every reason.
    pub async fn plan(&self) -> Result<Plan> {
        let ns = self.ns().to_owned();
        let mut checks = Vec::new();
        if self.caps.scheduler.namespace_exists(&ns).await? {
            checks.push(Check::passed(format!("namespace {ns}"), "exists"));
        } else {
            checks.push(Check::failed(format!("namespace {ns}"), "does not exist in the scheduler"));
        }
        let state = self.state().await?;
        let location = self.caps.settings.location(&ns);
        let wanted = self.opts.mode.method();
        let settings_name = format!("settings {location}");
        let check = match (&state, self.caps.settings.read(&ns).await?) {
            (Some(st), _) if st.mode != self.opts.mode => Check::failed(
                "restore in progress",
                format!("a restore to {:?} is half done; finish it with the same target or abort it", st.mode),
            ),
            (Some(st), _) => Check::passed("restore in progress", format!("continuing after {:?}", st.phase)),
            (None, None) => Check::failed(settings_name, "do not exist"),
            (None, Some(s)) => match s.bootstrap_method {
                None | Some(BootstrapMethod::Initdb) => Check::passed(settings_name, "readable"),
                Some(m) if m == wanted => Check::passed(settings_name, format!("already {m}")),
                Some(m) => Check::failed(
                    settings_name,
                    format!("patroniBootstrapMethod is {m}: another restore may be under way"),
                ),
            },
        };
        checks.push(check);
        let target = self.opts.mode.walg_target()?;
        let archive = self.archive.archive_state(&ns).await?;
        match archive.plan(&target) {
            Ok(p) => checks.push(Check::passed(
                format!("wal-g archive for {target}"),
                format!("base backup {}, then {} WAL ranges{}", p.backup.name, p.wal.len(), warnings(&p.warnings)),
            )),
            Err(refused) => {
                for reason in &refused.reasons {
                    checks.push(Check::failed(format!("wal-g archive for {target}"), reason.to_string()));
                }
            }
        }
        let done = state.map(|s| s.phase);
        // The bootstrap step starts every job again from the job source after
        // they were purged: a spec that cannot be read must refuse the plan
        // now, not after the jobs and the scope are gone.
        if done.is_none_or(|d| d < Phase::Bootstrapped) {
            let bootstrap = Bootstrap::new(self.opts.bootstrap.clone().method(wanted), self.caps.clone())?;
            for job in self.jobs() {
                checks.push(bootstrap.spec_check(&job).await);
            }
        }
        let steps = self.steps(done);
        Plan::from_checks("restore", checks, steps)
    }

    fn steps(&self, done: Option<Phase>) -> Vec<Step> {
        let after = |p: Phase| done.is_none_or(|d| d < p);
        let o = &self.opts.bootstrap;
        let mut steps = Vec::new();
        if done.is_none() {
            steps.push(Step::new("record settings", "save the current settings to a backup file"));
        }
        if after(Phase::MethodSet) {
            steps.push(Step::new(
                "set restore method",
                format!("set patroniBootstrapMethod = {}", self.opts.mode.method()),
            ));
        }
        if after(Phase::JobsStopped) {
            steps.push(Step::new(
                "stop and purge jobs",
                format!("stop and purge {} in {}", self.jobs().join(", "), o.namespace),
            ));
        }
        if after(Phase::ScopeRemoved) {
            steps.push(Step::new(
                "remove scope state",
                format!("save then delete exactly service/{}/ in Consul", o.scope),
            ));
        }
        if after(Phase::Bootstrapped) {
            steps.push(Step::new(
                "bootstrap",
                "bootstrap the cluster with the restore method (host volumes must be empty)",
            ));
        }
        steps.push(Step::new("verify timeline", "the new leader runs on a timeline after the restored one"));
        steps.push(Step::new("set method back", "set patroniBootstrapMethod = initdb"));
        steps
    }
}

fn warnings(w: &[String]) -> String {
    if w.is_empty() { String::new() } else { format!(" (warnings: {})", w.join("; ")) }
}
