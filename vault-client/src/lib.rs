//! Typed async client for the HashiCorp Vault HTTP API: auth methods, KV v1/v2, dynamic credentials, sys.
#![deny(missing_docs)]
