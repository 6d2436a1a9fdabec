//! Shared helpers of the example scripts.
