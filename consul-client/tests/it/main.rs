//! Integration tests: the real Consul from the sandbox, wiremock for what it cannot show.

mod acl;
mod agent;
mod agent_ops;
mod catalog;
mod common;
mod config_entry;
mod connect;
mod enterprise;
mod event;
mod input;
mod intention;
mod kv;
mod lock;
mod mesh;
mod mock;
mod operator;
mod prepared_query;
mod saved;
mod semaphore;
mod session;
mod snapshot;
mod status;
