//! Reliability and safety suite (issue: faults, bad input, wrong targets, secrets).

mod fault_matrix;
mod tls;
mod wrong_target;
