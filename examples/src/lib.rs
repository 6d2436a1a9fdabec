//! Shared helpers of the example scripts.
pub mod output;
pub mod progress;
