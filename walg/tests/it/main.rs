//! Integration tests of the walg crate (one binary to keep link time down).

mod commands;
mod nomad;
mod parsing;
mod pitr;
mod props;
mod real_pg;
mod standin;

/// Reads a file from `tests/fixtures/`.
pub fn fixture(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}
