//! End-to-end tests of the recipes on the sandbox: real Consul, PostgreSQL and Patroni,
//! scheduled by `ops_examples::local::LocalScheduler`, settings in files.

mod bootstrap;
mod bootstrap_faults;
mod ghost;
mod replace_member;
mod restore;
