//! `/v1/allocations`, `/v1/allocation/:id` and the client-side allocation
//! actions (restart, signal); exec, logs and fs live in their own modules.

use client_core::path::{ApiPath, PathBuf};
use client_core::{Request, WithMeta};
use serde_json::json;

use crate::client::NomadClient;
use crate::error::{Error, Result, not_found};
use crate::models::{AllocStopResponse, Allocation};
use crate::options::{QueryOptions, WriteOptions};
use crate::validate;

/// Handler for allocations; get it with [`NomadClient::allocations`].
#[derive(Debug, Clone)]
pub struct Allocations {
    pub(crate) client: NomadClient,
}

impl NomadClient {
    /// Allocations: list, read, stop, restart, signal, find the running one, exec, logs, files.
    #[must_use]
    pub fn allocations(&self) -> Allocations {
        Allocations { client: self.clone() }
    }
}

/// `/v1/<base>/<alloc id>[/<sub>]` after checking the ID is a full UUID.
pub(crate) fn alloc_path(base: &'static str, id: &str, sub: Option<&'static str>) -> Result<ApiPath> {
    validate::uuid("allocation ID", id)?;
    let mut path = PathBuf::new(base).segment("allocation ID", id)?;
    if let Some(sub) = sub {
        path = path.literal(sub);
    }
    Ok(path.finish())
}

impl Allocations {
    /// `GET /v1/allocations` (prefix, filter, `*` namespace).
    pub async fn list(&self, opts: &QueryOptions) -> Result<WithMeta<Vec<Allocation>>> {
        self.client.get_meta(self.client.query(Request::get("/v1/allocations"), opts)?).await
    }

    /// `GET /v1/allocation/:id` (a full ID; resolve short ones with [`Allocations::list`] and a prefix).
    pub async fn read(&self, id: &str, opts: &QueryOptions) -> Result<WithMeta<Allocation>> {
        let req = self.client.query_one(Request::get(alloc_path("/v1/allocation", id, None)?), opts)?;
        let ns = self.client.effective_namespace(opts.namespace.as_deref());
        self.client.get_meta(req).await.map_err(not_found("allocation", id, Some(&ns)))
    }

    /// `POST /v1/allocation/:id/stop`: stops the allocation; the scheduler replaces it.
    pub async fn stop(&self, id: &str, opts: &WriteOptions) -> Result<AllocStopResponse> {
        let req = self.client.write(Request::post(alloc_path("/v1/allocation", id, Some("stop"))?), opts)?;
        let ns = self.client.effective_namespace(opts.namespace.as_deref());
        self.client.json(req).await.map_err(not_found("allocation", id, Some(&ns)))
    }

    /// `PUT /v1/client/allocation/:id/restart`: restarts `task`, or every task when `None`.
    pub async fn restart(&self, id: &str, task: Option<&str>, opts: &WriteOptions) -> Result<()> {
        let path = alloc_path("/v1/client/allocation", id, Some("restart"))?;
        let body = match task {
            Some(task) => {
                validate::name("task", task)?;
                json!({ "TaskName": task })
            }
            None => json!({}),
        };
        // A restart is not idempotent: a retry after a lost answer would restart twice.
        let req = self.client.write(Request::put(path).json(&body)?.idempotent(false), opts)?;
        self.client.send_empty(req).await
    }

    /// `POST /v1/client/allocation/:id/signal`: sends `signal` (e.g. `SIGHUP`) to `task` or every task.
    pub async fn signal(&self, id: &str, signal: &str, task: Option<&str>, opts: &WriteOptions) -> Result<()> {
        let path = alloc_path("/v1/client/allocation", id, Some("signal"))?;
        validate::name("signal", signal)?;
        let mut body = json!({ "Signal": signal });
        if let Some(task) = task {
            validate::name("task", task)?;
            body["Task"] = task.into();
        }
        let req = self.client.write(Request::post(path).json(&body)?, opts)?;
        self.client.send_empty(req).await
    }

    /// The one running allocation of `task_group` of job `job_id` (what
    /// `nomad job status <job> | grep running` finds). None running, or
    /// several, is an error that lists what exists.
    pub async fn find_running(&self, job_id: &str, task_group: &str, opts: &QueryOptions) -> Result<Allocation> {
        validate::name("task group", task_group)?;
        let allocs = self.client.jobs().allocations(job_id, false, opts).await?.value;
        let namespace = Some(self.client.effective_namespace(opts.namespace.as_deref()));
        let (running, others): (Vec<Allocation>, Vec<Allocation>) =
            allocs.into_iter().filter(|a| a.task_group == task_group).partition(Allocation::is_running);
        let mut running = running;
        match running.len() {
            1 => Ok(running.remove(0)),
            0 => Err(Error::NoRunningAllocation {
                job_id: job_id.to_owned(),
                task_group: task_group.to_owned(),
                namespace,
                others: others
                    .iter()
                    .map(|a| format!("{} ({}, desired {})", a.short_id(), a.client_status, a.desired_status))
                    .collect(),
            }),
            _ => Err(Error::SeveralRunningAllocations {
                job_id: job_id.to_owned(),
                task_group: task_group.to_owned(),
                namespace,
                alloc_ids: running.into_iter().map(|a| a.id).collect(),
            }),
        }
    }
}
