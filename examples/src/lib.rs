//! Shared helpers of the example scripts.
pub mod local;
pub mod output;
pub mod progress;
