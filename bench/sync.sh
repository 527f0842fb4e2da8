#!/usr/bin/env bash
# Sync benchmark: a full sync from the Qualys simulator into the embedded
# store, an unchanged full re-sync of the same data, and an incremental
# sync right after, each measured with /usr/bin/time -v (wall time, CPU
# time and peak RSS of the qgraph sync process only; the simulator runs as
# its own process).
#
# usage: bench/sync.sh [small|large|HOSTS:DETECTIONS_PER_HOST] [RUNS]
#   small  5,000 hosts × 20 detections  (100,000 detections)
#   large  76,000 hosts × 33 detections (about 2,500,000 detections)
# Prints one line per run and the medians; keeps nothing but a temp dir
# that is removed at exit. Needs /usr/bin/time (Debian package "time").
set -euo pipefail
cd "$(dirname "$0")/.."

size=${1:-small}
runs=${2:-3}
case "$size" in
  small) hosts=5000; per_host=20 ;;
  large) hosts=76000; per_host=33 ;;
  *:*) hosts=${size%%:*}; per_host=${size##*:} ;;
  *) echo "usage: $0 [small|large|HOSTS:DETECTIONS_PER_HOST] [RUNS]" >&2; exit 2 ;;
esac
[ -x /usr/bin/time ] || { echo "$0: /usr/bin/time is needed (apt-get install time)" >&2; exit 2; }

. bench/lib.sh
bench_setup
bench_start_simulator "$hosts" "$per_host"

# measure LABEL DB [--full]: runs one sync, prints "LABEL wall_s rss_mb cpu_s".
measure() {
  local label=$1 db=$2 full=${3:-}
  /usr/bin/time -v -o "$work/time.txt" "$work/qgraph" --db "$db" sync --config "$work/qgraph.yaml" $full \
    >"$work/report.txt" 2>"$work/sync.log" || { echo "$label: sync failed" >&2; tail -20 "$work/sync.log" "$work/report.txt" >&2; exit 1; }
  local wall rss cpu
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$work/time.txt")
  rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$work/time.txt")
  cpu=$(awk -F': ' '/User time|System time/ {s+=$2} END {printf "%.1f", s}' "$work/time.txt")
  grep -E 'store commit' "$work/report.txt" | sed "s/^ */  $label: /" >&2 || true
  echo "$label $wall $rss $cpu"
}

echo "sync benchmark: $hosts hosts × $per_host detections per host, $runs runs, $(nproc) cores"
: >"$work/results"
for i in $(seq 1 "$runs"); do
  db="$work/bench-$i.db"
  measure "full" "$db" --full | tee -a "$work/results"
  measure "resync" "$db" --full | tee -a "$work/results"
  measure "incremental" "$db" | tee -a "$work/results"
  rm -f "$db" "$db"-*
done
grep -E 'host_finding' "$work/report.txt" | head -3 || true

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
for label in full resync incremental; do
  w=$(awk -v l=$label '$1==l {print $2}' "$work/results" | median)
  r=$(awk -v l=$label '$1==l {print $3}' "$work/results" | median)
  c=$(awk -v l=$label '$1==l {print $4}' "$work/results" | median)
  echo "median $label: ${w}s wall, ${c}s CPU (user+sys), ${r} MB peak RSS"
done
