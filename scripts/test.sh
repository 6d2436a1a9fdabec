#!/usr/bin/env bash
# The whole test suite on a fresh Debian 12 machine: installs the real
# servers (Consul, PostgreSQL 15, Patroni) if missing, then runs every test,
# including those against the real servers.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -eq 0 ]; then bash scripts/install-deps.sh; else sudo bash scripts/install-deps.sh; fi
# Every crate: unit, integration and doc tests, examples built.
cargo test --workspace --no-fail-fast "$@"
# The Patroni suite again against Patroni 4.1.5 (the first run used Debian's 3.0.2).
SANDBOX_PATRONI_BIN=/opt/patroni4/bin/patroni cargo test -p patroni-client --test it --no-fail-fast "$@"
