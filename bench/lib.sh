# Shared by the benchmark scripts (source it after setting -euo pipefail).
#
# bench_setup: a temp dir in $work, removed at exit with any simulator started,
# and Go on PATH.
bench_setup() {
  work=$(mktemp -d)
  sim_pid=""
  trap bench_cleanup EXIT
  export PATH="/usr/local/go/bin:$PATH"
}

bench_cleanup() {
  if [ -n "$sim_pid" ]; then kill "$sim_pid" 2>/dev/null || true; wait "$sim_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}

# bench_start_simulator HOSTS DETECTIONS_PER_HOST: builds $work/qgraph, serves
# the simulator on a random loopback port (pid in $sim_pid), waits until it
# answers, and writes $work/qgraph.yaml with one instance "bench" against it
# (password from $QGRAPH_BENCH_PASSWORD, which it exports).
bench_start_simulator() {
  local hosts=$1 per_host=$2 port
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
  export QGRAPH_BENCH_PASSWORD=simulator
}

# bench_stop_simulator stops the simulator started by bench_start_simulator.
bench_stop_simulator() {
  kill "$sim_pid"; wait "$sim_pid" 2>/dev/null || true; sim_pid=""
}
