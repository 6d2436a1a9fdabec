//! [`JobSource`] as a directory of Nomad JSON job files.

use std::path::PathBuf;

use async_trait::async_trait;
use serde_json::Value;

use crate::ports::JobSource;
use crate::{Error, Result};

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
