//! The inputs of [`Deploy`](super::Deploy): the job file and how far to follow it.

use std::path::Path;
use std::time::Duration;

use serde_json::Value;

use crate::{Error, Result};

/// A job file: HCL (parsed by the scheduler during the plan) or Nomad JSON.
#[derive(Debug, Clone, PartialEq)]
pub enum JobFile {
    /// HCL, as `nomad job run` takes it.
    Hcl {
        /// Where it came from, for messages.
        name: String,
        /// Its text.
        text: String,
    },
    /// Nomad JSON: the job itself or `{"Job": {...}}` (what `nomad job run -output` prints).
    Json {
        /// Where it came from, for messages.
        name: String,
        /// The job (the value of `"Job"`).
        job: Value,
    },
}

impl JobFile {
    /// A job file from its text: JSON when it starts with `{`, HCL otherwise.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for empty text or JSON that is not a job object.
    pub fn from_text(name: impl Into<String>, text: &str) -> Result<Self> {
        let name = name.into();
        let trimmed = text.trim_start();
        if trimmed.is_empty() {
            return Err(Error::invalid("job file", name, "is empty; expected a Nomad job in HCL or JSON"));
        }
        if !trimmed.starts_with('{') {
            return Ok(Self::Hcl { name, text: text.to_owned() });
        }
        let value: Value = serde_json::from_str(text)
            .map_err(|e| Error::invalid("job file", &name, format!("starts with '{{' but is not JSON: {e}")))?;
        let job = match value {
            Value::Object(mut fields) if fields.contains_key("Job") => fields.remove("Job").unwrap_or_default(),
            other => other,
        };
        if !job.is_object() {
            return Err(Error::invalid(
                "job file",
                name,
                "holds JSON whose job (the value of \"Job\") is not an object",
            ));
        }
        Ok(Self::Json { name, job })
    }

    /// Reads a job file (see [`JobFile::from_text`]).
    ///
    /// # Errors
    /// [`Error::Io`] when the file cannot be read, else as [`JobFile::from_text`].
    pub fn read(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            action: "read the job file".into(),
            path: path.to_owned(),
            source,
        })?;
        Self::from_text(path.display().to_string(), &text)
    }

    /// Where the file came from.
    #[must_use]
    pub fn name(&self) -> &str {
        match self {
            Self::Hcl { name, .. } | Self::Json { name, .. } => name,
        }
    }
}

/// Inputs of [`Deploy`](super::Deploy).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct DeployOptions {
    /// The job to deploy.
    pub job: JobFile,
    /// The namespace (`-namespace`); `None`: the one the job names, else the client's.
    pub namespace: Option<String>,
    /// When the deployment fails, register the newest stable version before it again.
    pub auto_revert: bool,
    /// Bound of the wait for the deployment to succeed or fail.
    pub deployment_timeout: Duration,
}

impl DeployOptions {
    /// Deploys `job` in the namespace it names (or the client's), follows the deployment
    /// for at most 10 minutes (Nomad's default progress deadline), and leaves a failed
    /// deployment as it is.
    #[must_use]
    pub fn new(job: JobFile) -> Self {
        Self { job, namespace: None, auto_revert: false, deployment_timeout: Duration::from_secs(600) }
    }

    /// Sets the namespace.
    #[must_use]
    pub fn namespace(mut self, namespace: impl Into<String>) -> Self {
        self.namespace = Some(namespace.into());
        self
    }

    /// Reverts to the newest stable version when the deployment fails.
    #[must_use]
    pub fn auto_revert(mut self, yes: bool) -> Self {
        self.auto_revert = yes;
        self
    }

    /// Sets how long the deployment is followed.
    #[must_use]
    pub fn deployment_timeout(mut self, timeout: Duration) -> Self {
        self.deployment_timeout = timeout;
        self
    }

    /// Checks every input; the error names the one at fault.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a bad namespace or a zero timeout.
    pub fn validate(&self) -> Result<()> {
        if let Some(ns) = &self.namespace {
            crate::input::validate_namespace(ns)?;
        }
        if self.deployment_timeout.is_zero() {
            return Err(Error::invalid("deployment timeout", "0s", "must be longer than zero"));
        }
        Ok(())
    }
}
