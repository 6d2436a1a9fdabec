#!/usr/bin/env bash
# The whole test suite on a fresh Debian 12 machine: installs the real
# servers (Consul, PostgreSQL 15, Patroni) if missing, runs the lint, doc,
# feature and packaging lanes (fast failures first), then every test,
# including those against the real servers.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -eq 0 ]; then bash scripts/install-deps.sh; else sudo bash scripts/install-deps.sh; fi

# The crates published to crates.io, by package name.
published=(ops-sdk-core ops-sdk-nomad ops-sdk-consul ops-sdk-vault ops-sdk-patroni ops-sdk-walg ops-sdk-recipes ops-sdk)
# Each lane prints its start time and the seconds since the run began (CI's budget is 30 minutes).
lane() { printf '\n=== lane: %s (%s, +%ss)\n' "$*" "$(date +%T)" "$SECONDS"; }

lane "fmt"
cargo fmt --all --check

lane "clippy, all targets and all features (incompatible_msrv holds rust-version for std APIs)"
cargo clippy --workspace --all-targets --all-features -- -D warnings

lane "unused dependencies (rustc's unused_crate_dependencies on each published library)"
for crate in "${published[@]}"; do
  cargo rustc -q -p "$crate" --lib --all-features --profile check -- -D unused-crate-dependencies
done

lane "features (what cargo hack --each-feature check would do, without installing it)"
for crate in "${published[@]:0:7}"; do
  cargo check -q -p "$crate" --no-default-features
  cargo check -q -p "$crate" --all-features
done
cargo check -q -p ops-sdk --no-default-features
for feature in nomad consul vault patroni walg recipes; do
  cargo check -q -p ops-sdk --no-default-features --features "$feature"
done

lane "docs as docs.rs builds them (--cfg docsrs: feature badges), warnings as errors"
# docs.rs uses nightly for doc_cfg; RUSTC_BOOTSTRAP names only our crates, so
# no dependency sees a nightly compiler.
RUSTC_BOOTSTRAP=client_core,nomad_client,consul_client,vault_client,patroni_client,walg,recipes,ops_sdk \
  RUSTDOCFLAGS="--cfg docsrs -D warnings" cargo doc --workspace --no-deps --all-features
grep -qF 'Available on crate feature `nomad` only' target/doc/ops_sdk/index.html \
  || { echo "the facade's docs show no feature badge for ops_sdk::nomad" >&2; exit 1; }

lane "packaging: every published crate packages and builds from its package alone"
# --workspace packages interdependent unpublished crates together (through a
# local registry) and builds each from its .crate; the unpublished ones are left out.
# The verification builds outside this workspace (the default dev profile); no
# debug info there, as nothing runs those builds.
# Cargo extracts that local registry's crates under $CARGO_HOME/registry/src/-<hash
# of its path>/ and reuses an extraction that is already there without comparing
# it: on a machine that packaged this version from the same path before (a kept
# CARGO_HOME, a second run), a crate would be verified against its siblings' old
# sources. Those extractions of our own crates are removed first.
rm -rf "${CARGO_HOME:-$HOME/.cargo}"/registry/src/-*/ops-sdk*
CARGO_PROFILE_DEV_DEBUG=0 cargo package --workspace --allow-dirty \
  --exclude sandbox --exclude ops-examples --exclude ops-benches --exclude safety-tests --exclude test-support

lane "tests: every crate's unit, integration and doc tests (README blocks included), examples built"
cargo test --workspace --no-fail-fast "$@"
lane "tests: the Patroni suite again against Patroni 4.1.5 (the first run used Debian's 3.0.2)"
SANDBOX_PATRONI_BIN=/opt/patroni4/bin/patroni cargo test -p ops-sdk-patroni --test it --no-fail-fast "$@"
lane "done"
