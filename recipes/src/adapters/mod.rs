//! The implementations of the [`ports`](crate::ports), one folder per system they talk to:
//! [`nomad`], [`consul`], [`vault`], [`patroni`], [`postgres`], and [`local`] for in-process ones over
//! local files. Each can be replaced by the caller's own implementation of the port.

pub mod consul;
pub mod local;
pub mod nomad;
pub mod patroni;
pub mod postgres;
pub mod vault;
