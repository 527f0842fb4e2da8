package postgres

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/qgraph/qgraph/internal/graph"
	"github.com/qgraph/qgraph/internal/store"
)

// benchObjects reads the number of entities (and of relationships) a sync
// benchmark writes from QGRAPH_BENCH_OBJECTS; default 20,000.
func benchObjects(b *testing.B) int {
	s := os.Getenv("QGRAPH_BENCH_OBJECTS")
	if s == "" {
		return 20000
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		b.Fatalf("QGRAPH_BENCH_OBJECTS=%q: want a positive integer", s)
	}
	return n
}

// benchBatch is the number of objects per Put.
const benchBatch = 5000

// benchEntity builds entity i; generation g changes every hundredth one.
func benchEntity(i, g int) graph.Entity {
	p := graph.Properties{
		"name":        fmt.Sprintf("host %d", i),
		"displayName": fmt.Sprintf("Host %d", i),
		"hostId":      int64(100000000000000000 + i),
		"qid":         int64(i % 5000),
		"severity":    int64(i % 5),
		"open":        i%3 == 0,
		"score":       float64(i%1000) / 7,
		"os":          "Linux 6.1",
		"tag.Env":     "prod",
	}
	if g > 0 && i%100 == 0 {
		p["lastScan"] = int64(g)
	}
	return graph.Entity{Key: fmt.Sprintf("bench-host-%09d", i), Type: "bench_host", Class: []string{"Host"}, Properties: p}
}

// benchRelationship links entity i to entity i+1 (wrapping).
func benchRelationship(i, n int) graph.Relationship {
	from, to := fmt.Sprintf("bench-host-%09d", i), fmt.Sprintf("bench-host-%09d", (i+1)%n)
	return graph.Relationship{
		Key: graph.RelationshipKey(from, "CONNECTS", to), Type: "bench_host_connects_host", Class: "CONNECTS",
		FromKey: from, ToKey: to, Properties: graph.Properties{"port": int64(i % 65536)},
	}
}

// benchSync writes n entities and n relationships of generation g in
// batches and commits.
func benchSync(ctx context.Context, b *testing.B, db *DB, n, g int) *store.SyncResult {
	s, err := db.BeginSync(ctx, store.SyncParams{Scope: "instance:bench", JobID: fmt.Sprintf("bench-%d", g)})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Abort(ctx)
	var batch store.Batch
	var putTime time.Duration
	flush := func() {
		start := time.Now()
		if err := s.Put(ctx, batch); err != nil {
			b.Fatal(err)
		}
		putTime += time.Since(start)
		batch = store.Batch{}
	}
	for i := range n {
		batch.Entities = append(batch.Entities, benchEntity(i, g))
		if len(batch.Entities) == benchBatch {
			flush()
		}
	}
	for i := range n {
		batch.Relationships = append(batch.Relationships, benchRelationship(i, n))
		if len(batch.Relationships) == benchBatch {
			flush()
		}
	}
	flush()
	start := time.Now()
	res, err := s.Commit(ctx, store.CommitParams{})
	if err != nil {
		b.Fatal(err)
	}
	db.log.Debug("bench sync", "generation", g, "put", putTime, "commit", time.Since(start))
	return res
}

// heapPeak samples the Go heap until stop is called and returns the peak
// in bytes.
func heapPeak() (stop func() uint64) {
	var peak atomic.Uint64
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		var m runtime.MemStats
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peak.Load() {
				peak.Store(m.HeapInuse)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 {
		close(done)
		<-finished
		return peak.Load()
	}
}

// BenchmarkSync syncs N entities and N relationships into an empty scope,
// then syncs them again with 1% of the entities changed, and reports the
// objects per second of each and the peak Go heap. N comes from
// QGRAPH_BENCH_OBJECTS.
func BenchmarkSync(b *testing.B) {
	requireServer(b)
	n := benchObjects(b)
	ctx := context.Background()
	var initial, resync time.Duration
	var peak uint64
	for b.Loop() {
		b.StopTimer()
		schema := newSchemaName(b)
		dropSchemaOnCleanup(b, schema)
		opts := Options{Schema: schema}
		if os.Getenv("QGRAPH_BENCH_VERBOSE") != "" {
			opts.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
		}
		db, err := Open(ctx, testDSN(), opts)
		if err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		stop := heapPeak()
		b.StartTimer()

		start := time.Now()
		res := benchSync(ctx, b, db, n, 0)
		initial += time.Since(start)
		if got := res.Entities["bench_host"].Created; got != int64(n) {
			b.Fatalf("initial sync created %d entities, want %d", got, n)
		}
		start = time.Now()
		res = benchSync(ctx, b, db, n, 1)
		resync += time.Since(start)
		if got, want := res.Entities["bench_host"].Updated, int64((n+99)/100); got != want {
			b.Fatalf("second sync updated %d entities, want %d", got, want)
		}

		b.StopTimer()
		peak = max(peak, stop())
		db.Close()
		b.StartTimer()
	}
	objects := float64(2 * n * b.N)
	b.ReportMetric(objects/initial.Seconds(), "initial-objects/s")
	b.ReportMetric(objects/resync.Seconds(), "resync-objects/s")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
}
