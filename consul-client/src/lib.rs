//! Typed async client for the HashiCorp Consul HTTP API: KV, sessions, catalog, health, agent, ACL, config entries.
#![deny(missing_docs)]
