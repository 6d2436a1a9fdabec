//! Integration tests of nomad-client: wiremock servers answering with bodies
//! recorded from Nomad 1.1.2 (tests/fixtures), and local TCP/WebSocket servers
//! for the streaming endpoints.

mod acl;
mod allocations;
mod bad_input;
mod cluster;
mod common;
mod events;
mod examples;
mod exec;
mod fixtures;
mod job_meta;
mod jobs;
mod logs;
mod models;
mod node_agent;
mod node_meta;
mod operator;
mod pages;
mod services;
mod smaller;
mod storage;
mod variables;
