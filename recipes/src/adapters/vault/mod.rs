//! Ports implemented over the Vault client: the [`VaultSettings`] store.

mod settings;

pub use settings::{KvVersion, VaultSettings};
