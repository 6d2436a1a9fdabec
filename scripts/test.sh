#!/usr/bin/env bash
# The whole test suite on a fresh Debian 12 machine: installs the real
# servers (Consul, PostgreSQL 15, Patroni) if missing, then runs every test,
# including those against the real servers.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -eq 0 ]; then bash scripts/install-deps.sh; else sudo bash scripts/install-deps.sh; fi
cargo test --workspace --all-targets --no-fail-fast "$@"
