//! Nomad's status and type words as enums: job status and type, allocation
//! client and desired status, node status and scheduling eligibility,
//! deployment and evaluation status, task state. A word this crate does not
//! know (a newer Nomad's) decodes to `Unknown(word)` and encodes back as the
//! same word, so a model read and written again loses nothing.
//!
//! ```
//! use nomad_client::{AllocClientStatus, JobStatus};
//! let status: AllocClientStatus = serde_json::from_str(r#""running""#).unwrap();
//! assert_eq!(status, AllocClientStatus::Running);
//! let newer: JobStatus = serde_json::from_str(r#""paused""#).unwrap();
//! assert_eq!(newer, JobStatus::Unknown("paused".into()));
//! assert_eq!(serde_json::to_string(&newer).unwrap(), r#""paused""#);
//! ```

client_core::string_enum! {
    /// A job's status (`Status` of a job and of a job list row).
    JobStatus {
        /// Not placed yet, or waiting (a periodic or parameterized parent).
        Pending => "pending",
        /// Has allocations placed.
        Running => "running",
        /// Stopped, or finished (a batch job): nothing runs or will run.
        Dead => "dead",
    }
}

client_core::string_enum! {
    /// A job's scheduler (`Type` of a job; an evaluation's `Type` also says
    /// `_core` for the server's own garbage collection, kept as unknown).
    JobType {
        /// Long-running tasks, restarted and rescheduled.
        Service => "service",
        /// Tasks that run to completion.
        Batch => "batch",
        /// One allocation on every eligible client.
        System => "system",
        /// A batch task on every eligible client (Nomad 1.2+).
        Sysbatch => "sysbatch",
    }
}

client_core::string_enum! {
    /// What the client reports about an allocation (`ClientStatus`).
    AllocClientStatus {
        /// Placed, its tasks not started yet.
        Pending => "pending",
        /// Its tasks run.
        Running => "running",
        /// Every task finished successfully.
        Complete => "complete",
        /// A task failed.
        Failed => "failed",
        /// Its node went down or was purged.
        Lost => "lost",
        /// `unknown`: its client is disconnected and may still run it (Nomad
        /// 1.3+, `max_client_disconnect`).
        Unreachable => "unknown",
    }
}

impl AllocClientStatus {
    /// True while the allocation runs or is about to (pending, running).
    #[must_use]
    pub fn is_alive(&self) -> bool {
        matches!(self, Self::Pending | Self::Running)
    }

    /// True once nothing of it runs any more (complete, failed, lost).
    #[must_use]
    pub fn is_terminal(&self) -> bool {
        matches!(self, Self::Complete | Self::Failed | Self::Lost)
    }
}

client_core::string_enum! {
    /// What the scheduler wants of an allocation (`DesiredStatus`).
    AllocDesiredStatus {
        /// Keep it running.
        Run => "run",
        /// Stop it.
        Stop => "stop",
        /// Stop it to make room (preemption).
        Evict => "evict",
    }
}

client_core::string_enum! {
    /// A client node's status (`Status` of a node).
    NodeStatus {
        /// Registered, fingerprinting not finished.
        Initializing => "initializing",
        /// Heartbeating and schedulable.
        Ready => "ready",
        /// Missed its heartbeats: its allocations are lost.
        Down => "down",
        /// Missed its heartbeats while its allocations allow a disconnect (Nomad 1.3+).
        Disconnected => "disconnected",
    }
}

client_core::string_enum! {
    /// Whether new allocations may be placed on a node (`SchedulingEligibility`).
    SchedulingEligibility {
        /// New allocations may be placed.
        Eligible => "eligible",
        /// No new allocations (draining, or marked by an operator).
        Ineligible => "ineligible",
    }
}

client_core::string_enum! {
    /// A deployment's status (`Status` of a deployment).
    DeploymentStatus {
        /// Rolling out.
        Running => "running",
        /// Every group is healthy at its count.
        Successful => "successful",
        /// Failed (unhealthy allocations, deadline, or an operator).
        Failed => "failed",
        /// Replaced by a newer job version or stopped.
        Cancelled => "cancelled",
        /// Paused by an operator.
        Paused => "paused",
        /// A multiregion deployment waiting for other regions.
        Blocked => "blocked",
        /// A multiregion deployment not started yet.
        Pending => "pending",
        /// A multiregion deployment being unblocked.
        Unblocking => "unblocking",
        /// Being created (Nomad 1.6+).
        Initializing => "initializing",
    }
}

client_core::string_enum! {
    /// An evaluation's status (`Status` of an evaluation).
    EvaluationStatus {
        /// Waiting for resources to free up.
        Blocked => "blocked",
        /// Queued for a scheduler.
        Pending => "pending",
        /// Processed.
        Complete => "complete",
        /// The scheduler gave up on it.
        Failed => "failed",
        /// Superseded by a newer evaluation of the same job.
        Canceled => "canceled",
    }
}

client_core::string_enum! {
    /// A task's state (`State` of a task state).
    TaskStatus {
        /// Waiting to start (downloading artifacts, restarting).
        Pending => "pending",
        /// Runs.
        Running => "running",
        /// Exited and will not be restarted.
        Dead => "dead",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every known word decodes to its variant and encodes back to itself; an
    /// unknown word survives the round trip.
    fn round_trips<T>(known: &[(&str, T)])
    where
        T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug + std::fmt::Display,
    {
        for (word, value) in known {
            let json = format!("\"{word}\"");
            let decoded: T = serde_json::from_str(&json).unwrap();
            assert_eq!(&decoded, value, "{word}");
            assert_eq!(serde_json::to_string(&decoded).unwrap(), json);
            assert_eq!(decoded.to_string(), *word);
        }
        let newer: T = serde_json::from_str(r#""from-a-newer-nomad""#).unwrap();
        assert_eq!(serde_json::to_string(&newer).unwrap(), r#""from-a-newer-nomad""#);
        assert_eq!(newer.to_string(), "from-a-newer-nomad");
    }

    #[test]
    fn every_vocabulary_round_trips_known_and_unknown_words() {
        use AllocClientStatus as C;
        round_trips(&[("pending", JobStatus::Pending), ("running", JobStatus::Running), ("dead", JobStatus::Dead)]);
        round_trips(&[
            ("service", JobType::Service),
            ("batch", JobType::Batch),
            ("system", JobType::System),
            ("sysbatch", JobType::Sysbatch),
        ]);
        round_trips(&[
            ("pending", C::Pending),
            ("running", C::Running),
            ("complete", C::Complete),
            ("failed", C::Failed),
            ("lost", C::Lost),
            ("unknown", C::Unreachable),
        ]);
        round_trips(&[
            ("run", AllocDesiredStatus::Run),
            ("stop", AllocDesiredStatus::Stop),
            ("evict", AllocDesiredStatus::Evict),
        ]);
        round_trips(&[
            ("initializing", NodeStatus::Initializing),
            ("ready", NodeStatus::Ready),
            ("down", NodeStatus::Down),
            ("disconnected", NodeStatus::Disconnected),
        ]);
        round_trips(&[
            ("eligible", SchedulingEligibility::Eligible),
            ("ineligible", SchedulingEligibility::Ineligible),
        ]);
        round_trips(&[
            ("running", DeploymentStatus::Running),
            ("successful", DeploymentStatus::Successful),
            ("failed", DeploymentStatus::Failed),
            ("cancelled", DeploymentStatus::Cancelled),
            ("paused", DeploymentStatus::Paused),
            ("blocked", DeploymentStatus::Blocked),
            ("pending", DeploymentStatus::Pending),
            ("unblocking", DeploymentStatus::Unblocking),
            ("initializing", DeploymentStatus::Initializing),
        ]);
        round_trips(&[
            ("blocked", EvaluationStatus::Blocked),
            ("pending", EvaluationStatus::Pending),
            ("complete", EvaluationStatus::Complete),
            ("failed", EvaluationStatus::Failed),
            ("canceled", EvaluationStatus::Canceled),
        ]);
        round_trips(&[("pending", TaskStatus::Pending), ("running", TaskStatus::Running), ("dead", TaskStatus::Dead)]);
    }

    #[test]
    fn the_word_unknown_is_a_status_and_a_missing_field_is_empty() {
        assert_eq!(AllocClientStatus::from("unknown"), AllocClientStatus::Unreachable);
        assert_eq!(AllocClientStatus::Unreachable.as_str(), "unknown");
        assert_eq!(JobStatus::default(), JobStatus::Unknown(String::new()));
        assert!(AllocClientStatus::Pending.is_alive() && !AllocClientStatus::Lost.is_alive());
        assert!(AllocClientStatus::Lost.is_terminal() && !AllocClientStatus::Unreachable.is_terminal());
    }
}
