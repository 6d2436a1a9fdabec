use std::path::PathBuf;

use async_trait::async_trait;
use nomad_client::{NomadClient, QueryOptions};
use serde_json::Value;

use super::err;
use crate::{Error, Result};

/// Where the [`super::NomadScheduler`] gets the spec of a job it must start.
///
/// Implement it to render specs with the team's deploy tool; the SDK ships a directory of
/// Nomad JSON job files ([`DirJobSource`]) and "the job's last version" ([`LastVersionSource`]).
#[async_trait]
pub trait JobSource: Send + Sync {
    /// The job as Nomad JSON (the value of `"Job"`), or `None` when this source has no spec.
    async fn job_spec(&self, namespace: &str, job: &str) -> Result<Option<Value>>;
}

/// Job specs as JSON files `<dir>/<job>.json` (either `{"Job": {...}}`, as `nomad job run
/// -output` writes, or the bare job object). The job's `ID` must equal the file name, and its
/// `Namespace`, when set, the namespace asked for.
#[derive(Debug, Clone)]
pub struct DirJobSource {
    dir: PathBuf,
}

impl DirJobSource {
    /// Reads specs from `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }
}

#[async_trait]
impl JobSource for DirJobSource {
    async fn job_spec(&self, namespace: &str, job: &str) -> Result<Option<Value>> {
        crate::input::validate_job_name(job)?;
        if !tokio::fs::metadata(&self.dir).await.is_ok_and(|m| m.is_dir()) {
            return Err(Error::backend_msg(
                "job files",
                format!("the job directory {} does not exist or is not a directory", self.dir.display()),
            ));
        }
        let path = self.dir.join(format!("{job}.json"));
        let bytes = match tokio::fs::read(&path).await {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(Error::Io { action: "read the job file".into(), path, source }),
        };
        let bad = |why: String| Error::backend_msg("job file", format!("{}: {why}", path.display()));
        let mut value: Value = serde_json::from_slice(&bytes).map_err(|e| bad(format!("not JSON: {e}")))?;
        if let Some(inner) = value.get_mut("Job") {
            value = inner.take();
        }
        match value.get("ID").and_then(Value::as_str) {
            Some(id) if id == job => {}
            other => return Err(bad(format!("its ID is {other:?}, expected {job:?}"))),
        }
        match value.get("Namespace").and_then(Value::as_str) {
            None => value["Namespace"] = Value::String(namespace.to_owned()),
            Some(ns) if ns == namespace => {}
            Some(ns) => return Err(bad(format!("it is for namespace {ns:?}, not {namespace:?}"))),
        }
        Ok(Some(value))
    }
}

/// The newest version Nomad still has of the job (a job stopped without purge): starting it
/// again re-registers that version with `Stop` cleared. Purged jobs have no versions left, so
/// this source cannot start the jobs of a bootstrap (whose preflight demands purged jobs):
/// use [`DirJobSource`] or the team's own source there.
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
