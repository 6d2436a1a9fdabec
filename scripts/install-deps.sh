#!/usr/bin/env bash
# Installs the real servers the sandbox and the test suite run on a fresh
# Debian 12 machine (run as root): Consul 1.8.7 from Debian 11 (pinned so only
# `consul` comes from there), PostgreSQL 15, Patroni 3.0.2 with python3-consul,
# and valgrind (the benches count instructions per request with callgrind).
# Idempotent and quick when everything is present.
set -euo pipefail

need=()
command -v consul >/dev/null 2>&1 || need+=(consul)
[ -x /usr/lib/postgresql/15/bin/postgres ] || need+=(postgresql-15)
command -v patroni >/dev/null 2>&1 || need+=(patroni)
python3 -c 'import consul' >/dev/null 2>&1 || /usr/bin/python3 -c 'import consul' >/dev/null 2>&1 || need+=(python3-consul)
[ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import ensurepip' >/dev/null 2>&1 || need+=(python3-venv)
command -v valgrind >/dev/null 2>&1 || need+=(valgrind)

# Patroni 4.1.5 from PyPI beside Debian's 3.0.2: the second column of the
# version matrix. A venv made from Debian's python under /opt, readable by the
# postgres user (a venv under root's home is not).
PATRONI4=/opt/patroni4
install_patroni4() {
  case "$("$PATRONI4/bin/patroni" --version 2>/dev/null || true)" in *4.1.5*) return 0 ;; esac
  /usr/bin/python3 -m venv "$PATRONI4"
  "$PATRONI4/bin/pip" install -q 'patroni[consul]==4.1.5' psycopg2-binary
  chmod -R a+rX "$PATRONI4"
  echo "install-deps: installed Patroni 4.1.5 in $PATRONI4"
}

if [ ${#need[@]} -eq 0 ]; then
  echo "install-deps: consul, postgresql-15, patroni, valgrind already present"
  install_patroni4
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing ${need[*]}; run this script as root to install them" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive

# Consul is packaged in Debian 11 only. Derive a bullseye source from the
# system's own first deb822 stanza (no mirror address is hard-coded here) and
# pin it so that nothing but consul is taken from it.
if [[ " ${need[*]} " == *" consul "* ]] && [ ! -f /etc/apt/sources.list.d/bullseye-consul.sources ]; then
  src=/etc/apt/sources.list.d/debian.sources
  if [ ! -f "$src" ]; then
    echo "install-deps: $src not found; cannot derive a bullseye source" >&2
    exit 1
  fi
  awk 'BEGIN{RS=""; ORS="\n\n"} NR==1 {print; exit}' "$src" \
    | sed -E 's/^Suites:.*/Suites: bullseye/' > /etc/apt/sources.list.d/bullseye-consul.sources
  cat > /etc/apt/preferences.d/bullseye-consul <<'PIN'
Package: *
Pin: release n=bullseye
Pin-Priority: -1

Package: consul
Pin: release n=bullseye
Pin-Priority: 500
PIN
fi

apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null

# The Debian packages start their own services; the sandbox runs its own
# instances on loopback, so stop and disable the system ones.
for svc in patroni consul postgresql; do
  if command -v systemctl >/dev/null 2>&1; then systemctl disable --now "$svc" >/dev/null 2>&1 || true; fi
done
pg_ctlcluster 15 main stop >/dev/null 2>&1 || true

echo "install-deps: installed ${need[*]}"
install_patroni4
consul version | head -n1 || true
patroni --version || true
