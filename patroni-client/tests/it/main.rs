//! Integration tests of patroni-client: decoding of recorded fixtures,
//! request shapes against wiremock, and real Patroni clusters from the sandbox.

mod common;
mod connect;
mod dcs;
mod fixtures;
mod lifecycle;
mod mock;
mod real;
mod removal;
