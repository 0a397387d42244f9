#!/usr/bin/env bash
# Prepares a local PostgreSQL for the store conformance tests and prints the
# DSN to export as MEDSHIELD_TEST_POSTGRES, for example:
#
#   export MEDSHIELD_TEST_POSTGRES="$(scripts/ci-postgres.sh)"
#
# It installs Debian's postgresql package when it is missing (needs root),
# starts the first cluster found (creating one if none exists), and creates a
# user and a database for the tests. Running it again is harmless. Progress
# goes to stderr; only the DSN goes to stdout.
set -euo pipefail

DB_USER=${MEDSHIELD_PG_USER:-medshield}
DB_PASS=${MEDSHIELD_PG_PASSWORD:-medshield-test}
DB_NAME=${MEDSHIELD_PG_DB:-medshield_test}

log() { echo "ci-postgres: $*" >&2; }

if ! command -v pg_lsclusters >/dev/null 2>&1; then
  log "installing postgresql from Debian"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
fi

# First cluster (version, name, port); create one if the package made none.
read -r VER NAME PORT STATUS _ < <(pg_lsclusters --no-header | head -n1 || true) || true
if [ -z "${VER:-}" ]; then
  VER=$(ls /usr/lib/postgresql | sort -V | tail -n1)
  log "creating cluster $VER/main"
  pg_createcluster "$VER" main >&2
  read -r VER NAME PORT STATUS _ < <(pg_lsclusters --no-header | head -n1)
fi
if [ "$STATUS" != "online" ]; then
  log "starting cluster $VER/$NAME on port $PORT"
  pg_ctlcluster "$VER" "$NAME" start >&2
fi

# Wait until it accepts connections.
for _ in $(seq 1 30); do
  if su postgres -c "psql -p $PORT -Atqc 'select 1'" >/dev/null 2>&1; then break; fi
  sleep 1
done

psql_admin() { su postgres -c "psql -p $PORT -v ON_ERROR_STOP=1 -Atq $*"; }

if [ "$(psql_admin "-c \"select 1 from pg_roles where rolname='$DB_USER'\"")" != "1" ]; then
  log "creating role $DB_USER"
  psql_admin "-c \"create role $DB_USER login password '$DB_PASS'\"" >&2
fi
if [ "$(psql_admin "-c \"select 1 from pg_database where datname='$DB_NAME'\"")" != "1" ]; then
  log "creating database $DB_NAME"
  psql_admin "-c \"create database $DB_NAME owner $DB_USER\"" >&2
fi

echo "postgres://$DB_USER:$DB_PASS@127.0.0.1:$PORT/$DB_NAME?sslmode=disable"
