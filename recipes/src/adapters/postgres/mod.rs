//! Ports implemented over PostgreSQL: the [`PostgresServer`] (SQL through `tokio-postgres`,
//! dumps and restores through the PostgreSQL client binaries).

mod server;
pub(crate) mod sql;

pub use server::PostgresServer;
