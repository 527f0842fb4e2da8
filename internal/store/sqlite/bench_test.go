package sqlite_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/qgraph/qgraph/internal/graph"
	"github.com/qgraph/qgraph/internal/store"
	"github.com/qgraph/qgraph/internal/store/sqlite"
)

var benchSyncN = flag.Int("sync-n", 20000, "entities (and as many relationships) per BenchmarkSync sync; also QGRAPH_BENCH_SYNC_N")

// benchSize returns the sync size from the environment or the flag.
func benchSize() int {
	if v := os.Getenv("QGRAPH_BENCH_SYNC_N"); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n > 0 {
			return n
		}
	}
	return *benchSyncN
}

// benchEntity is a finding-like entity of about 400 bytes of JSON.
func benchEntity(i int, gen string) graph.Entity {
	return graph.Entity{
		Key:   fmt.Sprintf("hostId:%d|port:443|protocol:tcp|qid:%d|ssl:1", 100000+i/10, 38000+i%10),
		Type:  "qualys_host_finding",
		Class: []string{"Finding"},
		Properties: graph.Properties{
			"name": fmt.Sprintf("QID %d", 38000+i%10), "displayName": fmt.Sprintf("QID %d on host %d", 38000+i%10, 100000+i/10),
			"category": "vulnerability", "severity": "high", "numericSeverity": int64(4), "open": true,
			"qid": int64(38000 + i%10), "hostId": int64(100000 + i/10), "port": int64(443), "protocol": "tcp",
			"ssl": true, "status": gen, "firstFoundOn": int64(1700000000000 + int64(i)),
			"results": "TLSv1.0 is enabled on this host", "cvss": 7.5,
		},
	}
}

// benchRel links entity i to entity (i*7919+1) mod n.
func benchRel(i, n int, gen string) graph.Relationship {
	from, to := benchEntity(i, ""), benchEntity((i*7919+1)%n, "")
	return graph.Relationship{
		Key: graph.RelationshipKey(from.Key, "HAS", to.Key), Type: "qualys_host_finding_has_finding", Class: "HAS",
		FromKey: from.Key, ToKey: to.Key, Properties: graph.Properties{"status": gen},
	}
}

// benchSync syncs n entities and n relationships in batches of 5,000;
// every changeEvery-th object gets generation gen, the rest "base".
func benchSync(ctx context.Context, db *sqlite.DB, n, changeEvery int, gen, job string, t *phaseTimes) (*store.SyncResult, error) {
	sess, err := db.BeginSync(ctx, store.SyncParams{Scope: "instance:bench", JobID: job})
	if err != nil {
		return nil, err
	}
	defer sess.Abort(ctx)
	const batch = 5000
	genOf := func(i int) string {
		if changeEvery > 0 && i%changeEvery == 0 {
			return gen
		}
		return "base"
	}
	for start := 0; start < n; start += batch {
		var b store.Batch
		for i := start; i < min(start+batch, n); i++ {
			b.Entities = append(b.Entities, benchEntity(i, genOf(i)))
			b.Relationships = append(b.Relationships, benchRel(i, n, genOf(i)))
		}
		start := time.Now()
		if err := sess.Put(ctx, b); err != nil {
			return nil, err
		}
		t.put += time.Since(start)
	}
	start := time.Now()
	defer func() { t.commit += time.Since(start) }()
	return sess.Commit(ctx, store.CommitParams{})
}

// phaseTimes adds up the time spent in Put and in Commit.
type phaseTimes struct{ put, commit time.Duration }

// peakMemory samples the Go heap while running fn and returns its peak.
func peakMemory(fn func()) uint64 {
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-done:
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()
	fn()
	close(done)
	wg.Wait()
	return peak.Load()
}

// peakRSS reads the process's peak resident set size in bytes (Linux).
func peakRSS() uint64 {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			f := strings.Fields(line)
			if len(f) >= 2 {
				kb, _ := strconv.ParseUint(f[1], 10, 64)
				return kb * 1024
			}
		}
	}
	return 0
}

// cpuTime returns the user and system CPU time the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkSync syncs N entities and N relationships into an empty store,
// then syncs the same data with 1% changed, and reports objects per second
// of each and the peak memory. Size: -sync-n or QGRAPH_BENCH_SYNC_N.
func BenchmarkSync(b *testing.B) {
	n := benchSize()
	ctx := context.Background()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		path := filepath.Join(b.TempDir(), "bench.db")
		db, err := sqlite.Open(ctx, path, sqlite.Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		var first, second time.Duration
		var t1, t2 phaseTimes
		cpuStart := cpuTime()
		var syncErr error
		heap := peakMemory(func() {
			start := time.Now()
			if _, syncErr = benchSync(ctx, db, n, 0, "", "job-1", &t1); syncErr != nil {
				return
			}
			first = time.Since(start)
			start = time.Now()
			var res *store.SyncResult
			if res, syncErr = benchSync(ctx, db, n, 100, "changed", "job-2", &t2); syncErr != nil {
				return
			}
			second = time.Since(start)
			if got := res.Entities["qualys_host_finding"].Updated; got != int64((n+99)/100) {
				syncErr = fmt.Errorf("re-sync updated %d entities, want %d", got, (n+99)/100)
			}
		})
		b.StopTimer()
		cpu := cpuTime() - cpuStart
		if syncErr != nil {
			b.Fatal(syncErr)
		}
		db.Close()
		st, _ := os.Stat(path)
		b.ReportMetric(float64(2*n)/first.Seconds(), "initial-obj/s")
		b.ReportMetric(float64(2*n)/second.Seconds(), "resync-obj/s")
		b.ReportMetric(t1.put.Seconds(), "initial-put-s")
		b.ReportMetric(t1.commit.Seconds(), "initial-commit-s")
		b.ReportMetric(t2.put.Seconds(), "resync-put-s")
		b.ReportMetric(t2.commit.Seconds(), "resync-commit-s")
		b.ReportMetric(cpu.Seconds(), "cpu-s")
		b.ReportMetric(float64(heap)/(1<<20), "peak-heap-MB")
		b.ReportMetric(float64(peakRSS())/(1<<20), "peak-RSS-MB")
		if st != nil {
			b.ReportMetric(float64(st.Size())/(1<<20), "file-MB")
		}
		b.StartTimer()
	}
}
