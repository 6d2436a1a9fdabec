//! Reliability and safety suite (issue: faults, bad input, wrong targets, secrets).

mod fault_matrix;
mod model_fuzz;
mod recipe_faults;
mod secrets;
mod tls;
mod wrong_target;
