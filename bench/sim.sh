#!/usr/bin/env bash
# Serve a large simulated Qualys subscription with `qgraph simulate`, fetch
# every host ID and every detection page with curl, and report throughput
# and the simulator's peak RSS (from /usr/bin/time -v).
#
#   bench/sim.sh [HOSTS] [DETECTIONS_PER_HOST] [PARALLEL]
#
# Defaults: 76000 hosts, 33 detections per host (about 2.5 million), and
# 2 pages fetched at a time. Needs go, curl, bc and /usr/bin/time.
# QGRAPH_BIN=path uses a prebuilt binary instead of building one.
set -euo pipefail

hosts=${1:-76000}
per_host=${2:-33}
parallel=${3:-2}
chunk=1000
port=${SIM_PORT:-18080}
user=qgraph
pass=simulator
base="http://127.0.0.1:${port}"

root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
# GNU time ignores SIGINT, so signals go to the simulator it runs.
stop_sim() { pkill -INT -P "$sim_pid" 2>/dev/null || true; }
sim_pid=
trap 'stop_sim; rm -rf "$work"' EXIT

if [[ -n ${QGRAPH_BIN:-} ]]; then
	cp "$QGRAPH_BIN" "$work/qgraph"
else
	(cd "$root" && go build -o "$work/qgraph" ./cmd/qgraph)
fi

/usr/bin/time -v -o "$work/time.txt" "$work/qgraph" simulate --listen "127.0.0.1:${port}" \
	--hosts "$hosts" --detections-per-host "$per_host" --webapps 0 --limits unlimited \
	>"$work/sim.log" 2>&1 &
sim_pid=$!

for _ in $(seq 1 100); do
	curl -s -o /dev/null -u "$user:$pass" "$base/qps/rest/portal/version" && break
	sleep 0.1
done

start=$(date +%s.%N)
curl -s -u "$user:$pass" -H 'X-Requested-With: bench' \
	"$base/api/2.0/fo/asset/host/?action=list&details=None&truncation_limit=0" |
	grep -o '<ID>[0-9]*' | cut -c5- >"$work/ids"
ids_done=$(date +%s.%N)
echo "host IDs: $(wc -l <"$work/ids") in $(echo "$ids_done - $start" | bc) s"

split -l "$chunk" "$work/ids" "$work/chunk."
fetch() {
	local ids
	ids=$(paste -sd, "$1")
	curl -s -u "$user:$pass" -H 'X-Requested-With: bench' \
		--data "action=list&show_tags=1&show_igs=1&show_results=0&status=New,Active,Fixed,Re-Opened&truncation_limit=${chunk}&ids=${ids}" \
		"$base/api/2.0/fo/asset/host/vm/detection/" | tee >(wc -c >"$1.bytes") | grep -c '<DETECTION>' >"$1.count" || true
}
export -f fetch
export user pass base chunk
det_start=$(date +%s.%N)
find "$work" -name 'chunk.*' ! -name '*.bytes' ! -name '*.count' -print0 |
	xargs -0 -P "$parallel" -I{} bash -c 'fetch {}'
det_done=$(date +%s.%N)
sleep 0.2

bytes=$(cat "$work"/chunk.*.bytes | paste -sd+ | bc)
dets=$(cat "$work"/chunk.*.count | paste -sd+ | bc)
secs=$(echo "$det_done - $det_start" | bc)
echo "detection pages: $(ls "$work"/chunk.*.count | wc -l), detections: $dets, bytes: $bytes"
echo "elapsed: $secs s, $(echo "scale=1; $bytes / 1000000 / $secs" | bc) MB/s, $(echo "$dets / $secs" | bc) detections/s (curl + grep on the same 2 cores)"

# Host assets: 250 IDs per search, as the integration asks for them.
split -l 250 "$work/ids" "$work/assets."
fetch_assets() {
	local ids
	ids=$(paste -sd, "$1")
	curl -s -u "$user:$pass" -H 'Content-Type: text/xml' \
		--data "<ServiceRequest><preferences><limitResults>250</limitResults></preferences><filters><Criteria field=\"qwebHostId\" operator=\"IN\">${ids}</Criteria></filters></ServiceRequest>" \
		"$base/qps/rest/2.0/search/am/hostasset" | wc -c >"$1.bytes"
}
export -f fetch_assets
as_start=$(date +%s.%N)
find "$work" -name 'assets.*' ! -name '*.bytes' -print0 | xargs -0 -P "$parallel" -I{} bash -c 'fetch_assets {}'
as_done=$(date +%s.%N)
sleep 0.2
as_bytes=$(cat "$work"/assets.*.bytes | paste -sd+ | bc)
as_secs=$(echo "$as_done - $as_start" | bc)
echo "host assets: $(ls "$work"/assets.*.bytes | wc -l) pages, $as_bytes bytes in $as_secs s, $(echo "scale=1; $as_bytes / 1000000 / $as_secs" | bc) MB/s"

# The whole KnowledgeBase with details=All.
kb_start=$(date +%s.%N)
kb_bytes=$(curl -s -u "$user:$pass" -H 'X-Requested-With: bench' --data 'action=list&details=All' \
	"$base/api/2.0/fo/knowledge_base/vuln/" | wc -c)
kb_done=$(date +%s.%N)
echo "knowledge base: $kb_bytes bytes in $(echo "$kb_done - $kb_start" | bc) s"

stop_sim
wait "$sim_pid" || true
grep -E 'Maximum resident set size|Elapsed \(wall' "$work/time.txt"
