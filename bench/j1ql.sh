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

work=$(mktemp -d)
sim_pid=""
cleanup() {
  if [ -n "$sim_pid" ]; then kill "$sim_pid" 2>/dev/null || true; wait "$sim_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
export PATH="/usr/local/go/bin:$PATH"

if [ ! -s "$db" ]; then
  go build -o "$work/qgraph" ./cmd/qgraph
  port=$(( 20000 + RANDOM % 20000 ))
  "$work/qgraph" simulate --listen "127.0.0.1:$port" --hosts "$hosts" --detections-per-host "$per_host" \
    --webapps 20 --limits unlimited --seed 1 >"$work/sim.log" 2>&1 &
  sim_pid=$!
  for _ in $(seq 1 100); do
    curl -fsS -o /dev/null -u qgraph:simulator "http://127.0.0.1:$port/qps/rest/portal/version" 2>/dev/null && break
    sleep 0.2
  done
  cat >"$work/qgraph.yaml" <<EOC
instances:
  - name: bench
    qualys:
      apiUrl: http://127.0.0.1:$port
      username: qgraph
      password: \${QGRAPH_BENCH_PASSWORD}
      vmdrFindingSeverities: [1, 2, 3, 4, 5]
      vmdrFindingTypes: [Info, Potential, Confirmed]
EOC
  echo "building the graph: $hosts hosts × $per_host detections into $db"
  QGRAPH_BENCH_PASSWORD=simulator "$work/qgraph" --db "$db" sync --config "$work/qgraph.yaml" --full >"$work/report.txt" 2>"$work/sync.log" \
    || { tail -20 "$work/sync.log" >&2; rm -f "$db"; exit 1; }
  kill "$sim_pid"; wait "$sim_pid" 2>/dev/null || true; sim_pid=""
fi

echo "J1QL benchmark on $db, $runs runs per query, $(nproc) cores"
QGRAPH_BENCH_DB="$db" QGRAPH_BENCH_RUNS="$runs" go test -timeout 3h -run '^$' -bench BenchmarkManagedQuestions -benchtime 1x -v ./internal/j1ql/ \
  | grep -v '^goos\|^goarch\|^pkg\|^cpu'
