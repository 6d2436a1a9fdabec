//! `/v1/allocations`, `/v1/allocation/:id` and the client-side allocation
//! actions (restart, signal); exec, logs and fs live in their own modules.

use client_core::path::ApiPath;
use std::collections::BTreeMap;

use client_core::{Request, WithMeta};
use futures::Stream;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::client::NomadClient;
use crate::error::{Error, Result, not_found};
use crate::models::{AllocCheck, AllocStats, AllocStopResponse, Allocation, ServiceRegistration};
use crate::options::{QueryOptions, WriteOptions};
use crate::pages::Page;
use crate::validate;
use crate::vocab::{AllocClientStatus, AllocDesiredStatus};

/// Handler for allocations; get it with [`NomadClient::allocations`].
#[derive(Debug, Clone)]
pub struct Allocations {
    pub(crate) client: NomadClient,
}

impl NomadClient {
    /// Allocations: list, get, stop, restart, signal, find the running one, exec, logs, files.
    #[must_use]
    pub fn allocations(&self) -> Allocations {
        Allocations { client: self.clone() }
    }
}

/// What [`Allocations::set_pause`] forces a scheduled task into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PauseState {
    /// Pause it now (`pause`).
    Pause,
    /// Run it now (`run`).
    Run,
    /// Drop the override: follow the schedule again (`scheduled`).
    Scheduled,
}

impl PauseState {
    fn as_str(self) -> &'static str {
        match self {
            Self::Pause => "pause",
            Self::Run => "run",
            Self::Scheduled => "scheduled",
        }
    }
}

/// `/v1/<base>/<alloc id>[/<sub>]` after checking the ID is a full UUID.
pub(crate) fn alloc_path(base: &'static str, id: &str, sub: Option<&'static str>) -> Result<ApiPath> {
    validate::uuid_path(base, "allocation ID", id, sub)
}

impl Allocations {
    /// `GET /v1/allocations` (prefix, filter, `*` namespace). A prefix must be a
    /// non-empty, even number of hex digits: Nomad answers 500 to an odd one, even when
    /// an ID starts with it, so it is refused before the request.
    pub async fn list(&self, opts: &QueryOptions) -> Result<WithMeta<Vec<Allocation>>> {
        self.client.get_meta(self.list_request(opts)?).await
    }

    /// One page of `GET /v1/allocations` (`per_page`, `next_token`, `filter`, `reverse`; Nomad 1.3+).
    pub async fn list_page(&self, opts: &QueryOptions) -> Result<Page<Allocation>> {
        self.client.page(self.list_request(opts)?).await
    }

    /// Every item of `GET /v1/allocations`, page after page of `per_page` (or in one
    /// page when it is unset or the server does not page), as items arrive.
    pub fn list_stream(&self, opts: &QueryOptions) -> Result<impl Stream<Item = Result<Allocation>> + Send + 'static> {
        self.client.paged(opts, |o| self.list_request(o))
    }

    fn list_request(&self, opts: &QueryOptions) -> Result<Request> {
        validate::id_prefix_option("allocation ID prefix", opts)?;
        self.client.query(Request::get("/v1/allocations"), opts)
    }

    /// `GET /v1/allocation/:id` (a full ID; resolve short ones with [`Allocations::list`] and a prefix).
    pub async fn get(&self, id: &str, opts: &QueryOptions) -> Result<WithMeta<Allocation>> {
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

    /// `GET /v1/client/allocation/:id/stats`: memory and CPU use of the
    /// allocation and its tasks, from the client running it.
    pub async fn stats(&self, id: &str, opts: &QueryOptions) -> Result<AllocStats> {
        let req = self.client.query_one(Request::get(alloc_path("/v1/client/allocation", id, Some("stats"))?), opts)?;
        let ns = self.client.effective_namespace(opts.namespace.as_deref());
        self.client.json(req).await.map_err(not_found("allocation", id, Some(&ns)))
    }

    /// `GET /v1/allocation/:id/checks` (Nomad 1.4+): the results of the
    /// allocation's Nomad-native service checks, by check ID.
    pub async fn checks(&self, id: &str, opts: &QueryOptions) -> Result<BTreeMap<String, AllocCheck>> {
        let req = self.client.query_one(Request::get(alloc_path("/v1/allocation", id, Some("checks"))?), opts)?;
        let ns = self.client.effective_namespace(opts.namespace.as_deref());
        self.client.json(req).await.map_err(not_found("allocation", id, Some(&ns)))
    }

    /// `GET /v1/allocation/:id/services`: the allocation's Nomad-native service registrations.
    pub async fn services(&self, id: &str, opts: &QueryOptions) -> Result<WithMeta<Vec<ServiceRegistration>>> {
        let req = self.client.query_one(Request::get(alloc_path("/v1/allocation", id, Some("services"))?), opts)?;
        let ns = self.client.effective_namespace(opts.namespace.as_deref());
        self.client.get_meta(req).await.map_err(not_found("allocation", id, Some(&ns)))
    }

    /// `GET /v1/client/allocation/:id/gc`: has the client delete what it keeps
    /// of exactly this allocation (its directory, logs included). The client
    /// kills a live allocation it collects, so the allocation is read first and
    /// one that is not terminal (complete, failed, lost) is refused.
    pub async fn gc(&self, id: &str, opts: &WriteOptions) -> Result<()> {
        let path = alloc_path("/v1/client/allocation", id, Some("gc"))?;
        let query = QueryOptions::from(opts);
        let alloc = self.get(id, &query).await?.value;
        if !alloc.client_status.is_terminal() {
            return Err(Error::Refused {
                action: format!("garbage-collect allocation {id} ({})", alloc.name),
                reason: format!(
                    "it is {} on node {}: collecting it would kill it; stop it first",
                    alloc.client_status, alloc.node_name
                ),
            });
        }
        self.client.send_empty(self.client.query_one(Request::get(path), &query)?).await
    }

    /// `PUT /v1/client/allocation/:id/pause` (Nomad Enterprise 1.9+): forces
    /// `task`'s [`schedule`](https://developer.hashicorp.com/nomad/docs/job-specification/schedule)
    /// to pause or run, or back to its schedule.
    pub async fn set_pause(&self, id: &str, task: &str, state: PauseState, opts: &WriteOptions) -> Result<()> {
        let path = alloc_path("/v1/client/allocation", id, Some("pause"))?;
        validate::name("task", task)?;
        let body = json!({ "Task": task, "ScheduleState": state.as_str() });
        self.client.send_empty(self.client.write(Request::put(path).json(&body)?, opts)?).await
    }

    /// `GET /v1/client/allocation/:id/pause?task=` (Enterprise 1.9+): `task`'s
    /// schedule state: `""` running, `force_run`, `force_pause`, `scheduled_pause`...
    pub async fn pause_state(&self, id: &str, task: &str, opts: &QueryOptions) -> Result<String> {
        #[derive(serde::Deserialize)]
        struct Answer {
            #[serde(rename = "ScheduleState", default)]
            state: String,
        }
        let path = alloc_path("/v1/client/allocation", id, Some("pause"))?;
        validate::name("task", task)?;
        let req = self.client.query_one(Request::get(path).query("task", task), opts)?;
        Ok(self.client.json::<Answer>(req).await?.state)
    }

    /// The one running allocation of `task_group` of job `job_id` (what
    /// `nomad job status <job> | grep running` finds). None running, or
    /// several, is an error that lists what exists; a job that does not exist is
    /// [`Error::NotFound`] (Nomad lists no allocations for it rather than a 404).
    pub async fn find_running(&self, job_id: &str, task_group: &str, opts: &QueryOptions) -> Result<Allocation> {
        validate::name("task group", task_group)?;
        let allocs = self.client.jobs().allocations(job_id, false, opts).await?.value;
        if allocs.is_empty() {
            self.client.jobs().get(job_id, opts).await?;
        }
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
                others: others.iter().map(describe).collect(),
            }),
            _ => Err(Error::SeveralRunningAllocations {
                job_id: job_id.to_owned(),
                task_group: task_group.to_owned(),
                namespace,
                alloc_ids: running.into_iter().map(|a| a.id).collect(),
            }),
        }
    }

    /// Waits until an allocation of job `job_id` (of `task_group`, when given) runs,
    /// for at most `timeout`, with blocking queries on the job's allocations.
    ///
    /// Fails fast with [`Error::AllocationFailed`] and the task's last events when an
    /// allocation failed and nothing replaces it: no allocation is pending or running,
    /// the failed one has no follow-up evaluation (a delayed reschedule), and the list
    /// stayed so for one more blocking query (the scheduler reacts to a failure within
    /// it, placing a replacement or a follow-up). A job that does not exist is
    /// [`Error::NotFound`]; running out of time is [`Error::WaitTimeout`].
    pub async fn wait_running(
        &self,
        job_id: &str,
        task_group: Option<&str>,
        timeout: Duration,
        opts: &QueryOptions,
    ) -> Result<Allocation> {
        if let Some(group) = task_group {
            validate::name("task group", group)?;
        }
        let namespace = Some(self.client.effective_namespace(opts.namespace.as_deref()));
        let started = Instant::now();
        let (mut index, mut failed_at) = (0, None);
        loop {
            let left = timeout.saturating_sub(started.elapsed());
            let wait = if failed_at.is_some() { SETTLE } else { MAX_BLOCKING_WAIT };
            let query = opts.without_blocking().blocking(index, left.min(wait));
            let answer = self.client.jobs().allocations(job_id, false, &query).await?;
            if index == 0 && answer.value.is_empty() {
                self.client.jobs().get(job_id, opts).await?;
            }
            let allocs: Vec<Allocation> =
                answer.value.into_iter().filter(|a| task_group.is_none_or(|g| a.task_group == g)).collect();
            if let Some(running) = allocs.iter().find(|a| a.is_running()) {
                return Ok(running.clone());
            }
            match failed_for_good(&allocs) {
                Some(failed) if failed_at == Some(answer.meta.last_index) => {
                    let (task, events) = last_events(failed);
                    return Err(Error::AllocationFailed {
                        job_id: job_id.to_owned(),
                        alloc_id: failed.id.clone(),
                        namespace,
                        task,
                        events,
                    });
                }
                Some(_) => failed_at = Some(answer.meta.last_index),
                None => failed_at = None,
            }
            if left.is_zero() || started.elapsed() >= timeout {
                return Err(Error::WaitTimeout {
                    job_id: job_id.to_owned(),
                    namespace,
                    after: timeout,
                    others: allocs.iter().map(describe).collect(),
                });
            }
            index = index.max(answer.meta.last_index);
        }
    }
}

/// Longest wait of one blocking query while waiting for an allocation to run.
const MAX_BLOCKING_WAIT: Duration = Duration::from_secs(30);
/// How long a failed-and-not-replaced list must stay unchanged before it counts as final.
const SETTLE: Duration = Duration::from_secs(5);

/// `9df9c84d (complete, desired stop)`.
fn describe(alloc: &Allocation) -> String {
    format!("{} ({}, desired {})", alloc.short_id(), alloc.client_status, alloc.desired_status)
}

/// A failed allocation that nothing replaces: none of `allocs` is pending or running,
/// and this failed one has no follow-up evaluation (Nomad's delayed reschedule).
fn failed_for_good(allocs: &[Allocation]) -> Option<&Allocation> {
    let alive = allocs.iter().any(|a| a.desired_status == AllocDesiredStatus::Run && a.client_status.is_alive());
    if alive {
        return None;
    }
    allocs.iter().find(|a| {
        a.client_status == AllocClientStatus::Failed
            && a.extra.get("FollowupEvalID").and_then(Value::as_str).is_none_or(str::is_empty)
    })
}

/// The failed task of `alloc` and its last events (`Type: DisplayMessage`), leaving out
/// the allocation-level "Alloc Unhealthy" that follows every failure.
fn last_events(alloc: &Allocation) -> (String, String) {
    let states = alloc.task_states.as_ref();
    let failed = states.and_then(|s| s.iter().find(|(_, t)| t.failed).or_else(|| s.iter().next()));
    let Some((task, state)) = failed else { return (String::new(), alloc.client_description.clone()) };
    let events: Vec<String> = state
        .events
        .iter()
        .flatten()
        .filter(|e| e["Type"] != "Alloc Unhealthy")
        .map(|e| {
            let kind = e["Type"].as_str().unwrap_or_default();
            match e["DisplayMessage"].as_str().filter(|m| !m.is_empty()) {
                Some(message) => format!("{kind}: {message}"),
                None => kind.to_owned(),
            }
        })
        .collect();
    let last = events[events.len().saturating_sub(2)..].join("; ");
    (task.clone(), if last.is_empty() { alloc.client_description.clone() } else { last })
}
