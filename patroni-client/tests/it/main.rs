//! Integration tests of patroni-client: decoding of recorded fixtures,
//! request shapes against wiremock, and real Patroni clusters from the sandbox.

mod common;
mod connect;
#[cfg(feature = "consul")]
mod dcs;
mod fixtures;
#[cfg(feature = "consul")]
mod lifecycle;
mod mock;
#[cfg(feature = "consul")]
mod real;
#[cfg(feature = "consul")]
mod removal;
