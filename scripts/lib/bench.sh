# Shared by scripts/bench/*: the release binary every benchmark measures, and the private cluster
# and generated warehouse it reads. release_binary needs nothing else; bench_cluster and
# bench_warehouse_120k need pg.sh sourced first.

# release_binary: sets TRACESPOOL_BIN to the release build the README's figures are taken with
# (static Swift runtime, the layout flags of Package.swift; scratch .build-bench), building it when
# TRACESPOOL_BIN is not already given. One build command for every benchmark, so running one does
# not rebuild another's binary with different flags.
release_binary() {
  [ -n "${TRACESPOOL_BIN:-}" ] && return 0
  echo "== building tracespool (release, static Swift runtime)" >&2
  swift build -c release --static-swift-stdlib --scratch-path .build-bench --product tracespool >&2
  TRACESPOOL_BIN="$(swift build -c release --static-swift-stdlib --scratch-path .build-bench --show-bin-path)/tracespool"
}

# bench_cluster: the server a benchmark reads — BENCH_PGHOST's (a running cluster's socket folder)
# when given, else .bench/pg, started here and stopped when the script exits.
bench_cluster() {
  if [ -n "${BENCH_PGHOST:-}" ]; then
    export PGHOST=$BENCH_PGHOST PGUSER=${PGUSER:-postgres}
    return 0
  fi
  pg_start .bench/pg
  trap 'pg_stop .bench/pg' EXIT
}

# bench_warehouse_120k MODE: starts the cluster and makes sure the 120 000-lot / 180-day warehouse
# of MODE exists (generated once, a few minutes); sets bench_db, bench_pg_dir and bench_warehouse
# (a sentence saying what was measured on). The cluster is stopped when the script exits.
#   recommended  .bench/pg (tuned settings of pg_start), database wh120k with the minimal indexes
#                plus tracespool's recommended ones;
#   minimal      .bench/pg-stock (stock PostgreSQL settings), database wh120k_minimal with only the
#                minimal index set and no object of ours, as a real MES mirror is.
bench_warehouse_120k() {
  local mode=$1 marker
  case $mode in
    recommended)
      bench_pg_dir=.bench/pg bench_db=wh120k
      bench_warehouse="\`warehouse_load wh120k 120000 180 42\`: minimal and recommended indexes, tuned server settings (shared_buffers 256 MB)" ;;
    minimal)
      bench_pg_dir=.bench/pg-stock bench_db=wh120k_minimal
      bench_warehouse="\`warehouse_load wh120k_minimal 120000 180 42 false minimal\`: the minimal index set only, no object of ours, stock server settings" ;;
    *) echo "--warehouse must be recommended or minimal, not '$mode'" >&2; exit 64 ;;
  esac
  if [ "$mode" = minimal ]; then pg_start "$bench_pg_dir" stock; else pg_start "$bench_pg_dir"; fi
  trap "pg_stop $bench_pg_dir" EXIT
  marker="tracespool bench warehouse 120000 180 42"
  [ "$mode" = recommended ] || marker="$marker $mode"
  if [ "$(psql -X -tAc "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = '$bench_db'")" != "$marker" ]; then
    echo "== generating the 120 000-lot warehouse $bench_db ($mode indexes; once, a few minutes)" >&2
    warehouse_load "$bench_db" 120000 180 42 false "$mode"
    psql -X -q -c "COMMENT ON DATABASE $bench_db IS '$marker'"
  fi
}

# bench_warehouse_flag "$@": the value of --warehouse MODE (or BENCH_WAREHOUSE, default recommended).
bench_warehouse_flag() {
  local mode=${BENCH_WAREHOUSE:-recommended}
  while [ $# -gt 0 ]; do
    case $1 in
      --warehouse) mode=${2:?--warehouse needs recommended or minimal}; shift 2 ;;
      --warehouse=*) mode=${1#--warehouse=}; shift ;;
      *) echo "unknown argument '$1' (only --warehouse recommended|minimal)" >&2; exit 64 ;;
    esac
  done
  echo "$mode"
}
