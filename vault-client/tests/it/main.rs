//! Integration tests of vault-client against wiremock servers answering with
//! bodies recorded from a real Vault 1.8 (tests/fixtures/vault) or, where the
//! recording server could not produce them, taken from the API docs
//! (tests/fixtures/vault-docs).

mod auth;
mod auth_approle;
mod auth_jwt;
mod auth_ldap_cert;
mod auth_mounts;
mod auth_support;
mod auth_token_roles;
mod auth_userpass;
mod aws;
mod common;
mod database;
mod kv;
mod lifetime;
mod logical;
mod pki;
mod real_vault;
mod redaction;
mod secrets;
mod standby;
mod sys;
mod sys_audit;
mod sys_diagnostics;
mod sys_leases;
mod sys_raft;
mod sys_seal;
mod tls;
mod transit;
