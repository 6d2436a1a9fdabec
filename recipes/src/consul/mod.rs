//! Capabilities implemented over the Consul client.

mod scope;

pub use scope::ConsulScopeStore;
