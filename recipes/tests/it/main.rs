//! Integration tests of the recipes crate (one binary).

mod bootstrap;
mod consul_scope;
mod credentials;
mod deploy;
mod fakes;
mod ghost;
mod ghost_native;
mod http_backends;
mod inputs;
mod nomad_side;
mod real;
mod replace_member;
mod restart;
mod restore;
mod restore_database;
mod scope_status;
