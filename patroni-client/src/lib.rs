//! Typed async client for Patroni's REST API and Patroni's cluster state in Consul KV.
#![deny(missing_docs)]
