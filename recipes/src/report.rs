//! Plans (what a dry run found) and reports (what a run did), both serde-serializable.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// The outcome of one precondition check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", content = "detail", rename_all = "snake_case")]
pub enum Outcome {
    /// The precondition holds; the detail says what was seen.
    Passed(String),
    /// The check was not made, for the stated reason (for example skipped explicitly by the caller).
    Skipped(String),
    /// The precondition does not hold; the recipe must not run.
    Failed(String),
}

/// One precondition checked against the live systems.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    /// What was checked, e.g. "namespace atala-testnet exists".
    pub name: String,
    /// What was found.
    pub outcome: Outcome,
}

impl Check {
    /// A passed check.
    pub fn passed(name: impl Into<String>, detail: impl Into<String>) -> Self {
        Self { name: name.into(), outcome: Outcome::Passed(detail.into()) }
    }
    /// A skipped check.
    pub fn skipped(name: impl Into<String>, reason: impl Into<String>) -> Self {
        Self { name: name.into(), outcome: Outcome::Skipped(reason.into()) }
    }
    /// A failed check.
    pub fn failed(name: impl Into<String>, reason: impl Into<String>) -> Self {
        Self { name: name.into(), outcome: Outcome::Failed(reason.into()) }
    }
    /// True when this check stops the recipe.
    #[must_use]
    pub fn is_failed(&self) -> bool {
        matches!(self.outcome, Outcome::Failed(_))
    }
}

/// One step a recipe would take.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// Short name used in progress events, e.g. "start dbHA1".
    pub name: String,
    /// What the step does, in a sentence.
    pub detail: String,
}

impl Step {
    /// Builds a step.
    pub fn new(name: impl Into<String>, detail: impl Into<String>) -> Self {
        Self { name: name.into(), detail: detail.into() }
    }
}

/// The result of a dry run: every check made and the steps that would follow.
/// An empty `steps` list means there is nothing to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    /// The recipe's name.
    pub recipe: String,
    /// Every check made (none failed, or the plan would have been a refusal).
    pub checks: Vec<Check>,
    /// The steps, in order.
    pub steps: Vec<Step>,
}

impl Plan {
    /// Builds a plan from checks, or a [`crate::Error::Refused`] listing every failed check.
    pub fn from_checks(recipe: &str, checks: Vec<Check>, steps: Vec<Step>) -> crate::Result<Self> {
        let reasons: Vec<String> = checks
            .iter()
            .filter_map(|c| match &c.outcome {
                Outcome::Failed(why) => Some(format!("{}: {why}", c.name)),
                _ => None,
            })
            .collect();
        if reasons.is_empty() {
            Ok(Self { recipe: recipe.to_owned(), checks, steps })
        } else {
            Err(crate::Error::Refused { recipe: recipe.to_owned(), reasons })
        }
    }

    /// True when the world is already as the recipe would leave it.
    #[must_use]
    pub fn is_noop(&self) -> bool {
        self.steps.is_empty()
    }
}

/// A step that was not executed, with the reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skipped {
    /// The step's name.
    pub step: String,
    /// Why it was not needed.
    pub reason: String,
}

/// What a run checked, did, skipped and saved. Serialize it to keep an audit trail.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// The recipe's name.
    pub recipe: String,
    /// The checks of the plan the run executed.
    pub checked: Vec<Check>,
    /// Steps done, in order.
    pub done: Vec<String>,
    /// Steps skipped because the world was already in the wanted state.
    pub skipped: Vec<Skipped>,
    /// Backup files written before anything was deleted.
    pub backups: Vec<PathBuf>,
    /// Warnings raised during the run.
    pub warnings: Vec<String>,
}

impl Report {
    /// An empty report for `recipe` carrying the plan's checks.
    #[must_use]
    pub fn new(plan: &Plan) -> Self {
        Self { recipe: plan.recipe.clone(), checked: plan.checks.clone(), ..Self::default() }
    }
}
