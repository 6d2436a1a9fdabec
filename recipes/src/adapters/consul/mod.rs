//! Ports implemented over the Consul client: Patroni's state in Consul
//! ([`ConsulScopeStore`]) and the Consul side of ghost cleanup ([`ConsulCatalog`]).

mod catalog;
mod scope;

pub use catalog::ConsulCatalog;
pub use scope::ConsulScopeStore;
