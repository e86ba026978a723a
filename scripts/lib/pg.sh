# Shared shell helpers: install what a fresh machine lacks, and run a private PostgreSQL cluster
# (initdb + pg_ctl, unix socket in a private folder, no TCP). Sourced by scripts/test, scripts/demo
# and scripts/bench/*.
set -euo pipefail

TRACESPOOL_ROOT=${TRACESPOOL_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}

# Debian packages the build, the tests and the demo need.
ensure_packages() {
  local need=()
  command -v pg_config >/dev/null 2>&1 || need+=(postgresql libpq-dev)
  [ -e /usr/include/postgresql/libpq-fe.h ] || need+=(libpq-dev)
  [ -e /usr/include/sqlite3.h ] || need+=(libsqlite3-dev)
  command -v sqlite3 >/dev/null 2>&1 || need+=(sqlite3)
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
  command -v psql >/dev/null 2>&1 || need+=(postgresql-client)
  if [ ${#need[@]} -gt 0 ]; then
    echo "installing: ${need[*]}" >&2
    local sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
    $sudo apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
  fi
}

pg_bin() { ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1; }

# Runs a PostgreSQL server binary as the postgres user when we are root (initdb refuses root).
as_pg_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# pg_start DIR [tuned|stock]: creates (once) and starts a cluster whose data and socket live under
# DIR. tuned (the default) turns durability off and raises the memory settings for fast test and
# bench data; stock keeps PostgreSQL's defaults but for the private socket. Exports PGHOST (the
# socket folder), PGPORT, PGUSER, PGDATABASE for libpq, psql and the tests.
pg_start() {
  local dir=$1 settings=${2:-tuned} bin; bin=$(pg_bin)
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  [ "$(id -u)" = 0 ] && chown postgres: "$dir"
  if [ ! -s "$dir/data/PG_VERSION" ]; then
    as_pg_owner "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
    cat >>"$dir/data/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$dir'
CONF
    [ "$settings" = stock ] || cat >>"$dir/data/postgresql.conf" <<CONF
fsync = off
synchronous_commit = off
full_page_writes = off
shared_buffers = 256MB
maintenance_work_mem = 256MB
max_wal_size = 4GB
CONF
    # Everyone is trusted on the private socket, except one role that must give a password:
    # the tests use it to check how a wrong password is reported.
    { echo "local all tracespool_pw scram-sha-256"; cat "$dir/data/pg_hba.conf"; } >"$dir/pg_hba.tmp"
    mv "$dir/pg_hba.tmp" "$dir/data/pg_hba.conf"
    [ "$(id -u)" = 0 ] && chown postgres: "$dir/data/pg_hba.conf"
  fi
  if ! as_pg_owner "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
    as_pg_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null
  fi
  export PGHOST=$dir PGPORT=5432 PGUSER=postgres PGDATABASE=${PGDATABASE:-postgres}
}

pg_stop() {
  local dir=$1
  [ -d "$dir/data" ] || return 0
  as_pg_owner "$(pg_bin)/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
}

# warehouse_load DB LOTS DAYS SEED [BAD_DATA] [INDEXES]: (re)creates database DB with a generated
# warehouse. INDEXES = recommended (default: the minimal set plus tracespool's recommended
# accelerations) or minimal (only what the reference's own warehouse has, and the generator's helper
# schema dropped afterwards: a warehouse with no object of ours, as a real MES mirror is).
warehouse_load() {
  local db=$1 lots=$2 days=$3 seed=$4 bad=${5:-false} indexes=${6:-recommended} w=$TRACESPOOL_ROOT/scripts/warehouse
  local extra=(-f "$w/indexes-recommended.sql")
  case $indexes in
    recommended) ;;
    minimal) extra=(-c "DROP SCHEMA dwh_gen CASCADE") ;;
    *) echo "warehouse_load: INDEXES must be recommended or minimal, not '$indexes'" >&2; return 64 ;;
  esac
  psql -X -q -d postgres -v ON_ERROR_STOP=1 -c "DROP DATABASE IF EXISTS \"$db\"" -c "CREATE DATABASE \"$db\""
  psql -X -q -d "$db" -v ON_ERROR_STOP=1 -f "$w/schema.sql" -f "$w/generate.sql" \
    -c "SELECT dwh_gen.generate($lots, $days, $seed, $bad)" -f "$w/indexes-minimal.sql" "${extra[@]}" \
    -c "ANALYZE" >/dev/null
}
