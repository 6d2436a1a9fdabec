#!/usr/bin/env bash
# The sandbox demo on a fresh Debian 12 machine: installs the real servers if
# missing, then starts Consul + PostgreSQL 15 + 2 Patroni members on loopback
# and drives them with the recipes. Extra arguments go to the demo binary
# (e.g. --keep to leave the sandbox running).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -eq 0 ]; then bash scripts/install-deps.sh; else sudo bash scripts/install-deps.sh; fi
exec cargo run --release -p ops-examples --bin demo -- "$@"
