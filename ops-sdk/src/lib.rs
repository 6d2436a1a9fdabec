#![doc = include_str!("../README.md")]
//!
//! # This crate
//!
//! `ops-sdk` is the facade: each system's crate behind a feature of the
//! same name (all on by default), under one path each, so the names the
//! systems share (`Health`, `MemberStatus`, `Error`) stay apart:
//!
//! | path | crate | feature |
//! | --- | --- | --- |
//! | [`ops_sdk::core`](crate::core) | `ops-sdk-core` (`client_core`) | always |
//! | `ops_sdk::nomad` | `ops-sdk-nomad` (`nomad_client`) | `nomad` |
//! | `ops_sdk::consul` | `ops-sdk-consul` (`consul_client`) | `consul` |
//! | `ops_sdk::vault` | `ops-sdk-vault` (`vault_client`) | `vault` |
//! | `ops_sdk::patroni` | `ops-sdk-patroni` (`patroni_client`); its Consul view needs `consul` too | `patroni` |
//! | `ops_sdk::walg` | `ops-sdk-walg` (`walg`); its Nomad runner needs `nomad` too | `walg` |
//! | `ops_sdk::recipes` | `ops-sdk-recipes` (`recipes`) | `recipes` (turns on every client) |
#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(missing_docs)]

pub use client_core as core;
#[cfg(feature = "consul")]
pub use consul_client as consul;
#[cfg(feature = "nomad")]
pub use nomad_client as nomad;
#[cfg(feature = "patroni")]
pub use patroni_client as patroni;
#[cfg(feature = "recipes")]
pub use recipes;
#[cfg(feature = "vault")]
pub use vault_client as vault;
#[cfg(feature = "walg")]
pub use walg;

/// The checks every client's error answers ([`core::ClientError`]), in
/// scope with one `use ops_sdk::prelude::*;`.
pub mod prelude {
    pub use client_core::{ClientError, Secret};
}
