//! Typed async client for the HashiCorp Nomad HTTP API: jobs, allocations, logs, exec, nodes, events.
#![deny(missing_docs)]
