//! Reliability and safety suite (issue: faults, bad input, wrong targets, secrets).

mod concurrent_ghost;
mod concurrent_scope;
mod connect_env;
mod contract;
mod env_table;
mod fault_matrix;
mod model_fuzz;
mod msrv;
mod path_conformance;
mod recipe_faults;
mod secrets;
mod tls;
mod unix_socket;
mod wrong_target;

/// Registers, through the catalog API, a node that is no gossip member and
/// carries one service: the shape of a ghost left by a node that is gone.
pub async fn register_ghost_node(consul: &consul_client::ConsulClient, node: &str, service_id: &str, service: &str) {
    let reg = consul_client::CatalogRegistration {
        node: node.into(),
        address: "10.255.0.9".into(),
        service: Some(consul_client::ServiceRegistration {
            id: Some(service_id.into()),
            service: service.into(),
            port: Some(5432),
            ..consul_client::ServiceRegistration::default()
        }),
        ..consul_client::CatalogRegistration::default()
    };
    consul.catalog().register(&reg).await.unwrap();
}
