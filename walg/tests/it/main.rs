//! Integration tests of the walg crate (one binary to keep link time down).

mod commands;
#[cfg(feature = "nomad")]
mod nomad;
mod parsing;
mod pitr;
mod props;
mod real_pg;
mod standin;

/// This crate's `tests/fixtures`.
pub const FIXTURES: test_support::Fixtures = test_support::Fixtures::new(env!("CARGO_MANIFEST_DIR"));

/// The text of a file from `tests/fixtures/`.
pub fn fixture(name: &str) -> String {
    FIXTURES.text(name)
}
