//! Typed progress events, delivered through a callback or a channel.

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

/// Something a running recipe wants its caller to know now.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Event {
    /// A step begins.
    StepStarted {
        /// The step's short name.
        step: String,
    },
    /// A step completed.
    StepFinished {
        /// The step's short name.
        step: String,
        /// How long it took.
        elapsed: Duration,
    },
    /// A step failed; the run stops with this error, and a re-run continues from the world as it is.
    StepFailed {
        /// The step's short name.
        step: String,
        /// The error, as a sentence.
        error: String,
    },
    /// A step was not needed (the world is already as it would leave it) or not applicable.
    StepSkipped {
        /// The step's short name.
        step: String,
        /// Why it was skipped.
        reason: String,
    },
    /// The recipe is waiting for something outside its control.
    Waiting {
        /// What is awaited, e.g. "a leader in scope atala-testnet-database".
        what: String,
        /// Time waited so far.
        elapsed: Duration,
        /// The bound of the wait.
        timeout: Duration,
        /// What the recipe saw while waiting, one fact per entry (e.g. the scope's `initialize`,
        /// leader and member keys; each awaited job's allocation status, restarts, last task
        /// event and last lines of stderr); empty when the wait has nothing to report.
        #[serde(skip_serializing_if = "Vec::is_empty")]
        seen: Vec<String>,
    },
    /// Something the operator should look at, which does not stop the recipe.
    Warning {
        /// The message.
        message: String,
    },
}

type Sink = Arc<dyn Fn(&Event) + Send + Sync>;

/// Where a recipe sends its [`Event`]s. Cheap to clone.
#[derive(Clone, Default)]
pub struct Progress {
    sink: Option<Sink>,
}

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Progress").field("attached", &self.sink.is_some()).finish()
    }
}

impl Progress {
    /// Events go nowhere (they are still logged with `tracing`).
    #[must_use]
    pub fn none() -> Self {
        Self::default()
    }

    /// Events are passed to `f`, in order, on the recipe's task.
    pub fn callback(f: impl Fn(&Event) + Send + Sync + 'static) -> Self {
        Self { sink: Some(Arc::new(f)) }
    }

    /// Events are sent into an unbounded channel; the receiver ends when the recipe and
    /// every clone of the returned `Progress` are dropped.
    #[must_use]
    pub fn channel() -> (Self, tokio::sync::mpsc::UnboundedReceiver<Event>) {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        (Self::callback(move |e| drop(tx.send(e.clone()))), rx)
    }

    /// Delivers one event (and logs it).
    #[allow(clippy::needless_pass_by_value)] // events are built at the call site; owning them reads better
    pub fn emit(&self, event: Event) {
        match &event {
            Event::Warning { message } => tracing::warn!(%message, "recipe warning"),
            Event::StepFailed { step, error } => tracing::error!(%step, %error, "recipe step failed"),
            other => tracing::info!(event = ?other, "recipe progress"),
        }
        if let Some(sink) = &self.sink {
            sink(&event);
        }
    }

    /// Shorthand for [`Event::Warning`].
    pub fn warn(&self, message: impl Into<String>) {
        self.emit(Event::Warning { message: message.into() });
    }
}
