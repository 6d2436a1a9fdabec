//! The state file a bootstrap writes before it starts anything, so that `resume` continues
//! only what this recipe started.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::ports::{JobState, ScopeSnapshot};
use crate::report::Check;
use crate::{BackupDir, Result};

/// What a bootstrap in progress has done, kept in `<state dir>/bootstrap-<scope>.state.json`
/// from before its first start until it completes (then the file is removed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BootstrapState {
    /// The namespace bootstrapped.
    pub namespace: String,
    /// The scope bootstrapped.
    pub scope: String,
    /// The member jobs, in start order.
    pub members: Vec<String>,
    /// The jobs this run started (registered), in order.
    pub started: Vec<String>,
    /// The scope's `initialize` value (the cluster's system ID) once the first member led.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initialize: Option<String>,
    /// When the first run began (RFC 3339, UTC).
    pub began_at: String,
}

impl BootstrapState {
    pub(crate) fn new(namespace: &str, scope: &str, members: &[String]) -> Self {
        Self {
            namespace: namespace.to_owned(),
            scope: scope.to_owned(),
            members: members.to_vec(),
            started: Vec::new(),
            initialize: None,
            began_at: chrono::Utc::now().to_rfc3339(),
        }
    }

    /// The check a resume makes: this file must describe the same cluster, its recorded
    /// `initialize` must be the scope's, and every running job must be one it started.
    pub(crate) fn resume_check(
        &self,
        path: &std::path::Path,
        namespace: &str,
        members: &[String],
        snapshot: &ScopeSnapshot,
        states: &[(String, JobState)],
    ) -> Check {
        let name = format!("resume state {}", path.display());
        let mut why = Vec::new();
        if self.namespace != namespace || self.members != members {
            why.push(format!(
                "it records a bootstrap of {} in {}, not of {} in {namespace}",
                self.members.join(", "),
                self.namespace,
                members.join(", ")
            ));
        }
        let found = snapshot.text("initialize");
        match (&self.initialize, found) {
            (Some(recorded), Some(now)) if recorded == now => {}
            (Some(recorded), now) => why.push(format!(
                "the first run recorded initialize {recorded}, the scope holds {}: this is another cluster",
                now.map_or_else(|| "none".to_owned(), |v| format!("{v:?}"))
            )),
            (None, _) => {}
        }
        for (job, state) in states {
            if matches!(state, JobState::Running | JobState::Pending) && !self.started.contains(job) {
                why.push(format!("job {job} is {state} but this recipe never started it"));
            }
        }
        if why.is_empty() {
            Check::passed(
                name,
                format!(
                    "continuing the bootstrap begun {} (started: {}; initialize {})",
                    self.began_at,
                    if self.started.is_empty() { "nothing yet".to_owned() } else { self.started.join(", ") },
                    self.initialize.as_deref().unwrap_or("not recorded yet")
                ),
            )
        } else {
            Check::failed(name, format!("refusing to adopt: {}", why.join("; ")))
        }
    }
}

/// The state file of one bootstrap, in a directory.
#[derive(Debug, Clone)]
pub(crate) struct StateFile {
    dir: BackupDir,
    name: String,
}

impl StateFile {
    pub(crate) fn new(dir: PathBuf, scope: &str) -> Self {
        Self { dir: BackupDir::new(dir), name: format!("bootstrap-{scope}.state.json") }
    }

    pub(crate) fn path(&self) -> PathBuf {
        self.dir.path().join(&self.name)
    }

    pub(crate) async fn read(&self) -> Result<Option<BootstrapState>> {
        self.dir.read_state(&self.name).await
    }

    pub(crate) async fn write(&self, state: &BootstrapState) -> Result<()> {
        self.dir.write_state(&self.name, state).await.map(drop)
    }

    pub(crate) async fn remove(&self) -> Result<()> {
        self.dir.remove_state(&self.name).await
    }
}
