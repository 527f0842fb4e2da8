#!/usr/bin/env bash
# J1QL benchmark: builds (once) the graph of the large sync benchmark in the
# embedded store, then runs every managed question many times and reports
# p50/p95 latency per query, with SQLite's EXPLAIN QUERY PLAN of each.
#
# usage: bench/j1ql.sh [small|large|HOSTS:DETECTIONS_PER_HOST] [RUNS]
#   large (default) 76,000 hosts × 33 detections (about 2,500,000 detections)
# The store is kept in $QGRAPH_BENCH_DB (default /tmp/qgraph-j1ql-<size>.db)
# so that later runs skip the sync; delete it to rebuild. A query stops
# repeating after QGRAPH_BENCH_BUDGET (default 30s) of runs.
set -euo pipefail
cd "$(dirname "$0")/.."

size=${1:-large}
runs=${2:-20}
case "$size" in
  small) hosts=5000; per_host=20 ;;
  large) hosts=76000; per_host=33 ;;
  *:*) hosts=${size%%:*}; per_host=${size##*:} ;;
  *) echo "usage: $0 [small|large|HOSTS:DETECTIONS_PER_HOST] [RUNS]" >&2; exit 2 ;;
esac
db=${QGRAPH_BENCH_DB:-/tmp/qgraph-j1ql-$size.db}

. bench/lib.sh
bench_setup

if [ ! -s "$db" ]; then
  bench_start_simulator "$hosts" "$per_host"
  echo "building the graph: $hosts hosts × $per_host detections into $db"
  "$work/qgraph" --db "$db" sync --config "$work/qgraph.yaml" --full >"$work/report.txt" 2>"$work/sync.log" \
    || { tail -20 "$work/sync.log" >&2; rm -f "$db"; exit 1; }
  bench_stop_simulator
fi

echo "J1QL benchmark on $db, $runs runs per query, $(nproc) cores"
QGRAPH_BENCH_DB="$db" QGRAPH_BENCH_RUNS="$runs" go test -timeout 3h -run '^$' -bench BenchmarkManagedQuestions -benchtime 1x -v ./internal/j1ql/ \
  | grep -v '^goos\|^goarch\|^pkg\|^cpu'
