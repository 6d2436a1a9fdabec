use async_trait::async_trait;
use nomad_client::{ClientError, NomadClient, QueryOptions};
use serde_json::Value;

use super::err;
use crate::ports::JobSource;
use crate::{Error, Result};

/// The newest version Nomad still has of the job (a job stopped without purge): starting it
/// again re-registers that version with `Stop` cleared. Purged jobs have no versions left, so
/// this source cannot start the jobs of a bootstrap (whose preflight demands purged jobs):
/// use [`DirJobSource`](crate::adapters::local::DirJobSource) or the team's own source there.
#[derive(Debug, Clone)]
pub struct LastVersionSource {
    nomad: NomadClient,
}

impl LastVersionSource {
    /// Reads versions through `nomad`.
    #[must_use]
    pub fn new(nomad: NomadClient) -> Self {
        Self { nomad }
    }
}

#[async_trait]
impl JobSource for LastVersionSource {
    async fn job_spec(&self, namespace: &str, job: &str) -> Result<Option<Value>> {
        let opts = QueryOptions { namespace: Some(namespace.to_owned()), ..QueryOptions::default() };
        let versions = match self.nomad.jobs().versions(job, false, &opts).await {
            Ok(v) => v.value.versions,
            Err(e) if e.is_not_found() => return Ok(None),
            Err(e) => return Err(err(e)),
        };
        let Some(newest) = versions.into_iter().next() else { return Ok(None) };
        let mut value = serde_json::to_value(&newest).map_err(|e| Error::backend("Nomad job", e))?;
        value["Stop"] = Value::Bool(false);
        Ok(Some(value))
    }
}
