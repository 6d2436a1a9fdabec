//! Test helpers shared by the ops SDK's crates (dev-only, never published).
//!
//! - [`Fixtures`]: recorded bodies under a crate's own `tests/fixtures`, read
//!   as bytes, text or JSON, or turned into wiremock answers.
//! - [`snapshot`]: Raft snapshot archives as Consul, Nomad and Vault write
//!   them, whole or streamed.
//! - [`tls`]: certificates made with rcgen and a rustls server on
//!   `127.0.0.1:0` that answers a fixed response or hangs up, with or without
//!   mutual TLS.
//!
//! It depends on no crate of the SDK, so every crate (client-core included)
//! can use it as a dev-dependency without getting a second copy of its types.
#![deny(missing_docs)]

mod fixtures;
pub mod snapshot;
pub mod tls;

pub use fixtures::Fixtures;
