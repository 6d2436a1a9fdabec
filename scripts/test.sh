#!/usr/bin/env bash
# The whole test suite on a fresh Debian 12 machine: installs the real
# servers (Consul, PostgreSQL 15, Patroni) if missing, then runs every test,
# including those against the real servers, and the lint, doc and packaging
# lanes.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -eq 0 ]; then bash scripts/install-deps.sh; else sudo bash scripts/install-deps.sh; fi
# Every crate: unit, integration and doc tests, examples built.
cargo test --workspace --no-fail-fast "$@"
# The Patroni suite again against Patroni 4.1.5 (the first run used Debian's 3.0.2).
SANDBOX_PATRONI_BIN=/opt/patroni4/bin/patroni cargo test -p ops-sdk-patroni --test it --no-fail-fast "$@"
# Lint lane: formatting and clippy with warnings as errors.
cargo fmt --all --check
cargo clippy --workspace --all-targets -- -D warnings
# Feature lane (what `cargo hack --each-feature check` would do, without
# installing it): every crate with no default features and with all of them,
# and the facade with each feature alone.
for crate in ops-sdk-core ops-sdk-nomad ops-sdk-consul ops-sdk-vault ops-sdk-patroni ops-sdk-walg ops-sdk-recipes; do
  cargo check -p "$crate" --no-default-features
  cargo check -p "$crate" --all-features
done
for feature in nomad consul vault patroni walg recipes; do
  cargo check -p ops-sdk --no-default-features --features "$feature"
done
# Doc lane: what docs.rs builds, warnings (broken links, missing docs) as errors.
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps
# Packaging lane: every published crate packages (manifest metadata, versioned
# path dependencies, included files); the unpublished ones are left out.
cargo package --workspace --no-verify --allow-dirty \
  --exclude sandbox --exclude ops-examples --exclude ops-benches --exclude safety-tests --exclude test-support
