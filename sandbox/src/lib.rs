//! Starts real Consul, PostgreSQL 15 and Patroni on loopback for tests and the demo; stops what it started.
#![deny(missing_docs)]
