use async_trait::async_trait;
use nomad_client::{AllocClientStatus, ExecOptions, NomadClient, QueryOptions, WriteOptions};

use super::err;
use crate::ports::VolumeProbe;
use crate::{Error, Result};

/// [`VolumeProbe`] that runs a check through Nomad exec in every running allocation of a
/// probe job (typically a `system` job with the host volumes' parent directory mounted,
/// so that it has one allocation per client).
///
/// The path is the one seen inside the probe task; by default
/// `/var/lib/nomad-volumes/{namespace}/postgres-atala`, which matches a probe task that sees
/// the host's directory at the same place (`raw_exec`, or a bind mount at the same path).
/// A directory that exists and is not empty counts as leftover data. It never clears a
/// member's volume: see [`VolumeProbe::member_volume`] for why.
#[derive(Debug, Clone)]
pub struct NomadVolumeProbe {
    nomad: NomadClient,
    job: String,
    task: String,
    job_namespace: Option<String>,
    path_template: String,
}

impl NomadVolumeProbe {
    /// Probes with the allocations of `job` (task `task`), in the namespace being checked.
    pub fn new(nomad: NomadClient, job: impl Into<String>, task: impl Into<String>) -> Self {
        Self {
            nomad,
            job: job.into(),
            task: task.into(),
            job_namespace: None,
            path_template: "/var/lib/nomad-volumes/{namespace}/postgres-atala".to_owned(),
        }
    }

    /// Runs the probe job from another namespace (e.g. a shared `ops` namespace).
    #[must_use]
    pub fn job_namespace(mut self, namespace: impl Into<String>) -> Self {
        self.job_namespace = Some(namespace.into());
        self
    }

    /// Another path (inside the probe task) with `{namespace}`; it must be absolute and contain
    /// no quote.
    pub fn path_template(mut self, template: impl Into<String>) -> Result<Self> {
        let template = template.into();
        if !template.starts_with('/') || template.contains(['\'', '"', '\\', '\0', '`', '$']) || template.contains("..")
        {
            return Err(Error::invalid(
                "volume path template",
                template,
                "must be an absolute path without quotes, '$', '`', '\\' or '..'",
            ));
        }
        self.path_template = template;
        Ok(self)
    }
}

#[async_trait]
impl VolumeProbe for NomadVolumeProbe {
    async fn leftover_data(&self, namespace: &str) -> Result<Vec<String>> {
        crate::input::validate_namespace(namespace)?;
        let job_ns = self.job_namespace.clone().unwrap_or_else(|| namespace.to_owned());
        let opts = QueryOptions { namespace: Some(job_ns.clone()), ..QueryOptions::default() };
        let allocs = self.nomad.jobs().allocations(&self.job, false, &opts).await.map_err(err)?.value;
        let running: Vec<_> = allocs.into_iter().filter(|a| a.client_status == AllocClientStatus::Running).collect();
        if running.is_empty() {
            return Err(Error::backend_msg(
                "Nomad volume probe",
                format!(
                    "no running allocation of probe job {} in {job_ns}: the host volumes cannot be checked \
                     (start the probe job, or skip the check explicitly with a reason)",
                    self.job
                ),
            ));
        }
        // The namespace is validated (letters, digits, '-', '_') and the template has no
        // quote, so single quotes keep the path one shell word.
        let path = self.path_template.replace("{namespace}", namespace);
        let script = format!("if [ -n \"$(ls -A '{path}' 2>/dev/null)\" ]; then echo found; else echo clean; fi");
        let command = vec!["/bin/sh".to_owned(), "-c".to_owned(), script];
        let exec = ExecOptions {
            write: WriteOptions { namespace: Some(job_ns), ..WriteOptions::default() },
            ..ExecOptions::default()
        };
        let mut found = Vec::new();
        for alloc in running {
            let out =
                self.nomad.allocations().exec_output(&alloc.id, &self.task, &command, &exec).await.map_err(err)?;
            let text = String::from_utf8_lossy(&out.stdout);
            match (out.exit_code, text.trim()) {
                (0, "found") => found.push(format!("{}:{path}", alloc.node_name)),
                (0, "clean") => {}
                (code, other) => {
                    return Err(Error::backend_msg(
                        "Nomad volume probe",
                        format!("the check on {} exited {code} with {other:?}", alloc.node_name),
                    ));
                }
            }
        }
        Ok(found)
    }

    /// Always refused, with the reason: the path template derives one path per namespace,
    /// which every member's volume has on its own client, so the exact volume of a member is
    /// "that path on the client its last allocation ran on", which no name gives. A job
    /// removing it there would have to be pinned to that client, mount the volume read-write
    /// and run a removal under a task driver this probe does not know; none of that can be
    /// checked against the exact path before it runs, so this probe clears nothing.
    fn member_volume(&self, namespace: &str, member: &str) -> std::result::Result<String, String> {
        let path = self.path_template.replace("{namespace}", namespace);
        Err(format!(
            "Nomad host volumes are not cleared by this SDK: {path} is the same path on every client, and which \
             client holds {member}'s data is not derived from the names, so no exact location can be checked \
             before anything is removed. Stop {member}'s job, remove the contents of {path} on its client by hand, \
             then run without --clear-volume"
        ))
    }
}
